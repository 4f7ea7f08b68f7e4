/*
 * test_decide.c: the enforcer's decision table (enforcer/decide.c), one
 * case per row of README's "What it decides" table, plus the loader-name
 * and learned-write helpers. decide_exec() and decide_open() are pure:
 * each case builds the facts the answer path would read from the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "enforcer/decide.h"
#include "policies/policy.h"

#define SHA_LS	"cb30d69b2424aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_EVIL "0000000000000000000000000000000000000000000000000000000000000000"
#define SHA_APP	"1111111111111111111111111111111111111111111111111111111111111111"

/* Sorted by path, as store_baseline_load returns them. */
static struct baseline_exec execs[] = {
	{ "/app/run.sh", SHA_APP, false, 3, 0, 0 },	/* written, learned */
	{ "/usr/bin/ls", SHA_LS, true, 5, 0, 0 },
	{ "/usr/bin/nohash", "", true, 1, 0, 0 },
	{ "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", SHA_LS, true, 9,
	    0, 0 },
};
static struct baseline_write writes[] = {
	{ "/etc/nginx/learned.conf", 1, 0, 0 },
	{ "/var/log/nginx/*", 4, 0, 0 },
};
static struct baseline base = {
	.image_key = 1, .image_ref = "localhost/nginx:test",
	.execs = execs, .n_execs = 4, .writes = writes, .n_writes = 2,
};

struct fixture {
	struct policy		*policy;
	struct decide_ctx	 ctx;
};

/* The default policy, protect mode, an image no rule names. */
static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	f->policy = policy_default();
	f->ctx.baseline = &base;
	f->ctx.policy = f->policy;
	f->ctx.image_ref = "docker.io/library/redis:latest";
	f->ctx.mode = POLICY_MODE_PROTECT;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	policy_free(f->policy);
	free(f);
	return 0;
}

/* The same context, for an image with rules of its own. */
static void
with_rules(struct fixture *f)
{
	static const char text[] =
	    "[image localhost/nginx]\n"
	    "allow-exec ^/usr/local/bin/healthcheck$\n"
	    "deny-exec ^/usr/bin/ls$\n"
	    "allow-write ^/etc/app\\.conf$\n"
	    "deny-write ^/etc/nginx/learned\\.conf$\n";
	struct rt_error	err;

	assert_int_equal(policy_parse(f->policy, "t.conf", text, strlen(text),
	    &err), 0);
	f->ctx.image_ref = "localhost/nginx:test";
}

static void
exec_q(struct exec_query *q, const char *path, enum file_origin origin)
{
	memset(q, 0, sizeof(*q));
	q->path = path;
	q->origin = origin;
	q->loader = LOADER_NOT_A_LOADER;
}

/* Hash on demand, as answer.c does: NEED_HASH, then decide again. */
static void
decide_hashed(const struct decide_ctx *ctx, struct exec_query *q,
    const char *sha, struct decision *d)
{
	decide_exec(ctx, q, d);
	if (d->verdict == VERDICT_NEED_HASH) {
		q->sha256 = sha;
		decide_exec(ctx, q, d);
	}
}

static void
test_learn_mode_allows_everything(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	f->ctx.mode = POLICY_MODE_LEARN;
	exec_q(&q, "/tmp/dropped", ORIGIN_ELSEWHERE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_false(d.cacheable);
}

static void
test_exec_of_deleted_file_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/ls", ORIGIN_IMAGE);
	q.deleted = true;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_string_equal(d.route, "deleted");
}

static void
test_exec_not_from_the_overlay_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	/* A volume, tmpfs or memfd: even at a learned path. */
	exec_q(&q, "/usr/bin/ls", ORIGIN_ELSEWHERE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_non_null(strstr(d.reason, "drift"));
	assert_false(d.cacheable);
}

static void
test_exec_from_upper_layer_not_learned_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/tmp/ls2", ORIGIN_UPPER);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_string_equal(d.route, "drift");
}

static void
test_learned_upper_layer_exec_with_learned_hash_is_allowed(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/app/run.sh", ORIGIN_UPPER);
	decide_hashed(&f->ctx, &q, SHA_APP, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	/* The upper layer stays writable: never cached in the kernel. */
	assert_false(d.cacheable);
}

static void
test_learned_upper_layer_exec_with_other_content_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/app/run.sh", ORIGIN_UPPER);
	decide_hashed(&f->ctx, &q, SHA_EVIL, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_string_equal(d.route, "drift");
}

static void
test_policy_deny_exec_beats_the_baseline(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	with_rules(f);
	exec_q(&q, "/usr/bin/ls", ORIGIN_IMAGE);
	decide_hashed(&f->ctx, &q, SHA_LS, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_non_null(strstr(d.reason, "deny-exec"));
}

static void
test_loader_run_directly_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	/* Learned (every dynamic exec opens it), still refused when direct. */
	exec_q(&q, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	    ORIGIN_IMAGE);
	q.loader = LOADER_DIRECT;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_string_equal(d.route, "loader");
}

static void
test_loader_of_unknown_use_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	    ORIGIN_IMAGE);
	q.loader = LOADER_UNKNOWN;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
}

