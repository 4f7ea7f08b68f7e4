/*
 * fuzz_escape.c: libFuzzer target for common/escape.c. For arbitrary
 * bytes x, rt_escape(x) is printable UTF-8 on one line and
 * rt_unescape(rt_escape(x)) == x; rt_unescape of arbitrary text either
 * refuses it or gives bytes that escape and unescape back to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const char *x, size_t len)
{
	char	*e, *back;
	size_t	 blen;

	e = rt_escape(x, len);
	if (!rt_utf8_valid(e, strlen(e)) || strchr(e, '\n') != NULL ||
	    strchr(e, '\t') != NULL)
		abort();
	back = rt_unescape(e, &blen);
	if (back == NULL || blen != len || memcmp(back, x, len) != 0)
		abort();
	free(back);
	free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text, *u;
	size_t	 ulen;

	round_trip((const char *)data, size);

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((u = rt_unescape(text, &ulen)) != NULL) {
		round_trip(u, ulen);
		free(u);
	}
	free(text);
	return 0;
}
