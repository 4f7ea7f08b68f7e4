/*
 * store-private.h: what store.c, schema.c and writer.c share, and nothing
 * else sees.
 */
#ifndef RTGUARD_STORE_PRIVATE_H
#define RTGUARD_STORE_PRIVATE_H

#include <stddef.h>

/* "rtgr": marks a SQLite file as rtguard's (PRAGMA application_id). */
#define STORE_APPLICATION_ID	0x72746772

extern const char *const store_migrations[];
extern const size_t store_n_migrations;

#endif
