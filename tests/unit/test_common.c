/*
 * test_common.c: escaping, image references, durations and hashing in
 * common/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/escape.h"
#include "common/imageref.h"
#include "common/runpath.h"
#include "common/sha256.h"
#include "common/timefmt.h"

static void
assert_escapes_to(const char *in, size_t len, const char *want)
{
	char	*got, *back;
	size_t	 blen;

	got = rt_escape(in, len);
	assert_string_equal(got, want);
	assert_true(rt_utf8_valid(got, strlen(got)));
	assert_null(strchr(got, '\n'));
	back = rt_unescape(got, &blen);
	assert_non_null(back);
	assert_int_equal(blen, len);
	assert_memory_equal(back, in, len);
	free(got);
	free(back);
}

static void
test_escape_keeps_plain_and_utf8_paths(void **state)
{
	assert_escapes_to("/usr/bin/nginx", 14, "/usr/bin/nginx");
	assert_escapes_to("/tmp/a b", 8, "/tmp/a b");
	assert_escapes_to("/tmp/\xc3\xa9t\xc3\xa9", 10, "/tmp/\xc3\xa9t\xc3\xa9");
}

static void
test_escape_newline_control_and_backslash_round_trip(void **state)
{
	assert_escapes_to("/tmp/a\nb", 8, "/tmp/a\\nb");
	assert_escapes_to("/tmp/\x1b[31m", 10, "/tmp/\\x1b[31m");
	assert_escapes_to("a\\x41", 5, "a\\\\x41");
	assert_escapes_to("\t", 1, "\\t");
}

static void
test_escape_invalid_utf8_becomes_hex(void **state)
{
	assert_escapes_to("/tmp/\xff\xfe", 7, "/tmp/\\xff\\xfe");
	/* overlong '/' and a lone continuation byte */
	assert_escapes_to("\xc0\xaf", 2, "\\xc0\\xaf");
	assert_escapes_to("\x80", 1, "\\x80");
	/* UTF-16 surrogate encoded in UTF-8 is invalid */
	assert_escapes_to("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	/* truncated sequence at the end */
	assert_escapes_to("ab\xe2\x82", 4, "ab\\xe2\\x82");
}

static void
test_unescape_rejects_malformed(void **state)
{
	size_t	len;

	assert_null(rt_unescape("abc\\", &len));
	assert_null(rt_unescape("\\q", &len));
	assert_null(rt_unescape("\\x4", &len));
	assert_null(rt_unescape("\\xzz", &len));
}

