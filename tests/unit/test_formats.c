/*
 * test_formats.c: formats/: decision events as JSON lines, portable
 * baselines (export, import, merge, refusal of bad files without partial
 * writes) and seccomp profiles.
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

#include <jansson.h>
#include <seccomp.h>

#include "common/escape.h"
#include "common/json.h"
#include "common/xmalloc.h"
#include "formats/event-json.h"
#include "formats/portable.h"
#include "formats/seccomp.h"
#include "store/store.h"

#define SHA_A	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fixture {
	char	dir[64];
};

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/rtguard-test-formats-XXXXXX");
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

static struct store *
open_db(struct fixture *f, const char *name)
{
	struct store	*st = NULL;
	struct rt_error	 err;
	char		*path = xasprintf("%s/%s", f->dir, name);

	if (store_open(path, STORE_READ_WRITE, &st, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	free(path);
	return st;
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

static struct baseline *
load(struct store *st, const char *ref)
{
	struct baseline	*b;
	struct rt_error	 err;
	int64_t		 key;

	if (store_image_find(st, ref, &key, &err) < 0)
		fail_msg("store_image_find: %s", err.msg);
	if (store_baseline_load(st, key, &b, &err) < 0)
		fail_msg("store_baseline_load: %s", err.msg);
	return b;
}

static void
assert_baseline_equal(const struct baseline *a, const struct baseline *b)
{
	size_t	i;

	assert_string_equal(a->image_ref, b->image_ref);
	assert_int_equal(a->n_execs, b->n_execs);
	for (i = 0; i < a->n_execs; i++) {
		assert_string_equal(a->execs[i].path, b->execs[i].path);
		assert_string_equal(a->execs[i].sha256, b->execs[i].sha256);
		assert_int_equal(a->execs[i].from_image, b->execs[i].from_image);
		assert_int_equal(a->execs[i].count, b->execs[i].count);
		assert_int_equal(a->execs[i].first_ms, b->execs[i].first_ms);
		assert_int_equal(a->execs[i].last_ms, b->execs[i].last_ms);
	}
	assert_int_equal(a->n_syscalls, b->n_syscalls);
	for (i = 0; i < a->n_syscalls; i++) {
		assert_int_equal(a->syscalls[i].arch, b->syscalls[i].arch);
		assert_int_equal(a->syscalls[i].nr, b->syscalls[i].nr);
	}
	assert_int_equal(a->n_exec_names, b->n_exec_names);
	for (i = 0; i < a->n_exec_names; i++) {
		assert_string_equal(a->exec_names[i].name, b->exec_names[i].name);
		assert_string_equal(a->exec_names[i].target,
		    b->exec_names[i].target);
		assert_int_equal(a->exec_names[i].count, b->exec_names[i].count);
	}
	assert_int_equal(a->n_writes, b->n_writes);
	for (i = 0; i < a->n_writes; i++) {
		assert_string_equal(a->writes[i].path, b->writes[i].path);
		assert_int_equal(a->writes[i].count, b->writes[i].count);
		assert_int_equal(a->writes[i].first_ms, b->writes[i].first_ms);
		assert_int_equal(a->writes[i].last_ms, b->writes[i].last_ms);
	}
}

/* A learned nginx baseline with hostile path bytes. */
static void
fill_nginx(struct store *st)
{
	struct baseline_exec	 e[] = {
		{ .path = "/usr/sbin/nginx", .sha256 = SHA_A,
		  .from_image = true, .count = 3, .first_ms = 1000,
		  .last_ms = 5000 },
		{ .path = "/tmp/a b", .sha256 = "", .from_image = false,
		  .count = 1, .first_ms = 2000, .last_ms = 2000 },
		{ .path = "/tmp/new\nline", .sha256 = SHA_B,
		  .from_image = false, .count = 2, .first_ms = 1500,
		  .last_ms = 9000 },
	};
	struct baseline_write	 w[] = {
		{ .path = "/var/log/nginx/\xff\xfe bad utf8", .count = 4,
		  .first_ms = 1100, .last_ms = 1200 },
		{ .path = "/var/cache/back\\slash\ttab", .count = 1,
		  .first_ms = 3000, .last_ms = 3000 },
	};
	struct baseline_exec_name en = { .name = "/usr/bin/sh",
	    .target = "/tmp/new\nline", .count = 2, .first_ms = 1500 };
	struct rt_error		 err;
	int64_t			 key;
	size_t			 i;

	assert_int_equal(store_image_add(st, "localhost/nginx:test",
	    "sha256:abc", &key, &err), 0);
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		assert_int_equal(store_exec_record(st, key, &e[i], &err), 0);
	assert_int_equal(store_syscall_record(st, key, SCMP_ARCH_X86_64, 288,
	    1000, &err), 0);	/* accept4 */
	assert_int_equal(store_syscall_record(st, key, SCMP_ARCH_X86_64, 0,
	    1000, &err), 0);	/* read */
	assert_int_equal(store_syscall_record(st, key, SCMP_ARCH_X86, 3,
	    1000, &err), 0);	/* i386 read */
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		assert_int_equal(store_write_record(st, key, &w[i], &err), 0);
	assert_int_equal(store_exec_name_record(st, key, &en, &err), 0);
}

