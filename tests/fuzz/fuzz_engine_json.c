/*
 * fuzz_engine_json.c: libFuzzer target for the Engine API answers parsed
 * in container/engine.c: container inspect, the container list and one
 * line of the /events stream. Each parser gets the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *id)
{
	if (strlen(id) != CONTAINER_ID_LEN ||
	    strspn(id, "0123456789abcdef") != CONTAINER_ID_LEN)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*json = (const char *)data;
	struct rt_error		 err;
	struct container	*c;
	struct engine_event	 ev;
	char			**ids;
	size_t			 n, i;
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
	if (rc == 0) {
		check_id(ev.id);
		if (ev.kind != ENGINE_EVENT_START &&
		    ev.kind != ENGINE_EVENT_STOP)
			abort();
	} else if (rc != -ENOENT && rc != -EPROTO)
		abort();
	return 0;
}
