/*
 * test_store.c: the SQLite store: schema and its migrations, upserts,
 * events, refusal of foreign, corrupt and newer files, file modes, the
 * writer thread.
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
#include "store/store-private.h"	/* the released migrations, for old files */
#include "store/store.h"

#define X86_64	0xc000003eU	/* AUDIT_ARCH_X86_64 */
#define X86	0x40000003U	/* AUDIT_ARCH_I386 */

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
	assert_int_equal(store_syscall_record(st, key, X86_64, 288, 2, &err),
	    0);	/* accept4 */
	assert_int_equal(store_syscall_record(st, key, X86_64, 0, 3, &err),
	    0);	/* read */
	assert_int_equal(store_syscall_record(st, key, X86_64, 0, 1, &err), 0);
	assert_int_equal(store_syscall_record(st, key, X86, 3, 1, &err), 0);
	assert_int_equal(store_syscall_record(st, key, X86_64, 512, 1, &err),
	    -EINVAL);
	assert_int_equal(store_write_record(st, key, &w, &err), 0);
	assert_int_equal(store_write_record(st, key, &w, &err), 0);

	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_string_equal(b->image_ref, "localhost/nginx:test");
	assert_int_equal(b->n_execs, 1);
	assert_int_equal(b->execs[0].count, 5);
	assert_int_equal(b->execs[0].first_ms, 50);
	assert_int_equal(b->execs[0].last_ms, 200);
	assert_true(b->execs[0].from_image);
	/* Sorted by (arch, number): i386's 0x40000003 first. */
	assert_int_equal(b->n_syscalls, 3);
	assert_int_equal(b->syscalls[0].arch, X86);
	assert_int_equal(b->syscalls[0].nr, 3);
	assert_int_equal(b->syscalls[1].arch, X86_64);
	assert_int_equal(b->syscalls[1].nr, 0);
	assert_int_equal(b->syscalls[1].first_ms, 1);
	assert_int_equal(b->syscalls[2].nr, 288);
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

/* Copies of the events store_event_foreach returns, newest first. */
struct seen_events {
	int		n;
	struct rt_event	ev[4];
	char		*strings[4][4];
};

static int
keep_events(const struct rt_event *ev, void *arg)
{
	struct seen_events	*se = arg;
	struct rt_event		*e;

	if (se->n >= 4)
		return 1;
	e = &se->ev[se->n];
	*e = *ev;
	e->comm = se->strings[se->n][0] = xstrdup(ev->comm);
	e->route = se->strings[se->n][1] = xstrdup(ev->route);
	e->mode = se->strings[se->n][2] = xstrdup(ev->mode);
	e->reason = se->strings[se->n][3] = xstrdup(ev->reason);
	e->image_ref = e->container_id = e->exe = e->path = NULL;
	se->n++;
	return 0;
}

static void
seen_events_free(struct seen_events *se)
{
	int	i, j;

	for (i = 0; i < se->n; i++)
		for (j = 0; j < 4; j++)
			free(se->strings[i][j]);
	memset(se, 0, sizeof(*se));
}

