/*
 * cleanup.h: scope-bound release of buffers and descriptors (as in crun),
 * so that early returns on error paths cannot leak.
 */
#ifndef RTGUARD_CLEANUP_H
#define RTGUARD_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void
cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define cleanup_free	__attribute__((cleanup(cleanup_freep)))
#define cleanup_close	__attribute__((cleanup(cleanup_closep)))

#endif
