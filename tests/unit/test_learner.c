/*
 * test_learner.c: the parser of kernel text that the learner reads: audit
 * records (learner/auditrec.c). The text can be shaped by a container
 * process (file names, comm), so the records below are real ones plus the
 * hostile and truncated shapes the kernel can hand us. The enforcer's
 * /proc/<tid>/syscall parser is tested in test_intent.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "learner/auditrec.h"
#include "learner/internal.h"

/* Recorded with auditctl -a exit,always -S sendto on a test machine. */
static const char syscall_rec[] =
    "audit(1795618667.327:97111): arch=c000003e syscall=44 success=yes "
    "exit=1076 a0=9 a1=7ffea25e5fc0 a2=434 a3=0 items=0 ppid=20818 "
    "pid=20821 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
    "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"rtguard\" "
    "exe=\"/tmp/b0/cli/rtguard\" key=(null)";

static const char path_rec[] =
    "audit(1795618667.331:97112): item=1 name=\"/var/log/x\" inode=262147 "
    "dev=00:2d mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE "
    "cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";

/* "/tmp/a b.txt": the blank makes the kernel hex-encode it. */
static const char path_hex_rec[] =
    "audit(1795618667.331:97113): item=0 name=2F746D702F6120622E747874 "
    "inode=262148 dev=00:2d mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";

static const char cwd_rec[] = "audit(1795618667.331:97112): cwd=\"/\"";

static const char unlink_rec[] =
    "audit(1795618667.331:97112): arch=c000003e syscall=263 success=yes "
    "exit=0 a0=ffffff9c a1=55d0c8a1e2a0 a2=0 a3=0 items=2 ppid=1 pid=7 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"rm\" exe=\"/bin/busybox\" "
    "key=\"rtguard-learn-1\"";

/* Decode key of msg (all of it) and compare with want; NULL: refused. */
static void
assert_string_field(const char *msg, size_t len, const char *key,
    const char *want, size_t wantlen)
{
	char	*got;
	size_t	 n = 12345;

	got = auditrec_string(msg, len, key, &n);
	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(n, wantlen);
	assert_memory_equal(got, want, wantlen);
	assert_int_equal(got[n], '\0');
	free(got);
}

static uint64_t
number_of(const char *msg, const char *key, int base)
{
	uint64_t	v = 0;

	assert_int_equal(auditrec_number(msg, strlen(msg), key, base, &v), 0);
	return v;
}

static void
assert_no_number(const char *msg, size_t len, const char *key, int base)
{
	uint64_t	v = 42;

	assert_int_equal(auditrec_number(msg, len, key, base, &v), -EINVAL);
	assert_int_equal(v, 42);
}

/* --- serial ------------------------------------------------------------- */

static void
test_serial_of_real_records(void **state)
{
	uint64_t	s = 0;

	assert_int_equal(auditrec_serial(syscall_rec, strlen(syscall_rec),
	    &s), 0);
	assert_int_equal(s, 97111);
	assert_int_equal(auditrec_serial(cwd_rec, strlen(cwd_rec), &s), 0);
	assert_int_equal(s, 97112);
	assert_int_equal(auditrec_serial(path_hex_rec, strlen(path_hex_rec),
	    &s), 0);
	assert_int_equal(s, 97113);
}

static void
test_serial_rejects_malformed_headers(void **state)
{
	static const char *bad[] = {
		"",
		"audit(",
		"audit(1795618667.327)",		/* no ':' */
		"audit(1795618667.327:): x=1",		/* no digits */
		"audit(1795618667.327:97111",		/* no ')' */
		"audit(1795618667.327:97111 x=1",
		"audit(1795618667.327:97x11): x=1",
		"audit(1795618667.327:-5): x=1",
		"audit(1795618667.327: 5): x=1",
		"type=SYSCALL msg=audit(1795618667.327:97111): x=1",
		"AUDIT(1795618667.327:97111): x=1",
		NULL
	};
	uint64_t	 s = 7;
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(auditrec_serial(bad[i], strlen(bad[i]), &s),
		    -EINVAL);
	assert_int_equal(s, 7);
}