static void
test_aggregated_event_round_trips_and_counts_as_many(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct rt_event		 ev = { .time_ms = 9000, .image_ref = "a",
	    .container_id = "c", .pid = 7, .ppid = 6, .exe = "/bin/sh",
	    .comm = "runc:[2:INIT]", .kind = EVENT_EXEC, .path = "/tmp/x",
	    .action = ACTION_DENIED, .reason = "not in baseline",
	    .route = "exec", .mode = "protect", .count = 40,
	    .first_ms = 4000 };
	struct event_filter	 flt = { 0 };
	struct seen_events	 se = { 0 };
	struct event_group	*g;
	struct image_info	*ii;
	struct rt_error		 err;
	int64_t			 key;
	size_t			 n;

	assert_int_equal(store_event_add(st, &ev, &err), 0);
	/* A single decision, as an old writer left it: count and first unset. */
	ev.time_ms = 9500;
	ev.count = 0;
	ev.first_ms = 0;
	ev.comm = ev.route = ev.mode = NULL;
	assert_int_equal(store_event_add(st, &ev, &err), 0);

	assert_int_equal(store_event_foreach(st, &flt, keep_events, &se, &err),
	    0);
	assert_int_equal(se.n, 2);
	assert_int_equal(se.ev[0].time_ms, 9500);
	assert_int_equal(se.ev[0].count, 1);
	assert_int_equal(se.ev[0].first_ms, 9500);
	assert_string_equal(se.ev[0].comm, "");
	assert_string_equal(se.ev[0].route, "");
	assert_int_equal(se.ev[1].time_ms, 9000);
	assert_int_equal(se.ev[1].first_ms, 4000);
	assert_int_equal(se.ev[1].count, 40);
	assert_int_equal(se.ev[1].pid, 7);
	assert_int_equal(se.ev[1].ppid, 6);
	assert_string_equal(se.ev[1].comm, "runc:[2:INIT]");
	assert_string_equal(se.ev[1].route, "exec");
	assert_string_equal(se.ev[1].mode, "protect");
	assert_string_equal(se.ev[1].reason, "not in baseline");
	seen_events_free(&se);

	/* Groups and per-image counts count decisions, not records. */
	assert_int_equal(store_event_groups(st, &flt, &g, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].count, 41);
	assert_int_equal(g[0].first_ms, 4000);
	assert_int_equal(g[0].last_ms, 9500);
	event_group_free(g, n);
	assert_int_equal(store_image_add(st, "a", NULL, &key, &err), 0);
	assert_int_equal(store_image_list(st, &ii, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ii[0].denied, 41);
	image_info_free(ii, n);
	store_free(st);
}

/* Images for the selection tests; "localhost/app:2" has a baseline. */
static struct store *
open_with_images(struct fixture *f)
{
	static const char *refs[] = { "docker.io/library/nginx:latest",
	    "localhost/app:latest", "localhost/app:2", "localhost/nginx:test",
	    "quay.io/team/redis:7" };
	struct store		*st = open_rw(f->db);
	struct baseline_exec	 e = { .path = "/app/run", .count = 1 };
	struct rt_error		 err;
	int64_t			 key;
	size_t			 i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		assert_int_equal(store_image_add(st, refs[i], NULL, &key, &err),
		    0);
	assert_int_equal(store_image_find(st, "localhost/app:2", &key, &err),
	    0);
	assert_int_equal(store_exec_record(st, key, &e, &err), 0);
	return st;
}

static void
expect_selected(struct store *st, const char *const *patterns, size_t np,
    unsigned int mode, const char *want)
{
	struct image_info	*v;
	struct rt_error		 err;
	char			 got[512] = "";
	size_t			 n, i;

	if (store_image_select(st, patterns, np, mode, &v, &n, &err) < 0)
		fail_msg("store_image_select: %s", err.msg);
	for (i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i ? " " : "", v[i].ref);
	assert_string_equal(got, want);
	image_info_free(v, n);
}

static void
expect_refused(struct store *st, const char *const *patterns, size_t np,
    unsigned int mode, int code, const char *const *words)
{
	struct image_info	*v = (struct image_info *)0x1;
	struct rt_error		 err;
	size_t			 n = 99;

	assert_int_equal(store_image_select(st, patterns, np, mode, &v, &n,
	    &err), -code);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, store_path(st)));
	for (; *words != NULL; words++)
		if (strstr(err.msg, *words) == NULL)
			fail_msg("'%s' lacks '%s'", err.msg, *words);
}

static void
test_select_each_pattern_must_select_an_image(void **state)
{
	struct fixture	*f = *state;
	struct store	*st = open_with_images(f);
	const char	*nginx[] = { "nginx" };
	const char	*two[] = { "nginx", "localhost/app", "app:2" };
	const char	*none[] = { "nginx", "postgres" };
	const char	*w_none[] = { "'postgres'", "images: ",
	    "localhost/app:2", NULL };
	const char	*w_learn[] = { "'nginx'", "with a baseline",
	    "rtguard learn --image nginx", NULL };

	expect_selected(st, NULL, 0, STORE_SELECT_EACH_AT_LEAST_ONE,
	    "docker.io/library/nginx:latest localhost/app:2 "
	    "localhost/app:latest localhost/nginx:test quay.io/team/redis:7");
	expect_selected(st, nginx, 1, STORE_SELECT_EACH_AT_LEAST_ONE,
	    "docker.io/library/nginx:latest localhost/nginx:test");
	/* Each image once, in ref order, however many patterns pick it. */
	expect_selected(st, two, 3, STORE_SELECT_EACH_AT_LEAST_ONE,
	    "docker.io/library/nginx:latest localhost/app:2 "
	    "localhost/app:latest localhost/nginx:test");
	expect_refused(st, none, 2, STORE_SELECT_EACH_AT_LEAST_ONE, ENOENT,
	    w_none);
	expect_selected(st, NULL, 0, STORE_SELECT_EACH_AT_LEAST_ONE |
	    STORE_SELECT_WITH_BASELINE, "localhost/app:2");
	expect_refused(st, nginx, 1, STORE_SELECT_EACH_AT_LEAST_ONE |
	    STORE_SELECT_WITH_BASELINE, ENOENT, w_learn);
	store_free(st);
}