static void
test_loader_run_directly_allowed_by_policy(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;
	struct rt_error		 err;
	static const char	 text[] = "allow-exec ^/usr/lib/x86_64-linux-gnu/"
	    "ld-linux-x86-64\\.so\\.2$\n";

	assert_int_equal(policy_parse(f->policy, "t.conf", text, strlen(text),
	    &err), 0);
	exec_q(&q, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	    ORIGIN_IMAGE);
	q.loader = LOADER_DIRECT;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_false(d.cacheable);
}

static void
test_loader_as_interpreter_is_allowed_uncached(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	    ORIGIN_IMAGE);
	q.loader = LOADER_INTERPRETER;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	/* A cached loader would also run directly, unasked. */
	assert_false(d.cacheable);
}

static void
test_unlearned_image_exec_allowed_by_policy_is_cached(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	with_rules(f);
	exec_q(&q, "/usr/local/bin/healthcheck", ORIGIN_IMAGE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_true(d.cacheable);
}

static void
test_allow_exec_does_not_allow_drift(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	with_rules(f);
	exec_q(&q, "/usr/local/bin/healthcheck", ORIGIN_UPPER);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
}

static void
test_unlearned_image_exec_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/whoami", ORIGIN_IMAGE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_non_null(strstr(d.reason, "whitelist"));
}

static void
test_learned_exec_without_hash_is_allowed_cached(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/nohash", ORIGIN_IMAGE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_true(d.cacheable);
}

static void
test_learned_exec_with_learned_hash_is_allowed_cached(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/ls", ORIGIN_IMAGE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_NEED_HASH);
	q.sha256 = SHA_LS;
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_true(d.cacheable);
}

static void
test_learned_exec_with_other_content_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/ls", ORIGIN_IMAGE);
	decide_hashed(&f->ctx, &q, SHA_EVIL, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_non_null(strstr(d.reason, "SHA-256"));
}

