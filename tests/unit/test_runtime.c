/*
 * test_runtime.c: rtguard-runc's decisions (container/runtime.c) and the
 * hook's resolution of a Docker container (container/ocihook.c), on a
 * config.json and a config.v2.json recorded from Docker 20.10 (Debian 12's
 * docker.io) in tests/unit/data/.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/ocihook.h"
#include "container/runtime.h"

#define REC_ID	"e501c2487eb0da94d4a30ebfe9f0874f794bf6c64d31a0ac5a247e7601275301"
#define OTHER_ID "1111111111111111111111111111111111111111111111111111111111111111"
#define HOOK	"/usr/bin/rtguard"

static char *
slurp_path(const char *path, size_t *len)
{
	char	*buf;
	FILE	*f;
	long	 n;

	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static char *
slurp(const char *name, size_t *len)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
	    getenv("top_srcdir") ? getenv("top_srcdir") : SRCDIR, name);
	return slurp_path(path, len);
}

static void
spit(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* s with every "from" replaced by "to" (for paths in recorded files). */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t		 nf = strlen(from), nt = strlen(to), n = 0;
	const char	*p;
	char		*out, *o;

	for (p = s; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	out = o = malloc(strlen(s) + n * nt + 1);
	while ((p = strstr(s, from)) != NULL) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, to, nt);
		o += nt;
		s = p + nf;
	}
	strcpy(o, s);
	return out;
}

/* --- runc's command line -------------------------------------------------- */

#define BUNDLE(...)	runtime_create_bundle((char *[]){ __VA_ARGS__, NULL })

static void
test_bundle_of_containerd_create(void **state)
{
	(void)state;
	/* As containerd's runc shim (v2) called it under Docker 20.10. */
	assert_string_equal(BUNDLE("--root", "/var/run/docker/runtime-runc/moby",
	    "--log", "/run/b/log.json", "--log-format", "json", "create",
	    "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", REC_ID),
	    "/run/b");
}

static void
test_bundle_flag_forms(void **state)
{
	(void)state;
	assert_string_equal(BUNDLE("create", "--bundle=/b1", "id"), "/b1");
	assert_string_equal(BUNDLE("create", "-b", "/b2", "id"), "/b2");
	assert_string_equal(BUNDLE("create", "-bundle", "/b3", "id"), "/b3");
	assert_string_equal(BUNDLE("create", "-b=/b4", "id"), "/b4");
	/* After the id, as urfave/cli reorders; the last one counts. */
	assert_string_equal(BUNDLE("create", "id", "--bundle", "/b5"), "/b5");
	assert_string_equal(BUNDLE("create", "-b", "/x", "-b", "/b6", "id"),
	    "/b6");
	assert_string_equal(BUNDLE("--debug", "--systemd-cgroup", "run", "-d",
	    "--bundle", "/b7", "id"), "/b7");
	assert_string_equal(BUNDLE("--log-format=json", "restore", "--image-path",
	    "/img", "-b", "/b8", "id"), "/b8");
}

static void
test_bundle_defaults_to_cwd(void **state)
{
	(void)state;
	assert_string_equal(BUNDLE("create", "id"), ".");
	assert_string_equal(BUNDLE("create", "--bundle=", "id"), ".");
	/* A value that looks like a flag is a value. */
	assert_string_equal(BUNDLE("create", "--pid-file", "-b", "id"), ".");
}

static void
test_bundle_none_for_other_commands(void **state)
{
	(void)state;
	assert_null(BUNDLE("start", "id"));
	assert_null(BUNDLE("--root", "/r", "state", "id"));
	assert_null(BUNDLE("exec", "--process", "/p.json", "id"));
	assert_null(BUNDLE("delete", "--force", "id"));
	assert_null(BUNDLE("--version"));
	assert_null(runtime_create_bundle((char *[]){ NULL }));
	/* "create" as a global flag's value is not the command. */
	assert_null(BUNDLE("--root", "create", "start", "id"));
	/* ... nor after "--" of the command. */
	assert_string_equal(BUNDLE("create", "id", "--", "-b", "/no"), ".");
}

