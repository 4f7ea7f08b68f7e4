/*
 * store.h: rtguard's SQLite database, the only code that speaks SQL.
 *
 * Owns the schema (numbered forward migrations under PRAGMA user_version),
 * the baseline facts learned per image (executables, syscalls as (arch,
 * number), written paths), the containers seen and whether each was
 * watched from its start, each image's readiness to be enforced, and the
 * decision events. Every statement is
 * prepared once with named parameters; writes are batched in transactions.
 * Paths are C strings of arbitrary bytes (Linux paths hold no NUL): they are
 * stored verbatim, never normalised or re-encoded.
 *
 * store_writer (below) is the one thread rtguard runs: it owns a store and
 * a queue, so the event loop (and the fanotify answer path) never waits on
 * disk.
 */
#ifndef RTGUARD_STORE_H
#define RTGUARD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define STORE_SCHEMA_VERSION	3

struct store;

enum store_mode {
	STORE_READ_WRITE,	/* create the file (0600, dir 0700) if missing */
	STORE_READ_ONLY,	/* fail with -ENOENT if missing */
};

/*
 * Open (and migrate) the database at path. Refuses, with a message naming
 * the file, a file that is not an rtguard database, a corrupt one, or one
 * with a schema newer than STORE_SCHEMA_VERSION; never overwrites it.
 */
int	store_open(const char *path, enum store_mode mode, struct store **out,
	    struct rt_error *err);
void	store_free(struct store *st);
const char *store_path(const struct store *st);

int	store_begin(struct store *st, struct rt_error *err);
int	store_commit(struct store *st, struct rt_error *err);
void	store_rollback(struct store *st);

/* --- images ------------------------------------------------------------ */

struct image_info {
	int64_t	 key;
	char	*ref;		/* normalised reference, docker.io/library/nginx:latest */
	char	*image_id;	/* sha256 id last seen, may be NULL */
	int64_t	 learn_first_ms, learn_last_ms;	/* learning window, 0 if never */
	int64_t	 containers, executables, syscalls, writes;
	int64_t	 denied, alerted;	/* decisions (records times their count) */
	int64_t	 audit_lost;	/* kernel lost-record count during learning */
	int64_t	 events_lost;	/* fanotify overflows, records shed */
	int64_t	 quiet_ms;	/* converged after this long with nothing new */
};

int	store_image_add(struct store *st, const char *ref, const char *image_id,
	    int64_t *key, struct rt_error *err);
/* -ENOENT (and a message) when ref has no row. */
int	store_image_find(struct store *st, const char *ref, int64_t *key,
	    struct rt_error *err);
/* All images, ordered by ref. */
int	store_image_list(struct store *st, struct image_info **out, size_t *n,
	    struct rt_error *err);
void	image_info_free(struct image_info *v, size_t n);

/*
 * Which images the --image patterns select (imageref_matches, as every
 * command does it), in ref order, each once; *out is freed with
 * image_info_free. Errors name the pattern and the database.
 *
 * STORE_SELECT_EACH_AT_LEAST_ONE (report, enforce): every pattern must
 *   select at least one image, -ENOENT otherwise; no pattern selects all
 *   images (possibly none).
 * STORE_SELECT_EXACTLY_ONE (policy export): one pattern, which must name
 *   one image: an exact (or normalised) reference wins even when it is a
 *   prefix of others; else exactly one image must match, and -EINVAL
 *   lists the candidates when several do, -ENOENT when none.
 * STORE_SELECT_WITH_BASELINE, or'ed in: only images that have a baseline
 *   (learned executables or a learning window).
 */
enum store_select {
	STORE_SELECT_EACH_AT_LEAST_ONE	= 0,
	STORE_SELECT_EXACTLY_ONE	= 1,
	STORE_SELECT_WITH_BASELINE	= 2,
};
int	store_image_select(struct store *st, const char *const *patterns,
	    size_t n_patterns, unsigned int mode, struct image_info **out,
	    size_t *n, struct rt_error *err);
/*
 * Widen the learning window to include [start_ms, end_ms]; add the
 * records the kernel lost (audit_lost) and the events rtguard lost
 * (fanotify overflows, records shed: events_lost).
 */
int	store_image_learned(struct store *st, int64_t key, int64_t start_ms,
	    int64_t end_ms, int64_t audit_lost, int64_t events_lost,
	    struct rt_error *err);
/* The quiet period after which the image's baseline counts as converged. */
int	store_image_set_quiet(struct store *st, int64_t key, int64_t quiet_ms,
	    struct rt_error *err);
/*
 * Forget an image's baseline (learn --reset): its facts, its learning
 * window and losses, the containers it was learned from; events are kept.
 */
