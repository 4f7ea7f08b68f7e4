/*
 * error.h: the error value every fallible rtguard function fills.
 *
 * Modelled on crun's libcrun_error_t: a function returns 0 on success or a
 * negative errno, and writes one precise sentence into a struct rt_error.
 * Only main() decides whether to print it and how to exit.
 */
#ifndef RTGUARD_ERROR_H
#define RTGUARD_ERROR_H

#include <stddef.h>

struct rt_error {
	int	code;		/* positive errno, or 0 when unset */
	char	msg[1024];
};

/* Set err from fmt and return -code (code is a positive errno). */
int	rt_error_set(struct rt_error *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(code)". */
int	rt_error_sys(struct rt_error *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message with context ("loading x: <old message>"). */
int	rt_error_wrap(struct rt_error *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	rt_error_clear(struct rt_error *err);

#endif
