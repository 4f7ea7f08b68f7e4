/*
 * timefmt.h: wall-clock time as rtguard stores and prints it.
 *
 * Times are int64 milliseconds since the epoch in the store; RFC 3339 (UTC)
 * in JSON; "--since" durations are "30s", "15m", "2h", "7d".
 */
#ifndef RTGUARD_TIMEFMT_H
#define RTGUARD_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

int64_t	time_now_ms(void);
/* Monotonic milliseconds, for timeouts and rates. */
int64_t	time_mono_ms(void);
/* "2026-11-24T19:53:01.123Z" into buf (at least 32 bytes). */
void	time_rfc3339(int64_t ms, char *buf, size_t len);
/* Parse "90", "30s", "15m", "2h", "7d" into seconds. */
int	duration_parse(const char *s, int64_t *seconds, struct rt_error *err);

#endif
