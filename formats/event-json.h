/*
 * event-json.h: a decision event (struct rt_event) as one line of JSON,
 * the one serializer behind the enforcer's alert lines and the "events"
 * of `report --json`, so both say the same thing with the same keys.
 *
 * Owns the keys:
 *   "time"       RFC 3339, the last occurrence
 *   "first", "last"  RFC 3339, only when count > 1 ("last" is "time")
 *   "pid", "ppid", "count"  integers; count >= 1 decisions in the record
 *   "image", "container", "exe", "comm", "path", "reason", "route",
 *   "mode"       strings, "" when not known
 *   "type"       "exec" | "write"
 *   "decision"   "denied" | "alerted"
 * Every string goes through rt_escape(), so any bytes (a file name with
 * a newline, invalid UTF-8) make valid JSON and rt_unescape() gives them
 * back exactly. Key order is not part of the format.
 *
 * jansson writes every byte. A serializer keeps its jansson objects, and
 * keeps each field's encoding by value (the image, container, path and
 * reason of a storm repeat), so a report streams a million events in
 * about a second; see the comment in event-json.c.
 */
#ifndef RTGUARD_EVENT_JSON_H
#define RTGUARD_EVENT_JSON_H

#include <stddef.h>

#include "common/error.h"
#include "store/store.h"

struct event_json;

struct event_json *event_json_new(void);
void	event_json_free(struct event_json *ej);

/*
 * ev as one compact JSON object, without a newline, in ej's buffer:
 * *out (len bytes, NUL-terminated) stays valid until the next call on ej.
 */
int	event_json_format(struct event_json *ej, const struct rt_event *ev,
	    const char **out, size_t *len, struct rt_error *err);

#endif