static char *
export_to_file(struct fixture *f, struct store *st, const char *pattern,
    const char *name)
{
	char			*path = xasprintf("%s/%s", f->dir, name);
	FILE			*fp = fopen(path, "w");
	struct image_info	*im;
	struct image_readiness	 r;
	struct baseline		*b;
	struct rt_error		 err;
	size_t			 n;

	assert_non_null(fp);
	if (store_image_select(st, &pattern, 1, STORE_SELECT_EXACTLY_ONE, &im,
	    &n, &err) < 0)
		fail_msg("store_image_select: %s", err.msg);
	if (store_baseline_load(st, im[0].key, &b, &err) < 0)
		fail_msg("store_baseline_load: %s", err.msg);
	if (store_image_readiness(st, im[0].key, 0, &r, &err) < 0)
		fail_msg("store_image_readiness: %s", err.msg);
	if (portable_export(b, im[0].image_id, &r, fp, &err) < 0)
		fail_msg("portable_export: %s", err.msg);
	assert_int_equal(fclose(fp), 0);
	baseline_free(b);
	image_info_free(im, n);
	return path;
}

static void
test_export_then_import_gives_identical_baseline(void **state)
{
	struct fixture		*f = *state;
	struct store		*src = open_db(f, "src.db"), *dst;
	struct baseline		*a, *b;
	struct image_info	*im;
	struct rt_error		 err;
	char			*file, *ref;
	size_t			 n;

	fill_nginx(src);
	file = export_to_file(f, src, "nginx", "nginx.rtguard");
	dst = open_db(f, "dst.db");
	if (portable_import_file(dst, file, &ref, &err) < 0)
		fail_msg("portable_import_file: %s", err.msg);
	assert_string_equal(ref, "localhost/nginx:test");
	a = load(src, "localhost/nginx:test");
	b = load(dst, "localhost/nginx:test");
	assert_baseline_equal(a, b);
	assert_string_equal(b->execs[1].path, "/tmp/new\nline");
	assert_int_equal(b->n_writes, 2);

	/* The image id travels, and the window covers every fact. */
	assert_int_equal(store_image_list(dst, &im, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(im[0].image_id, "sha256:abc");
	assert_int_equal(im[0].learn_first_ms, 1000);
	assert_int_equal(im[0].learn_last_ms, 9000);
	image_info_free(im, n);

	baseline_free(a);
	baseline_free(b);
	free(ref);
	free(file);
	store_free(src);
	store_free(dst);
}

static const char merge_a[] =
"{\"format\":\"rtguard-baseline\",\"version\":1,"
"\"image\":\"localhost/app:1\",\"image_id\":null,"
"\"exported\":\"2026-11-24T19:53:01.123Z\","
"\"executables\":[{\"path\":\"/app/run\",\"sha256\":null,\"count\":2,"
"\"from_image\":true,\"first_seen_ms\":100,\"last_seen_ms\":200}],"
"\"syscalls\":[\"read\",\"write\"],"
"\"writes\":[{\"path\":\"/data/x\",\"count\":1,\"first_seen_ms\":150,"
"\"last_seen_ms\":150}]}";

static const char merge_b[] =
"{\"format\":\"rtguard-baseline\",\"version\":1,"
"\"image\":\"localhost/app:1\",\"image_id\":\"sha256:77\","
"\"exported\":\"2026-11-25T10:00:00.000Z\","
"\"executables\":[{\"path\":\"/app/run\",\"sha256\":null,\"count\":5,"
"\"from_image\":true,\"first_seen_ms\":50,\"last_seen_ms\":300}],"
"\"syscalls\":[\"write\",\"openat\"],"
"\"writes\":[{\"path\":\"/data/x\",\"count\":2,\"first_seen_ms\":160,"
"\"last_seen_ms\":400}]}";

static void
test_two_imports_merge_counts_and_syscalls(void **state)
{
	struct fixture		*f = *state;
	struct store		*st = open_db(f, "rt.db");
	char			*fa = write_file(f, "a.rtguard", merge_a);
	char			*fb = write_file(f, "b.rtguard", merge_b);
	struct image_info	*im;
	struct baseline		*b;
	struct rt_error		 err;
	size_t			 n;

	if (portable_import_file(st, fa, NULL, &err) < 0 ||
	    portable_import_file(st, fb, NULL, &err) < 0)
		fail_msg("import: %s", err.msg);
	b = load(st, "localhost/app:1");
	assert_int_equal(b->n_execs, 1);
	assert_int_equal(b->execs[0].count, 7);
	assert_int_equal(b->execs[0].first_ms, 50);
	assert_int_equal(b->execs[0].last_ms, 300);
	/* read 0, write 1, openat 257 (x86_64), by number. */
	assert_int_equal(b->n_syscalls, 3);
	assert_int_equal(b->syscalls[0].nr, 0);
	assert_int_equal(b->syscalls[1].nr, 1);
	assert_int_equal(b->syscalls[2].nr, 257);
	assert_int_equal(b->n_writes, 1);
	assert_int_equal(b->writes[0].count, 3);
	assert_int_equal(b->writes[0].last_ms, 400);
	baseline_free(b);
	assert_int_equal(store_image_list(st, &im, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(im[0].learn_first_ms, 50);
	assert_int_equal(im[0].learn_last_ms, 400);
	image_info_free(im, n);
	free(fa);
	free(fb);
	store_free(st);
}

/* merge_a with one substring replaced. */
static char *
mutate(const char *from, const char *to)
{
	const char	*at = strstr(merge_a, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - merge_a), merge_a, to,
	    at + strlen(from));
}

static void
test_bad_files_are_rejected_naming_the_file_and_change_nothing(void **state)
{
	struct fixture	*f = *state;
	struct store	*st = open_db(f, "rt.db");
	struct {
		const char	*name;
		char		*text;
		const char	*why;
	} bad[] = {
		{ "truncated.rtguard",
		  xstrndup(merge_a, sizeof(merge_a) / 2), "not valid JSON" },
		{ "garbage.rtguard", xstrdup("\x01\x02 not json"),
		  "not valid JSON" },
		{ "format.rtguard", mutate("rtguard-baseline", "seccomp"),
		  "not an rtguard baseline" },
		{ "version.rtguard", mutate("\"version\":1", "\"version\":2"),
		  "version" },
		{ "sha.rtguard", mutate("\"sha256\":null",
		  "\"sha256\":\"" SHA_A "0\""), "sha256" },
		{ "shaupper.rtguard", mutate("\"sha256\":null",
		  "\"sha256\":\"0123456789ABCDEF0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\""), "sha256" },
		{ "relative.rtguard", mutate("\"/data/x\"", "\"data/x\""),
		  "absolute" },
		{ "nul.rtguard", mutate("\"/data/x\"", "\"/data/\\\\x00x\""),
		  "NUL" },
		{ "escape.rtguard", mutate("\"/data/x\"", "\"/data/\\\\q\""),
		  "escape" },
		{ "syscall.rtguard", mutate("\"write\"", "\"Write;\""),
		  "syscalls[1]" },
		{ "count.rtguard", mutate("\"count\":2", "\"count\":\"2\""),
		  "count" },
		{ "negative.rtguard", mutate("\"count\":2", "\"count\":-2"),
		  "count" },
		{ "from.rtguard", mutate("\"from_image\":true",
		  "\"from_image\":1"), "from_image" },
		{ "key.rtguard", mutate("\"syscalls\"", "\"sycalls\""),
		  "sycalls" },
		{ "image.rtguard", mutate("localhost/app:1", "UPPER CASE"),
		  "image" },
	};
	struct baseline	*before, *after;
	struct image_info *im;
	struct rt_error	 err;
	char		*path, *ref;
	size_t		 i, n;

	fill_nginx(st);
	before = load(st, "localhost/nginx:test");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_file(f, bad[i].name, bad[i].text);
		ref = (char *)"sentinel";
		memset(&err, 0, sizeof(err));
		if (portable_import_file(st, path, &ref, &err) == 0)
			fail_msg("%s was accepted", bad[i].name);
		assert_null(ref);
		if (strncmp(err.msg, path, strlen(path)) != 0 ||
		    strstr(err.msg, bad[i].why) == NULL)
			fail_msg("%s: message '%s' lacks '%s' or the file name",
			    bad[i].name, err.msg, bad[i].why);
		free(path);
		free(bad[i].text);
	}
	/* A missing file is an error too, not an empty import. */
	assert_true(portable_import_file(st, "/nonexistent/x.rtguard", NULL,
	    &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/x.rtguard"));

	after = load(st, "localhost/nginx:test");
	assert_baseline_equal(before, after);
	assert_int_equal(store_image_list(st, &im, &n, &err), 0);
	assert_int_equal(n, 1);
	image_info_free(im, n);
	baseline_free(before);
	baseline_free(after);
	store_free(st);
}

static bool
json_array_has(json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void
test_seccomp_profile_allows_learned_and_runtime_syscalls(void **state)
{
	/* 335 has no name on x86_64; 18 is pwrite64 (libaudit: pwrite). */
	struct baseline_syscall	 learned[] = { { SCMP_ARCH_X86_64, 288, 0 },
	    { SCMP_ARCH_X86_64, 232, 0 }, { SCMP_ARCH_X86_64, 0, 0 },
	    { SCMP_ARCH_X86_64, 335, 0 }, { SCMP_ARCH_X86_64, 18, 0 } };
	struct baseline		 b = { .image_ref = "localhost/nginx:test",
	    .syscalls = learned, .n_syscalls = 5 };
	struct rt_error		 err;
	json_error_t		 jerr;
	json_t			*root, *names;
	char			*buf = NULL;
	size_t			 len = 0, i;
	FILE			*mem;
	int			 rc;

	(void)state;
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	rc = seccomp_export(&b, mem, &err);
	assert_int_equal(fclose(mem), 0);
	assert_int_equal(rc, 1);
	root = json_loadb(buf, len, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root,
	    "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(root,
	    "defaultErrnoRet")), 1);
	assert_true(json_array_has(json_object_get(root, "architectures"),
	    "SCMP_ARCH_X86_64"));
	assert_int_equal(json_array_size(json_object_get(root, "syscalls")), 1);
	names = json_object_get(json_array_get(json_object_get(root,
	    "syscalls"), 0), "names");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(root, "syscalls"), 0), "action")),
	    "SCMP_ACT_ALLOW");
	assert_true(json_array_has(names, "accept4"));
	assert_true(json_array_has(names, "epoll_wait"));
	assert_true(json_array_has(names, "read"));
	assert_true(json_array_has(names, "execve"));
	assert_true(json_array_has(names, "exit_group"));
	assert_false(json_array_has(names, "syscall_335"));
	assert_true(json_array_has(names, "pwrite64"));
	assert_false(json_array_has(names, "pwrite"));
	/* Sorted and unique ("read" is learned and needed by the runtime). */
	for (i = 1; i < json_array_size(names); i++)
		assert_true(strcmp(json_string_value(json_array_get(names,
		    i - 1)), json_string_value(json_array_get(names, i))) < 0);
	json_decref(root);
	free(buf);
}

