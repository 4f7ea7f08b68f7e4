/*
 * sha256.h: SHA-256 of an open file, read through its descriptor.
 *
 * Executables are hashed from the fanotify event's fd with pread(), never
 * by reopening a path the container controls (it could be swapped between
 * the event and the open).
 */
#ifndef RTGUARD_SHA256_H
#define RTGUARD_SHA256_H

#include "common/error.h"

#define SHA256_HEX_LEN	64

/* Hash the whole file behind fd into hex (65 bytes incl. NUL). */
int	sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], struct rt_error *err);
/* Hash a memory buffer (tests, policy exports). */
void	sha256_buf(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1]);

#endif