static void
test_select_exactly_one_lists_candidates_when_ambiguous(void **state)
{
	struct fixture	*f = *state;
	struct store	*st = open_with_images(f);
	const char	*p[1];
	const char	*w_amb[] = { "'app' matches 2 images",
	    "localhost/app:2, localhost/app:latest", "full reference", NULL };
	const char	*w_none[] = { "no image matches 'redis:6'", NULL };
	const char	*w_two[] = { "exactly one", NULL };

	p[0] = "app";
	expect_refused(st, p, 1, STORE_SELECT_EXACTLY_ONE, EINVAL, w_amb);
	/* "nginx" is docker.io/library/nginx:latest, as for docker pull. */
	p[0] = "nginx";
	expect_selected(st, p, 1, STORE_SELECT_EXACTLY_ONE,
	    "docker.io/library/nginx:latest");
	p[0] = "redis:6";
	expect_refused(st, p, 1, STORE_SELECT_EXACTLY_ONE, ENOENT, w_none);
	expect_refused(st, NULL, 0, STORE_SELECT_EXACTLY_ONE, EINVAL, w_two);
	/* An exact reference wins though it also selects localhost/app:2. */
	p[0] = "localhost/app";
	expect_selected(st, p, 1, STORE_SELECT_EXACTLY_ONE,
	    "localhost/app:latest");
	p[0] = "app:2";
	expect_selected(st, p, 1, STORE_SELECT_EXACTLY_ONE, "localhost/app:2");
	p[0] = "redis";
	expect_selected(st, p, 1, STORE_SELECT_EXACTLY_ONE,
	    "quay.io/team/redis:7");
	/* "app" matches two images, of which one has a baseline. */
	p[0] = "app";
	expect_selected(st, p, 1, STORE_SELECT_EXACTLY_ONE |
	    STORE_SELECT_WITH_BASELINE, "localhost/app:2");
	store_free(st);
}

/* A database as rtguard with schema 1 left it, with one event. */
static void
make_schema1_db(const char *path)
{
	char	*sql;
	sqlite3	*db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_migrations[0], NULL, NULL,
	    NULL), SQLITE_OK);
	sql = xasprintf("PRAGMA user_version = 1; PRAGMA application_id = %d;"
	    "INSERT INTO images(ref) VALUES ('localhost/app:1');"
	    "INSERT INTO events(time_ms, image_ref, container_id, pid, ppid,"
	    " exe, kind, path, action, reason) VALUES (5000,"
	    " 'localhost/app:1', 'c1', 10, 1, '/bin/sh', 0, '/tmp/drift', 0,"
	    " 'not in baseline');", STORE_APPLICATION_ID);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(db);
}

