/*
 * hash.h: one string hash for rtguard's in-memory tables (FNV-1a, 64
 * bits): not cryptographic; a table keyed by hostile strings bounds its
 * probing instead.
 */
#ifndef RTGUARD_HASH_H
#define RTGUARD_HASH_H

#include <stdint.h>

static inline uint64_t
rt_hash_str(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

#endif
