/*
 * test_container.c: the cgroup parser, the Engine API answer parsers fed
 * recorded Podman answers (tests/unit/data/, recorded from podman 4 on
 * Debian 12), the /events line splitter and the retry schedule.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "container/container.h"

#define ID_A "270d006b1e4effb80700d35d1f0d2b183b8468e8d0fbac64185674ee13b120ce"
#define ID_REC "807c03cc6f58565f808efba3d10bfb3ca706d816e7845298528b3b7e8fe4666a"
#define ID_B "807c03cc6f58b2a8f0c3b1d9e8a7f6e5d4c3b2a1908f7e6d5c4b3a2918f7e6d5"

static char *
slurp(const char *name, size_t *len)
{
	char	 path[512], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
	    getenv("top_srcdir") ? getenv("top_srcdir") : SRCDIR, name);
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

static void
expect_id(const char *text, int want_rc, const char *want_id)
{
	char	id[CONTAINER_ID_LEN + 1];
	int	rc;

	rc = cgroup_parse_container_id(text, strlen(text), id);
	assert_int_equal(rc, want_rc);
	if (want_rc == 0)
		assert_string_equal(id, want_id);
}

static void
test_cgroup_engines(void **state)
{
	(void)state;
	expect_id("0::/libpod_parent/libpod-" ID_A "\n", 0, ID_A);
	expect_id("0::/machine.slice/libpod-" ID_A ".scope/container\n", 0, ID_A);
	expect_id("0::/system.slice/docker-" ID_A ".scope\n", 0, ID_A);
	expect_id("12:memory:/docker/" ID_A "\n11:cpu:/docker/" ID_A "\n", 0,
	    ID_A);
	expect_id("0::/system.slice/containerd.service/kubepods-besteffort-pod1"
	    ".slice:cri-containerd:" ID_A "\n", -ENOENT, NULL);
	expect_id("0::/kubepods.slice/kubepods-burstable.slice/kubepods-"
	    "burstable-podab.slice/cri-containerd-" ID_A ".scope\n", 0, ID_A);
	expect_id("0::/kubepods.slice/kubepods-pod1.slice/crio-" ID_A
	    ".scope\n", 0, ID_A);
	expect_id("0::/kubepods/burstable/pod0f1e2d3c/" ID_A "\n", 0, ID_A);
	/* Innermost wins: a container inside a pod-level container path. */
	expect_id("0::/docker/" ID_B "/docker/" ID_A "\n", 0, ID_A);
}

static void
test_cgroup_not_container(void **state)
{
	(void)state;
	expect_id("0::/user.slice/user-0.slice/session-3.scope\n", -ENOENT, NULL);
	expect_id("0::/\n", -ENOENT, NULL);
	/* conmon runs beside the container, not in it. */
	expect_id("0::/libpod_parent/libpod-conmon-" ID_A "\n", -ENOENT, NULL);
	expect_id("0::/system.slice/crio-conmon-" ID_A ".scope\n", -ENOENT, NULL);
	/* Too short, upper case, or longer than an id. */
	expect_id("0::/docker/270d006b1e4e\n", -ENOENT, NULL);
	expect_id("0::/docker/" ID_A "0\n", -ENOENT, NULL);
	expect_id("0::/docker/270D006B1E4EFFB80700D35D1F0D2B183B8468E8D0FBAC6418"
	    "5674EE13B120CE\n", -ENOENT, NULL);
}

static void
test_cgroup_malformed(void **state)
{
	(void)state;
	expect_id("", -EINVAL, NULL);
	expect_id("garbage without colons\n", -EINVAL, NULL);
	expect_id("0:/libpod-" ID_A "\n", -EINVAL, NULL);
	expect_id("\n\n\n", -EINVAL, NULL);
}

