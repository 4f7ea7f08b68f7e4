/*
 * store.c: opening, migrating and querying rtguard's SQLite database.
 *
 * Every statement lives in the table below, is prepared on first use with
 * named parameters, and is reset after each use. Nothing here builds SQL
 * from data.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/imageref.h"
#include "common/log.h"
#include "common/syscallname.h"
#include "common/xmalloc.h"
#include "store/store-private.h"
#include "store/store.h"

enum stmt_id {
	ST_IMAGE_ADD,
	ST_IMAGE_FIND,
	ST_IMAGE_LIST,
	ST_IMAGE_EVENT_COUNTS,
	ST_IMAGE_LEARNED,
	ST_IMAGE_QUIET,
	ST_IMAGE_READINESS,
	ST_RESET_EXECS,
	ST_RESET_SYSCALLS,
	ST_RESET_WRITES,
	ST_RESET_WINDOW,
	ST_RESET_CONTAINERS,
	ST_CONTAINER_SEEN,
	ST_EXEC_RECORD,
	ST_SYSCALL_RECORD,
	ST_WRITE_RECORD,
	ST_EXEC_NAME_RECORD,
	ST_LOAD_EXEC_NAMES,
	ST_RESET_EXEC_NAMES,
	ST_LOAD_EXECS,
	ST_LOAD_SYSCALLS,
	ST_LOAD_WRITES,
	ST_IMAGE_REF,
	ST_EVENT_ADD,
	ST_EVENTS,
	ST_EVENTS_IMAGE,
	ST_EVENT_GROUPS,
	ST_EVENT_GROUPS_IMAGE,
	ST_META_SET,
	ST_META_GET,
	ST_META_PREFIX,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_IMAGE_ADD] =
	    "INSERT INTO images(ref, image_id) VALUES (:ref, :image_id) "
	    "ON CONFLICT(ref) DO UPDATE SET "
	    "image_id = coalesce(excluded.image_id, image_id) "
	    "RETURNING id",
	[ST_IMAGE_FIND] = "SELECT id FROM images WHERE ref = :ref",
	[ST_IMAGE_LIST] =
	    "SELECT id, ref, image_id, learn_first_ms, learn_last_ms, audit_lost,"
	    " (SELECT count(*) FROM containers c WHERE c.image = i.id),"
	    " (SELECT count(*) FROM executables e WHERE e.image = i.id),"
	    " (SELECT count(*) FROM syscalls s WHERE s.image = i.id),"
	    " (SELECT count(*) FROM writes w WHERE w.image = i.id),"
	    " events_lost, quiet_ms "
	    "FROM images i ORDER BY ref",
	[ST_IMAGE_EVENT_COUNTS] =
	    /* Grouped in the order of index events_group: no sort. */
	    "SELECT action, sum(count) FROM events WHERE image_ref = :ref "
	    "GROUP BY kind, action",
	[ST_IMAGE_LEARNED] =
	    "UPDATE images SET "
	    "learn_first_ms = CASE WHEN learn_first_ms = 0 OR "
	    "  learn_first_ms > :start THEN :start ELSE learn_first_ms END, "
	    "learn_last_ms = max(learn_last_ms, :end), "
	    "audit_lost = audit_lost + :lost, "
	    "events_lost = events_lost + :events_lost WHERE id = :id",
	[ST_IMAGE_QUIET] = "UPDATE images SET quiet_ms = :quiet WHERE id = :id",
	[ST_IMAGE_READINESS] =
	    "SELECT learn_first_ms, learn_last_ms, audit_lost, events_lost,"
	    " quiet_ms,"
	    " (SELECT count(*) FROM containers c WHERE c.image = i.id AND"
	    "  c.from_start != 0),"
	    " (SELECT count(*) FROM containers c WHERE c.image = i.id AND"
	    "  c.from_start = 0),"
	    " max(coalesce((SELECT max(first_seen_ms) FROM executables e"
	    "  WHERE e.image = i.id), 0),"
	    "  coalesce((SELECT max(first_seen_ms) FROM syscalls s"
	    "  WHERE s.image = i.id), 0),"
	    "  coalesce((SELECT max(first_seen_ms) FROM writes w"
	    "  WHERE w.image = i.id), 0)) "
	    "FROM images i WHERE id = :id",
	[ST_RESET_EXECS] = "DELETE FROM executables WHERE image = :id",
	[ST_RESET_SYSCALLS] = "DELETE FROM syscalls WHERE image = :id",
	[ST_RESET_WRITES] = "DELETE FROM writes WHERE image = :id",
	[ST_RESET_WINDOW] =
	    "UPDATE images SET learn_first_ms = 0, learn_last_ms = 0, "
	    "audit_lost = 0, events_lost = 0 WHERE id = :id",
	[ST_RESET_CONTAINERS] = "DELETE FROM containers WHERE image = :id",
	[ST_CONTAINER_SEEN] =
	    "INSERT INTO containers(id, image, first_seen_ms, last_seen_ms,"
	    " from_start) VALUES (:id, :image, :now, :now, :from_start) "
	    "ON CONFLICT(id) DO UPDATE SET "
	    "last_seen_ms = max(last_seen_ms, excluded.last_seen_ms), "
	    "from_start = max(from_start, excluded.from_start)",
	[ST_EXEC_RECORD] =
	    "INSERT INTO executables(image, path, sha256, from_image, count,"
	    " first_seen_ms, last_seen_ms) VALUES (:image, :path, :sha256,"
	    " :from_image, :count, :first, :last) "
	    "ON CONFLICT(image, path, sha256) DO UPDATE SET "
	    "count = count + excluded.count, "
	    "from_image = min(from_image, excluded.from_image), "
	    "first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), "
	    "last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
	[ST_SYSCALL_RECORD] =
	    "INSERT INTO syscalls(image, arch, nr, first_seen_ms) "
	    "VALUES (:image, :arch, :nr, :now) ON CONFLICT(image, arch, nr) "
	    "DO UPDATE SET "
	    "first_seen_ms = min(first_seen_ms, excluded.first_seen_ms)",
	[ST_WRITE_RECORD] =
	    "INSERT INTO writes(image, path, count, first_seen_ms, last_seen_ms) "
	    "VALUES (:image, :path, :count, :first, :last) "
	    "ON CONFLICT(image, path) DO UPDATE SET "
	    "count = count + excluded.count, "
	    "first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), "
	    "last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
	[ST_EXEC_NAME_RECORD] =
	    "INSERT INTO exec_names(image, name, target, count, first_seen_ms) "
	    "VALUES (:image, :name, :target, :count, :first) "
	    "ON CONFLICT(image, name, target) DO UPDATE SET "
	    "count = count + excluded.count, "
	    "first_seen_ms = min(first_seen_ms, excluded.first_seen_ms)",
	[ST_LOAD_EXEC_NAMES] =
	    "SELECT name, target, count, first_seen_ms FROM exec_names "
	    "WHERE image = :id ORDER BY name, target",
	[ST_RESET_EXEC_NAMES] = "DELETE FROM exec_names WHERE image = :id",
	[ST_LOAD_EXECS] =
	    "SELECT path, sha256, from_image, count, first_seen_ms, last_seen_ms "
	    "FROM executables WHERE image = :id ORDER BY path, sha256",
	[ST_LOAD_SYSCALLS] =
	    "SELECT arch, nr, first_seen_ms FROM syscalls WHERE image = :id "
	    "ORDER BY arch, nr",
	[ST_LOAD_WRITES] =
	    "SELECT path, count, first_seen_ms, last_seen_ms FROM writes "
	    "WHERE image = :id ORDER BY path",
	[ST_IMAGE_REF] = "SELECT ref FROM images WHERE id = :id",
	[ST_EVENT_ADD] =
	    "INSERT INTO events(time_ms, image_ref, container_id, pid, ppid, exe,"
	    " kind, path, action, reason, comm, route, mode, count, first_ms)"
	    " VALUES (:time, :image, :container, :pid, :ppid, :exe, :kind,"
	    " :path, :action, :reason, :comm, :route, :mode, :count, :first)",
	/*
	 * Each query comes with and without an image, so that SQLite can use
	 * the (image_ref, ...) indexes: "(:image IS NULL OR image_ref =
	 * :image)" made it scan and sort a million events for ten rows.
	 */
	[ST_EVENTS] =
	    "SELECT time_ms, image_ref, container_id, pid, ppid, exe, kind, path,"
	    " action, reason, comm, route, mode, count, first_ms FROM events "
	    "WHERE time_ms >= :since ORDER BY time_ms DESC, id DESC LIMIT :limit",
	[ST_EVENTS_IMAGE] =
	    "SELECT time_ms, image_ref, container_id, pid, ppid, exe, kind, path,"
	    " action, reason, comm, route, mode, count, first_ms FROM events "
	    "WHERE image_ref = :image AND time_ms >= :since "
	    "ORDER BY time_ms DESC, id DESC LIMIT :limit",
	/* A record stands for count decisions; first_ms 0 means time_ms. */
	[ST_EVENT_GROUPS] =
	    "SELECT image_ref, kind, action, path, reason, sum(count),"
	    " min(CASE WHEN first_ms > 0 THEN first_ms ELSE time_ms END),"
	    " max(time_ms) FROM events WHERE time_ms >= :since "
	    "GROUP BY image_ref, kind, action, path, reason "
	    "ORDER BY sum(count) DESC, max(time_ms) DESC LIMIT :limit",
	[ST_EVENT_GROUPS_IMAGE] =
	    "SELECT image_ref, kind, action, path, reason, sum(count),"
	    " min(CASE WHEN first_ms > 0 THEN first_ms ELSE time_ms END),"
	    " max(time_ms) FROM events "
	    "WHERE image_ref = :image AND time_ms >= :since "
	    "GROUP BY image_ref, kind, action, path, reason "
	    "ORDER BY sum(count) DESC, max(time_ms) DESC LIMIT :limit",
	[ST_META_SET] =
	    "INSERT INTO meta(key, value) VALUES (:key, :value) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = :key",
	/* substr, not LIKE: a prefix holds no wildcard. */
	[ST_META_PREFIX] = "SELECT key, value FROM meta WHERE "
	    "substr(key, 1, length(:prefix)) = :prefix AND value != '' "
	    "ORDER BY key",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct store {
	sqlite3		*db;
	char		*path;
	sqlite3_stmt	*stmts[ST__COUNT];
};

