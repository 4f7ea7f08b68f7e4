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
 *   "arch": "x86_64", "syscalls": ["read", ...],
 *   "syscalls_by_arch": {"x86": ["read", ...]},       (only when there are)
 *   "writes": [{"path": P, "count": N, "first_seen_ms": N,
 *               "last_seen_ms": N}],
 *   "run_as": [{"name": P, "target": P, "count": N, "first_seen_ms": N}]
 * Syscalls are stored as (arch, number) and named here by libseccomp
 * (common/syscallname.h): those of the native arch in "syscalls", any
 * other arch's (a 32-bit program in the container) by arch name. "run_as"
 * lists the names (symlinks) executables were run as.
 *
 * The readiness object, shared by the file and `report --json`:
 *   {"ready": B, "reasons": [S], "containers_from_start": N,
 *    "containers_attached_late": N, "audit_lost": N, "events_lost": N,
 *    "last_new_fact": RFC3339 | null, "quiet_period_s": N}
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
/* The readiness object (above), new. */
json_t	*baseline_json_readiness(const struct image_readiness *r);

#endif
