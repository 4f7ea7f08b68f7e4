/*
 * internal.h: what the learner's files share, and nothing else sees
 * (tests/unit/test_learner.c includes it for the pure functions).
 *
 *   learner.c  the role on the daemon scaffold: which containers, attach
 *              (OCI hook or engine), fanotify events, progress, the run
 *   audit.c    the audit netlink session: settings saved and restored,
 *              records read
 *   rules.c    rtguard's own audit rules, built by hand, narrowed, removed
 *   records.c  records grouped by serial until EOE, attributed to a
 *              container by cgroup
 *   early.c    what a container did before it was attached, kept by id
 *              until it is (or forgotten)
 *   facts.c    executables, syscalls and written paths (stable patterns)
 *              turned into baseline facts for the store writer
 *   progress.c the progress and status lines, the summary at the end
 */
#ifndef RTGUARD_LEARNER_INTERNAL_H
#define RTGUARD_LEARNER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/sha256.h"
#include "common/syscallname.h"
#include "container/container.h"
#include "daemon/daemon.h"
#include "daemon/fangroup.h"
#include "learner/learner.h"
#include "store/store.h"

#define LEARN_KEY_PREFIX	"rtguard-learn-"
#define LEARN_ARCHES		2	/* native, compat */
#define LEARN_MASK_BYTES	(SYSCALL_NR_MAX / 8)
#define LEARN_EXCLUDE_MAX	48	/* host pids left out of the rule */

struct audit_rule_data;
struct early;
struct event;
struct facts;
struct learner;
struct records;

/* One image being learned: facts known so far, in memory. */
struct limage {
	char		*ref;
	char		*image_id;	/* bare hex or sha256:..., may be NULL */
	unsigned char	 learned[LEARN_ARCHES][LEARN_MASK_BYTES];
	bool		 attached_once;
	int64_t		 first_ms;	/* first attach of this run */
	int64_t		 last_new_ms;	/* last new fact of this run */
	uint64_t	 new_execs, new_syscalls, new_writes;
	uint64_t	 events_lost;	/* fanotify overflows, pending lost */
	int64_t		 flushed_audit_lost, flushed_events_lost;
};

/* One container being learned. */
struct lcontainer {
	struct learner		*l;
	struct container	*c;
	struct limage		*img;
	struct fangroup		*g;
	int64_t			 attached_ms;	/* when its fanotify mark was on */
	bool			 from_start;
	uint64_t		 overflows_seen;
};

/*
 * One excluded host process (pid!=), or a host process whose children are
 * excluded (ppid!=, parent): its pidfd says when it is gone.
 */
struct lexclude {
	pid_t		 pid;
	bool		 parent;
	int		 pidfd;
	struct event	*ev;
};

/* The audit session (audit.c). */
struct laudit {
	int		 ctl_fd;	/* rules, status: acknowledgements only */
	int		 rec_fd;	/* records: our audit pid, or multicast */
	bool		 multicast;	/* another daemon (auditd) holds the pid */
	struct event	*drain_ev;
	uint32_t	 prev_enabled, prev_backlog, prev_wait;
	bool		 have_prev, enabled_off;
	int64_t		 enabled_boot_ms;	/* first enable since boot, or 0 */
	int64_t		 lost_start, lost_now;
	/* The syscall rules (one per arch) and the file rule, as loaded. */
	struct audit_rule_data	*rule_sc[LEARN_ARCHES];
	struct audit_rule_data	*rule_files;
	struct audit_rule_data	*rule_fs;	/* overlay inodes: none recorded */
	int		 foreign_rules;	/* not rtguard's, at the last listing */
	bool		 fs_refused;	/* the kernel has no filesystem list */
	bool		 dirty;
	int64_t		 last_rebuild_ms;
	struct lexclude	 excluded[LEARN_EXCLUDE_MAX];
	size_t		 n_excluded;
	uint64_t	 exclusions_refused;	/* rule full */
};