static int
db_error(struct store *st, struct rt_error *err, const char *what)
{
	int	code = sqlite3_extended_errcode(st->db);
	int	primary = code & 0xff;

	if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
		return rt_error_set(err, EIO,
		    "%s: the database is corrupt (%s while %s); move it away "
		    "and learn again, or restore a backup", st->path,
		    sqlite3_errmsg(st->db), what);
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return rt_error_set(err, EBUSY,
		    "%s: database is locked by another process (%s)", st->path,
		    what);
	if (primary == SQLITE_READONLY)
		return rt_error_set(err, EROFS,
		    "%s: database is read-only (%s)", st->path, what);
	return rt_error_set(err, EIO, "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
}

/* The prepared statement for id, reset and unbound, or NULL with err set. */
static sqlite3_stmt *
stmt_get(struct store *st, enum stmt_id id, struct rt_error *err)
{
	if (st->stmts[id] == NULL) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmts[id], NULL) != SQLITE_OK) {
			db_error(st, err, "preparing a statement");
			return NULL;
		}
	}
	return st->stmts[id];
}

static void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
bind_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int	i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return SQLITE_RANGE;
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int
bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int	i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return SQLITE_RANGE;
	return sqlite3_bind_int64(s, i, v);
}

/* Step a statement that returns no rows (or ignores them) and reset it. */
static int
stmt_exec(struct store *st, sqlite3_stmt *s, const char *what,
    struct rt_error *err)
{
	int	rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(st, err, what);
		stmt_done(s);
		return -err->code;
	}
	stmt_done(s);
	return 0;
}

