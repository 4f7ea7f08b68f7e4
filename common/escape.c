/*
 * escape.c: reversible escaping of arbitrary bytes into printable UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/xmalloc.h"

/* Length of the valid UTF-8 sequence at s, or 0 if invalid (RFC 3629). */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	uint32_t	cp;
	size_t		n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	/* C1 controls (U+0080..U+009F) are terminal escapes too. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

int
rt_utf8_valid(const char *s, size_t len)
{
	size_t	i = 0, n;

	while (i < len) {
		n = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
rt_escape(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*out, *o;
	size_t			 i = 0, n;

	/* Worst case every byte becomes \xNN. */
	out = o = xmalloc(len * 4 + 1);
	while (i < len) {
		if (u[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
			continue;
		}
		if (u[i] == '\n' || u[i] == '\t') {
			*o++ = '\\';
			*o++ = u[i] == '\n' ? 'n' : 't';
			i++;
			continue;
		}
		n = (u[i] < 0x20 || u[i] == 0x7f) ? 0 :
		    utf8_seq_len(u + i, len - i);
		if (n == 0) {
			o += sprintf(o, "\\x%02x", u[i]);
			i++;
			continue;
		}
		memcpy(o, u + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}

char *
rt_escape_str(const char *s)
{
	return rt_escape(s, strlen(s));
}

int
rt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
rt_unescape(const char *s, size_t *len)
{
	size_t	 slen = strlen(s), i, n = 0;
	char	*out = xmalloc(slen + 1);
	int	 hi, lo;

	for (i = 0; i < slen; i++) {
		if (s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		if (++i >= slen)
			goto bad;
		switch (s[i]) {
		case '\\':
			out[n++] = '\\';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'x':
			/* s is NUL-terminated, so s[i + 2] is read only
			 * when s[i + 1] was a hex digit, not the NUL. */
			if ((hi = rt_hexval(s[i + 1])) < 0 ||
			    (lo = rt_hexval(s[i + 2])) < 0)
				goto bad;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			goto bad;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
bad:
	free(out);
	return NULL;
}
