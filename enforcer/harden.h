/*
 * harden.h: the kernel-side half of protection, as mounts in a container's
 * own mount namespace and vm.memfd_noexec in its pid namespace.
 *
 * fanotify only sees opens and execs. Everything else that could change a
 * protected file (rename, unlink, link, chmod, truncate, xattrs, mmap
 * writes, O_TMPFILE, copy-up) or run foreign code without an exec the
 * kernel asks about (the loader run on a file, LD_PRELOAD, dlopen, memfd)
 * is refused by the kernel instead:
 *
 *   - each protected directory, and each top-level directory holding a
 *     learned executable, becomes a read-only bind of itself (the mounts
 *     below it too: the engine's /etc/hosts, volumes), with learned write
 *     paths bound back writable and noexec (a learned pattern: the
 *     directory above its first component with a '*');
 *   - every other top-level directory (/tmp, /var, /dev, volumes and
 *     tmpfs mounts below them) becomes a noexec bind of itself, writable
 *     as before;
 *   - the root mount gets noexec (and read-only when nothing has a file
 *     open for writing through it), so nothing dropped directly in "/"
 *     runs either;
 *   - vm.memfd_noexec = 2 in the container's pid namespace.
 *
 * So every place a process can write is noexec, and every place it can
 * exec from is read-only. The plan is a pure function (unit-tested). A
 * forked helper applies it inside the container's namespaces while the
 * daemon's loop goes on (it never waits for the helper); each mount is
 * made with open_tree(2)/mount_setattr(2)/move_mount(2) on descriptors
 * resolved without following symlinks, and recorded by its unique mount
 * id, so that only rtguard's own mounts are ever undone.
 */
#ifndef RTGUARD_HARDEN_H
#define RTGUARD_HARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "store/store.h"

struct event_base;

enum harden_op {
	HARDEN_LOCK,		/* read-only, exec kept; mounts below: + noexec */
	HARDEN_NOEXEC,		/* noexec, writable as before; mounts below too */
	HARDEN_KEEP_RW,		/* inside a LOCK: writable again, noexec */
	HARDEN_ROOT,		/* the root mount: noexec, read-only if it can */
};

struct harden_action {
	enum harden_op	 op;
	char		*path;	/* inside the container, absolute */
	bool		 exec;	/* KEEP_RW: the app runs what it writes here */
};

struct harden_plan {
	struct harden_action	*v;
	size_t			 n;
};

/* One entry of the container's "/" (name without '/'). */
struct harden_top {
	const char	*name;
	bool		 is_dir;	/* a directory, not a symlink or file */
};

/*
 * The plan from the protected directories and the policy's writable paths
 * (both NULL-terminated), the baseline (learned executables and writes)
 * and the container's top-level entries. Pure.
 */
void	harden_plan_build(const char *const *protected,
	    const char *const *writable, const struct baseline *b,
	    const struct harden_top *top, size_t n_top, struct harden_plan *out);
void	harden_plan_free(struct harden_plan *p);
const char *harden_op_name(enum harden_op op);

/* What was done, to undo exactly that and nothing else. */
struct harden_mount {
	uint64_t	 id;	/* unique mount id (statx STATX_MNT_ID_UNIQUE) */
	char		*path;
};

struct harden_state {
	struct harden_mount	*v;
	size_t			 n;
	uint64_t		*removed;	/* an update's undone mounts */
	size_t			 n_removed;
	unsigned int		 root_set;	/* MOUNT_ATTR_* we added to "/" */
	bool			 memfd_noexec;	/* vm.memfd_noexec now 2 */
	bool			 adopted;	/* an earlier enforcer's mounts */
	size_t			 skipped;	/* plan entries with nothing there */
};

void	harden_state_free(struct harden_state *st);
/* Append mount id at path (the state takes path). */
void	harden_state_add(struct harden_state *st, uint64_t id, char *path);
/*
 * One line per mount (and the root's, memfd's), kept in the store so that
 * an enforcer restarted after a crash finds its mounts; and back. Pure.
 */
char	*harden_state_format(const struct harden_state *st);
int	harden_state_parse(const char *text, struct harden_state *st);
/*
 * Parse the helper's report (one record per line; paths escaped with
 * rt_escape) into st; the first "error" line becomes err. Pure.
 */
int	harden_report_parse(const char *text, struct harden_state *st,
	    struct rt_error *err);

struct harden_request {
	pid_t			 pid;		/* a process of the container */
	const char		*prefix;	/* "": pivoted; else its rootfs */
	const char *const	*protected;
	const char *const	*writable;	/* the policy's, or NULL */
	const struct baseline	*baseline;
	bool			 memfd_noexec;
	/*
	 * What an earlier enforcer made (it crashed, or was killed): mounts
	 * still there at the same place with the same unique id are taken
	 * over, and when all of them are, the plan is not applied again.
	 */
	const struct harden_state *saved;
	/*
	 * An update of a protected container (a policy reload) instead of
	 * the whole plan: undo the mounts of remove (those still ours),
	 * then bind back writable the paths of add (NULL-terminated).
	 */
	bool			 update;
	const struct harden_state *remove;
	const char *const	*add;
};

/*
 * Called on the loop when the helper is done: rc 0 and st filled, or rc
 * < 0 with err (st then holds what was done before the failure, to undo).
 * st is the callee's to keep (harden_state_free).
 */
typedef void (*harden_cb)(int rc, const struct rt_error *err,
	    struct harden_state *st, void *arg);
struct harden_job;

int	harden_start(struct event_base *base, const struct harden_request *rq,
	    harden_cb cb, void *arg, struct harden_job **out,
	    struct rt_error *err);
/*
 * Kill the helper (no callback); done receives what it had mounted so far
 * (to undo, if the namespace is still there).
 */
void	harden_cancel(struct harden_job *job, struct harden_state *done);
/*
 * Unmount exactly the mounts in st that are still rtguard's (same unique
 * id at the same place), restore the root mount. Synchronous (a forked
 * helper, waited for): used when the enforcer stops.
 */
int	harden_undo(pid_t pid, const struct harden_state *st,
	    struct rt_error *err);

/*
 * The request on the wire (helperwire.c): encoded by the enforcer, one
 * JSON object (an undo of st when undo is not NULL, else rq); decoded by
 * the helper into w, which owns everything rq points to (free with
 * harden_wire_free). Decode returns -1 with w->error set.
 */
enum harden_wire_op {
	HARDEN_WIRE_APPLY = 1, HARDEN_WIRE_UPDATE, HARDEN_WIRE_UNDO
};
struct harden_wire {
	enum harden_wire_op	 op;
	struct harden_request	 rq;		/* apply, update */
	struct harden_state	 saved;
	struct harden_state	 remove;	/* update; undo: what to undo */
	struct baseline		 baseline;	/* paths only */
	char			*prefix;
	const char		*error;
};
char	*harden_wire_encode(const struct harden_request *rq,
	    const struct harden_state *undo);
struct json_t;
int	harden_wire_decode(struct json_t *o, struct harden_wire *w);
void	harden_wire_free(struct harden_wire *w);

/*
 * The helper itself: `rtguard __mount-helper`, exec'd by harden_start and
 * harden_undo with its request on descriptor 0. Returns its exit status.
 */
int	harden_helper_main(void);


#endif
