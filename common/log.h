/*
 * log.h: diagnostics to stderr with one global verbosity (tmux style).
 *
 * Everything goes to stderr prefixed with "rtguard:". log_warn(x) says
 * something is wrong ("warning: ..."); log_notice is a status line a user
 * always sees (learning started, N containers protected), never worded as
 * a warning; log_info is detail shown with -v, log_debug with -vv.
 * fatal() and fatalx() print, run the hook a daemon registered (undo
 * mounts, remove audit rules: what must not outlive rtguard) and exit(1),
 * for conditions no caller can handle (fatal appends strerror(errno)).
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
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called once by fatal()/fatalx() before exiting. */
void	log_set_fatal_hook(void (*hook)(void *), void *arg);
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