static char *
column_strdup(sqlite3_stmt *s, int col)
{
	const unsigned char	*t = sqlite3_column_text(s, col);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* --- opening ----------------------------------------------------------- */

static int
ensure_directory(const char *path, struct rt_error *err)
{
	cleanup_free char	*copy = xstrdup(path);
	char			*dir = dirname(copy);
	struct stat		 sb;

	if (lstat(dir, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			return rt_error_set(err, ELOOP,
			    "%s: refusing a database directory that is a "
			    "symbolic link", dir);
		if (!S_ISDIR(sb.st_mode))
			return rt_error_set(err, ENOTDIR, "%s: not a directory",
			    dir);
		return 0;
	}
	if (errno != ENOENT)
		return rt_error_sys(err, errno, "%s", dir);
	/* Only the last component: a missing parent is a mistake to report. */
	if (mkdir(dir, 0700) < 0)
		return rt_error_sys(err, errno, "creating database directory %s",
		    dir);
	return 0;
}

/*
 * Make sure path is a regular file we may hand to SQLite: create it 0600
 * when missing, refuse symlinks and anything that is not SQLite.
 * *fresh tells whether it is new or empty.
 */
static int
prepare_file(const char *path, enum store_mode mode, bool *fresh,
    struct rt_error *err)
{
	static const char	 magic[16] = "SQLite format 3";
	char			 head[16];
	struct stat		 sb;
	cleanup_close int	 fd = -1;
	ssize_t			 n;

	*fresh = false;
	if (lstat(path, &sb) < 0) {
		if (errno != ENOENT)
			return rt_error_sys(err, errno, "%s", path);
		if (mode == STORE_READ_ONLY)
			return rt_error_set(err, ENOENT,
			    "no database at %s (run 'rtguard learn' first, or "
			    "pass --db)", path);
		if (ensure_directory(path, err) < 0)
			return -err->code;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0)
			return rt_error_sys(err, errno, "creating %s", path);
		*fresh = true;
		return 0;
	}
	if (S_ISLNK(sb.st_mode))
		return rt_error_set(err, ELOOP,
		    "%s: refusing a database path that is a symbolic link", path);
	if (!S_ISREG(sb.st_mode))
		return rt_error_set(err, EINVAL, "%s: not a regular file", path);
	if (sb.st_size == 0) {
		*fresh = true;
		return 0;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_error_sys(err, errno, "opening %s", path);
	n = read(fd, head, sizeof(head));
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0)
		return rt_error_set(err, EINVAL,
		    "%s: not an rtguard database (not an SQLite file); "
		    "refusing to touch it", path);
	return 0;
}

static int
pragma_int(struct store *st, const char *sql, int64_t *out,
    struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else {
		db_error(st, err, sql);
		sqlite3_finalize(s);
		return -err->code;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
exec_sql(struct store *st, const char *sql, struct rt_error *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return db_error(st, err, "running the schema");
	}
	return 0;
}

/*
 * SQL functions migration 2 -> 3 uses to turn libaudit's syscall names
 * into numbers (libseccomp's, see common/syscallname.h): NULL for a name
 * neither library knows.
 */
static void
sql_syscall_nr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*name;
	int			 nr;

	(void)argc;
	if ((name = sqlite3_value_text(argv[0])) == NULL ||
	    (nr = syscall_number(syscall_arch_native(),
	    (const char *)name)) < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int(ctx, nr);
}

static void
sql_native_arch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int64(ctx, syscall_arch_native());
}

static int
register_functions(struct store *st, struct rt_error *err)
{
	if (sqlite3_create_function(st->db, "rtguard_syscall_nr", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_syscall_nr, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_create_function(st->db, "rtguard_native_arch", 0,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_native_arch, NULL,
	    NULL) != SQLITE_OK)
		return db_error(st, err, "registering SQL functions");
	return 0;
}

static int
check_and_migrate(struct store *st, enum store_mode mode, struct rt_error *err)
{
	int64_t	app_id, version, tables;
	size_t	v;
	char	sql[64];

	if (pragma_int(st, "PRAGMA application_id", &app_id, err) < 0 ||
	    pragma_int(st, "PRAGMA user_version", &version, err) < 0 ||
	    pragma_int(st, "SELECT count(*) FROM sqlite_schema", &tables,
	    err) < 0)
		return -err->code;
	if (app_id != STORE_APPLICATION_ID && (app_id != 0 || tables > 0))
		return rt_error_set(err, EINVAL,
		    "%s: not an rtguard database (application_id 0x%" PRIx64
		    ", %" PRId64 " tables); refusing to touch it", st->path,
		    app_id, tables);
	if (version > (int64_t)store_n_migrations)
		return rt_error_set(err, EPROTO,
		    "%s: schema version %" PRId64 " is newer than this rtguard "
		    "understands (%zu): upgrade rtguard", st->path, version,
		    store_n_migrations);
	if (version == (int64_t)store_n_migrations)
		return 0;
	if (mode == STORE_READ_ONLY)
		return rt_error_set(err, EPROTO,
		    "%s: schema version %" PRId64 " needs upgrading to %zu; "
		    "run a read-write command (learn, enforce) first", st->path,
		    version, store_n_migrations);
	for (v = (size_t)version; v < store_n_migrations; v++) {
		if (exec_sql(st, "BEGIN IMMEDIATE", err) < 0)
			return -err->code;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", v + 1);
		if (exec_sql(st, store_migrations[v], err) < 0 ||
		    exec_sql(st, sql, err) < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rt_error_wrap(err, "migrating to schema %zu", v + 1);
		}
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		    STORE_APPLICATION_ID);
		if (exec_sql(st, sql, err) < 0 ||
		    exec_sql(st, "COMMIT", err) < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -err->code;
		}
		log_debug("%s: migrated to schema %zu", st->path, v + 1);
	}
	return 0;
}

int
store_open(const char *path, enum store_mode mode, struct store **out,
    struct rt_error *err)
{
	struct store	*st;
	bool		 fresh;
	mode_t		 old_umask;
	int		 flags, rc;

	*out = NULL;
	if ((rc = prepare_file(path, mode, &fresh, err)) < 0)
		return rc;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
	    (mode == STORE_READ_ONLY ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE);
	/* The -wal and -shm files are created by SQLite: keep them private. */
	old_umask = umask(077);
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	umask(old_umask);
	if (rc != SQLITE_OK) {
		rc = rt_error_set(err, EIO, "%s: cannot open database: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		store_free(st);
		return rc;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/*
	 * Readers (report, export) scan whole tables: mapping the file
	 * instead of a pread per page made a million-event scan 30% faster.
	 */
	if (mode == STORE_READ_ONLY &&
	    exec_sql(st, "PRAGMA mmap_size = 1073741824", err) < 0)
		goto fail;
	if (mode == STORE_READ_WRITE) {
		old_umask = umask(077);
		rc = exec_sql(st, "PRAGMA journal_mode = WAL", err);
		umask(old_umask);
		if (rc < 0 || exec_sql(st, "PRAGMA synchronous = NORMAL", err) < 0)
			goto fail;
	}
	if (exec_sql(st, "PRAGMA foreign_keys = ON", err) < 0 ||
	    register_functions(st, err) < 0 ||
	    check_and_migrate(st, mode, err) < 0)
		goto fail;
	(void)fresh;
	*out = st;
	return 0;
fail:
	rc = -err->code;
	store_free(st);
	return rc;
}

void
store_free(struct store *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

static int
simple_stmt(struct store *st, enum stmt_id id, const char *what,
    struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, id, err)) == NULL)
		return -err->code;
	return stmt_exec(st, s, what, err);
}

int
store_begin(struct store *st, struct rt_error *err)
{
	return simple_stmt(st, ST_BEGIN, "beginning a transaction", err);
}

int
store_commit(struct store *st, struct rt_error *err)
{
	return simple_stmt(st, ST_COMMIT, "committing", err);
}

void
store_rollback(struct store *st)
{
	struct rt_error	err;

	if (sqlite3_get_autocommit(st->db) == 0)
		simple_stmt(st, ST_ROLLBACK, "rolling back", &err);
}

/* --- images ------------------------------------------------------------ */

int
store_image_add(struct store *st, const char *ref, const char *image_id,
    int64_t *key, struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, ST_IMAGE_ADD, err)) == NULL)
		return -err->code;
	bind_text(s, ":ref", ref);
	bind_text(s, ":image_id", image_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "adding an image");
		stmt_done(s);
		return -err->code;
	}
	*key = sqlite3_column_int64(s, 0);
	stmt_done(s);
	return 0;
}

