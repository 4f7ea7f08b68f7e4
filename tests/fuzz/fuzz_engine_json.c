/*
 * fuzz_engine_json.c: libFuzzer target for the Engine API answers parsed
 * in container/engine.c: container inspect, the container list and one
 * line of the /events stream. Each parser gets the same bytes; then the
 * bytes are fed as a stream, cut in two, through the line splitter (with
 * a small bound, so over-long lines happen), each line parsed as an event.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

#define FUZZ_LINE_MAX	256

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *id)
{
	if (strlen(id) != CONTAINER_ID_LEN ||
	    strspn(id, "0123456789abcdef") != CONTAINER_ID_LEN)
		abort();
}

static void
check_event(const struct engine_event *ev, int rc)
{
	if (rc == 0) {
		check_id(ev->id);
		if (ev->kind != ENGINE_EVENT_START &&
		    ev->kind != ENGINE_EVENT_STOP)
			abort();
	} else if (rc != -ENOENT && rc != -EPROTO)
		abort();
}

static void
stream_line(const char *line, size_t len, void *arg)
{
	struct engine_event	 ev;
	struct rt_error		 err;

	(void)arg;
	/* One CR before the LF is dropped; "a\r\r\n" keeps the other. */
	if (len == 0 || len > FUZZ_LINE_MAX || strlen(line) > len ||
	    memchr(line, '\n', len) != NULL)
		abort();
	check_event(&ev, engine_parse_event(line, len, &ev, &err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*json = (const char *)data;
	struct rt_error		 err;
	struct container	*c;
	struct engine_event	 ev;
	struct engine_lines	*lines;
	char			**ids;
	size_t			 n, i, cut;
	int			 rc;

	if (engine_parse_inspect(json, size, &c, &err) == 0) {
		check_id(c->id);
		if (c->image_ref == NULL || c->init_pid < 0)
			abort();
		container_free(c);
	} else if (c != NULL)
		abort();

	if (engine_parse_list_ids(json, size, &ids, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			check_id(ids[i]);
			free(ids[i]);
		}
		if (ids[n] != NULL)
			abort();
		free(ids);
	}

	rc = engine_parse_event(json, size, &ev, &err);
	check_event(&ev, rc);

	lines = engine_lines_new(FUZZ_LINE_MAX);
	cut = size > 0 ? data[0] % (size + 1) : 0;
	engine_lines_feed(lines, json, cut, stream_line, NULL);
	engine_lines_feed(lines, json + cut, size - cut, stream_line, NULL);
	engine_lines_free(lines);
	return 0;
}