static void
test_duration_parse_units_and_errors(void **state)
{
	struct rt_error	err;
	int64_t		s;

	assert_int_equal(duration_parse("90", &s, &err), 0);
	assert_int_equal(s, 90);
	assert_int_equal(duration_parse("15m", &s, &err), 0);
	assert_int_equal(s, 900);
	assert_int_equal(duration_parse("2h", &s, &err), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(duration_parse("7d", &s, &err), 0);
	assert_int_equal(s, 604800);
	assert_true(duration_parse("", &s, &err) < 0);
	assert_true(duration_parse("-3", &s, &err) < 0);
	assert_true(duration_parse("5x", &s, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown unit"));
	assert_true(duration_parse("5mm", &s, &err) < 0);
}

static void
test_sha256_of_fd_matches_known_vector(void **state)
{
	char		hex[65], path[] = "/tmp/rtguard-test-sha-XXXXXX";
	struct rt_error	err;
	int		fd;

	sha256_buf("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	/* the offset is at the end: sha256_fd must not depend on it */
	assert_int_equal(sha256_fd(fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
}

/* The cache answers for an unchanged file, and rehashes a rewritten one. */
static void
test_sha256_cache_follows_changes(void **state)
{
	static struct sha256_cache	cache;
	char				hex[65], path[] = "/tmp/rtguard-test-shc-XXXXXX";
	struct rt_error			err;
	struct timespec			later = { 0, 20 * 1000 * 1000 };
	int				fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* Same size, new content: the change time moves, the hash follows. */
	nanosleep(&later, NULL);
	assert_int_equal(pwrite(fd, "abd", 3, 0), 3);
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_not_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
	assert_true(sha256_fd_cached(&cache, fd, hex, &err) < 0);
}

static void
test_rfc3339_is_utc_with_millis(void **state)
{
	char	buf[40];

	time_rfc3339(1700000000123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
}

static void
expect_norm(const char *in, const char *want)
{
	struct rt_error	 err;
	char		*out;
	int		 rc;

	rc = imageref_normalise(in, &out, &err);
	if (want == NULL) {
		assert_int_equal(rc, -EINVAL);
		assert_null(out);
		assert_non_null(strstr(err.msg, "image reference"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
	free(out);
}

static void
test_imageref_normalise(void **state)
{
	(void)state;
	expect_norm("nginx", "docker.io/library/nginx:latest");
	expect_norm("nginx:1.25", "docker.io/library/nginx:1.25");
	expect_norm("bitnami/nginx", "docker.io/bitnami/nginx:latest");
	expect_norm("localhost/nginx:test", "localhost/nginx:test");
	expect_norm("quay.io/podman/stable", "quay.io/podman/stable:latest");
	expect_norm("registry:5000/team/app:v2", "registry:5000/team/app:v2");
	expect_norm("nginx@sha256:abcd", "docker.io/library/nginx@sha256:abcd");
	expect_norm("docker.io/library/nginx:latest",
	    "docker.io/library/nginx:latest");
	expect_norm("", NULL);
	expect_norm("Nginx", NULL);
	expect_norm("nginx:", NULL);
	expect_norm("nginx:bad tag", NULL);
	expect_norm("/nginx", NULL);
	expect_norm("nginx@md5:00", NULL);
	/* Registry hosts are ASCII host names with an optional numeric port. */
	expect_norm("reg\xff.io/app", NULL);
	expect_norm("reg.io:80a/app", NULL);
	expect_norm("reg.io:/app", NULL);
	expect_norm("Reg.Example.com:5000/app", "Reg.Example.com:5000/app:latest");
}

/* Normalising must not produce what it would refuse (fuzzer finding). */
static void
test_imageref_normalise_length(void **state)
{
	struct rt_error	 err;
	char		 ref[1025], *out;

	(void)state;
	memset(ref, 'a', 1020);
	ref[1020] = '\0';
	assert_int_equal(imageref_normalise(ref, &out, &err), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(err.msg, "too long"));
	ref[990] = '\0';
	assert_int_equal(imageref_normalise(ref, &out, &err), 0);
	free(out);
}

static void
test_imageref_matches(void **state)
{
	(void)state;
	assert_true(imageref_matches("nginx", "docker.io/library/nginx:latest"));
	assert_true(imageref_matches("nginx", "localhost/nginx:test"));
	assert_true(imageref_matches("nginx:test", "localhost/nginx:test"));
	assert_true(imageref_matches("localhost/nginx", "localhost/nginx:test"));
	assert_true(imageref_matches("localhost/nginx:test",
	    "localhost/nginx:test"));
	assert_true(imageref_matches("docker.io/library/nginx",
	    "docker.io/library/nginx:1.25"));
	assert_true(imageref_matches("nginx:1.25",
	    "docker.io/library/nginx:1.25"));
	assert_false(imageref_matches("nginx", "localhost/nginx-exporter:1"));
	assert_false(imageref_matches("nginx:1.24",
	    "docker.io/library/nginx:1.25"));
	assert_false(imageref_matches("ngin", "docker.io/library/nginx:latest"));
	assert_false(imageref_matches("localhost/nginx", "quay.io/nginx:test"));
	assert_false(imageref_matches("busybox", "localhost/rtguard-busybox:test"));
	assert_true(imageref_matches("rtguard-busybox",
	    "localhost/rtguard-busybox:test"));
	assert_false(imageref_matches(NULL, "x"));
}

static void
test_var_run_and_var_lock_are_run(void **state)
{
	char		out[64], small[6];
	const char	*to;

	(void)state;
	assert_int_equal(runpath_alias("/var/run/x.pid", &to), 8);
	assert_string_equal(to, "/run");
	assert_int_equal(runpath_alias("/var/lock", &to), 9);
	assert_string_equal(to, "/run/lock");
	assert_int_equal(runpath_alias("/var/running/x", NULL), 0);
	assert_int_equal(runpath_alias("/run/x", NULL), 0);
	assert_true(runpath_canonical("/var/run/nginx.pid", out, sizeof(out)));
	assert_string_equal(out, "/run/nginx.pid");
	assert_true(runpath_canonical("/var/lock/a", out, sizeof(out)));
	assert_string_equal(out, "/run/lock/a");
	assert_false(runpath_canonical("/var/log/x", out, sizeof(out)));
	assert_string_equal(out, "/var/log/x");
	runpath_canonical("/var/run/long", small, sizeof(small));
	assert_string_equal(small, "/run/");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_keeps_plain_and_utf8_paths),
		cmocka_unit_test(test_escape_newline_control_and_backslash_round_trip),
		cmocka_unit_test(test_escape_invalid_utf8_becomes_hex),
		cmocka_unit_test(test_unescape_rejects_malformed),
		cmocka_unit_test(test_duration_parse_units_and_errors),
		cmocka_unit_test(test_var_run_and_var_lock_are_run),
		cmocka_unit_test(test_sha256_of_fd_matches_known_vector),
		cmocka_unit_test(test_sha256_cache_follows_changes),
		cmocka_unit_test(test_rfc3339_is_utc_with_millis),
		cmocka_unit_test(test_imageref_normalise),
		cmocka_unit_test(test_imageref_normalise_length),
		cmocka_unit_test(test_imageref_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