struct learner {
	const struct learn_options *o;
	struct daemon		*daemon;
	struct event_base	*base;
	struct store_writer	*writer;
	struct limage		**images;
	size_t			 n_images;
	struct lcontainer	**cs;
	size_t			 n_cs;
	struct laudit		 audit;
	uint32_t		 arches[LEARN_ARCHES];	/* 0: unused slot */
	struct records		*records;
	struct facts		*facts;
	struct event		*tick;
	pid_t			 self;
	int64_t			 start_ms;
	bool			 ready;		/* the tracker's first scan done */
	bool			 progress_shown;
	int64_t			 last_status_ms;
	/* stats */
	uint64_t		 n_records, last_records;
	uint64_t		 fan_lost, pending_lost;
	uint64_t		 last_execs, last_syscalls, last_writes;
	struct sha256_cache	 hashes;	/* an exec storm hashes once */
};

/* --- learner.c ------------------------------------------------------------ */

struct lcontainer *learner_container(struct learner *l, const char *id);
int	learner_arch_index(const struct learner *l, uint32_t arch);
/* Whether every image being learned has (arch index a, nr). */
bool	learner_learned_by_all(const struct learner *l, int a, int nr);

/* --- progress.c ----------------------------------------------------------- */

void	learner_progress(struct learner *l, int64_t now);
/* --until-stable: nothing new for that long, and something attached. */
bool	learner_converged(const struct learner *l, int64_t now);
/* Per image: new facts, and the store's readiness (st may be NULL). */
void	learner_summary(struct learner *l, struct store *st, int64_t secs);

/* --- audit.c -------------------------------------------------------------- */

bool	audit_pid_alive(pid_t pid);
void	audit_comm_of(pid_t pid, char *buf, size_t len);	/* "?" if gone */

int	audit_source_open(struct learner *l, struct rt_error *err);
/* Rules gone, settings restored, sockets closed; safe to call twice. */
void	audit_source_close(struct learner *l);
/* --- rules.c -------------------------------------------------------------- */

/* Rebuild the syscall rules now if something changed (rate-limited). */
void	audit_rules_refresh(struct learner *l, bool force);
/*
 * Leave a busy host process (parent: the children of one) out of the
 * rules, rebuilt on the next refresh. A container runtime's process is
 * never excluded as a parent: the containers' processes are its children.
 */
void	audit_exclude_pid(struct learner *l, pid_t pid, bool parent);
bool	audit_is_excluded(const struct learner *l, pid_t pid, bool parent);
int	audit_rules_add_files(struct learner *l, struct rt_error *err);
/*
 * While rtguard is the only audit consumer, leave overlay inode details
 * out of audit (their lookups cost every audited task); else not. Call
 * once a tick.
 */
void	audit_rules_fs_check(struct learner *l);
void	audit_rules_remove(struct learner *l);
/*
 * Remove rules keyed for a learner that no longer runs (mine: this one's
 * too); returns how many of them the kernel still lists after.
 */
int	audit_rules_sweep(struct learner *l, bool mine);
void	audit_exclusions_free(struct learner *l);

/* Read what is queued (bounded) and feed records.c. */
void	audit_drain(struct learner *l);
/* Ask the kernel for its lost counter (answer read at once). */
void	audit_update_lost(struct learner *l);
int64_t	audit_lost(const struct learner *l);
/* Whether a process started before this run enabled audit (not audited). */
bool	audit_started_before(const struct learner *l, pid_t pid);

/* --- records.c ------------------------------------------------------------ */

struct records *records_new(struct learner *l);
void	records_free(struct records *r);
/* One audit record (type, text) from the kernel. */
void	records_feed(struct records *r, int type, const char *msg, size_t len);
/* Finish every event still waiting for its EOE (before stopping). */
void	records_flush(struct records *r);
/*
 * A container became known: apply what it did before (attach), or forget
 * it (not one of ours). *saw_start: records of its runtime's setup were
 * seen, so it was audited from before its first exec.
 */