static void
test_parse_inspect_recorded(void **state)
{
	struct container	*c;
	struct rt_error		 err;
	char			*json;
	size_t			 len;

	(void)state;
	json = slurp("podman-inspect.json", &len);
	assert_int_equal(engine_parse_inspect(json, len, &c, &err), 0);
	assert_string_equal(c->id, ID_REC);
	assert_string_equal(c->name, "rt-cap");
	assert_string_equal(c->image_ref, "localhost/rtguard-busybox:test");
	assert_non_null(c->image_id);
	assert_true(strncmp(c->image_id, "sha256:", 7) == 0);
	assert_int_equal(c->init_pid, 10065);
	assert_non_null(strstr(c->merged_dir, "/merged"));
	assert_non_null(strstr(c->upper_dir, "/diff"));
	assert_non_null(strstr(c->lower_dirs, "/diff"));
	container_free(c);
	/* Truncated answers and foreign JSON are refused, never crash. */
	assert_int_equal(engine_parse_inspect(json, len / 2, &c, &err),
	    -EPROTO);
	assert_null(c);
	free(json);
	assert_int_equal(engine_parse_inspect("[1,2]", 5, &c, &err), -EPROTO);
	assert_int_equal(engine_parse_inspect("{\"Id\":\"abc\"}", 12, &c,
	    &err), -EPROTO);
	assert_int_equal(engine_parse_inspect("{\"Id\":7}", 8, &c, &err),
	    -EPROTO);
}

static void
test_parse_inspect_stopped(void **state)
{
	const char		*j = "{\"Id\":\"" ID_A "\",\"State\":{\"Running\":"
	    "false,\"Pid\":0},\"Config\":{\"Image\":\"nginx\"}}";
	struct container	*c;
	struct rt_error		 err;

	(void)state;
	assert_int_equal(engine_parse_inspect(j, strlen(j), &c, &err), 0);
	assert_int_equal(c->init_pid, 0);
	assert_string_equal(c->image_ref, "docker.io/library/nginx:latest");
	assert_null(c->merged_dir);
	container_free(c);
}

static void
test_parse_list(void **state)
{
	const char	*j = "[{\"Id\":\"" ID_A "\"},{\"Id\":\"short\"},{},"
	    "{\"Id\":\"" ID_B "\"}]";
	struct rt_error	 err;
	char		**ids;
	size_t		 n;

	(void)state;
	assert_int_equal(engine_parse_list_ids(j, strlen(j), &ids, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], ID_A);
	assert_string_equal(ids[1], ID_B);
	free(ids[0]);
	free(ids[1]);
	free(ids);
	assert_int_equal(engine_parse_list_ids("{}", 2, &ids, &n, &err),
	    -EPROTO);
}

static void
test_parse_events_recorded(void **state)
{
	struct engine_event	 ev;
	struct rt_error		 err;
	char			*text, *line, *save = NULL;
	size_t			 len;
	int			 starts = 0, stops = 0, other = 0;

	(void)state;
	text = slurp("podman-events.jsonl", &len);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		switch (engine_parse_event(line, strlen(line), &ev, &err)) {
		case 0:
			if (ev.kind == ENGINE_EVENT_START)
				starts++;
			else
				stops++;
			assert_int_equal(strlen(ev.id), CONTAINER_ID_LEN);
			break;
		case -ENOENT:
			other++;
			break;
		default:
			fail_msg("unexpected parse error: %s", err.msg);
		}
	}
	free(text);
	assert_int_equal(starts, 1);
	assert_int_equal(stops, 1);
	assert_int_equal(other, 6);
	assert_int_equal(engine_parse_event("{\"status\":", 10, &ev, &err),
	    -EPROTO);
}

/* What the line splitter handed over, joined with '|'. */
struct lines_seen {
	char	text[512];
	int	n;
};

static void
lines_collect(const char *line, size_t len, void *arg)
{
	struct lines_seen	*s = arg;

	assert_int_equal(strlen(line), len);
	if (s->n++ > 0)
		strcat(s->text, "|");
	strcat(s->text, line);
}

static size_t
feed(struct engine_lines *l, const char *chunk, struct lines_seen *s)
{
	return engine_lines_feed(l, chunk, strlen(chunk), lines_collect, s);
}