int
store_image_find(struct store *st, const char *ref, int64_t *key,
    struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, ST_IMAGE_FIND, err)) == NULL)
		return -err->code;
	bind_text(s, ":ref", ref);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*key = sqlite3_column_int64(s, 0);
		stmt_done(s);
		return 0;
	}
	stmt_done(s);
	if (rc == SQLITE_DONE)
		return rt_error_set(err, ENOENT, "%s: no baseline for image %s",
		    st->path, ref);
	return db_error(st, err, "finding an image");
}

static int
image_event_counts(struct store *st, struct image_info *ii,
    struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, ST_IMAGE_EVENT_COUNTS, err)) == NULL)
		return -err->code;
	bind_text(s, ":ref", ii->ref);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 0) == ACTION_DENIED)
			ii->denied += sqlite3_column_int64(s, 1);
		else
			ii->alerted += sqlite3_column_int64(s, 1);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "counting events");
	return 0;
}

int
store_image_list(struct store *st, struct image_info **out, size_t *n,
    struct rt_error *err)
{
	struct image_info	*v = NULL, *ii;
	sqlite3_stmt		*s;
	size_t			 len = 0, i;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((s = stmt_get(st, ST_IMAGE_LIST, err)) == NULL)
		return -err->code;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, len + 1, sizeof(*v));
		ii = &v[len++];
		memset(ii, 0, sizeof(*ii));
		ii->key = sqlite3_column_int64(s, 0);
		ii->ref = column_strdup(s, 1);
		ii->image_id = column_strdup(s, 2);
		ii->learn_first_ms = sqlite3_column_int64(s, 3);
		ii->learn_last_ms = sqlite3_column_int64(s, 4);
		ii->audit_lost = sqlite3_column_int64(s, 5);
		ii->containers = sqlite3_column_int64(s, 6);
		ii->executables = sqlite3_column_int64(s, 7);
		ii->syscalls = sqlite3_column_int64(s, 8);
		ii->writes = sqlite3_column_int64(s, 9);
		ii->events_lost = sqlite3_column_int64(s, 10);
		ii->quiet_ms = sqlite3_column_int64(s, 11);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		image_info_free(v, len);
		return db_error(st, err, "listing images");
	}
	for (i = 0; i < len; i++) {
		if (image_event_counts(st, &v[i], err) < 0) {
			image_info_free(v, len);
			return -err->code;
		}
	}
	*out = v;
	*n = len;
	return 0;
}

static void
image_info_free_one(struct image_info *ii)
{
	free(ii->ref);
	free(ii->image_id);
}

void
image_info_free(struct image_info *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		image_info_free_one(&v[i]);
	free(v);
}

/* --- which images --image selects --------------------------------------- */

#define SELECT_LISTED	8	/* references named in one message */

/* "a, b, c, ..." of the images picked (or all when pick is NULL). */
static void
select_list(const struct image_info *v, size_t n, const bool *pick,
    char *buf, size_t len)
{
	size_t	i, off = 0, listed = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (pick != NULL && !pick[i])
			continue;
		if (listed++ == SELECT_LISTED) {
			snprintf(buf + off, len - off, ", ...");
			return;
		}
		w = snprintf(buf + off, len - off, "%s%s", listed > 1 ? ", " : "",
		    v[i].ref);
		if (w < 0)
			return;
		off += (size_t)w;
	}
}

