/*
 * sha256.h: SHA-256 of an open file, read through its descriptor.
 *
 * Executables are hashed from the fanotify event's fd with pread(), never
 * by reopening a path the container controls (it could be swapped between
 * the event and the open).
 */
#ifndef RTGUARD_SHA256_H
#define RTGUARD_SHA256_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"

#define SHA256_HEX_LEN	64

/* Hash the whole file behind fd into hex (65 bytes incl. NUL). */
int	sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], struct rt_error *err);
/*
 * A hash cache by (device, inode, size, change time): a file hashed once is
 * not read again until it changes (its ctime moves on any write or
 * chmod). Used where every exec is hashed: learner and enforcer.
 */
#define SHA256_CACHE_SLOTS	4096

struct sha256_slot {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 ctime;
	char		 hex[SHA256_HEX_LEN + 1];
	bool		 used;
};

struct sha256_cache {
	struct sha256_slot	slots[SHA256_CACHE_SLOTS];
};

/* sha256_fd() through the cache; hex receives a copy. */
int	sha256_fd_cached(struct sha256_cache *c, int fd,
	    char hex[SHA256_HEX_LEN + 1], struct rt_error *err);
/* Hash a memory buffer (tests, policy exports). */
void	sha256_buf(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1]);

#endif
