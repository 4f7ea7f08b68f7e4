/*
 * test_harden.c: the mount plan (enforcer/harden.c) and the parser of the
 * mount helper's report. Both are pure; the helper itself runs against
 * real containers in tests/integration/enforce-routes.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>
#include <jansson.h>

#include "enforcer/harden.h"

static const char *const protected[] = {
	"/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc", NULL
};

/* A Debian image: merged /usr (bin, lib, sbin are symlinks). */
static const struct harden_top debian[] = {
	{ "app", true }, { "bin", false }, { "boot", true }, { "dev", true },
	{ "etc", true }, { "home", true }, { "lib", false }, { "lib64", false },
	{ "opt", true }, { "proc", true }, { "root", true }, { "run", true },
	{ "sbin", false }, { "srv", true }, { "sys", true }, { "tmp", true },
	{ "usr", true }, { "var", true }, { ".containerenv", false },
};

static struct baseline_exec execs[] = {
	{ "/app/bin/server", "", true, 1, 0, 0 },
	{ "/usr/bin/dash", "", true, 1, 0, 0 },
	{ "/var/lib/app/hook.sh", "", false, 1, 0, 0 },
};
static struct baseline_write writes[] = {
	{ "/app/cache/*", 1, 0, 0 },
	{ "/etc/nginx/learned.conf", 1, 0, 0 },
	{ "/tmp/x", 1, 0, 0 },
	{ "/usr/local/share/app/*", 1, 0, 0 },
};
static struct baseline base = {
	.image_key = 1, .image_ref = "x", .execs = execs, .n_execs = 3,
	.writes = writes, .n_writes = 4,
};

static const struct harden_action *
find(const struct harden_plan *p, const char *path)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].path, path) == 0)
			return &p->v[i];
	return NULL;
}

static void
assert_op(const struct harden_plan *p, const char *path, enum harden_op op)
{
	const struct harden_action	*a = find(p, path);

	if (a == NULL)
		fail_msg("no action for %s", path);
	if (a->op != op)
		fail_msg("%s: %s, expected %s", path, harden_op_name(a->op),
		    harden_op_name(op));
}