static bool
has_baseline(const struct image_info *ii)
{
	return ii->executables > 0 || ii->learn_first_ms != 0;
}

/* The image pattern names exactly (as given or normalised), or n. */
static size_t
select_exact(const struct image_info *v, size_t n, const bool *eligible,
    const char *pattern)
{
	struct rt_error	 err;
	char		*norm = NULL;
	size_t		 i;

	if (imageref_normalise(pattern, &norm, &err) < 0)
		norm = NULL;
	for (i = 0; i < n; i++)
		if (eligible[i] && (strcmp(v[i].ref, pattern) == 0 ||
		    (norm != NULL && strcmp(v[i].ref, norm) == 0)))
			break;
	free(norm);
	return i;
}

/* Why pattern selects nothing, naming the pattern and the database. */
static int
select_none(struct store *st, const struct image_info *v, size_t n,
    const bool *eligible, const char *pattern, unsigned int mode,
    struct rt_error *err)
{
	cleanup_free char	*p = rt_escape_str(pattern);
	char			 list[512];
	size_t			 i, have = 0;

	for (i = 0; i < n; i++)
		have += eligible[i];
	select_list(v, n, eligible, list, sizeof(list));
	if (mode & STORE_SELECT_WITH_BASELINE)
		return rt_error_set(err, ENOENT, "%s: no image with a baseline "
		    "matches '%s' (%s%s); run 'rtguard learn --image %s' first",
		    st->path, p, have > 0 ? "images with one: " : "none has one",
		    list, p);
	return rt_error_set(err, ENOENT, "%s: no image matches '%s' (%s%s)",
	    st->path, p, have > 0 ? "images: " : "no images yet", list);
}

/* EXACTLY_ONE: mark in pick the one image pattern names. */
static int
select_one(struct store *st, const struct image_info *v, size_t n,
    const bool *eligible, const char *pattern, unsigned int mode, bool *pick,
    struct rt_error *err)
{
	cleanup_free char	*p = NULL;
	char			 list[512];
	size_t			 i, found = 0;

	if ((i = select_exact(v, n, eligible, pattern)) < n) {
		pick[i] = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (eligible[i] && imageref_matches(pattern, v[i].ref))
			pick[i] = true, found++;
	if (found == 0)
		return select_none(st, v, n, eligible, pattern, mode, err);
	if (found == 1)
		return 0;
	p = rt_escape_str(pattern);
	select_list(v, n, pick, list, sizeof(list));
	return rt_error_set(err, EINVAL, "%s: '%s' matches %zu images (%s); "
	    "give the full reference", st->path, p, found, list);
}

/* EACH_AT_LEAST_ONE: mark what any pattern selects (all if none given). */
static int
select_each(struct store *st, const struct image_info *v, size_t n,
    const bool *eligible, const char *const *patterns, size_t n_patterns,
    unsigned int mode, bool *pick, struct rt_error *err)
{
	size_t	i, j, found;

	for (i = 0; i < n; i++)
		pick[i] = eligible[i] && n_patterns == 0;
	for (j = 0; j < n_patterns; j++) {
		for (i = found = 0; i < n; i++)
			if (eligible[i] && imageref_matches(patterns[j], v[i].ref))
				pick[i] = true, found++;
		if (found == 0)
			return select_none(st, v, n, eligible, patterns[j], mode,
			    err);
	}
	return 0;
}

int
store_image_select(struct store *st, const char *const *patterns,
    size_t n_patterns, unsigned int mode, struct image_info **out,
    size_t *n, struct rt_error *err)
{
	struct image_info	*v;
	cleanup_free bool	*eligible = NULL, *pick = NULL;
	size_t			 len, i, keep;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((mode & STORE_SELECT_EXACTLY_ONE) && n_patterns != 1)
		return rt_error_set(err, EINVAL, "%s: exactly one image pattern "
		    "is needed, %zu given", st->path, n_patterns);
	if ((rc = store_image_list(st, &v, &len, err)) < 0)
		return rc;
	eligible = xcalloc(len + 1, sizeof(*eligible));
	pick = xcalloc(len + 1, sizeof(*pick));
	for (i = 0; i < len; i++)
		eligible[i] = !(mode & STORE_SELECT_WITH_BASELINE) ||
		    has_baseline(&v[i]);
	if (mode & STORE_SELECT_EXACTLY_ONE)
		rc = select_one(st, v, len, eligible, patterns[0], mode, pick,
		    err);
	else
		rc = select_each(st, v, len, eligible, patterns, n_patterns,
		    mode, pick, err);
	if (rc < 0) {
		image_info_free(v, len);
		return rc;
	}
	/* Keep the picked entries in place, in ref order; free the rest. */
	for (i = keep = 0; i < len; i++) {
		if (pick[i])
			v[keep++] = v[i];
		else
			image_info_free_one(&v[i]);
	}
	*out = v;
	*n = keep;
	return 0;
}

int
store_image_learned(struct store *st, int64_t key, int64_t start_ms,
    int64_t end_ms, int64_t audit_lost, int64_t events_lost,
    struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_IMAGE_LEARNED, err)) == NULL)
		return -err->code;
	bind_int(s, ":id", key);
	bind_int(s, ":start", start_ms);
	bind_int(s, ":end", end_ms);
	bind_int(s, ":lost", audit_lost);
	bind_int(s, ":events_lost", events_lost);
	return stmt_exec(st, s, "recording the learning window", err);
}

int
store_image_set_quiet(struct store *st, int64_t key, int64_t quiet_ms,
    struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_IMAGE_QUIET, err)) == NULL)
		return -err->code;
	bind_int(s, ":id", key);
	bind_int(s, ":quiet", quiet_ms);
	return stmt_exec(st, s, "recording the quiet period", err);
}