int	store_baseline_reset(struct store *st, int64_t key, struct rt_error *err);

/* --- readiness: is a baseline complete enough to enforce? --------------- */

#define STORE_QUIET_DEFAULT_MS	(60 * 1000)	/* when learn set none */

enum readiness_reason {
	READINESS_NOT_LEARNED	= 1 << 0,	/* no learning window */
	READINESS_AUDIT_LOST	= 1 << 1,	/* the kernel lost records */
	READINESS_EVENTS_LOST	= 1 << 2,	/* fanotify or the queue lost */
	READINESS_NO_START	= 1 << 3,	/* no container seen from start */
	READINESS_CHANGING	= 1 << 4,	/* new facts within quiet_ms */
};

struct image_readiness {
	bool	 ready;			/* reasons == 0 */
	unsigned reasons;		/* enum readiness_reason bits */
	int64_t	 containers_from_start;	/* watched before their first exec */
	int64_t	 containers_attached_late;
	int64_t	 audit_lost, events_lost;
	int64_t	 last_new_fact_ms;	/* 0: no fact */
	int64_t	 learn_last_ms;		/* end of the learning window */
	int64_t	 quiet_ms;		/* the quiet period applied */
};

/*
 * The readiness of image key's baseline: ready when learned, nothing
 * lost, at least one container watched from its start (so its startup
 * syscalls are in), and nothing new for the quiet period before the end
 * of the learning window. quiet_ms > 0 overrides the image's own (set by
 * learn), else STORE_QUIET_DEFAULT_MS.
 */
int	store_image_readiness(struct store *st, int64_t key, int64_t quiet_ms,
	    struct image_readiness *out, struct rt_error *err);
/*
 * The reasons as sentences, one per set bit, in bit order; returns how
 * many were written (at most max). Each fits in a line.
 */
size_t	image_readiness_reasons(const struct image_readiness *r,
	    char (*lines)[200], size_t max);

/* --- containers -------------------------------------------------------- */

/*
 * from_start: the container was watched from before its first exec (the
 * OCI hook), so what it did at startup is learned; a container seen from
 * start once stays so.
 */
int	store_container_seen(struct store *st, const char *container_id,
	    int64_t image_key, bool from_start, int64_t now_ms,
	    struct rt_error *err);

/* --- baseline facts ---------------------------------------------------- */

struct baseline_exec {
	char	*path;		/* inside the container */
	char	 sha256[65];	/* hex, or "" if unknown */
	bool	 from_image;	/* file came from the image's lower layers */
	int64_t	 count, first_ms, last_ms;
};

/*
 * A syscall: arch is the AUDIT_ARCH_* value of the audit record (the same
 * as libseccomp's SCMP_ARCH_*), nr the kernel's number on that arch.
 * Names come from common/syscallname.h, for display only.
 */
struct baseline_syscall {
	uint32_t	 arch;
	int		 nr;
	int64_t		 first_ms;
};

/*
 * An executable run through a symlink (redis-server -> redis-check-rdb):
 * the name it was run as, and its target (the path of its baseline_exec,
 * which is what exec decisions see).
 */
struct baseline_exec_name {
	char	*name;
	char	*target;
	int64_t	 count, first_ms;
};

struct baseline_write {
	char	*path;		/* exact, or a collapsed pattern */
	int64_t	 count, first_ms, last_ms;
};

struct baseline {
	int64_t			 image_key;
	char			*image_ref;
	struct baseline_exec	*execs;
	size_t			 n_execs;
	struct baseline_syscall	*syscalls;	/* sorted by (arch, nr) */
	size_t			 n_syscalls;
	struct baseline_write	*writes;
	size_t			 n_writes;
	struct baseline_exec_name *exec_names;	/* sorted by name */
	size_t			 n_exec_names;
};

/*
 * Upserts: a fact seen again adds to count and widens first/last. An exec
 * is keyed by (image, path, sha256).
 */
int	store_exec_record(struct store *st, int64_t image_key,
	    const struct baseline_exec *e, struct rt_error *err);
int	store_syscall_record(struct store *st, int64_t image_key,
	    uint32_t arch, int nr, int64_t now_ms, struct rt_error *err);
int	store_write_record(struct store *st, int64_t image_key,
	    const struct baseline_write *w, struct rt_error *err);
int	store_exec_name_record(struct store *st, int64_t image_key,
	    const struct baseline_exec_name *en, struct rt_error *err);

int	store_baseline_load(struct store *st, int64_t image_key,
	    struct baseline **out, struct rt_error *err);
void	baseline_free(struct baseline *b);

/* --- decision events --------------------------------------------------- */

enum event_kind { EVENT_EXEC = 0, EVENT_WRITE = 1 };
enum event_action { ACTION_DENIED = 0, ACTION_ALERTED = 1 };