static void
test_serial_overflow_is_refused(void **state)
{
	static const char max19[] = "audit(1.2:9999999999999999999): x=1";
	static const char over[] = "audit(1.2:18446744073709551616): x=1";
	static const char huge[] =
	    "audit(1.2:999999999999999999999999999999999999): x=1";
	uint64_t	 s = 0;

	assert_int_equal(auditrec_serial(max19, strlen(max19), &s), 0);
	assert_true(s == 9999999999999999999ULL);
	assert_int_equal(auditrec_serial(over, strlen(over), &s), -EINVAL);
	assert_int_equal(auditrec_serial(huge, strlen(huge), &s), -EINVAL);
}

static void
test_serial_stays_within_len(void **state)
{
	static const char msg[] = "audit(1795618667.327:97111): x=1";
	uint64_t	 s = 0;

	/* Cut inside the serial, and just before ')'. */
	assert_int_equal(auditrec_serial(msg, 24, &s), -EINVAL);
	assert_int_equal(auditrec_serial(msg, 26, &s), -EINVAL);
	assert_int_equal(auditrec_serial(msg, 27, &s), 0);
	assert_int_equal(s, 97111);
	assert_int_equal(auditrec_serial(msg, 7, &s), -EINVAL);
}

/* --- numbers ------------------------------------------------------------ */

static void
test_numbers_of_syscall_record(void **state)
{
	assert_int_equal(number_of(syscall_rec, "arch", 16), 0xc000003e);
	assert_int_equal(number_of(syscall_rec, "syscall", 10), 44);
	assert_int_equal(number_of(syscall_rec, "exit", 10), 1076);
	assert_true(number_of(syscall_rec, "a1", 16) == 0x7ffea25e5fc0ULL);
	assert_int_equal(number_of(syscall_rec, "auid", 10), 4294967295U);
	assert_int_equal(number_of(syscall_rec, "ses", 10), 4294967295U);
}

static void
test_pid_is_not_ppid_and_uid_is_not_auid(void **state)
{
	assert_int_equal(number_of(syscall_rec, "pid", 10), 20821);
	assert_int_equal(number_of(syscall_rec, "ppid", 10), 20818);
	assert_int_equal(number_of(syscall_rec, "uid", 10), 0);
	assert_int_equal(number_of(unlink_rec, "pid", 10), 7);
	assert_int_equal(number_of(unlink_rec, "ppid", 10), 1);
}

static void
test_numbers_refuse_words_and_overflow(void **state)
{
	static const char big[] = "audit(1.2:3): a0=18446744073709551616 "
	    "a1=ffffffffffffffff a2=10000000000000000 a3=";
	size_t	 len = strlen(syscall_rec);

	assert_no_number(syscall_rec, len, "success", 10);	/* yes */
	assert_no_number(syscall_rec, len, "tty", 10);		/* (none) */
	assert_no_number(syscall_rec, len, "a1", 10);		/* hex */
	assert_no_number(syscall_rec, len, "comm", 10);
	assert_no_number(syscall_rec, len, "nosuchkey", 10);
	assert_no_number(big, strlen(big), "a0", 10);
	assert_true(number_of(big, "a1", 16) == UINT64_MAX);
	assert_no_number(big, strlen(big), "a2", 16);
	assert_no_number(big, strlen(big), "a3", 10);		/* empty */
}

/* --- strings ------------------------------------------------------------ */

static void
test_quoted_strings_of_real_records(void **state)
{
	assert_string_field(syscall_rec, strlen(syscall_rec), "comm",
	    "rtguard", 7);
	assert_string_field(syscall_rec, strlen(syscall_rec), "exe",
	    "/tmp/b0/cli/rtguard", 19);
	assert_string_field(path_rec, strlen(path_rec), "name",
	    "/var/log/x", 10);
	assert_string_field(cwd_rec, strlen(cwd_rec), "cwd", "/", 1);
	assert_string_field(unlink_rec, strlen(unlink_rec), "key",
	    "rtguard-learn-1", 15);
}

static void
test_hex_strings_decode_to_bytes(void **state)
{
	static const char lower[] = "audit(1.2:3): name=2f746d702f6120622e747874";
	static const char ctl[] = "audit(1.2:3): name=2F746D702F0A1BFF";

	assert_string_field(path_hex_rec, strlen(path_hex_rec), "name",
	    "/tmp/a b.txt", 12);
	assert_string_field(lower, strlen(lower), "name", "/tmp/a b.txt", 12);
	assert_string_field(ctl, strlen(ctl), "name", "/tmp/\n\x1b\xff", 8);
}

