/*
 * test_store.c: the SQLite store: schema, upserts, events, refusal of
 * foreign, corrupt and newer files, file modes, the writer thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "common/xmalloc.h"
#include "store/store.h"

struct fixture {
	char	dir[64];
	char	*db;
};

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/rtguard-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db = xasprintf("%s/sub/rt.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		*cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->db);
	free(f);
	return 0;
}

static struct store *
open_rw(const char *path)
{
	struct store	*st = NULL;
	struct rt_error	 err;

	if (store_open(path, STORE_READ_WRITE, &st, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	return st;
}

static void
test_new_database_is_private_and_versioned(void **state)
{
	struct fixture	*f = *state;
	struct store	*st = open_rw(f->db);
	struct stat	 sb;
	char		*dir = xasprintf("%s/sub", f->dir);
	sqlite3		*db;
	sqlite3_stmt	*s;

	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	store_free(st);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(dir);
}

static void
test_facts_upsert_add_counts_and_widen_times(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct baseline_exec	 e = { .path = "/usr/sbin/nginx",
	    .sha256 = "ab", .from_image = true, .count = 2, .first_ms = 100,
	    .last_ms = 200 };
	struct baseline_write	 w = { .path = "/var/log/nginx/access.log",
	    .count = 1, .first_ms = 50, .last_ms = 60 };
	struct baseline		*b;
	struct rt_error		 err;
	int64_t			 key, key2;

	assert_int_equal(store_image_add(st, "localhost/nginx:test", NULL, &key,
	    &err), 0);
	assert_int_equal(store_image_add(st, "localhost/nginx:test",
	    "sha256:1", &key2, &err), 0);
	assert_int_equal(key, key2);
	assert_int_equal(store_exec_record(st, key, &e, &err), 0);
	e.count = 3;
	e.first_ms = 50;
	e.last_ms = 150;
	assert_int_equal(store_exec_record(st, key, &e, &err), 0);
	assert_int_equal(store_syscall_record(st, key, "read", 1, &err), 0);
	assert_int_equal(store_syscall_record(st, key, "accept4", 1, &err), 0);
	assert_int_equal(store_syscall_record(st, key, "read", 2, &err), 0);
	assert_int_equal(store_write_record(st, key, &w, &err), 0);
	assert_int_equal(store_write_record(st, key, &w, &err), 0);

	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_string_equal(b->image_ref, "localhost/nginx:test");
	assert_int_equal(b->n_execs, 1);
	assert_int_equal(b->execs[0].count, 5);
	assert_int_equal(b->execs[0].first_ms, 50);
	assert_int_equal(b->execs[0].last_ms, 200);
	assert_true(b->execs[0].from_image);
	assert_int_equal(b->n_syscalls, 2);
	assert_string_equal(b->syscalls[0], "accept4");
	assert_string_equal(b->syscalls[1], "read");
	assert_int_equal(b->n_writes, 1);
	assert_int_equal(b->writes[0].count, 2);
	baseline_free(b);

	assert_int_equal(store_baseline_reset(st, key, &err), 0);
	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_int_equal(b->n_execs + b->n_syscalls + b->n_writes, 0);
	baseline_free(b);
	store_free(st);
}

static void
test_hostile_paths_round_trip_byte_exact(void **state)
{
	static const char *paths[] = { "/tmp/a b", "/tmp/new\nline",
	    "/tmp/\xff\xfe bad utf8", "/tmp/'; DROP TABLE events; --" };
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct baseline		*b;
	struct rt_error		 err;
	int64_t			 key;
	size_t			 i;

	assert_int_equal(store_image_add(st, "x/y:z", NULL, &key, &err), 0);
	for (i = 0; i < 4; i++) {
		struct baseline_exec e = { .path = (char *)paths[i], .count = 1 };
		assert_int_equal(store_exec_record(st, key, &e, &err), 0);
	}
	store_free(st);
	st = open_rw(f->db);
	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_int_equal(b->n_execs, 4);
	for (i = 0; i < 4; i++) {
		size_t j, found = 0;
		for (j = 0; j < b->n_execs; j++)
			found += strcmp(b->execs[j].path, paths[i]) == 0;
		assert_int_equal(found, 1);
	}
	baseline_free(b);
	store_free(st);
}

static int
collect(const struct rt_event *ev, void *arg)
{
	int	*n = arg;

	(*n)++;
	return 0;
}

static void
test_events_filter_by_image_since_and_limit(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct rt_event		 ev = { .image_ref = "a", .container_id = "c",
	    .pid = 1, .ppid = 0, .exe = "/bin/sh", .kind = EVENT_EXEC,
	    .path = "/tmp/x", .action = ACTION_DENIED, .reason = "drift" };
	struct event_filter	 flt = { 0 };
	struct event_group	*g;
	struct image_info	*ii;
	struct rt_error		 err;
	size_t			 n;
	int			 i, count;

	for (i = 0; i < 10; i++) {
		ev.time_ms = 1000 + i;
		ev.image_ref = i < 7 ? "a" : "b";
		ev.action = i % 2 ? ACTION_ALERTED : ACTION_DENIED;
		assert_int_equal(store_event_add(st, &ev, &err), 0);
	}
	count = 0;
	assert_int_equal(store_event_foreach(st, &flt, collect, &count, &err), 0);
	assert_int_equal(count, 10);
	flt.image_ref = "a";
	count = 0;
	assert_int_equal(store_event_foreach(st, &flt, collect, &count, &err), 0);
	assert_int_equal(count, 7);
	flt.since_ms = 1005;
	count = 0;
	assert_int_equal(store_event_foreach(st, &flt, collect, &count, &err), 0);
	assert_int_equal(count, 2);
	flt.since_ms = 0;
	flt.limit = 3;
	count = 0;
	assert_int_equal(store_event_foreach(st, &flt, collect, &count, &err), 0);
	assert_int_equal(count, 3);

	flt.limit = 0;
	assert_int_equal(store_event_groups(st, &flt, &g, &n, &err), 0);
	assert_int_equal(n, 2);		/* denied and alerted on /tmp/x */
	assert_int_equal(g[0].count + g[1].count, 7);
	event_group_free(g, n);

	{
		int64_t key;
		assert_int_equal(store_image_add(st, "a", NULL, &key, &err), 0);
	}
	assert_int_equal(store_image_list(st, &ii, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ii[0].denied, 4);
	assert_int_equal(ii[0].alerted, 3);
	image_info_free(ii, n);
	store_free(st);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = xmalloc(65536);

	assert_non_null(fp);
	*len = fread(buf, 1, 65536, fp);
	fclose(fp);
	return buf;
}

