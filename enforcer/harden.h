/*
 * harden.h: the kernel-side half of protection, as mounts in a container's
 * own mount namespace.
 *
 * fanotify only sees opens and execs. Everything else that could change a
 * protected file (rename, unlink, link, chmod, truncate, xattrs, mmap
 * writes, O_TMPFILE) or run foreign code without an exec (the loader run
 * on a file, LD_PRELOAD, dlopen) is refused by mount flags instead:
 *
 *   - each protected directory, and each top-level directory holding a
 *     learned executable, becomes a read-only bind mount of itself
 *     (submounts such as the engine's /etc/hosts included), with learned
 *     write paths bound back read-write and noexec;
 *   - every other top-level directory and every volume or tmpfs becomes a
 *     noexec bind mount of itself (writable as before);
 *   - the root mount itself becomes read-only, so nothing new appears
 *     directly in "/".
 *
 * So every place a process can write is noexec, and every place it can
 * exec from is read-only. The plan is a pure function (unit-tested); the
 * executor runs it in a forked helper that enters the namespace. Every
 * mount made is recorded by its mount id, and only those are undone.
 */
#ifndef RTGUARD_HARDEN_H
#define RTGUARD_HARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "store/store.h"

enum harden_op {
	HARDEN_LOCK,		/* bind read-only (exec kept), submounts too */
	HARDEN_NOEXEC,		/* bind noexec (write kept), submounts too */
	HARDEN_KEEP_RW,		/* inside a LOCK: writable again, noexec */
	HARDEN_ROOT_RO,		/* remount the root mount read-only */
};

struct harden_action {
	enum harden_op	 op;
	char		*path;	/* inside the container */
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
 * Build the plan from the protected directories, the baseline (learned
 * executables and writes), the container's top-level entries and its
 * mount points (paths inside the container). Pure.
 */
void	harden_plan_build(const char *const *protected,
	    const struct baseline *b, const struct harden_top *top,
	    size_t n_top, char *const *mountpoints, size_t n_mountpoints,
	    struct harden_plan *out);
void	harden_plan_free(struct harden_plan *p);

/* What was done, to undo exactly that and nothing else. */
struct harden_state {
	int		*ids;		/* mount ids we created, in order */
	char		**paths;
	size_t		 n;
	bool		 root_made_ro;
};

/*
 * Apply plan in the mount namespace of pid. prefix is where the
 * container's root is in that namespace: "" once the runtime has pivoted
 * into it, the rootfs path while an OCI createRuntime hook runs. Fills st
 * with what was done even on failure (so it can be undone).
 */
int	harden_apply(pid_t pid, const char *prefix,
	    const struct harden_plan *plan, struct harden_state *st,
	    struct rt_error *err);
/* Unmount exactly the mounts in st (if still ours), restore the root. */
int	harden_undo(pid_t pid, struct harden_state *st, struct rt_error *err);
void	harden_state_free(struct harden_state *st);
/* "12 34 56|root" and back: kept in the store for a restarted enforcer. */
char	*harden_state_format(const struct harden_state *st);

/*
 * Whether a container can be hardened at all, from the host: its mount
 * namespace is its own, its root mount does not propagate to the host.
 * why receives the reason when not.
 */
bool	harden_possible(pid_t pid, const char *prefix, char *why, size_t len);

/*
 * Refuse exec of memfds in the container's pid namespace
 * (vm.memfd_noexec = 2, per pid namespace since Linux 6.3). Cannot be
 * lowered again: it stays until the container ends. -EEXIST when the
 * container shares the host's pid namespace (never changed there).
 */
int	harden_memfd_noexec(pid_t pid, struct rt_error *err);

#endif
