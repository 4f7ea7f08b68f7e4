/*
 * observe.h: the kernel's own refusals in protected containers, as events.
 *
 * Owns the BPF programs rtguard attaches to syscall tracepoints (built
 * from enforcer/observe.bpf.c and embedded in the binary), the set of
 * cgroups they watch, and the ring buffer that carries what they see onto
 * rtguard's libevent loop. Protect mode makes writable places noexec,
 * protected directories read-only and memfds non-executable: the kernel
 * then refuses an exec, a PROT_EXEC map or a write by itself, before any
 * fanotify event. Those refusals are reported here, with the calls that
 * can undo protection (new user or mount namespaces, mounts) that worked.
 * Observation only, but for two things, each killed before its first
 * instruction: a loader run directly in a watched container
 * (observe_add_loader), and a process of a cgroup watched in protect mode
 * that makes a user or mount namespace of its own (observe_add_cgroup).
 *
 * Needs syscall tracepoints (CONFIG_FTRACE_SYSCALLS), BPF tracepoint
 * programs and cgroup v2 (bpf_get_current_cgroup_id); no kprobes, no
 * fentry or LSM programs; the kernel's BTF only for the faster method.
 * Everything is attached through descriptors: it all goes when rtguard
 * exits, and nothing is pinned.
 *
 * Limits, by construction:
 * - A cgroup is watched exactly, not its descendants: a container that
 *   can create cgroups (CAP_SYS_ADMIN and a writable cgroupfs) can move
 *   a process out of sight.
 * - x86_64 syscall tracepoints do not fire for 32-bit (ia32, int 0x80)
 *   syscalls: a 32-bit binary's refusals are not seen.
 * - Paths are the caller's strings, read from its memory when the call
 *   returns: relative paths stay relative, and another thread of the
 *   caller can rewrite them in between. Evidence of an attempt, not of
 *   the file. A descriptor's path comes from /proc/TID/fd/N even later,
 *   and is "" when the caller closed it first (the loader does, right
 *   after a refused mmap).
 * - runc checks faccessat(X_OK) itself before executing a podman exec
 *   command: that refusal involves no execve and is not seen.
 * - clone3's flags (and openat2's) live in the caller's memory: the
 *   program's read fails for a page not faulted in yet, and another
 *   thread can rewrite them around it, so a clone3 into a new namespace
 *   may go unreported. In protect mode, with the container's namespaces
 *   known (observe_add_cgroup), its child is killed anyway at its own
 *   sys_exit, by the namespaces it is in. unshare's and clone's flags are
 *   registers, read as the kernel did.
 * - A clone3 with CLONE_INTO_CGROUP puts its child in another cgroup,
 *   watched or not (the first limit): the enter+exit method kills the
 *   parent before the child exists, the exit-only method cannot kill a
 *   child it does not watch.
 */
#ifndef RTGUARD_OBSERVE_H
#define RTGUARD_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct event_base;
struct observe;

enum observe_kind {
	OBSERVE_REFUSAL = 1,	/* the kernel refused the call: ret is -errno */
	OBSERVE_CHANGE,		/* a namespace or mount call worked: ret >= 0 */
	OBSERVE_KILLED,		/* a new user or mount namespace in protect
				   mode: the caller was killed (ret is the
				   call's result, 0 if killed before it ran) */
};

struct refusal {
	enum observe_kind kind;
	uint64_t	 cgroup_id;
	pid_t		 pid, tid;	/* host pid namespace */
	uid_t		 uid;		/* host user namespace */
	char		 comm[16];
	int		 syscall_nr;
	const char	*syscall;	/* "execve"; static */
	const char	*route;		/* exec map-exec memfd-exec write namespace mount */
	long		 ret;		/* -errno, or the call's result */
	/*
	 * The call's path arguments as the caller passed them (relative to
	 * its cwd or dirfd), "" when it has none: path is the first, path2
	 * the second (rename's new name, link's and symlink's new path,
	 * mount's source). For calls on a descriptor (fchmod, mmap,
	 * execveat with AT_EMPTY_PATH), path is read from /proc/TID/fd/N
	 * after the fact, best effort, and path_from_fd says so.
	 */
	char		 path[256];
	char		 path2[256];
	bool		 path_from_fd;
	uint64_t	 args[6];
};

typedef void (*observe_cb)(const struct refusal *r, void *arg);

/* observe_open flags */
#define OBSERVE_OPENAT	0x01	/* openat too: ~0.1 us on every openat */
#define OBSERVE_STASH	0x02	/* force the enter+exit method (see below) */

/*
 * Load and attach the programs; cb runs on base's loop for each record.
 * -ENOTSUP, with a message saying what is missing, when BPF or syscall
 * tracepoints are unavailable (or rtguard was built without BPF): the
 * caller runs without the observer and says so. Syscalls this kernel has
 * no tracepoint for are skipped (logged).
 */