static void
test_event_lines_split_across_chunks(void **state)
{
	struct engine_lines	*l = engine_lines_new(64);
	struct lines_seen	 s = { "", 0 };

	(void)state;
	assert_int_equal(feed(l, "{\"a\"", &s), 0);
	assert_int_equal(s.n, 0);
	feed(l, ":1}\n{\"b", &s);
	assert_string_equal(s.text, "{\"a\":1}");
	feed(l, "\":2}\n\n\n{\"c\":3}\n", &s);
	assert_string_equal(s.text, "{\"a\":1}|{\"b\":2}|{\"c\":3}");
	/* A partial line is forgotten on a new connection. */
	feed(l, "{\"cut", &s);
	engine_lines_reset(l);
	feed(l, "d\n", &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text, "{\"a\":1}|{\"b\":2}|{\"c\":3}|d");
	engine_lines_free(l);
}

static void
test_event_lines_crlf(void **state)
{
	struct engine_lines	*l = engine_lines_new(64);
	struct lines_seen	 s = { "", 0 };

	(void)state;
	/* CR LF split between chunks, a lone CR line, a CR inside a line. */
	feed(l, "one\r", &s);
	feed(l, "\ntwo\r\n\r\nth\rree\n", &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text, "one|two|th\rree");
	engine_lines_free(l);
}

static void
test_event_lines_overlong_dropped(void **state)
{
	struct engine_lines	*l = engine_lines_new(8);
	struct lines_seen	 s = { "", 0 };
	size_t			 dropped;

	(void)state;
	/* Exactly max bytes is a line; one more is dropped whole. */
	assert_int_equal(feed(l, "12345678\n", &s), 0);
	assert_int_equal(feed(l, "123456789\nok\n", &s), 1);
	assert_string_equal(s.text, "12345678|ok");
	/* Over-long across chunks: the tail of it never becomes a line. */
	dropped = feed(l, "abcdef", &s);
	dropped += feed(l, "ghijkl", &s);
	dropped += feed(l, "mn\nafter\n", &s);
	assert_int_equal(dropped, 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text, "12345678|ok|after");
	engine_lines_free(l);
}

/* The events a recorded stream yields, whatever its chunking. */
static void
lines_parse(const char *line, size_t len, void *arg)
{
	struct engine_event	 ev;
	struct rt_error		 err;
	int			*found = arg;

	if (engine_parse_event(line, len, &ev, &err) == 0)
		found[ev.kind]++;
}

static void
test_event_lines_recorded_stream(void **state)
{
	struct engine_lines	*l;
	char			*text;
	size_t			 len, off, step;
	int			 found[3];

	(void)state;
	text = slurp("podman-events.jsonl", &len);
	for (step = 1; step < 300; step += 37) {
		memset(found, 0, sizeof(found));
		l = engine_lines_new(ENGINE_LINE_MAX);
		for (off = 0; off < len; off += step)
			engine_lines_feed(l, text + off, off + step > len ?
			    len - off : step, lines_parse, found);
		assert_int_equal(found[ENGINE_EVENT_START], 1);
		assert_int_equal(found[ENGINE_EVENT_STOP], 1);
		engine_lines_free(l);
	}
	free(text);
}

static void
test_retry_delay_doubles_to_8s(void **state)
{
	(void)state;
	assert_int_equal(engine_retry_delay_ms(0), 250);
	assert_int_equal(engine_retry_delay_ms(1), 500);
	assert_int_equal(engine_retry_delay_ms(2), 1000);
	assert_int_equal(engine_retry_delay_ms(3), 2000);
	assert_int_equal(engine_retry_delay_ms(4), 4000);
	assert_int_equal(engine_retry_delay_ms(5), 8000);
	assert_int_equal(engine_retry_delay_ms(6), 8000);
	assert_int_equal(engine_retry_delay_ms(1000), 8000);
	assert_int_equal(engine_retry_delay_ms(~0u), 8000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_engines),
		cmocka_unit_test(test_cgroup_not_container),
		cmocka_unit_test(test_cgroup_malformed),
		cmocka_unit_test(test_parse_inspect_recorded),
		cmocka_unit_test(test_parse_inspect_stopped),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_events_recorded),
		cmocka_unit_test(test_event_lines_split_across_chunks),
		cmocka_unit_test(test_event_lines_crlf),
		cmocka_unit_test(test_event_lines_overlong_dropped),
		cmocka_unit_test(test_event_lines_recorded_stream),
		cmocka_unit_test(test_retry_delay_doubles_to_8s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
