/*
 * test_policy.c: policies/: the policy file parser, the default policy,
 * per-image modes and patterns, loading a directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/xmalloc.h"
#include "policies/policy.h"

struct fixture {
	char	dir[64];
};

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/rtguard-test-policy-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
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
	free(f);
	return 0;
}

static char *
write_file(struct fixture *f, const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", f->dir, name);
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
test_default_policy_protects_system_dirs(void **state)
{
	struct policy		*p = policy_default();
	const char *const	*dirs = policy_protected(p);

	(void)state;
	assert_string_equal(dirs[0], "/bin");
	assert_true(policy_is_protected(p, "/usr/bin/curl"));
	assert_true(policy_is_protected(p, "/etc"));
	assert_true(policy_is_protected(p, "/lib64/ld.so"));
	assert_false(policy_is_protected(p, "/usrlocal/x"));
	assert_false(policy_is_protected(p, "/tmp/x"));
	assert_int_equal(policy_mode(p, "localhost/nginx:test"),
	    POLICY_MODE_PROTECT);
	assert_int_equal(policy_check_exec(p, "localhost/nginx:test",
	    "/bin/sh"), POLICY_NONE);
	policy_free(p);
}

static void
test_bad_policy_lines_are_rejected_with_file_and_line(void **state)
{
	static const struct {
		const char	*text;
		const char	*where;
		const char	*why;
	} bad[] = {
		{ "mode protect\nfrobnicate /x\n", "t.conf:2:", "unknown keyword" },
		{ "# c\n\nallow-exec ^/usr/(bin\n", "t.conf:3:", "regular expression" },
		{ "mode sometimes\n", "t.conf:1:", "unknown mode" },
		{ "[image nginx]\nprotect /x\n", "t.conf:2:", "global" },
		{ "protect relative\n", "t.conf:1:", "absolute" },
		{ "[image nginx\n", "t.conf:1:", "']'" },
		{ "deny-write\n", "t.conf:1:", "regular expression" },
	};
	struct policy	*p;
	struct rt_error	 err;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = policy_default();
		memset(&err, 0, sizeof(err));
		if (policy_parse(p, "t.conf", bad[i].text, strlen(bad[i].text),
		    &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (strncmp(err.msg, bad[i].where, strlen(bad[i].where)) != 0 ||
		    strstr(err.msg, bad[i].why) == NULL)
			fail_msg("'%s' lacks '%s' or '%s'", err.msg,
			    bad[i].where, bad[i].why);
		policy_free(p);
	}
}

static void
test_policy_per_image_mode_and_deny_beats_allow(void **state)
{
	static const char text[] =
	    "protect /usr /opt/app/   # trailing slash dropped\n"
	    "mode monitor\n"
	    "allow-exec ^/usr/bin/curl$\n"
	    "[image localhost/nginx]\n"
	    "mode protect\n"
	    "deny-exec ^/usr/bin/(curl|wget)$\n"
	    "allow-write ^/etc/nginx/conf\\.d/[^/]+\\.conf$\n"
	    "[global]\n"
	    "deny-write ^/usr/lib/.*\\.so$\n";
	struct policy	*p = policy_default();
	struct rt_error	 err;

	(void)state;
	if (policy_parse(p, "t.conf", text, strlen(text), &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(policy_protected(p)[1], "/opt/app");
	assert_null(policy_protected(p)[2]);
	assert_false(policy_is_protected(p, "/etc/passwd"));
	assert_int_equal(policy_mode(p, "localhost/nginx:test"),
	    POLICY_MODE_PROTECT);
	assert_int_equal(policy_mode(p, "docker.io/library/redis:7"),
	    POLICY_MODE_MONITOR);
	/* curl: allowed globally, denied for nginx; deny wins. */
	assert_int_equal(policy_check_exec(p, "docker.io/library/redis:7",
	    "/usr/bin/curl"), POLICY_ALLOW);
	assert_int_equal(policy_check_exec(p, "localhost/nginx:test",
	    "/usr/bin/curl"), POLICY_DENY);
	assert_int_equal(policy_check_exec(p, "localhost/nginx:test",
	    "/usr/bin/wget"), POLICY_DENY);
	assert_int_equal(policy_check_exec(p, "localhost/nginx:test",
	    "/usr/sbin/nginx"), POLICY_NONE);
	assert_int_equal(policy_check_write(p, "localhost/nginx:test",
	    "/etc/nginx/conf.d/site.conf"), POLICY_ALLOW);
	assert_int_equal(policy_check_write(p, "docker.io/library/redis:7",
	    "/etc/nginx/conf.d/site.conf"), POLICY_NONE);
	assert_int_equal(policy_check_write(p, "localhost/nginx:test",
	    "/usr/lib/libx.so"), POLICY_DENY);
	policy_free(p);
}

static void
test_policy_load_dir(void **state)
{
	struct fixture	*f = *state;
	struct policy	*p;
	struct rt_error	 err;
	char		*missing = xasprintf("%s/nope", f->dir);
	char		*path;

	assert_int_equal(policy_load_dir(missing, &p, &err), 0);
	assert_string_equal(policy_protected(p)[0], "/bin");
	assert_int_equal(policy_mode(p, "localhost/x:1"), POLICY_MODE_PROTECT);
	policy_free(p);

	/* Files apply in name order; the last mode line wins. */
	free(write_file(f, "10-a.conf", "mode monitor\n"));
	free(write_file(f, "20-b.conf", "mode learn\n"));
	free(write_file(f, "30-c.txt", "this is not read\n"));
	assert_int_equal(policy_load_dir(f->dir, &p, &err), 0);
	assert_int_equal(policy_mode(p, "localhost/x:1"), POLICY_MODE_LEARN);
	policy_free(p);

	path = write_file(f, "40-bad.conf", "mode learn\nbogus\n");
	p = (struct policy *)0x1;
	assert_true(policy_load_dir(f->dir, &p, &err) < 0);
	assert_null(p);
	assert_non_null(strstr(err.msg, "40-bad.conf:2:"));
	free(path);
	free(missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy_protects_system_dirs),
		cmocka_unit_test(
		    test_bad_policy_lines_are_rejected_with_file_and_line),
		cmocka_unit_test(test_policy_per_image_mode_and_deny_beats_allow),
		cmocka_unit_test_setup_teardown(test_policy_load_dir,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