static void
test_null_and_bare_words_are_not_strings(void **state)
{
	static const char nulls[] =
	    "audit(1.2:3): item=0 name=(null) inode=5 key=(null)";
	const char	*v;
	size_t		 n = 0;

	assert_string_field(nulls, strlen(nulls), "name", NULL, 0);
	assert_string_field(nulls, strlen(nulls), "key", NULL, 0);
	assert_string_field(syscall_rec, strlen(syscall_rec), "key", NULL, 0);
	assert_string_field(syscall_rec, strlen(syscall_rec), "tty", NULL, 0);
	/* nametype is a bare word: only the raw field gives it. */
	assert_string_field(path_rec, strlen(path_rec), "nametype", NULL, 0);
	v = auditrec_field(path_rec, strlen(path_rec), "nametype", &n);
	assert_non_null(v);
	assert_int_equal(n, 6);
	assert_memory_equal(v, "DELETE", 6);
}

static void
test_name_is_not_nametype(void **state)
{
	static const char swapped[] =
	    "audit(1.2:3): item=0 nametype=CREATE name=\"/etc/shadow\"";

	assert_string_field(swapped, strlen(swapped), "name", "/etc/shadow",
	    11);
	assert_string_field(path_hex_rec, strlen(path_hex_rec), "nametype",
	    NULL, 0);
}

static void
test_malformed_hex_is_refused(void **state)
{
	static const char *bad[] = {
		"audit(1.2:3): name=2F746D7",		/* odd length */
		"audit(1.2:3): name=2F00612F",		/* embedded NUL */
		"audit(1.2:3): name=00",
		"audit(1.2:3): name=2F7G",		/* not hex */
		"audit(1.2:3): name=0x2F",
		NULL
	};
	size_t	i;

	for (i = 0; bad[i] != NULL; i++)
		assert_string_field(bad[i], strlen(bad[i]), "name", NULL, 0);
}

static void
test_malformed_quotes_are_refused(void **state)
{
	static const char *bad[] = {
		"audit(1.2:3): name=\"",
		"audit(1.2:3): name=\"/tmp/x",
		"audit(1.2:3): name=\"/tmp/\"x\"",
		"audit(1.2:3): name=/tmp/x\"",
		NULL
	};
	static const char nul[] = "audit(1.2:3): name=\"/a\0b\" inode=1";
	static const char empty[] = "audit(1.2:3): name=\"\"";
	size_t	i;

	for (i = 0; bad[i] != NULL; i++)
		assert_string_field(bad[i], strlen(bad[i]), "name", NULL, 0);
	/* A raw NUL inside quotes would make the length lie. */
	assert_string_field(nul, sizeof(nul) - 1, "name", NULL, 0);
	assert_string_field(empty, strlen(empty), "name", "", 0);
}

static void
test_truncated_records_stay_within_len(void **state)
{
	const char	*cut;
	uint64_t	 v = 0;
	size_t		 len;

	/* Cut inside "pid=20821": only "pid=208" is visible. */
	cut = strstr(syscall_rec, " pid=");
	len = cut - syscall_rec + 8;
	assert_int_equal(auditrec_number(syscall_rec, len, "pid", 10, &v), 0);
	assert_int_equal(v, 208);
	/* Cut right after "pid=": an empty value. */
	assert_no_number(syscall_rec, cut - syscall_rec + 5, "pid", 10);
	/* Cut inside the key: no field at all. */
	assert_no_number(syscall_rec, cut - syscall_rec + 3, "pid", 10);
	/* Cut inside a quoted string: unterminated, refused. */
	cut = strstr(syscall_rec, "exe=\"");
	assert_string_field(syscall_rec, cut - syscall_rec + 10, "exe", NULL,
	    0);
	/* Cut inside a hex string: odd length, refused. */
	cut = strstr(path_hex_rec, "name=");
	assert_string_field(path_hex_rec, cut - path_hex_rec + 10, "name",
	    NULL, 0);
	assert_string_field(path_hex_rec, cut - path_hex_rec + 9, "name",
	    "/t", 2);
}