static void
test_learned_exec_that_cannot_be_hashed_is_denied(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	exec_q(&q, "/usr/bin/ls", ORIGIN_IMAGE);
	decide_hashed(&f->ctx, &q, "", &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
}

static void
test_monitor_mode_decides_the_same(void **state)
{
	struct fixture		*f = *state;
	struct exec_query	 q;
	struct decision		 d;

	/* The mode only changes what the caller does with a DENY. */
	f->ctx.mode = POLICY_MODE_MONITOR;
	exec_q(&q, "/usr/bin/whoami", ORIGIN_IMAGE);
	decide_exec(&f->ctx, &q, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
}

static void
test_write_outside_protected_dirs_is_allowed(void **state)
{
	struct fixture	*f = *state;
	struct decision	 d;

	decide_open(&f->ctx, "/tmp/x", INTENT_WRITE, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
}

static void
test_write_to_protected_dir_is_denied(void **state)
{
	struct fixture	*f = *state;
	struct decision	 d;

	decide_open(&f->ctx, "/usr/bin/x", INTENT_WRITE, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_string_equal(d.route, "write");
}

static void
test_learned_write_is_allowed_exact_and_collapsed(void **state)
{
	struct fixture	*f = *state;
	struct decision	 d;

	decide_open(&f->ctx, "/etc/nginx/learned.conf", INTENT_WRITE, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	assert_true(decide_learned_write(&base, "/var/log/nginx/error.log"));
	assert_false(decide_learned_write(&base, "/var/log/nginx/sub/x"));
	assert_false(decide_learned_write(&base, "/etc/nginx/other.conf"));
}

/* Patterns the learner writes: '*' within a component, /run for /var/run. */
static void
test_learned_write_patterns_match_within_a_component(void **state)
{
	static struct baseline_write w[] = {	/* sorted, as loaded */
		{ "/dev/shm/PostgreSQL.*", 1, 0, 0 },
		{ "/run/lock/app.lock", 1, 0, 0 },
		{ "/run/nginx.pid", 1, 0, 0 },
		{ "/srv/odd[1]?.log", 1, 0, 0 },
		{ "/srv/tmp*.[0-9]", 1, 0, 0 },
		{ "/var/lib/postgresql/data/base/*/*", 1, 0, 0 },
		{ "/var/lib/postgresql/data/pg_wal/*", 1, 0, 0 },
		{ "/var/run/old.pid", 1, 0, 0 },	/* an older baseline */
	};
	struct baseline	b = { .image_ref = "localhost/pg:15", .writes = w,
	    .n_writes = sizeof(w) / sizeof(w[0]) };

	(void)state;
	assert_true(decide_learned_write(&b, "/dev/shm/PostgreSQL.1804289383"));
	assert_true(decide_learned_write(&b, "/dev/shm/PostgreSQL."));
	assert_false(decide_learned_write(&b, "/dev/shm/PostgreSQL.1/x"));
	assert_false(decide_learned_write(&b, "/dev/shm/other"));
	assert_true(decide_learned_write(&b,
	    "/var/lib/postgresql/data/base/16384/2619"));
	assert_false(decide_learned_write(&b,
	    "/var/lib/postgresql/data/base/16384"));
	assert_false(decide_learned_write(&b,
	    "/var/lib/postgresql/data/base/1/2/3"));
	assert_true(decide_learned_write(&b,
	    "/var/lib/postgresql/data/pg_wal/000000010000000000000001"));
	assert_false(decide_learned_write(&b,
	    "/var/lib/postgresql/data/global/pg_control"));
	/* /var/run and /var/lock are /run and /run/lock. */
	assert_true(decide_learned_write(&b, "/var/run/nginx.pid"));
	assert_true(decide_learned_write(&b, "/run/nginx.pid"));
	assert_true(decide_learned_write(&b, "/var/lock/app.lock"));
	assert_true(decide_learned_write(&b, "/run/old.pid"));
	assert_true(decide_learned_write(&b, "/var/run/old.pid"));
	assert_false(decide_learned_write(&b, "/var/running/nginx.pid"));
	assert_false(decide_learned_write(&b, "/run/other.pid"));
	/* Only '*' is a wildcard: '?' and '[' are the bytes learned. */
	assert_true(decide_learned_write(&b, "/srv/odd[1]?.log"));
	assert_false(decide_learned_write(&b, "/srv/odd1x.log"));
	assert_true(decide_learned_write(&b, "/srv/tmp812.[0-9]"));
	assert_false(decide_learned_write(&b, "/srv/tmp812.5"));
}

static void
test_policy_write_rules(void **state)
{
	struct fixture	*f = *state;
	struct decision	 d;

	with_rules(f);
	decide_open(&f->ctx, "/etc/app.conf", INTENT_WRITE, &d);
	assert_int_equal(d.verdict, VERDICT_ALLOW);
	/* deny-write beats a learned write. */
	decide_open(&f->ctx, "/etc/nginx/learned.conf", INTENT_WRITE, &d);
	assert_int_equal(d.verdict, VERDICT_DENY);
	assert_non_null(strstr(d.reason, "deny-write"));
}

static void
test_loader_names(void **state)
{
	(void)state;
	assert_true(decide_is_loader_path("/lib64/ld-linux-x86-64.so.2"));
	assert_true(decide_is_loader_path(
	    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
	assert_true(decide_is_loader_path("/lib/ld-musl-x86_64.so.1"));
	assert_true(decide_is_loader_path("/lib/ld-2.31.so"));
	assert_false(decide_is_loader_path("/usr/bin/ld"));
	assert_false(decide_is_loader_path("/usr/bin/ldd"));
	assert_false(decide_is_loader_path("/usr/lib/libc.so.6"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_learn_mode_allows_everything),
		T(test_exec_of_deleted_file_is_denied),
		T(test_exec_not_from_the_overlay_is_denied),
		T(test_exec_from_upper_layer_not_learned_is_denied),
		T(test_learned_upper_layer_exec_with_learned_hash_is_allowed),
		T(test_learned_upper_layer_exec_with_other_content_is_denied),
		T(test_policy_deny_exec_beats_the_baseline),
		T(test_loader_run_directly_is_denied),
		T(test_loader_of_unknown_use_is_denied),
		T(test_loader_run_directly_allowed_by_policy),
		T(test_loader_as_interpreter_is_allowed_uncached),
		T(test_unlearned_image_exec_allowed_by_policy_is_cached),
		T(test_allow_exec_does_not_allow_drift),
		T(test_unlearned_image_exec_is_denied),
		T(test_learned_exec_without_hash_is_allowed_cached),
		T(test_learned_exec_with_learned_hash_is_allowed_cached),
		T(test_learned_exec_with_other_content_is_denied),
		T(test_learned_exec_that_cannot_be_hashed_is_denied),
		T(test_monitor_mode_decides_the_same),
		T(test_write_outside_protected_dirs_is_allowed),
		T(test_write_to_protected_dir_is_denied),
		T(test_learned_write_is_allowed_exact_and_collapsed),
		T(test_learned_write_patterns_match_within_a_component),
		T(test_policy_write_rules),
		T(test_loader_names),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
