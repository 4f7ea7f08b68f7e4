/*
 * json.c: escaped strings and times as JSON values (see json.h).
 */
#include <stdlib.h>

#include "common/escape.h"
#include "common/json.h"
#include "common/timefmt.h"

json_t *
rt_json_escaped(const char *s)
{
	char	*e;
	json_t	*j;

	if (s == NULL)
		return json_null();
	e = rt_escape_str(s);
	j = json_string(e);	/* rt_escape's output is always valid UTF-8 */
	free(e);
	return j != NULL ? j : json_null();
}

json_t *
rt_json_time(int64_t ms)
{
	char	buf[40];

	if (ms <= 0)
		return json_null();
	time_rfc3339(ms, buf, sizeof(buf));
	return json_string(buf);
}
