/*
 * schema.c: rtguard's database schema as numbered forward migrations.
 *
 * migrations[i] takes a database from user_version i to i + 1. A released
 * migration is never edited: a change is a new entry at the end.
 */
#include <stddef.h>

#include "store/store-private.h"
#include "store/store.h"

const char *const store_migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  image_id TEXT,"
	"  learn_first_ms INTEGER NOT NULL DEFAULT 0,"
	"  learn_last_ms INTEGER NOT NULL DEFAULT 0,"
	"  audit_lost INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY,"
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER NOT NULL"
	");"
	"CREATE INDEX containers_image ON containers(image);"
	"CREATE TABLE executables ("
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  from_image INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (image, path, sha256)"
	") WITHOUT ROWID;"
	"CREATE TABLE syscalls ("
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (image, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE writes ("
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (image, path)"
	") WITHOUT ROWID;"
	/* Events keep the image reference as text: they outlive baselines. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time_ms INTEGER NOT NULL,"
	"  image_ref TEXT NOT NULL,"
	"  container_id TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  ppid INTEGER NOT NULL,"
	"  exe TEXT NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  path TEXT NOT NULL,"
	"  action INTEGER NOT NULL,"
	"  reason TEXT NOT NULL"
	");"
	"CREATE INDEX events_time ON events(time_ms);"
	"CREATE INDEX events_image_time ON events(image_ref, time_ms);"
	/* Covers the report's grouping and per-image counts. */
	"CREATE INDEX events_group ON events(image_ref, kind, action, path,"
	"  reason, time_ms);"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");",

	/*
	 * 1 -> 2: aggregated decision records. One row stands for count
	 * identical decisions from first_ms to time_ms (the last); comm,
	 * route and mode say who and how. Existing rows are single
	 * decisions: count 1, and first_ms 0, read as "the same as time_ms"
	 * (so no row is rewritten). events_group is rebuilt with count and
	 * first_ms so that the grouped report still reads the index only.
	 */
	"ALTER TABLE events ADD COLUMN comm TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN route TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN mode TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE events ADD COLUMN first_ms INTEGER NOT NULL DEFAULT 0;"
	"DROP INDEX events_group;"
	"CREATE INDEX events_group ON events(image_ref, kind, action, path,"
	"  reason, time_ms, count, first_ms);",

	/*
	 * 2 -> 3 (learner): syscalls as (arch, number), as the kernel and
	 * libseccomp number them, instead of libaudit's names. The names
	 * stored so far were learned on the native arch; store.c registers
	 * rtguard_syscall_nr() and rtguard_native_arch() (libseccomp, with
	 * libaudit's few other spellings) before migrating, so they convert
	 * without loss; a name neither knows stays in syscalls_unresolved.
	 * Containers say whether they were watched from their start, images
	 * what was lost besides kernel records and their quiet period: the
	 * readiness of a baseline (store_image_readiness).
	 */
	"CREATE TABLE syscalls_nr ("
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  arch INTEGER NOT NULL,"
	"  nr INTEGER NOT NULL,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (image, arch, nr)"
	") WITHOUT ROWID;"
	"INSERT INTO syscalls_nr(image, arch, nr, first_seen_ms)"
	"  SELECT image, rtguard_native_arch(), rtguard_syscall_nr(name),"
	"  min(first_seen_ms) FROM syscalls"
	"  WHERE rtguard_syscall_nr(name) IS NOT NULL"
	"  GROUP BY image, rtguard_syscall_nr(name);"
	"DELETE FROM syscalls WHERE rtguard_syscall_nr(name) IS NOT NULL;"
	"ALTER TABLE syscalls RENAME TO syscalls_unresolved;"
	"ALTER TABLE syscalls_nr RENAME TO syscalls;"
	"ALTER TABLE containers ADD COLUMN from_start INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE images ADD COLUMN events_lost INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE images ADD COLUMN quiet_ms INTEGER NOT NULL DEFAULT 0;"
	/* An executable run through a symlink: the name it was run as. */
	"CREATE TABLE exec_names ("
	"  image INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (image, name, target)"
	") WITHOUT ROWID;",
};

const size_t store_n_migrations =
    sizeof(store_migrations) / sizeof(store_migrations[0]);

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) ==
    STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION is the number of migrations");