static void
test_garbage_file_is_refused_and_left_unchanged(void **state)
{
	struct fixture	*f = *state;
	char		*path = xasprintf("%s/garbage.db", f->dir), *after;
	const char	 junk[] = "this is not a database\n\x01\x02";
	struct store	*st = NULL;
	struct rt_error	 err;
	size_t		 len;

	write_file(path, junk, sizeof(junk));
	assert_true(store_open(path, STORE_READ_WRITE, &st, &err) < 0);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not an rtguard database"));
	after = read_all(path, &len);
	assert_int_equal(len, sizeof(junk));
	assert_memory_equal(after, junk, len);
	free(after);
	free(path);
}

static void
test_foreign_and_newer_sqlite_files_are_refused(void **state)
{
	struct fixture	*f = *state;
	char		*foreign = xasprintf("%s/foreign.db", f->dir);
	char		*newer = xasprintf("%s/newer.db", f->dir);
	struct store	*st = NULL;
	struct rt_error	 err;
	sqlite3		*db;

	assert_int_equal(sqlite3_open(foreign, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_true(store_open(foreign, STORE_READ_WRITE, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "not an rtguard database"));

	st = open_rw(newer);
	store_free(st);
	assert_int_equal(sqlite3_open(newer, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_true(store_open(newer, STORE_READ_WRITE, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "newer than this rtguard"));
	assert_non_null(strstr(err.msg, newer));
	free(foreign);
	free(newer);
}

static void
test_corrupt_database_gives_a_clear_error(void **state)
{
	struct fixture	*f = *state;
	char		*path = xasprintf("%s/corrupt.db", f->dir), *buf;
	struct store	*st = open_rw(path);
	struct rt_error	 err;
	int64_t		 key;
	size_t		 len, i;

	assert_int_equal(store_image_add(st, "a", NULL, &key, &err), 0);
	store_free(st);
	/* Keep the SQLite header, trash every page after the first. */
	buf = read_all(path, &len);
	for (i = 100; i < len; i++)
		buf[i] = (char)0xa5;
	write_file(path, buf, len);
	st = NULL;
	assert_true(store_open(path, STORE_READ_WRITE, &st, &err) < 0);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	free(buf);
	free(path);
}

static void
test_symlinked_database_path_is_refused(void **state)
{
	struct fixture	*f = *state;
	char		*link = xasprintf("%s/link.db", f->dir);
	struct store	*st = NULL;
	struct rt_error	 err;

	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_true(store_open(link, STORE_READ_WRITE, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "symbolic link"));
	free(link);
}

static void
test_read_only_open_of_missing_file_is_enoent(void **state)
{
	struct fixture	*f = *state;
	struct store	*st = NULL;
	struct rt_error	 err;
	char		*path = xasprintf("%s/none.db", f->dir);

	assert_int_equal(store_open(path, STORE_READ_ONLY, &st, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "rtguard learn"));
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

static void
test_writer_commits_everything_on_flush_and_stop(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db), *back = NULL;
	struct store_writer	*w;
	struct rt_error		 err;
	struct rt_event		 ev = { .image_ref = "img", .container_id = "c",
	    .exe = "/bin/sh", .path = "/tmp/x", .reason = "r" };
	struct baseline		*b;
	int64_t			 key;
	int			 i, count = 0;
	char			 name[32];

	assert_int_equal(store_writer_start(st, 100000, &w, &err), 0);
	for (i = 0; i < 5000; i++) {
		ev.time_ms = i;
		store_writer_event(w, &ev);
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "sys%02d", i);
		store_writer_syscall(w, "img", name, i);
	}
	store_writer_container(w, "cid", "img", "sha256:abc", 5);
	assert_int_equal(store_writer_flush(w, &err), 0);
	assert_int_equal(store_writer_dropped(w), 0);
	assert_int_equal(store_writer_stop(w, &back, &err), 0);
	assert_ptr_equal(back, st);
	assert_int_equal(store_event_foreach(st, NULL, collect, &count, &err), 0);
	assert_int_equal(count, 5000);
	assert_int_equal(store_image_find(st, "img", &key, &err), 0);
	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_int_equal(b->n_syscalls, 50);
	baseline_free(b);
	store_free(st);
}

static void
test_writer_counts_what_it_sheds_when_full(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct store_writer	*w;
	struct rt_error		 err;
	struct rt_event		 ev = { .image_ref = "img", .path = "/x" };
	uint64_t		 shed;
	int			 i, count = 0;

	assert_int_equal(store_writer_start(st, 1, &w, &err), 0);
	for (i = 0; i < 2000; i++)
		store_writer_event(w, &ev);
	/* After the flush nothing is in flight: the count is final. */
	assert_int_equal(store_writer_flush(w, &err), 0);
	shed = store_writer_dropped(w);
	assert_int_equal(store_writer_stop(w, &st, &err), 0);
	assert_int_equal(store_event_foreach(st, NULL, collect, &count, &err), 0);
	/* Every record is either committed or counted as shed, never both. */
	assert_int_equal((uint64_t)count + shed, 2000);
	/* A queue of one cannot keep up with 2000 back-to-back records. */
	assert_true(count >= 1);
	assert_true(shed >= 1);
	store_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_new_database_is_private_and_versioned),
		T(test_facts_upsert_add_counts_and_widen_times),
		T(test_hostile_paths_round_trip_byte_exact),
		T(test_events_filter_by_image_since_and_limit),
		T(test_garbage_file_is_refused_and_left_unchanged),
		T(test_foreign_and_newer_sqlite_files_are_refused),
		T(test_corrupt_database_gives_a_clear_error),
		T(test_symlinked_database_path_is_refused),
		T(test_read_only_open_of_missing_file_is_enoent),
		T(test_writer_commits_everything_on_flush_and_stop),
		T(test_writer_counts_what_it_sheds_when_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