static void
test_plan_locks_protected_and_executable_dirs(void **state)
{
	struct harden_plan	p;

	(void)state;
	harden_plan_build(protected, NULL, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/usr", HARDEN_LOCK);
	assert_op(&p, "/etc", HARDEN_LOCK);
	assert_op(&p, "/app", HARDEN_LOCK);	/* holds a learned exec */
	/*
	 * hook.sh is one the app wrote and runs (upper layer): /var stays
	 * writable, noexec but for that place.
	 */
	assert_op(&p, "/var", HARDEN_NOEXEC);
	assert_op(&p, "/var/lib/app", HARDEN_KEEP_RW);
	assert_true(find(&p, "/var/lib/app")->exec);
	harden_plan_free(&p);
}

static void
test_plan_makes_every_other_dir_noexec(void **state)
{
	struct harden_plan	p;

	(void)state;
	harden_plan_build(protected, NULL, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/tmp", HARDEN_NOEXEC);
	assert_op(&p, "/dev", HARDEN_NOEXEC);	/* a tmpfs one can write */
	assert_op(&p, "/root", HARDEN_NOEXEC);
	assert_op(&p, "/run", HARDEN_NOEXEC);
	assert_op(&p, "/home", HARDEN_NOEXEC);
	assert_op(&p, "/opt", HARDEN_NOEXEC);
	harden_plan_free(&p);
}

static void
test_plan_leaves_proc_sys_and_symlinks(void **state)
{
	struct harden_plan	p;

	(void)state;
	harden_plan_build(protected, NULL, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_null(find(&p, "/proc"));
	assert_null(find(&p, "/sys"));
	assert_null(find(&p, "/bin"));		/* -> usr/bin */
	assert_null(find(&p, "/.containerenv"));	/* the root covers it */
	harden_plan_free(&p);
}

static void
test_plan_binds_learned_writes_back_inside_locked_dirs(void **state)
{
	struct harden_plan		 p;
	const struct harden_action	*a;

	(void)state;
	harden_plan_build(protected, NULL, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/etc/nginx/learned.conf", HARDEN_KEEP_RW);
	assert_op(&p, "/app/cache", HARDEN_KEEP_RW);
	assert_op(&p, "/usr/local/share/app", HARDEN_KEEP_RW);
	/* Not inside a read-only tree: nothing to bind back. */
	assert_null(find(&p, "/tmp/x"));
	a = find(&p, "/app/cache");
	assert_false(a->exec);
	harden_plan_free(&p);
}

/* A pattern binds back the directory above its first '*' component. */
static void
test_plan_binds_the_directory_above_a_pattern_back(void **state)
{
	static const char *const prot[] = { "/usr", "/var/lib/postgresql",
		"/dev", NULL };
	static struct baseline_write w[] = {
		{ "/*", 1, 0, 0 },
		{ "/dev/shm/PostgreSQL.*", 1, 0, 0 },
		{ "/usr/share/app/cache.*/data", 1, 0, 0 },
		{ "/var/lib/postgresql/data/base/*/*", 1, 0, 0 },
		{ "/var/lib/postgresql/data/global/pg_internal.init.*", 1, 0,
		  0 },
	};
	struct baseline		b = { .image_key = 1, .image_ref = "pg",
	    .writes = w, .n_writes = sizeof(w) / sizeof(w[0]) };
	struct harden_plan	p;
	size_t			i;

	(void)state;
	harden_plan_build(prot, NULL, &b, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/dev/shm", HARDEN_KEEP_RW);
	assert_op(&p, "/var/lib/postgresql/data/base", HARDEN_KEEP_RW);
	assert_op(&p, "/var/lib/postgresql/data/global", HARDEN_KEEP_RW);
	assert_op(&p, "/usr/share/app", HARDEN_KEEP_RW);
	assert_false(find(&p, "/dev/shm")->exec);
	/* Never a pattern itself, never a place below one. */
	for (i = 0; i < p.n; i++) {
		assert_null(strchr(p.v[i].path, '*'));
		assert_true(p.v[i].op == HARDEN_ROOT ||
		    strcmp(p.v[i].path, "/") != 0);
	}
	assert_null(find(&p, "/var/lib/postgresql/data/base/*"));
	harden_plan_free(&p);
}

static void
test_plan_ends_with_the_root_and_orders_parents_first(void **state)
{
	struct harden_plan	p;
	size_t			i, lock_etc = 0, keep = 0;

	(void)state;
	harden_plan_build(protected, NULL, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_true(p.n > 0);
	assert_int_equal(p.v[p.n - 1].op, HARDEN_ROOT);
	for (i = 0; i < p.n; i++) {
		if (strcmp(p.v[i].path, "/etc") == 0)
			lock_etc = i;
		if (strcmp(p.v[i].path, "/etc/nginx/learned.conf") == 0)
			keep = i;
	}
	assert_true(lock_etc < keep);
	harden_plan_free(&p);
}

static void
test_plan_locks_nested_protected_dir(void **state)
{
	static const char *const prot[] = { "/usr", "/opt/app", NULL };
	struct harden_plan	p;

	(void)state;
	harden_plan_build(prot, NULL, NULL, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/opt", HARDEN_NOEXEC);
	assert_op(&p, "/opt/app", HARDEN_LOCK);
	harden_plan_free(&p);
}

static void
test_plan_with_no_baseline_and_hostile_names(void **state)
{
	static const struct harden_top top[] = {
		{ "usr", true }, { "a\nb", true }, { "sp ace", true },
	};
	struct harden_plan	p;

	(void)state;
	harden_plan_build(protected, NULL, NULL, top, 3, &p);
	assert_op(&p, "/a\nb", HARDEN_NOEXEC);
	assert_op(&p, "/sp ace", HARDEN_NOEXEC);
	assert_op(&p, "/usr", HARDEN_LOCK);
	harden_plan_free(&p);
}

static void
test_plan_binds_policy_writable_paths_back(void **state)
{
	static const char *const writable[] = { "/etc/app", "/tmp/y", "/usr",
		NULL };
	struct harden_plan	p;
	size_t			i;

	(void)state;
	harden_plan_build(protected, writable, &base, debian,
	    sizeof(debian) / sizeof(debian[0]), &p);
	assert_op(&p, "/etc/app", HARDEN_KEEP_RW);
	assert_false(find(&p, "/etc/app")->exec);
	assert_null(find(&p, "/tmp/y"));	/* writable already */
	assert_op(&p, "/usr", HARDEN_LOCK);	/* first locked, then opened */
	for (i = 0; i < p.n; i++)
		if (p.v[i].op == HARDEN_KEEP_RW && strcmp(p.v[i].path, "/usr") == 0)
			break;
	assert_true(i < p.n);
	harden_plan_free(&p);
}

static void
test_report_is_parsed_with_escaped_paths(void **state)
{
	struct harden_state	st;
	struct rt_error		err;
	char			*s;

	(void)state;
	assert_int_equal(harden_report_parse("memfd\nmount 42 /usr\n"
	    "mount 43 /tmp/a\\nb\nskip /lib32\nroot 9\nunmount 41\n", &st,
	    &err), 0);
	assert_int_equal(st.n_removed, 1);
	assert_int_equal(st.removed[0], 41);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.v[0].id, 42);
	assert_string_equal(st.v[1].path, "/tmp/a\nb");
	assert_true(st.memfd_noexec);
	assert_int_equal(st.root_set, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY);
	assert_int_equal(st.skipped, 1);
	s = harden_state_format(&st);
	assert_non_null(strstr(s, "43 /tmp/a\\nb"));
	assert_non_null(strstr(s, "root noexec read-only"));
	harden_state_free(&st);
	/* And back, as an enforcer restarted after a crash reads it. */
	assert_int_equal(harden_state_parse(s, &st), 0);
	assert_int_equal(st.n, 2);
	assert_string_equal(st.v[1].path, "/tmp/a\nb");
	assert_int_equal(st.root_set, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY);
	assert_true(st.memfd_noexec);
	free(s);
	harden_state_free(&st);
	assert_int_equal(harden_state_parse("12 relative\n", &st), -EINVAL);
	assert_int_equal(harden_state_parse("garbage\n", &st), -EINVAL);
}

static void
test_report_error_keeps_what_was_done(void **state)
{
	struct harden_state	st;
	struct rt_error		err;

	(void)state;
	assert_int_equal(harden_report_parse("mount 7 /usr\nerror 16 noexec /\n"
	    "garbage\nmount x y\n", &st, &err), -16);
	assert_int_equal(st.n, 1);
	assert_non_null(strstr(err.msg, "noexec /"));
	assert_non_null(strstr(err.msg, "busy"));
	harden_state_free(&st);
}

/* helperwire.c: what the enforcer sends is what the helper reads. */
static json_t *
wire(const char *s)
{
	json_error_t	 je;
	json_t		*o = json_loads(s, 0, &je);

	assert_non_null(o);
	return o;
}

static void
test_wire_round_trips_odd_paths(void **state)
{
	static const char *const prot[] = { "/usr", "/etc/a b\nc", NULL };
	static const char *const wr[] = { "/etc/\xff\xfe", NULL };
	static const char *const add[] = { "/var/new\tline", NULL };
	struct baseline_exec	 ex[] = {
		{ "/usr/bin/dash", "", true, 1, 0, 0 },
		{ "/app/run me\n.sh", "", false, 1, 0, 0 },
	};
	struct baseline_write	 wr1[] = { { "/etc/nginx/*", 1, 0, 0 } };
	struct baseline		 b = { .execs = ex, .n_execs = 2,
				    .writes = wr1, .n_writes = 1 };
	struct harden_mount	 m = { 42, "/etc/x\ny" };
	struct harden_state	 saved = { .v = &m, .n = 1 };
	struct harden_request	 rq = { .pid = 77, .prefix = "/run/c o",
				    .protected = prot, .writable = wr,
				    .baseline = &b, .memfd_noexec = true,
				    .saved = &saved, .update = true,
				    .remove = &saved, .add = add };
	struct harden_wire	 w;
	char			*s;
	json_t			*o;

	(void)state;
	s = harden_wire_encode(&rq, NULL);
	o = wire(s);
	assert_int_equal(harden_wire_decode(o, &w), 0);
	assert_int_equal(w.op, HARDEN_WIRE_UPDATE);
	assert_int_equal(w.rq.pid, 77);
	assert_string_equal(w.rq.prefix, "/run/c o");
	assert_true(w.rq.memfd_noexec && w.rq.update);
	assert_string_equal(w.rq.protected[1], "/etc/a b\nc");
	assert_null(w.rq.protected[2]);
	assert_memory_equal(w.rq.writable[0], "/etc/\xff\xfe", 8);
	assert_string_equal(w.rq.add[0], "/var/new\tline");
	assert_int_equal(w.baseline.n_execs, 2);
	assert_string_equal(w.baseline.execs[1].path, "/app/run me\n.sh");
	assert_true(w.baseline.execs[0].from_image);
	assert_false(w.baseline.execs[1].from_image);
	assert_int_equal(w.baseline.n_writes, 1);
	assert_string_equal(w.baseline.writes[0].path, "/etc/nginx/*");
	assert_non_null(w.rq.saved);
	assert_int_equal(w.rq.saved->n, 1);
	assert_int_equal(w.rq.saved->v[0].id, 42);
	assert_string_equal(w.rq.saved->v[0].path, "/etc/x\ny");
	assert_non_null(w.rq.remove);
	harden_wire_free(&w);
	json_decref(o);
	free(s);

	s = harden_wire_encode(NULL, &saved);
	o = wire(s);
	assert_int_equal(harden_wire_decode(o, &w), 0);
	assert_int_equal(w.op, HARDEN_WIRE_UNDO);
	assert_int_equal(w.remove.n, 1);
	assert_string_equal(w.remove.v[0].path, "/etc/x\ny");
	harden_wire_free(&w);
	json_decref(o);
	free(s);
}

static void
test_wire_refuses_bad_requests(void **state)
{
	struct harden_wire	 w;
	json_t			*o;

	(void)state;
	o = wire("{\"op\":\"format-disk\"}");
	assert_int_equal(harden_wire_decode(o, &w), -1);
	assert_string_equal(w.error, "unknown op");
	harden_wire_free(&w);
	json_decref(o);
	o = wire("{\"op\":\"undo\"}");
	assert_int_equal(harden_wire_decode(o, &w), -1);
	assert_string_equal(w.error, "no state");
	harden_wire_free(&w);
	json_decref(o);
	/* A path with an escaped NUL is dropped, not truncated. */
	o = wire("{\"op\":\"apply\",\"protected\":[\"/usr\\\\x00/evil\","
	    "\"/etc\"]}");
	assert_int_equal(harden_wire_decode(o, &w), 0);
	assert_string_equal(w.rq.protected[0], "/etc");
	assert_null(w.rq.protected[1]);
	harden_wire_free(&w);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_locks_protected_and_executable_dirs),
		cmocka_unit_test(test_plan_makes_every_other_dir_noexec),
		cmocka_unit_test(test_plan_leaves_proc_sys_and_symlinks),
		cmocka_unit_test(
		    test_plan_binds_learned_writes_back_inside_locked_dirs),
		cmocka_unit_test(
		    test_plan_binds_the_directory_above_a_pattern_back),
		cmocka_unit_test(
		    test_plan_ends_with_the_root_and_orders_parents_first),
		cmocka_unit_test(test_plan_locks_nested_protected_dir),
		cmocka_unit_test(test_plan_with_no_baseline_and_hostile_names),
		cmocka_unit_test(test_plan_binds_policy_writable_paths_back),
		cmocka_unit_test(test_report_is_parsed_with_escaped_paths),
		cmocka_unit_test(test_report_error_keeps_what_was_done),
		cmocka_unit_test(test_wire_round_trips_odd_paths),
		cmocka_unit_test(test_wire_refuses_bad_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