/* --- decision events ------------------------------------------------- */

/* The object an event should read as, built key by key. */
static json_t *
expected_event(const struct rt_event *ev)
{
	json_t	*o = json_object();

	json_object_set_new(o, "time", rt_json_time(ev->time_ms));
	json_object_set_new(o, "pid", json_integer(ev->pid));
	json_object_set_new(o, "ppid", json_integer(ev->ppid));
	json_object_set_new(o, "count", json_integer(ev->count > 1 ?
	    ev->count : 1));
	if (ev->count > 1) {
		json_object_set_new(o, "first", rt_json_time(ev->first_ms));
		json_object_set_new(o, "last", rt_json_time(ev->time_ms));
	}
	json_object_set_new(o, "image", rt_json_escaped(ev->image_ref));
	json_object_set_new(o, "container", rt_json_escaped(ev->container_id));
	json_object_set_new(o, "exe", rt_json_escaped(ev->exe));
	json_object_set_new(o, "comm", rt_json_escaped(ev->comm));
	json_object_set_new(o, "type", json_string(ev->kind == EVENT_WRITE ?
	    "write" : "exec"));
	json_object_set_new(o, "path", rt_json_escaped(ev->path));
	json_object_set_new(o, "decision", json_string(ev->action ==
	    ACTION_ALERTED ? "alerted" : "denied"));
	json_object_set_new(o, "reason", rt_json_escaped(ev->reason));
	json_object_set_new(o, "route", rt_json_escaped(ev->route));
	json_object_set_new(o, "mode", rt_json_escaped(ev->mode));
	return o;
}