static void
test_schema1_database_is_migrated_and_keeps_its_events(void **state)
{
	struct fixture		*f = *state;
	char			*path = xasprintf("%s/v1.db", f->dir);
	struct store		*st = NULL;
	struct seen_events	 se = { 0 };
	struct image_info	*ii;
	struct rt_error		 err;
	struct rt_event		 ev = { .time_ms = 6000, .image_ref =
	    "localhost/app:1", .container_id = "c1", .exe = "/bin/sh",
	    .comm = "sh", .path = "/tmp/drift", .reason = "not in baseline",
	    .route = "exec", .mode = "protect", .count = 3, .first_ms = 5500 };
	sqlite3			*db;
	sqlite3_stmt		*s;
	size_t			 n;

	make_schema1_db(path);
	/* A reader may not migrate: it says what to run. */
	assert_true(store_open(path, STORE_READ_ONLY, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "needs upgrading"));
	assert_non_null(strstr(err.msg, path));

	st = open_rw(path);
	assert_int_equal(store_event_foreach(st, NULL, keep_events, &se, &err),
	    0);
	assert_int_equal(se.n, 1);
	assert_int_equal(se.ev[0].time_ms, 5000);
	assert_int_equal(se.ev[0].count, 1);
	assert_int_equal(se.ev[0].first_ms, 5000);
	assert_string_equal(se.ev[0].comm, "");
	assert_string_equal(se.ev[0].reason, "not in baseline");
	seen_events_free(&se);
	/* The new fields are written from now on. */
	assert_int_equal(store_event_add(st, &ev, &err), 0);
	assert_int_equal(store_event_foreach(st, NULL, keep_events, &se, &err),
	    0);
	assert_int_equal(se.n, 2);
	assert_int_equal(se.ev[0].count, 3);
	assert_int_equal(se.ev[0].first_ms, 5500);
	assert_string_equal(se.ev[0].comm, "sh");
	seen_events_free(&se);
	assert_int_equal(store_image_list(st, &ii, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ii[0].denied, 4);
	image_info_free(ii, n);
	store_free(st);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
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

	assert_int_equal(store_writer_start(st, 100000, &w, &err), 0);
	for (i = 0; i < 5000; i++) {
		ev.time_ms = i;
		store_writer_event(w, &ev);
	}
	for (i = 0; i < 50; i++)
		store_writer_syscall(w, "img", X86_64, i, i);
	store_writer_container(w, "cid", "img", "sha256:abc", true, 5);
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

/* The first schema, as a database of rtguard 0.x left it: names. */
static void
make_schema1(const char *path)
{
	sqlite3	*db;
	char	*dir = xstrdup(path), *slash = strrchr(dir, '/');

	*slash = '\0';
	(void)mkdir(dir, 0700);
	free(dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE images (id INTEGER PRIMARY KEY, ref TEXT NOT NULL "
	    " UNIQUE, image_id TEXT, learn_first_ms INTEGER NOT NULL DEFAULT 0,"
	    " learn_last_ms INTEGER NOT NULL DEFAULT 0, audit_lost INTEGER NOT "
	    " NULL DEFAULT 0);"
	    "CREATE TABLE containers (id TEXT PRIMARY KEY, image INTEGER NOT "
	    " NULL REFERENCES images(id) ON DELETE CASCADE, first_seen_ms "
	    " INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);"
	    "CREATE INDEX containers_image ON containers(image);"
	    "CREATE TABLE executables (image INTEGER NOT NULL, path TEXT NOT "
	    " NULL, sha256 TEXT NOT NULL, from_image INTEGER NOT NULL, count "
	    " INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms "
	    " INTEGER NOT NULL, PRIMARY KEY (image, path, sha256)) WITHOUT ROWID;"
	    "CREATE TABLE syscalls (image INTEGER NOT NULL REFERENCES images(id)"
	    " ON DELETE CASCADE, name TEXT NOT NULL, first_seen_ms INTEGER NOT "
	    " NULL, PRIMARY KEY (image, name)) WITHOUT ROWID;"
	    "CREATE TABLE writes (image INTEGER NOT NULL, path TEXT NOT NULL, "
	    " count INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, "
	    " last_seen_ms INTEGER NOT NULL, PRIMARY KEY (image, path)) "
	    " WITHOUT ROWID;"
	    "CREATE TABLE events (id INTEGER PRIMARY KEY, time_ms INTEGER NOT "
	    " NULL, image_ref TEXT NOT NULL, container_id TEXT NOT NULL, pid "
	    " INTEGER NOT NULL, ppid INTEGER NOT NULL, exe TEXT NOT NULL, kind "
	    " INTEGER NOT NULL, path TEXT NOT NULL, action INTEGER NOT NULL, "
	    " reason TEXT NOT NULL);"
	    "CREATE INDEX events_time ON events(time_ms);"
	    "CREATE INDEX events_image_time ON events(image_ref, time_ms);"
	    "CREATE INDEX events_group ON events(image_ref, kind, action, path,"
	    " reason, time_ms);"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	    "INSERT INTO images(id, ref, learn_first_ms, learn_last_ms) VALUES "
	    " (1, 'localhost/pg:15', 10, 20);"
	    "INSERT INTO syscalls VALUES (1, 'read', 11), (1, 'pread', 12), "
	    " (1, 'accept4', 13), (1, 'no_such_call', 14);"
	    "PRAGMA application_id = 1920231282;"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_migration_turns_syscall_names_into_numbers_losing_none(void **state)
{
	struct fixture	*f = *state;
	struct store	*st;
	struct baseline	*b;
	struct rt_error	 err;
	sqlite3		*db;
	sqlite3_stmt	*s;

	make_schema1(f->db);
	st = open_rw(f->db);
	assert_int_equal(store_baseline_load(st, 1, &b, &err), 0);
	/* read 0, pread (libaudit's pread64) 17, accept4 288. */
	assert_int_equal(b->n_syscalls, 3);
	assert_int_equal(b->syscalls[0].arch, X86_64);
	assert_int_equal(b->syscalls[0].nr, 0);
	assert_int_equal(b->syscalls[0].first_ms, 11);
	assert_int_equal(b->syscalls[1].nr, 17);
	assert_int_equal(b->syscalls[1].first_ms, 12);
	assert_int_equal(b->syscalls[2].nr, 288);
	baseline_free(b);
	store_free(st);
	/* A name no library knows is kept aside, not dropped. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, first_seen_ms "
	    "FROM syscalls_unresolved", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0),
	    "no_such_call");
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * A database as rtguard with schema 2 left it (aggregated decision
 * records, syscalls still by name): both migrate on, to schema 3.
 */
static void
test_schema2_database_gets_syscall_numbers_and_keeps_its_events(void **state)
{
	struct fixture		*f = *state;
	struct store		*st;
	struct baseline		*b;
	struct seen_events	 se = { 0 };
	struct rt_error		 err;
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			*sql, *path = xasprintf("%s/v2.db", f->dir);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_migrations[0], NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_migrations[1], NULL, NULL,
	    NULL), SQLITE_OK);
	sql = xasprintf("PRAGMA user_version = 2; PRAGMA application_id = %d;"
	    "INSERT INTO images(id, ref, learn_first_ms, learn_last_ms) VALUES"
	    " (1, 'localhost/pg:15', 10, 20);"
	    "INSERT INTO syscalls VALUES (1, 'read', 11), (1, 'accept4', 13),"
	    " (1, 'no_such_call', 14);"
	    "INSERT INTO events(time_ms, image_ref, container_id, pid, ppid,"
	    " exe, kind, path, action, reason, comm, route, mode, count,"
	    " first_ms) VALUES (5000, 'localhost/pg:15', 'c1', 10, 1,"
	    " '/bin/sh', 0, '/tmp/drift', 0, 'not in baseline', 'sh', 'exec',"
	    " 'protect', 4, 4000);", STORE_APPLICATION_ID);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(db);

	/* A reader may not migrate. */
	assert_true(store_open(path, STORE_READ_ONLY, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "needs upgrading"));

	st = open_rw(path);
	assert_int_equal(store_baseline_load(st, 1, &b, &err), 0);
	assert_int_equal(b->n_syscalls, 2);
	assert_int_equal(b->syscalls[0].arch, X86_64);
	assert_int_equal(b->syscalls[0].nr, 0);
	assert_int_equal(b->syscalls[0].first_ms, 11);
	assert_int_equal(b->syscalls[1].nr, 288);
	baseline_free(b);
	assert_int_equal(store_event_foreach(st, NULL, keep_events, &se, &err),
	    0);
	assert_int_equal(se.n, 1);
	assert_int_equal(se.ev[0].count, 4);
	assert_int_equal(se.ev[0].first_ms, 4000);
	assert_string_equal(se.ev[0].comm, "sh");
	assert_string_equal(se.ev[0].route, "exec");
	seen_events_free(&se);
	store_free(st);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 3);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM "
	    "syscalls_unresolved", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0),
	    "no_such_call");
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
}

static struct image_readiness
readiness_of(struct store *st, int64_t key, int64_t quiet_ms)
{
	struct image_readiness	r;
	struct rt_error		err;

	if (store_image_readiness(st, key, quiet_ms, &r, &err) < 0)
		fail_msg("readiness: %s", err.msg);
	return r;
}

static void
test_readiness_names_each_reason_and_ready_when_none(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_rw(f->db);
	struct baseline_exec	 e = { .path = "/usr/sbin/nginx", .sha256 = "",
	    .count = 1, .first_ms = 100000, .last_ms = 100000 };
	struct image_readiness	 r;
	struct rt_error		 err;
	char			 lines[8][200];
	int64_t			 key;

	assert_int_equal(store_image_add(st, "img", NULL, &key, &err), 0);
	r = readiness_of(st, key, 0);
	assert_false(r.ready);
	assert_true(r.reasons & READINESS_NOT_LEARNED);
	assert_int_equal(r.quiet_ms, STORE_QUIET_DEFAULT_MS);

	/* Learned 100 s .. 130 s, a fact at 100 s, one late container. */
	assert_int_equal(store_exec_record(st, key, &e, &err), 0);
	assert_int_equal(store_image_learned(st, key, 100000, 130000, 0, 0,
	    &err), 0);
	assert_int_equal(store_container_seen(st, "c1", key, false, 100000,
	    &err), 0);
	r = readiness_of(st, key, 0);
	assert_int_equal(r.reasons, READINESS_NO_START | READINESS_CHANGING);
	assert_int_equal(r.containers_attached_late, 1);
	assert_int_equal(r.last_new_fact_ms, 100000);
	assert_int_equal(image_readiness_reasons(&r, lines, 8), 2);
	assert_non_null(strstr(lines[0], "from its start"));
	assert_non_null(strstr(lines[1], "still changing"));

	/* Seen from its start, quiet for 30 s of a 20 s period: ready. */
	assert_int_equal(store_container_seen(st, "c2", key, true, 110000,
	    &err), 0);
	assert_int_equal(store_image_set_quiet(st, key, 20000, &err), 0);
	r = readiness_of(st, key, 0);
	assert_true(r.ready);
	assert_int_equal(r.containers_from_start, 1);
	/* A longer quiet period asked for by the caller wins. */
	r = readiness_of(st, key, 60000);
	assert_int_equal(r.reasons, READINESS_CHANGING);

	/* Losses make it incomplete, whatever else. */
	assert_int_equal(store_image_learned(st, key, 100000, 130000, 7, 2,
	    &err), 0);
	r = readiness_of(st, key, 0);
	assert_int_equal(r.reasons, READINESS_AUDIT_LOST |
	    READINESS_EVENTS_LOST);
	assert_int_equal(r.audit_lost, 7);
	assert_int_equal(image_readiness_reasons(&r, lines, 8), 2);
	assert_non_null(strstr(lines[0], "lost 7 audit records"));

	/* --reset forgets the containers and the losses too. */
	assert_int_equal(store_baseline_reset(st, key, &err), 0);
	r = readiness_of(st, key, 0);
	assert_int_equal(r.containers_from_start + r.containers_attached_late +
	    r.audit_lost + r.events_lost, 0);
	store_free(st);
}

static void
test_exec_names_record_the_symlink_run_and_its_target(void **state)
{
	struct fixture			*f = *state;
	struct store			*st = open_rw(f->db);
	struct baseline_exec_name	 en = { .name = "/usr/bin/redis-server",
	    .target = "/usr/bin/redis-check-rdb", .count = 1, .first_ms = 5 };
	struct baseline			*b;
	struct rt_error			 err;
	int64_t				 key;

	assert_int_equal(store_image_add(st, "img", NULL, &key, &err), 0);
	assert_int_equal(store_exec_name_record(st, key, &en, &err), 0);
	en.first_ms = 3;
	assert_int_equal(store_exec_name_record(st, key, &en, &err), 0);
	assert_int_equal(store_baseline_load(st, key, &b, &err), 0);
	assert_int_equal(b->n_exec_names, 1);
	assert_string_equal(b->exec_names[0].name, "/usr/bin/redis-server");
	assert_string_equal(b->exec_names[0].target,
	    "/usr/bin/redis-check-rdb");
	assert_int_equal(b->exec_names[0].count, 2);
	assert_int_equal(b->exec_names[0].first_ms, 3);
	baseline_free(b);
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
		T(test_aggregated_event_round_trips_and_counts_as_many),
		T(test_schema1_database_is_migrated_and_keeps_its_events),
		T(test_select_each_pattern_must_select_an_image),
		T(test_select_exactly_one_lists_candidates_when_ambiguous),
		T(test_garbage_file_is_refused_and_left_unchanged),
		T(test_foreign_and_newer_sqlite_files_are_refused),
		T(test_corrupt_database_gives_a_clear_error),
		T(test_symlinked_database_path_is_refused),
		T(test_read_only_open_of_missing_file_is_enoent),
		T(test_writer_commits_everything_on_flush_and_stop),
		T(test_writer_counts_what_it_sheds_when_full),
		T(test_migration_turns_syscall_names_into_numbers_losing_none),
		T(test_schema2_database_gets_syscall_numbers_and_keeps_its_events),
		T(test_readiness_names_each_reason_and_ready_when_none),
		T(test_exec_names_record_the_symlink_run_and_its_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