int
store_image_readiness(struct store *st, int64_t key, int64_t quiet_ms,
    struct image_readiness *out, struct rt_error *err)
{
	struct image_readiness	*r = out;
	sqlite3_stmt		*s;
	int64_t			 first_ms;
	int			 rc;

	memset(r, 0, sizeof(*r));
	if ((s = stmt_get(st, ST_IMAGE_READINESS, err)) == NULL)
		return -err->code;
	bind_int(s, ":id", key);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		stmt_done(s);
		if (rc == SQLITE_DONE)
			return rt_error_set(err, ENOENT, "%s: no image with key "
			    "%" PRId64, st->path, key);
		return db_error(st, err, "reading an image's readiness");
	}
	first_ms = sqlite3_column_int64(s, 0);
	r->learn_last_ms = sqlite3_column_int64(s, 1);
	r->audit_lost = sqlite3_column_int64(s, 2);
	r->events_lost = sqlite3_column_int64(s, 3);
	r->quiet_ms = quiet_ms > 0 ? quiet_ms : sqlite3_column_int64(s, 4);
	if (r->quiet_ms <= 0)
		r->quiet_ms = STORE_QUIET_DEFAULT_MS;
	r->containers_from_start = sqlite3_column_int64(s, 5);
	r->containers_attached_late = sqlite3_column_int64(s, 6);
	r->last_new_fact_ms = sqlite3_column_int64(s, 7);
	stmt_done(s);
	if (first_ms == 0)
		r->reasons |= READINESS_NOT_LEARNED;
	if (r->audit_lost > 0)
		r->reasons |= READINESS_AUDIT_LOST;
	if (r->events_lost > 0)
		r->reasons |= READINESS_EVENTS_LOST;
	if (r->containers_from_start == 0)
		r->reasons |= READINESS_NO_START;
	if (first_ms != 0 && (r->last_new_fact_ms == 0 ||
	    r->learn_last_ms - r->last_new_fact_ms < r->quiet_ms))
		r->reasons |= READINESS_CHANGING;
	r->ready = r->reasons == 0;
	return 0;
}

static void
fmt_quiet(int64_t ms, char *buf, size_t len)
{
	if (ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else
		snprintf(buf, len, "%" PRId64 "s", (ms + 999) / 1000);
}

size_t
image_readiness_reasons(const struct image_readiness *r, char (*lines)[200],
    size_t max)
{
	char	q[32];
	size_t	n = 0;

	fmt_quiet(r->quiet_ms, q, sizeof(q));
	if ((r->reasons & READINESS_NOT_LEARNED) && n < max)
		snprintf(lines[n++], sizeof(lines[0]), "never learned");
	if ((r->reasons & READINESS_AUDIT_LOST) && n < max)
		snprintf(lines[n++], sizeof(lines[0]), "the kernel lost %" PRId64
		    " audit records while learning: syscalls and deletes may "
		    "be missing", r->audit_lost);
	if ((r->reasons & READINESS_EVENTS_LOST) && n < max)
		snprintf(lines[n++], sizeof(lines[0]), "%" PRId64 " file events "
		    "or records were lost while learning: executables and "
		    "writes may be missing", r->events_lost);
	if ((r->reasons & READINESS_NO_START) && n < max)
		snprintf(lines[n++], sizeof(lines[0]), "no container was "
		    "watched from its start: startup syscalls and execs are "
		    "missing (start one while learning)");
	if ((r->reasons & READINESS_CHANGING) && n < max) {
		if (r->last_new_fact_ms == 0)
			snprintf(lines[n++], sizeof(lines[0]), "nothing learned "
			    "yet");
		else
			snprintf(lines[n++], sizeof(lines[0]), "still changing: "
			    "a new fact %" PRId64 "s before the end of learning, "
			    "less than the quiet period (%s)",
			    (r->learn_last_ms - r->last_new_fact_ms) / 1000, q);
	}
	return n;
}

int
store_baseline_reset(struct store *st, int64_t key, struct rt_error *err)
{
	static const enum stmt_id ids[] = { ST_RESET_EXECS, ST_RESET_SYSCALLS,
	    ST_RESET_WRITES, ST_RESET_WINDOW, ST_RESET_CONTAINERS,
	    ST_RESET_EXEC_NAMES };
	sqlite3_stmt	*s;
	size_t		 i;

	if (store_begin(st, err) < 0)
		return -err->code;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if ((s = stmt_get(st, ids[i], err)) == NULL)
			goto fail;
		bind_int(s, ":id", key);
		if (stmt_exec(st, s, "resetting a baseline", err) < 0)
			goto fail;
	}
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -err->code;
}

/* --- containers and facts ---------------------------------------------- */

int
store_container_seen(struct store *st, const char *container_id,
    int64_t image_key, bool from_start, int64_t now_ms, struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_CONTAINER_SEEN, err)) == NULL)
		return -err->code;
	bind_text(s, ":id", container_id);
	bind_int(s, ":image", image_key);
	bind_int(s, ":from_start", from_start ? 1 : 0);
	bind_int(s, ":now", now_ms);
	return stmt_exec(st, s, "recording a container", err);
}

int
store_exec_record(struct store *st, int64_t image_key,
    const struct baseline_exec *e, struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_EXEC_RECORD, err)) == NULL)
		return -err->code;
	bind_int(s, ":image", image_key);
	bind_text(s, ":path", e->path);
	bind_text(s, ":sha256", e->sha256);
	bind_int(s, ":from_image", e->from_image ? 1 : 0);
	bind_int(s, ":count", e->count);
	bind_int(s, ":first", e->first_ms);
	bind_int(s, ":last", e->last_ms);
	return stmt_exec(st, s, "recording an executable", err);
}

int
store_syscall_record(struct store *st, int64_t image_key, uint32_t arch,
    int nr, int64_t now_ms, struct rt_error *err)
{
	sqlite3_stmt	*s;

	if (nr < 0 || nr >= SYSCALL_NR_MAX)
		return rt_error_set(err, EINVAL, "syscall number %d out of "
		    "range", nr);
	if ((s = stmt_get(st, ST_SYSCALL_RECORD, err)) == NULL)
		return -err->code;
	bind_int(s, ":image", image_key);
	bind_int(s, ":arch", arch);
	bind_int(s, ":nr", nr);
	bind_int(s, ":now", now_ms);
	return stmt_exec(st, s, "recording a syscall", err);
}

