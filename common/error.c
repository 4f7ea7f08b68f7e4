/*
 * error.c: formatting of struct rt_error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

static int
error_vset(struct rt_error *err, int code, int with_errno, const char *fmt,
    va_list ap)
{
	size_t	len;

	if (code <= 0)
		code = EINVAL;
	if (err == NULL)
		return -code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (with_errno) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		    strerror(code));
	}
	return -code;
}

int
rt_error_set(struct rt_error *err, int code, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = error_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int
rt_error_sys(struct rt_error *err, int code, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = error_vset(err, code, 1, fmt, ap);
	va_end(ap);
	return rc;
}

int
rt_error_wrap(struct rt_error *err, const char *fmt, ...)
{
	char	prefix[512], old[sizeof(err->msg)];
	va_list	ap;
	size_t	len;

	if (err == NULL)
		return -EINVAL;
	if (err->code <= 0)
		err->code = EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Built piecewise: the result is cut at sizeof(msg), by design. */
	len = strlen(prefix);
	if (len > sizeof(err->msg) - 3)
		len = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, len);
	memcpy(err->msg + len, ": ", 2);
	len += 2;
	snprintf(err->msg + len, sizeof(err->msg) - len, "%.*s",
	    (int)(sizeof(err->msg) - len - 1), old);
	return -err->code;
}

void
rt_error_clear(struct rt_error *err)
{
	if (err != NULL) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