static json_t *
format_and_parse(struct event_json *ej, const struct rt_event *ev)
{
	struct rt_error	 err;
	json_error_t	 jerr;
	const char	*s;
	size_t		 len;
	json_t		*o;

	if (event_json_format(ej, ev, &s, &len, &err) < 0)
		fail_msg("event_json_format: %s", err.msg);
	assert_int_equal(strlen(s), len);
	assert_null(memchr(s, '\n', len));
	if ((o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		fail_msg("not JSON (%s): %s", jerr.text, s);
	return o;
}

static void
assert_event_reads_as(struct event_json *ej, const struct rt_event *ev)
{
	json_t	*got = format_and_parse(ej, ev), *want = expected_event(ev);
	char	*g, *w;

	if (!json_equal(got, want)) {
		g = json_dumps(got, JSON_SORT_KEYS);
		w = json_dumps(want, JSON_SORT_KEYS);
		fail_msg("got  %s\nwant %s", g, w);
	}
	json_decref(got);
	json_decref(want);
}

static void
test_event_line_has_the_keys_and_escapes_hostile_bytes(void **state)
{
	struct event_json	*ej = event_json_new();
	struct rt_event		 ev = { .time_ms = 1700000000123LL,
	    .image_ref = "localhost/app:1", .container_id = "c0ffee",
	    .pid = 42, .ppid = 1, .exe = "/tmp/\x1b[31mred",
	    .comm = "runc:[2:INIT]", .kind = EVENT_EXEC,
	    .path = "/tmp/new\nline \"q\" back\\slash \xff\xfe",
	    .action = ACTION_DENIED, .reason = "not in baseline",
	    .route = "exec", .mode = "protect", .count = 1,
	    .first_ms = 1700000000123LL };
	json_t			*o;
	char			*back;
	size_t			 blen;

	(void)state;
	o = format_and_parse(ej, &ev);
	assert_int_equal(json_object_size(o), 14);
	assert_null(json_object_get(o, "first"));
	assert_string_equal(json_string_value(json_object_get(o, "time")),
	    "2023-11-14T22:13:20.123Z");
	assert_string_equal(json_string_value(json_object_get(o, "decision")),
	    "denied");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	    "exec");
	back = rt_unescape(json_string_value(json_object_get(o, "path")),
	    &blen);
	assert_non_null(back);
	assert_int_equal(blen, strlen(ev.path));
	assert_memory_equal(back, ev.path, blen);
	free(back);
	json_decref(o);
	assert_event_reads_as(ej, &ev);

	/* An aggregated record says when it started; "last" is "time". */
	ev.count = 57;
	ev.first_ms = 1699999995000LL;
	ev.kind = EVENT_WRITE;
	ev.action = ACTION_ALERTED;
	o = format_and_parse(ej, &ev);
	assert_int_equal(json_object_size(o), 16);
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 57);
	assert_string_equal(json_string_value(json_object_get(o, "first")),
	    "2023-11-14T22:13:15.000Z");
	assert_string_equal(json_string_value(json_object_get(o, "last")),
	    json_string_value(json_object_get(o, "time")));
	json_decref(o);
	assert_event_reads_as(ej, &ev);

	/* Times no calendar holds (a corrupt store) still make JSON. */
	ev.count = 3;
	ev.time_ms = INT64_MAX;
	ev.first_ms = INT64_MAX - 5;
	ev.pid = -7;
	o = format_and_parse(ej, &ev);
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), -7);
	assert_non_null(json_string_value(json_object_get(o, "time")));
	json_decref(o);
	ev.time_ms = 253402300800000LL;	/* year 10000: past the shortcut */
	ev.first_ms = 1;
	o = format_and_parse(ej, &ev);
	assert_string_equal(json_string_value(json_object_get(o, "time")),
	    "10000-01-01T00:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(o, "first")),
	    "1970-01-01T00:00:00.001Z");
	json_decref(o);
	ev.pid = 42;

	/* Missing strings are empty strings, never null. */
	memset(&ev, 0, sizeof(ev));
	ev.time_ms = 5;
	o = format_and_parse(ej, &ev);
	assert_string_equal(json_string_value(json_object_get(o, "exe")), "");
	assert_string_equal(json_string_value(json_object_get(o, "image")), "");
	json_decref(o);
	event_json_free(ej);
}