void	records_attached(struct records *r, struct lcontainer *lc,
	    bool *saw_start);
void	records_forget(struct records *r, const char *id);
/* A pid fanotify saw exec in container id: attributed even once gone. */
void	records_note_pid(struct records *r, pid_t pid, const char *id);
/* Expire pending containers nobody claimed; host pids seen busy. */
void	records_tick(struct records *r, int64_t now);
uint64_t records_pending_lost(const struct records *r);
/* Where the syscall records came from (log_info). */
void	records_log_sources(const struct records *r);
/*
 * Pure, for tests: whether a PATH record's name is a path a delete or a
 * rename wrote, by its nametype (len bytes) and the syscall's success.
 */
bool	records_file_name_counts(const char *nametype, size_t len,
	    bool success);
/* Pure, for tests: "runc:[2:INIT]" and the like. */
bool	records_comm_is_runtime(const char *comm, size_t len);
/* The same, or runc re-executed as comm "exe" (exe: the field, unquoted). */
bool	records_exe_is_runtime(const char *comm, size_t clen, const char *exe,
	    size_t elen);

/* --- early.c -------------------------------------------------------------- */

#define EARLY_NAMES	256	/* paths kept per container */

/* What one container did before it was attached. */
struct early_ctr {
	char		 id[CONTAINER_ID_LEN + 1];
	int64_t		 first_ms, last_ms;	/* monotonic */
	unsigned char	 sc[LEARN_ARCHES][LEARN_MASK_BYTES];
	char		*writes[EARLY_NAMES];
	size_t		 n_writes;
	char		*execs[EARLY_NAMES];
	size_t		 n_execs;
	bool		 saw_runtime;	/* its runtime's setup was audited */
	uint64_t	 lost;		/* paths that did not fit */
};

struct early *early_new(void);
void	early_free(struct early *e);
/* The container's record, made if new; NULL if ignored or no room (lost). */
struct early_ctr *early_get(struct early *e, const char *id, int64_t now);
void	early_add_write(struct early_ctr *p, const char *path);
void	early_add_exec(struct early_ctr *p, const char *path);
/* Out of the list for the caller to apply and early_ctr_free(). */
struct early_ctr *early_take(struct early *e, const char *id);
void	early_ctr_free(struct early_ctr *p);
/* Not of a learned image: dropped, and its later records ignored. */
void	early_forget(struct early *e, const char *id);
bool	early_ignored(const struct early *e, const char *id);
/* Unclaimed for too long: forgotten. */
void	early_expire(struct early *e, int64_t now);
/* Containers that found no room. */
uint64_t early_lost(const struct early *e);

/* --- facts.c -------------------------------------------------------------- */

struct facts *facts_new(struct learner *l);
void	facts_free(struct facts *f);
/* What the store already holds for img: not counted as new again. */
void	facts_known_exec(struct facts *f, struct limage *img, const char *path,
	    const char *sha256);
void	facts_known_write(struct facts *f, struct limage *img,
	    const char *pattern);
void	facts_exec(struct facts *f, struct lcontainer *lc, int fd,
	    const char *path);
/*
 * A path an exec was run as (from audit), resolved in lc's root: recorded
 * as a name of its target when they differ (a symlink); with also_exec,
 * the target is recorded as an executable too (fanotify did not see it:
 * the container was not attached yet).
 */
void	facts_exec_name(struct facts *f, struct lcontainer *lc,
	    const char *name, bool also_exec);
void	facts_write(struct facts *f, struct limage *img, const char *path);
void	facts_syscall(struct facts *f, struct limage *img, int a, int nr,
	    int64_t when_ms);
/*
 * Pure, for tests: the stable form of a written path into out (at least
 * PATH_MAX bytes): /var/run and /var/lock are /run and /run/lock; in each
 * component a run of 3 or more digits, a 16+ hex-digit run and a random
 * suffix (mkstemp's "XXXXXX") become "*". Returns whether it changed.
 */
bool	facts_write_pattern(const char *path, char *out, size_t len);

#endif