/* --- config.json --------------------------------------------------------- */

/* The createRuntime hooks of text, and text without rtguard's hook. */
static json_t *
without_hook(const char *text, json_t **hook)
{
	json_t	*o, *cr;

	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	cr = json_object_get(json_object_get(o, "hooks"), "createRuntime");
	assert_true(json_is_array(cr));
	*hook = json_incref(json_array_get(cr, json_array_size(cr) - 1));
	json_array_remove(cr, json_array_size(cr) - 1);
	if (json_array_size(cr) == 0)
		json_object_del(json_object_get(o, "hooks"), "createRuntime");
	return o;
}

static void
test_config_docker_gets_the_hook_last(void **state)
{
	struct rt_error	 err;
	json_t		*before, *after, *hook;
	char		*cfg, *out, *again;
	size_t		 len;

	(void)state;
	cfg = slurp("docker-config.json", &len);
	assert_int_equal(runtime_config_add_hook(cfg, len, HOOK, "/run/s",
	    &out, &err), 0);
	/* Docker's own prestart hook stays; ours is a createRuntime hook. */
	after = without_hook(out, &hook);
	before = json_loadb(cfg, len, 0, NULL);
	assert_true(json_equal(before, after));
	assert_string_equal(json_string_value(json_object_get(hook, "path")),
	    HOOK);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    hook, "args"), 0)), "rtguard");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    hook, "args"), 1)), "hook");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    hook, "env"), 0)), "RTGUARD_HOOK_SOCKETS=/run/s");
	assert_int_equal(json_integer_value(json_object_get(hook, "timeout")),
	    OCIHOOK_TIMEOUT_S + 5);
	/* Key order kept, and compact as Docker wrote it. */
	assert_true(strncmp(out, "{\"ociVersion\":\"1.0.2-dev\",\"process\":",
	    strlen("{\"ociVersion\":\"1.0.2-dev\",\"process\":")) == 0);
	assert_null(strchr(out, '\n'));
	/* Twice is once. */
	assert_int_equal(runtime_config_add_hook(out, strlen(out), HOOK, NULL,
	    &again, &err), 1);
	assert_null(again);
	json_decref(hook);
	json_decref(before);
	json_decref(after);
	free(out);
	free(cfg);
}

static void
test_config_hooks_created_or_appended(void **state)
{
	struct rt_error	 err;
	json_t		*o, *cr;
	char		*out;
	const char	*in;

	(void)state;
	in = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), 0);
	o = json_loads(out, 0, NULL);
	cr = json_object_get(json_object_get(o, "hooks"), "createRuntime");
	assert_int_equal(json_array_size(cr), 1);
	assert_null(json_object_get(json_array_get(cr, 0), "env"));
	json_decref(o);
	free(out);

	in = "{\"hooks\":null}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), 0);
	free(out);

	/* Another createRuntime hook (a GPU's) first, rtguard's after it. */
	in = "{\n  \"hooks\": {\"createRuntime\": [{\"path\": \"/gpu\"}]}\n}\n";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), 0);
	o = json_loads(out, 0, NULL);
	cr = json_object_get(json_object_get(o, "hooks"), "createRuntime");
	assert_int_equal(json_array_size(cr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cr,
	    0), "path")), "/gpu");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cr,
	    1), "path")), HOOK);
	assert_non_null(strchr(out, '\n'));	/* indented, as it was */
	json_decref(o);
	free(out);

	/* An rtguard hook from a hooks directory counts as there. */
	in = "{\"hooks\":{\"createRuntime\":[{\"path\":\"/x/rtguard\","
	    "\"args\":[\"rtguard\",\"hook\"]}]}}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), 1);
}