/* Kept encodings must never leak one event's value into another's. */
static void
test_event_lines_stay_right_across_many_values(void **state)
{
	struct event_json	*ej = event_json_new();
	struct rt_event		 ev = { .image_ref = "localhost/app:1",
	    .exe = "/bin/sh", .reason = "drift", .route = "exec",
	    .mode = "monitor" };
	char			 path[600], container[80], comm[32];
	int			 i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		ev.time_ms = 1700000000000LL + (int64_t)i * 337;
		ev.first_ms = ev.time_ms - (i % 4) * 1000;
		ev.count = i % 4 + 1;
		ev.pid = 1000 + i;
		ev.ppid = i % 3;
		ev.kind = i % 2 ? EVENT_WRITE : EVENT_EXEC;
		ev.action = i % 5 ? ACTION_DENIED : ACTION_ALERTED;
		snprintf(container, sizeof(container), "%064x", i % 70);
		/* 1100 paths: more than a field keeps; some too long to keep. */
		if (i % 97 == 0) {
			memset(path, 'x', sizeof(path) - 1);
			path[0] = '/';
			path[sizeof(path) - 1] = '\0';
			path[300 + i % 50] = '\0';
		} else
			snprintf(path, sizeof(path), "/usr/bin/t%d\n%c", i % 1100,
			    (char)(0x80 + i % 64));
		snprintf(comm, sizeof(comm), "c%d", i % 9);
		ev.container_id = container;
		ev.path = path;
		ev.comm = comm;
		assert_event_reads_as(ej, &ev);
	}
	event_json_free(ej);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_event_line_has_the_keys_and_escapes_hostile_bytes),
		cmocka_unit_test(test_event_lines_stay_right_across_many_values),
		cmocka_unit_test_setup_teardown(
		    test_export_then_import_gives_identical_baseline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_imports_merge_counts_and_syscalls,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_files_are_rejected_naming_the_file_and_change_nothing,
		    setup, teardown),
		cmocka_unit_test(
		    test_seccomp_profile_allows_learned_and_runtime_syscalls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