int	observe_open(struct event_base *base, unsigned int flags,
	    observe_cb cb, void *arg, struct observe **out,
	    struct rt_error *err);
/*
 * Watch the processes whose cgroup v2 id is cgroup_id (not descendants).
 * protect: the container is protected by rtguard's mounts, so a process
 * there that makes a user or mount namespace of its own (unshare, clone,
 * clone3; not setns) is killed before it runs an instruction in it, and
 * reported as OBSERVE_KILLED; otherwise such a call is an OBSERVE_CHANGE.
 * ns_pid, a process in the container's own user and mount namespaces (its
 * init), or 0: with it a clone's child is judged by the namespaces it got
 * as well as by the flags the caller passed (which clone3 keeps in
 * memory, where a read can fail or race). Adding a watched cgroup again
 * sets its mode.
 */
int	observe_add_cgroup(struct observe *o, uint64_t cgroup_id, bool protect,
	    pid_t ns_pid, struct rt_error *err);
void	observe_remove_cgroup(struct observe *o, uint64_t cgroup_id);
/*
 * A dynamic loader of the container of cgroup_id, by its (overlay) inode:
 * a process there whose new executable is that inode ran the loader
 * directly and is killed before its first instruction (reported as a
 * refusal, route "loader"). -ENOTSUP when that tracepoint is missing:
 * the caller keeps asking about each of the loader's execs.
 */
int	observe_add_loader(struct observe *o, uint64_t cgroup_id, uint64_t ino,
	    struct rt_error *err);
void	observe_remove_loader(struct observe *o, uint64_t cgroup_id,
	    uint64_t ino);
/* Records dropped because the ring buffer was full. */
uint64_t observe_lost(const struct observe *o);
/* Syscalls attached, and skipped for want of a tracepoint. */
size_t	observe_attached(const struct observe *o, size_t *skipped);
/*
 * How calls are seen: "exit-only" (one program on each sys_exit, which
 * reads the caller's registers for the arguments of the rare call it
 * reports; needs the kernel's BTF and x86_64) or "enter+exit" (a program
 * on sys_enter too stashes the arguments of watched threads; anywhere).
 * exit-only is the default when it loads: half the programs run, half
 * the tracepoints are enabled, half the perf events to close at exit.
 */
const char *observe_method(const struct observe *o);
void	observe_free(struct observe *o);

/* --- the syscall table (pure; enforcer/observe-table.c) ----------------- */

#define OBSERVE_NONE	(-1)	/* no such argument */

struct observe_syscall {
	const char	*name;		/* as in section 2 of the manual */
	const char	*tracepoint;	/* sys_{enter,exit}_X; NULL: name */
	int		 nargs;		/* argument fields of sys_enter_X */
	const char	*route;
	int		 path_arg;	/* user strings: struct refusal's path, */
	int		 path2_arg;	/* path2 */
	int		 fd_arg;	/* a descriptor naming the file */
	int		 cond_arg;	/* stashed only if args[cond_arg] & mask */
	uint64_t	 cond_mask;	/* 0: always */
	bool		 cond_indirect;	/* ... of the u64 args[cond_arg] points to */
	bool		 cond_zero;	/* ... or it is 0 (setns: any type) */
	uint64_t	 errnos;	/* bit e: -e is a refusal */
	bool		 success;	/* ret >= 0 is a change */
	bool		 parent_only;	/* ... but not the child's 0 (clone) */
	bool		 kills;		/* protect mode: kills the caller instead */
	unsigned int	 only_with;	/* observe_open flag it needs, or 0 */
};

extern const struct observe_syscall observe_syscalls[];
extern const size_t observe_n_syscalls;

const struct observe_syscall *observe_syscall_find(const char *name);
const char *observe_syscall_tracepoint(const struct observe_syscall *s);
/* Whether this row is attached under these observe_open flags. */
bool	observe_syscall_wanted(const struct observe_syscall *s,
	    unsigned int flags);
/* What the kernel side decides, for the tests: mirrors the BPF programs. */
bool	observe_syscall_stashes(const struct observe_syscall *s,
	    uint64_t value);
/* OBSERVE_REFUSAL, OBSERVE_CHANGE, or 0: not reported. */
int	observe_syscall_kind(const struct observe_syscall *s, long ret);
/* Whether a matching call returning ret kills at sys_exit (protect mode). */
bool	observe_syscall_kills(const struct observe_syscall *s, long ret);
/* Fill the kernel's row (struct observe_rule of observe-abi.h). */
struct observe_rule;
void	observe_syscall_rule(const struct observe_syscall *s,
	    struct observe_rule *r);

#endif
