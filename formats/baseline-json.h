/*
 * baseline-json.h: a learned baseline as JSON, the one serializer of
 * struct baseline. The portable baseline file (policy export, see
 * portable.h) and each image of `report --json` are this object plus a
 * few keys of their own, so a baseline reads the same everywhere.
 *
 * Owns the shape (version 1 of the portable format):
 *   "image": REF, "image_id": ID | null,
 *   "executables": [{"path": P, "sha256": HEX | null, "count": N,
 *                    "from_image": B, "first_seen_ms": N,
 *                    "last_seen_ms": N}],
 *   "syscalls": ["read", ...],
 *   "writes": [{"path": P, "count": N, "first_seen_ms": N,
 *               "last_seen_ms": N}]
 * Strings go through rt_escape() (common/json.h), so any path bytes make
 * valid JSON and rt_unescape() gives them back exactly. Times are
 * milliseconds since the epoch, as stored.
 */
#ifndef RTGUARD_BASELINE_JSON_H
#define RTGUARD_BASELINE_JSON_H

#include <jansson.h>

#include "store/store.h"

/* Add b's members (above) to obj; image_id may be NULL (unknown). */
void	baseline_json_add(json_t *obj, const struct baseline *b,
	    const char *image_id);

#endif
