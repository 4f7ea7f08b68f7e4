/*
 * log.c: stderr logging with a single verbosity level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static enum log_level	 log_level = LOG_LEVEL_QUIET;
static const char	*log_name = "rtguard";
static void		(*fatal_hook)(void *);
static void		*fatal_hook_arg;

void
log_set_fatal_hook(void (*hook)(void *), void *arg)
{
	fatal_hook = hook;
	fatal_hook_arg = arg;
}

/* Run the hook once: a fatal error inside it must not recurse. */
static void
run_fatal_hook(void)
{
	void	(*hook)(void *) = fatal_hook;

	fatal_hook = NULL;
	if (hook != NULL)
		hook(fatal_hook_arg);
}

void
log_init(enum log_level level, const char *progname)
{
	log_level = level;
	if (progname != NULL)
		log_name = progname;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void
log_vwrite(const char *kind, int errnum, const char *fmt, va_list ap)
{
	char	buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnum != 0)
		fprintf(stderr, "%s: %s%s: %s\n", log_name, kind, buf,
		    strerror(errnum));
	else
		fprintf(stderr, "%s: %s%s\n", log_name, kind, buf);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning: ", 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("warning: ", saved, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("", 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite("", 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite("debug: ", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("fatal: ", saved, fmt, ap);
	va_end(ap);
	run_fatal_hook();
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal: ", 0, fmt, ap);
	va_end(ap);
	run_fatal_hook();
	exit(1);
}