static void
test_config_not_rewritable_is_refused(void **state)
{
	struct rt_error	 err;
	char		*out;
	const char	*in;

	(void)state;
	/* A seccomp argument of 2^64-1 cannot be kept as it is. */
	in = "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"args\":[{\"value\":"
	    "18446744073709551615}]}]}}}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "config.json"));
	in = "[1]";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), -EPROTO);
	in = "{\"hooks\":[]}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), -EPROTO);
	in = "{\"hooks\":{\"createRuntime\":{}}}";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), -EPROTO);
	in = "{\"a\":";
	assert_int_equal(runtime_config_add_hook(in, strlen(in), HOOK, NULL,
	    &out, &err), -EPROTO);
}

static void
test_bundle_file_replaced_with_its_mode(void **state)
{
	struct rt_error	 err;
	struct stat	 st;
	char		 dir[] = "/tmp/rtguard-test-runtime.XXXXXX", path[512];
	char		*text;
	size_t		 len;
	ino_t		 ino;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	spit(path, "{\"ociVersion\":\"1.0.2\"}\n");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(runtime_bundle_add_hook(dir, HOOK, NULL, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	text = slurp_path(path, &len);
	assert_non_null(strstr(text, "\"createRuntime\""));
	assert_int_equal(text[len - 1], '\n');
	free(text);
	/* Once there, the file is not rewritten. */
	ino = st.st_ino;
	assert_int_equal(runtime_bundle_add_hook(dir, HOOK, NULL, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, ino);
	/* No temporary file left in the bundle. */
	snprintf(path, sizeof(path), "%s/.config.json.rtguard-%d", dir,
	    (int)getpid());
	assert_int_equal(access(path, F_OK), -1);
	/* A symlinked config.json is not followed, nor replaced. */
	snprintf(path, sizeof(path), "%s/config.json", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_int_equal(runtime_bundle_add_hook(dir, HOOK, NULL, &err),
	    -ELOOP);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(runtime_bundle_add_hook(dir, HOOK, NULL, &err),
	    -ENOENT);
	assert_int_equal(runtime_bundle_add_hook("/nonexistent", HOOK, NULL,
	    &err), -ENOENT);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_find_runc_refuses_relative_and_missing(void **state)
{
	struct rt_error	err;
	char		out[256];

	(void)state;
	assert_int_equal(runtime_find_runc("runc", out, sizeof(out), &err),
	    -ENOENT);
	assert_int_equal(runtime_find_runc("/nonexistent/runc", out,
	    sizeof(out), &err), -ENOENT);
	assert_int_equal(runtime_find_runc("/bin/true", out, sizeof(out),
	    &err), 0);
	assert_string_equal(out, "/bin/true");
	/* Itself (here: this test program) would be a loop. */
	assert_int_equal(runtime_find_runc("/proc/self/exe", out, sizeof(out),
	    &err), -ELOOP);
}

/* --- the hook's resolution of a Docker container -------------------------- */

struct docker_fixture {
	char	 root[64];	/* the data root, for /var/lib/docker */
	char	 bundle[128];
};

/*
 * The recorded container under a data root of the test's own, with the
 * engine's bind mounts from the directory of container mounts_id.
 */
static void
docker_fixture(struct docker_fixture *f, const char *mounts_id,
    const char *record_id)
{
	char	 path[512], *cfg, *v2, *a, *b;
	size_t	 len;

	snprintf(f->root, sizeof(f->root), "/tmp/rtguard-test-docker.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->bundle, sizeof(f->bundle), "%s/bundle", f->root);
	assert_int_equal(mkdir(f->bundle, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers/%s", f->root, REC_ID);
	assert_int_equal(mkdir(path, 0700), 0);

	cfg = slurp("docker-config.json", &len);
	a = replace_all(cfg, "/var/lib/docker/containers/" REC_ID "/", "@C@");
	b = replace_all(a, "/var/lib/docker/", "@R@");
	free(a);
	snprintf(path, sizeof(path), "%s/containers/%s/", f->root, mounts_id);
	a = replace_all(b, "@C@", path);
	free(b);
	snprintf(path, sizeof(path), "%s/", f->root);
	b = replace_all(a, "@R@", path);
	free(a);
	snprintf(path, sizeof(path), "%s/config.json", f->bundle);
	spit(path, b);
	free(b);
	free(cfg);

	v2 = slurp("docker-config.v2.json", &len);
	a = replace_all(v2, "\"ID\":\"" REC_ID "\"", "\"ID\":\"@ID@\"");
	b = replace_all(a, "@ID@", record_id);
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json",
	    f->root, REC_ID);
	spit(path, b);
	free(a);
	free(b);
	free(v2);
}

static void
docker_fixture_remove(struct docker_fixture *f)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json",
	    f->root, REC_ID);
	unlink(path);
	snprintf(path, sizeof(path), "%s/containers/%s", f->root, REC_ID);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/containers", f->root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/config.json", f->bundle);
	unlink(path);
	rmdir(f->bundle);
	rmdir(f->root);
}

static int
resolve(struct docker_fixture *f, struct container **c, bool *cap,
    struct rt_error *err)
{
	struct oci_state	st;

	memset(&st, 0, sizeof(st));
	memcpy(st.id, REC_ID, sizeof(st.id));
	st.pid = 4242;
	st.bundle = f->bundle;
	return ocihook_resolve(&st, c, cap, err);
}

static void
test_docker_container_resolved_from_its_record(void **state)
{
	struct docker_fixture	 f;
	struct container	*c;
	struct rt_error		 err;
	char			 want[256];
	bool			 cap = true;

	(void)state;
	docker_fixture(&f, REC_ID, REC_ID);
	assert_int_equal(resolve(&f, &c, &cap, &err), 0);
	assert_string_equal(c->image_ref, "localhost/h7-nginx:test");
	assert_string_equal(c->image_id, "sha256:3a95468cb535d25525bba876a98"
	    "32dc000b23a90a0eb4f010ca429cbbf751631");
	assert_string_equal(c->name, "h7probe");
	assert_int_equal(c->init_pid, 4242);
	snprintf(want, sizeof(want), "%s/overlay2/8fc3561b4fbc9e83325d17d63074"
	    "9186adac1efc5072e8c661d41abd39f1877d/merged", f.root);
	assert_string_equal(c->merged_dir, want);
	memcpy(want + strlen(want) - 6, "diff", 5);
	assert_string_equal(c->upper_dir, want);
	assert_false(cap);	/* Docker's default capabilities */
	container_free(c);
	docker_fixture_remove(&f);
}

static void
test_docker_shared_network_reads_its_own_record(void **state)
{
	struct docker_fixture	 f;
	struct container	*c;
	struct rt_error		 err;
	bool			 cap;

	(void)state;
	/* --network container:OTHER: /etc/hosts etc. are OTHER's files. */
	docker_fixture(&f, OTHER_ID, REC_ID);
	assert_int_equal(resolve(&f, &c, &cap, &err), 0);
	assert_string_equal(c->name, "h7probe");
	container_free(c);
	docker_fixture_remove(&f);
}

static void
test_docker_record_of_another_id_is_not_used(void **state)
{
	struct docker_fixture	 f;
	struct container	*c;
	struct rt_error		 err;
	bool			 cap;

	(void)state;
	docker_fixture(&f, REC_ID, OTHER_ID);
	assert_int_equal(resolve(&f, &c, &cap, &err), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err.msg, "image unknown"));
	docker_fixture_remove(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle_of_containerd_create),
		cmocka_unit_test(test_bundle_flag_forms),
		cmocka_unit_test(test_bundle_defaults_to_cwd),
		cmocka_unit_test(test_bundle_none_for_other_commands),
		cmocka_unit_test(test_config_docker_gets_the_hook_last),
		cmocka_unit_test(test_config_hooks_created_or_appended),
		cmocka_unit_test(test_config_not_rewritable_is_refused),
		cmocka_unit_test(test_bundle_file_replaced_with_its_mode),
		cmocka_unit_test(test_find_runc_refuses_relative_and_missing),
		cmocka_unit_test(test_docker_container_resolved_from_its_record),
		cmocka_unit_test(test_docker_shared_network_reads_its_own_record),
		cmocka_unit_test(test_docker_record_of_another_id_is_not_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
