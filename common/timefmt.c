/*
 * timefmt.c: clocks, RFC 3339 formatting and duration parsing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/timefmt.h"

int64_t
time_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
time_rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t		secs = (time_t)(ms / 1000);
	struct tm	tm;
	char		base[24];

	/* A time no calendar holds (a corrupt record): its number instead. */
	if (ms < 0 || gmtime_r(&secs, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "%lld", (long long)ms);
		return;
	}
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

int
duration_parse(const char *s, int64_t *seconds, struct rt_error *err)
{
	char		*end;
	long long	 v;
	int64_t		 mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return rt_error_set(err, EINVAL,
		    "bad duration '%s': expected a number with an optional "
		    "unit s, m, h or d (e.g. 90, 30s, 15m, 2h, 7d)", s);
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return rt_error_set(err, EINVAL,
		    "bad duration '%s': unknown unit '%c' (use s, m, h or d)",
		    s, *end);
	}
	if (*end != '\0' && end[1] != '\0')
		return rt_error_set(err, EINVAL,
		    "bad duration '%s': trailing characters after the unit", s);
	if (v > INT64_MAX / mult)
		return rt_error_set(err, ERANGE, "duration '%s' is too large", s);
	*seconds = v * mult;
	return 0;
}