/*
 * One decision record. Identical decisions close together are aggregated
 * by the enforcer: count of them between first_ms and time_ms (the last).
 */
struct rt_event {
	int64_t		 time_ms;	/* the last occurrence */
	const char	*image_ref;
	const char	*container_id;
	int		 pid, ppid;
	const char	*exe;		/* the process's executable */
	const char	*comm;		/* its comm, e.g. "runc:[2:INIT]" */
	enum event_kind	 kind;
	const char	*path;		/* the file exec'd or opened */
	enum event_action action;
	const char	*reason;	/* why, e.g. "not in baseline" */
	const char	*route;		/* how: "exec", "loader", "memfd", ... */
	const char	*mode;		/* "protect" or "monitor" */
	int64_t		 count;		/* occurrences aggregated (>= 1) */
	int64_t		 first_ms;	/* the first occurrence */
};

const char *event_kind_name(enum event_kind k);		/* "exec", "write" */
const char *event_action_name(enum event_action a);	/* "denied", "alerted" */

int	store_event_add(struct store *st, const struct rt_event *ev,
	    struct rt_error *err);

struct event_filter {
	const char	*image_ref;	/* NULL: all images */
	int64_t		 since_ms;	/* 0: all time */
	int64_t		 limit;		/* 0: no limit; newest first when set */
};

/*
 * Call cb for each matching event, newest (by time_ms, the last
 * occurrence) first, every field filled: strings never NULL (empty when
 * not recorded), count >= 1, first_ms <= time_ms. The strings live until
 * cb returns. cb returning non-zero stops.
 */
typedef int (*store_event_cb)(const struct rt_event *ev, void *arg);
int	store_event_foreach(struct store *st, const struct event_filter *f,
	    store_event_cb cb, void *arg, struct rt_error *err);

struct event_group {
	char		*image_ref;
	enum event_kind	 kind;
	enum event_action action;
	char		*path;
	char		*reason;
	int64_t		 count;		/* decisions: the sum of the records' counts */
	int64_t		 first_ms, last_ms;
};
/* Events grouped by (image, kind, action, path, reason), largest first. */
int	store_event_groups(struct store *st, const struct event_filter *f,
	    struct event_group **out, size_t *n, struct rt_error *err);
void	event_group_free(struct event_group *v, size_t n);

/* --- small key/value state (last enforce heartbeat, gaps) -------------- */

int	store_meta_set(struct store *st, const char *key, const char *value,
	    struct rt_error *err);
/* *value is NULL when the key is absent. */
int	store_meta_get(struct store *st, const char *key, char **value,
	    struct rt_error *err);
/*
 * Every key starting with prefix whose value is not empty (an empty value
 * is how a key is forgotten), in key order; the arrays and strings are
 * the caller's.
 */
int	store_meta_list(struct store *st, const char *prefix, char ***keys,
	    char ***values, size_t *n, struct rt_error *err);

/* --- the writer thread ------------------------------------------------- */

struct store_writer;

/*
 * Start the writer thread; it takes ownership of st until
 * store_writer_stop(). The enqueue calls copy their arguments, never block
 * on disk, and drop (counting) past max_queued records.
 */
int	store_writer_start(struct store *st, size_t max_queued,
	    struct store_writer **out, struct rt_error *err);
void	store_writer_event(struct store_writer *w, const struct rt_event *ev);
void	store_writer_container(struct store_writer *w, const char *container_id,
	    const char *image_ref, const char *image_id, bool from_start,
	    int64_t now_ms);
void	store_writer_exec(struct store_writer *w, const char *image_ref,
	    const struct baseline_exec *e);
void	store_writer_syscall(struct store_writer *w, const char *image_ref,
	    uint32_t arch, int nr, int64_t now_ms);
void	store_writer_write(struct store_writer *w, const char *image_ref,
	    const struct baseline_write *bw);
void	store_writer_exec_name(struct store_writer *w, const char *image_ref,
	    const struct baseline_exec_name *en);
void	store_writer_learned(struct store_writer *w, const char *image_ref,
	    int64_t start_ms, int64_t end_ms, int64_t audit_lost,
	    int64_t events_lost);
void	store_writer_quiet(struct store_writer *w, const char *image_ref,
	    int64_t quiet_ms);
void	store_writer_meta(struct store_writer *w, const char *key,
	    const char *value);
/* Block until everything queued so far is committed. */
int	store_writer_flush(struct store_writer *w, struct rt_error *err);
uint64_t store_writer_dropped(struct store_writer *w);
/* Drain, commit, join; returns the store to the caller (may be NULL). */
int	store_writer_stop(struct store_writer *w, struct store **st,
	    struct rt_error *err);

#endif