static void
test_trailing_newline_and_padding_are_not_value(void **state)
{
	static const char msg[] = "audit(1.2:3): cwd=\"/root\"\n\0\0";
	uint64_t	 v = 0;

	assert_string_field(msg, sizeof(msg) - 1, "cwd", "/root", 5);
	assert_int_equal(auditrec_number("audit(1.2:3): pid=9\n", 20, "pid",
	    10, &v), 0);
	assert_int_equal(v, 9);
}

static void
test_empty_message_has_nothing(void **state)
{
	static const char header[] = "audit(1795618667.327:97111): ";
	uint64_t	 v = 0;
	size_t		 n = 0;

	assert_int_equal(auditrec_serial("", 0, &v), -EINVAL);
	assert_null(auditrec_field("", 0, "pid", &n));
	assert_no_number("", 0, "pid", 10);
	assert_string_field("", 0, "name", NULL, 0);
	/* A header without fields. */
	assert_int_equal(auditrec_serial(header, strlen(header), &v), 0);
	assert_null(auditrec_field(header, strlen(header), "pid", &n));
	assert_null(auditrec_field(header, strlen(header), "", &n));
}

/* --- stable written paths (learner/facts.c) ------------------------------ */

static void
assert_pattern(const char *path, const char *want)
{
	char	out[PATH_MAX];
	bool	changed;

	changed = facts_write_pattern(path, out, sizeof(out));
	assert_string_equal(out, want);
	assert_int_equal(changed, strcmp(path, want) != 0);
}

static void
test_run_and_var_run_are_one_written_path(void **state)
{
	(void)state;
	assert_pattern("/var/run/nginx.pid", "/run/nginx.pid");
	assert_pattern("/run/nginx.pid", "/run/nginx.pid");
	assert_pattern("/var/run", "/run");
	assert_pattern("/var/lock/x.lock", "/run/lock/x.lock");
	assert_pattern("/var/running/x", "/var/running/x");
}

static void
test_pids_wal_segments_and_random_names_become_patterns(void **state)
{
	(void)state;
	/* PostgreSQL's, as learned from a real database. */
	assert_pattern("/dev/shm/PostgreSQL.1804289383", "/dev/shm/PostgreSQL.*");
	assert_pattern("/var/lib/postgresql/data/global/pg_internal.init.4711",
	    "/var/lib/postgresql/data/global/pg_internal.init.*");
	assert_pattern("/var/lib/postgresql/data/base/pgsql_tmp/pgsql_tmp812.0",
	    "/var/lib/postgresql/data/base/pgsql_tmp/pgsql_tmp*.0");
	assert_pattern("/var/lib/postgresql/data/pg_wal/000000010000000000000001",
	    "/var/lib/postgresql/data/pg_wal/*");
	assert_pattern("/var/lib/postgresql/data/base/16384/2619",
	    "/var/lib/postgresql/data/base/*/*");
	/* mkstemp's mixed-case suffix, a hex session id. */
	assert_pattern("/tmp/tmp.Xa3bQ9", "/tmp/tmp.*");
	assert_pattern("/run/runc/abc/runc.tHgvsj", "/run/runc/abc/runc.*");
	assert_pattern("/var/lib/php/sess_9f8e7d6c5b4a", "/var/lib/php/sess_*");
	assert_pattern("/data/a3f5c2d18e9b7a60c4d2e1f0a9b8c7d6.blob",
	    "/data/*.blob");
}

