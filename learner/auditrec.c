/*
 * auditrec.c: parse the text of kernel audit records (see auditrec.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/xmalloc.h"
#include "learner/auditrec.h"

int
auditrec_serial(const char *msg, size_t len, uint64_t *serial)
{
	const char	*p, *end = msg + len;
	uint64_t	 v = 0;
	int		 digits = 0;

	if (len < 8 || memcmp(msg, "audit(", 6) != 0)
		return -EINVAL;
	p = memchr(msg, ':', len);
	if (p == NULL)
		return -EINVAL;
	for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || p >= end || *p != ')')
		return -EINVAL;
	*serial = v;
	return 0;
}

const char *
auditrec_field(const char *msg, size_t len, const char *key, size_t *vlen)
{
	const char	*p = msg, *end = msg + len, *v, *e;
	size_t		 klen = strlen(key);

	while (p < end) {
		/* Fields start after a blank (or the "): " header). */
		p = memchr(p, ' ', end - p);
		if (p == NULL)
			return NULL;
		p++;
		if ((size_t)(end - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			v = p + klen + 1;
			e = memchr(v, ' ', end - v);
			if (e == NULL)
				e = end;
			/* Trailing newline or NUL padding is not part of it. */
			while (e > v && (e[-1] == '\n' || e[-1] == '\0'))
				e--;
			*vlen = e - v;
			return v;
		}
	}
	return NULL;
}

int
auditrec_number(const char *msg, size_t len, const char *key, int base,
    uint64_t *out)
{
	const char	*v;
	size_t		 n, i;
	uint64_t	 x = 0;
	int		 d;

	if ((v = auditrec_field(msg, len, key, &n)) == NULL || n == 0 ||
	    n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			d = v[i] - '0';
		else if (base == 16 && v[i] >= 'a' && v[i] <= 'f')
			d = v[i] - 'a' + 10;
		else if (base == 16 && v[i] >= 'A' && v[i] <= 'F')
			d = v[i] - 'A' + 10;
		else
			return -EINVAL;
		if (x > (UINT64_MAX - d) / base)
			return -EINVAL;
		x = x * base + d;
	}
	*out = x;
	return 0;
}

char *
auditrec_string(const char *msg, size_t len, const char *key, size_t *outlen)
{
	const char	*v;
	char		*out;
	size_t		 n, i;
	int		 hi, lo;

	if ((v = auditrec_field(msg, len, key, &n)) == NULL || n == 0)
		return NULL;
	if (v[0] == '"') {
		/* A raw NUL inside would make *outlen longer than the
		 * string xstrndup keeps. */
		if (n < 2 || v[n - 1] != '"' || memchr(v + 1, '"', n - 2) ||
		    memchr(v + 1, '\0', n - 2))
			return NULL;
		*outlen = n - 2;
		return xstrndup(v + 1, n - 2);
	}
	if (n % 2 != 0 || (n == 6 && memcmp(v, "(null)", 6) == 0))
		return NULL;
	out = xmalloc(n / 2 + 1);
	for (i = 0; i < n; i += 2) {
		hi = rt_hexval(v[i]);
		lo = rt_hexval(v[i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	*outlen = n / 2;
	return out;
}
