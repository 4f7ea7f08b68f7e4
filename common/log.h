/*
 * log.h: diagnostics to stderr with one global verbosity (tmux style).
 *
 * log_warn/log_info/log_debug go to stderr prefixed with "rtguard:";
 * fatal() and fatalx() print and exit(1) for conditions no caller can
 * handle (fatal appends strerror(errno)).
 */
#ifndef RTGUARD_LOG_H
#define RTGUARD_LOG_H

enum log_level {
	LOG_LEVEL_QUIET = 0,	/* warnings only */
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(enum log_level level, const char *progname);
enum log_level log_get_level(void);
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