static void
test_ordinary_names_are_kept_as_they_are(void **state)
{
	(void)state;
	assert_pattern("/var/log/nginx/access.log", "/var/log/nginx/access.log");
	assert_pattern("/var/log/nginx/access.log.1",
	    "/var/log/nginx/access.log.1");
	assert_pattern("/var/lib/postgresql/15/main/postmaster.pid",
	    "/var/lib/postgresql/15/main/postmaster.pid");
	assert_pattern("/usr/lib/x86_64-linux-gnu/libc.so.6",
	    "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_pattern("/etc/app/file-v2alpha1", "/etc/app/file-v2alpha1");
	assert_pattern("/data/redis/dump.rdb", "/data/redis/dump.rdb");
	assert_pattern("/tmp/out", "/tmp/out");
}

static void
test_pattern_never_overruns_its_buffer(void **state)
{
	char	out[8];

	(void)state;
	facts_write_pattern("/var/run/a-very-long-name", out, sizeof(out));
	assert_int_equal(strlen(out), 7);
	assert_memory_equal(out, "/run/a-", 7);
}

/* --- the runtime's own setup (learner/records.c) -------------------------- */

static void
test_runc_init_is_the_runtime_not_the_image(void **state)
{
	(void)state;
	assert_true(records_comm_is_runtime("runc:[2:INIT]", 13));
	assert_true(records_comm_is_runtime("runc:[1:CHILD]", 14));
	assert_true(records_comm_is_runtime("runc", 4));
	assert_true(records_comm_is_runtime("conmon", 6));
	assert_false(records_comm_is_runtime("runcx", 5));
	assert_false(records_comm_is_runtime("nginx", 5));
	assert_false(records_comm_is_runtime("runc:[", 5));
	/* runc's init before it names itself: "exe", run from the host's runc. */
	assert_true(records_exe_is_runtime("exe", 3, "/usr/sbin/runc", 14));
	assert_true(records_exe_is_runtime("exe", 3, "/usr/bin/crun", 13));
	assert_true(records_exe_is_runtime("runc:[2:INIT]", 13, NULL, 0));
	assert_false(records_exe_is_runtime("exe", 3, "/usr/bin/exe", 12));
	assert_false(records_exe_is_runtime("exe", 3, "/opt/runcx", 10));
	assert_false(records_exe_is_runtime("exe", 3, NULL, 0));
	assert_false(records_exe_is_runtime("nginx", 5, "/usr/sbin/runc", 14));
}

/* --- the names a delete or rename wrote (learner/records.c) --------------- */

static void
test_deleted_and_created_names_count_and_unknown_only_on_success(void **state)
{
	(void)state;
	assert_true(records_file_name_counts("DELETE", 6, false));
	assert_true(records_file_name_counts("CREATE", 6, true));
	/* Overlay files under the overlay rule: no inode, the name as given. */
	assert_true(records_file_name_counts("UNKNOWN", 7, true));
	/* rm of a path that does not exist leaves one too. */
	assert_false(records_file_name_counts("UNKNOWN", 7, false));
	assert_false(records_file_name_counts("PARENT", 6, true));
	assert_false(records_file_name_counts("NORMAL", 6, true));
	assert_false(records_file_name_counts("DELETED", 7, true));
	assert_false(records_file_name_counts("DELET", 5, true));
	assert_false(records_file_name_counts("", 0, true));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_and_var_run_are_one_written_path),
		cmocka_unit_test(
		    test_pids_wal_segments_and_random_names_become_patterns),
		cmocka_unit_test(test_ordinary_names_are_kept_as_they_are),
		cmocka_unit_test(test_pattern_never_overruns_its_buffer),
		cmocka_unit_test(test_runc_init_is_the_runtime_not_the_image),
		cmocka_unit_test(
		    test_deleted_and_created_names_count_and_unknown_only_on_success),
		cmocka_unit_test(test_serial_of_real_records),
		cmocka_unit_test(test_serial_rejects_malformed_headers),
		cmocka_unit_test(test_serial_overflow_is_refused),
		cmocka_unit_test(test_serial_stays_within_len),
		cmocka_unit_test(test_numbers_of_syscall_record),
		cmocka_unit_test(test_pid_is_not_ppid_and_uid_is_not_auid),
		cmocka_unit_test(test_numbers_refuse_words_and_overflow),
		cmocka_unit_test(test_quoted_strings_of_real_records),
		cmocka_unit_test(test_hex_strings_decode_to_bytes),
		cmocka_unit_test(test_null_and_bare_words_are_not_strings),
		cmocka_unit_test(test_name_is_not_nametype),
		cmocka_unit_test(test_malformed_hex_is_refused),
		cmocka_unit_test(test_malformed_quotes_are_refused),
		cmocka_unit_test(test_truncated_records_stay_within_len),
		cmocka_unit_test(test_trailing_newline_and_padding_are_not_value),
		cmocka_unit_test(test_empty_message_has_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
