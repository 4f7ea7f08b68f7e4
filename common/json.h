/*
 * json.h: the two JSON values every rtguard output shares (jansson).
 *
 * Paths, names and command lines go out escaped with rt_escape(), so any
 * bytes make valid JSON and the escape reverses exactly; times go out as
 * RFC 3339 strings.
 */
#ifndef RTGUARD_JSON_H
#define RTGUARD_JSON_H

#include <jansson.h>
#include <stdint.h>

/* An escaped string, or JSON null for NULL. */
json_t	*rt_json_escaped(const char *s);
/* An RFC 3339 time, or JSON null when ms <= 0 (unknown). */
json_t	*rt_json_time(int64_t ms);

#endif