int
store_write_record(struct store *st, int64_t image_key,
    const struct baseline_write *w, struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_WRITE_RECORD, err)) == NULL)
		return -err->code;
	bind_int(s, ":image", image_key);
	bind_text(s, ":path", w->path);
	bind_int(s, ":count", w->count);
	bind_int(s, ":first", w->first_ms);
	bind_int(s, ":last", w->last_ms);
	return stmt_exec(st, s, "recording a write", err);
}

int
store_exec_name_record(struct store *st, int64_t image_key,
    const struct baseline_exec_name *en, struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_EXEC_NAME_RECORD, err)) == NULL)
		return -err->code;
	bind_int(s, ":image", image_key);
	bind_text(s, ":name", en->name);
	bind_text(s, ":target", en->target);
	bind_int(s, ":count", en->count);
	bind_int(s, ":first", en->first_ms);
	return stmt_exec(st, s, "recording an executable's name", err);
}

static int
load_exec_names(struct store *st, struct baseline *b, struct rt_error *err)
{
	struct baseline_exec_name	*en;
	sqlite3_stmt			*s;
	int				 rc;

	if ((s = stmt_get(st, ST_LOAD_EXEC_NAMES, err)) == NULL)
		return -err->code;
	bind_int(s, ":id", b->image_key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		b->exec_names = xreallocarray(b->exec_names,
		    b->n_exec_names + 1, sizeof(*b->exec_names));
		en = &b->exec_names[b->n_exec_names++];
		en->name = column_strdup(s, 0);
		en->target = column_strdup(s, 1);
		en->count = sqlite3_column_int64(s, 2);
		en->first_ms = sqlite3_column_int64(s, 3);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "loading executables' names");
	return 0;
}

int
store_baseline_load(struct store *st, int64_t image_key, struct baseline **out,
    struct rt_error *err)
{
	struct baseline	*b = xcalloc(1, sizeof(*b));
	sqlite3_stmt	*s;
	int		 rc;

	*out = NULL;
	b->image_key = image_key;
	if ((s = stmt_get(st, ST_IMAGE_REF, err)) == NULL)
		goto fail;
	bind_int(s, ":id", image_key);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		b->image_ref = column_strdup(s, 0);
	stmt_done(s);
	if (rc == SQLITE_DONE) {
		rt_error_set(err, ENOENT, "%s: no image with key %" PRId64,
		    st->path, image_key);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		db_error(st, err, "loading a baseline");
		goto fail;
	}

	if ((s = stmt_get(st, ST_LOAD_EXECS, err)) == NULL)
		goto fail;
	bind_int(s, ":id", image_key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct baseline_exec	*e;
		const unsigned char	*h;

		b->execs = xreallocarray(b->execs, b->n_execs + 1,
		    sizeof(*b->execs));
		e = &b->execs[b->n_execs++];
		memset(e, 0, sizeof(*e));
		e->path = column_strdup(s, 0);
		if ((h = sqlite3_column_text(s, 1)) != NULL)
			snprintf(e->sha256, sizeof(e->sha256), "%s", h);
		e->from_image = sqlite3_column_int(s, 2) != 0;
		e->count = sqlite3_column_int64(s, 3);
		e->first_ms = sqlite3_column_int64(s, 4);
		e->last_ms = sqlite3_column_int64(s, 5);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "loading executables");
		goto fail;
	}

	if ((s = stmt_get(st, ST_LOAD_SYSCALLS, err)) == NULL)
		goto fail;
	bind_int(s, ":id", image_key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct baseline_syscall	*sc;

		b->syscalls = xreallocarray(b->syscalls, b->n_syscalls + 1,
		    sizeof(*b->syscalls));
		sc = &b->syscalls[b->n_syscalls++];
		sc->arch = (uint32_t)sqlite3_column_int64(s, 0);
		sc->nr = sqlite3_column_int(s, 1);
		sc->first_ms = sqlite3_column_int64(s, 2);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "loading syscalls");
		goto fail;
	}

	if ((s = stmt_get(st, ST_LOAD_WRITES, err)) == NULL)
		goto fail;
	bind_int(s, ":id", image_key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct baseline_write	*w;

		b->writes = xreallocarray(b->writes, b->n_writes + 1,
		    sizeof(*b->writes));
		w = &b->writes[b->n_writes++];
		w->path = column_strdup(s, 0);
		w->count = sqlite3_column_int64(s, 1);
		w->first_ms = sqlite3_column_int64(s, 2);
		w->last_ms = sqlite3_column_int64(s, 3);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		db_error(st, err, "loading writes");
		goto fail;
	}
	if (load_exec_names(st, b, err) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	baseline_free(b);
	return -err->code;
}

void
baseline_free(struct baseline *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_execs; i++)
		free(b->execs[i].path);
	for (i = 0; i < b->n_writes; i++)
		free(b->writes[i].path);
	for (i = 0; i < b->n_exec_names; i++) {
		free(b->exec_names[i].name);
		free(b->exec_names[i].target);
	}
	free(b->exec_names);
	free(b->execs);
	free(b->syscalls);
	free(b->writes);
	free(b->image_ref);
	free(b);
}

/* --- events ------------------------------------------------------------ */

const char *
event_kind_name(enum event_kind k)
{
	return k == EVENT_WRITE ? "write" : "exec";
}

const char *
event_action_name(enum event_action a)
{
	return a == ACTION_ALERTED ? "alerted" : "denied";
}

