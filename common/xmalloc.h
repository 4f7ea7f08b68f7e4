/*
 * xmalloc.h: allocation that never returns NULL.
 *
 * As in tmux and OpenBSD, running out of memory is not a condition rtguard
 * can recover from meaningfully, so these abort with a message instead.
 */
#ifndef RTGUARD_XMALLOC_H
#define RTGUARD_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