int
store_event_add(struct store *st, const struct rt_event *ev,
    struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_EVENT_ADD, err)) == NULL)
		return -err->code;
	bind_int(s, ":time", ev->time_ms);
	bind_text(s, ":image", ev->image_ref != NULL ? ev->image_ref : "");
	bind_text(s, ":container", ev->container_id != NULL ?
	    ev->container_id : "");
	bind_int(s, ":pid", ev->pid);
	bind_int(s, ":ppid", ev->ppid);
	bind_text(s, ":exe", ev->exe != NULL ? ev->exe : "");
	bind_int(s, ":kind", ev->kind);
	bind_text(s, ":path", ev->path != NULL ? ev->path : "");
	bind_int(s, ":action", ev->action);
	bind_text(s, ":reason", ev->reason != NULL ? ev->reason : "");
	bind_text(s, ":comm", ev->comm != NULL ? ev->comm : "");
	bind_text(s, ":route", ev->route != NULL ? ev->route : "");
	bind_text(s, ":mode", ev->mode != NULL ? ev->mode : "");
	bind_int(s, ":count", ev->count > 0 ? ev->count : 1);
	bind_int(s, ":first", ev->first_ms > 0 ? ev->first_ms : ev->time_ms);
	return stmt_exec(st, s, "recording an event", err);
}

static void
bind_filter(sqlite3_stmt *s, const struct event_filter *f)
{
	if (f != NULL && f->image_ref != NULL)
		bind_text(s, ":image", f->image_ref);
	bind_int(s, ":since", f != NULL ? f->since_ms : 0);
	bind_int(s, ":limit", f != NULL && f->limit > 0 ? f->limit : -1);
}

int
store_event_foreach(struct store *st, const struct event_filter *f,
    store_event_cb cb, void *arg, struct rt_error *err)
{
	struct rt_event	 ev;
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, f != NULL && f->image_ref != NULL ?
	    ST_EVENTS_IMAGE : ST_EVENTS, err)) == NULL)
		return -err->code;
	bind_filter(s, f);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ev.time_ms = sqlite3_column_int64(s, 0);
		ev.image_ref = (const char *)sqlite3_column_text(s, 1);
		ev.container_id = (const char *)sqlite3_column_text(s, 2);
		ev.pid = sqlite3_column_int(s, 3);
		ev.ppid = sqlite3_column_int(s, 4);
		ev.exe = (const char *)sqlite3_column_text(s, 5);
		ev.kind = sqlite3_column_int(s, 6) == EVENT_WRITE ?
		    EVENT_WRITE : EVENT_EXEC;
		ev.path = (const char *)sqlite3_column_text(s, 7);
		ev.action = sqlite3_column_int(s, 8) == ACTION_ALERTED ?
		    ACTION_ALERTED : ACTION_DENIED;
		ev.reason = (const char *)sqlite3_column_text(s, 9);
		ev.comm = (const char *)sqlite3_column_text(s, 10);
		ev.route = (const char *)sqlite3_column_text(s, 11);
		ev.mode = (const char *)sqlite3_column_text(s, 12);
		ev.count = sqlite3_column_int64(s, 13);
		if (ev.count < 1)
			ev.count = 1;
		ev.first_ms = sqlite3_column_int64(s, 14);
		if (ev.first_ms <= 0 || ev.first_ms > ev.time_ms)
			ev.first_ms = ev.time_ms;
		if (cb(&ev, arg) != 0) {
			stmt_done(s);
			return 0;
		}
	}
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading events");
	return 0;
}

int
store_event_groups(struct store *st, const struct event_filter *f,
    struct event_group **out, size_t *n, struct rt_error *err)
{
	struct event_group	*v = NULL, *g;
	sqlite3_stmt		*s;
	size_t			 len = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((s = stmt_get(st, f != NULL && f->image_ref != NULL ?
	    ST_EVENT_GROUPS_IMAGE : ST_EVENT_GROUPS, err)) == NULL)
		return -err->code;
	bind_filter(s, f);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, len + 1, sizeof(*v));
		g = &v[len++];
		g->image_ref = column_strdup(s, 0);
		g->kind = sqlite3_column_int(s, 1) == EVENT_WRITE ?
		    EVENT_WRITE : EVENT_EXEC;
		g->action = sqlite3_column_int(s, 2) == ACTION_ALERTED ?
		    ACTION_ALERTED : ACTION_DENIED;
		g->path = column_strdup(s, 3);
		g->reason = column_strdup(s, 4);
		g->count = sqlite3_column_int64(s, 5);
		g->first_ms = sqlite3_column_int64(s, 6);
		g->last_ms = sqlite3_column_int64(s, 7);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		event_group_free(v, len);
		return db_error(st, err, "grouping events");
	}
	*out = v;
	*n = len;
	return 0;
}

void
event_group_free(struct event_group *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].image_ref);
		free(v[i].path);
		free(v[i].reason);
	}
	free(v);
}

/* --- meta -------------------------------------------------------------- */

int
store_meta_set(struct store *st, const char *key, const char *value,
    struct rt_error *err)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, ST_META_SET, err)) == NULL)
		return -err->code;
	bind_text(s, ":key", key);
	bind_text(s, ":value", value);
	return stmt_exec(st, s, "recording state", err);
}

int
store_meta_get(struct store *st, const char *key, char **value,
    struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	*value = NULL;
	if ((s = stmt_get(st, ST_META_GET, err)) == NULL)
		return -err->code;
	bind_text(s, ":key", key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = column_strdup(s, 0);
	stmt_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading state");
	return 0;
}

int
store_meta_list(struct store *st, const char *prefix, char ***keys,
    char ***values, size_t *n, struct rt_error *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	*keys = *values = NULL;
	*n = 0;
	if ((s = stmt_get(st, ST_META_PREFIX, err)) == NULL)
		return -err->code;
	bind_text(s, ":prefix", prefix);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*keys = xreallocarray(*keys, *n + 1, sizeof(**keys));
		*values = xreallocarray(*values, *n + 1, sizeof(**values));
		(*keys)[*n] = column_strdup(s, 0);
		(*values)[(*n)++] = column_strdup(s, 1);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading state");
	return 0;
}
