/*
 * observe-table.c: which syscalls the observer watches and what of their
 * outcome it reports (see observe.h). Pure data and pure functions: the
 * rows become the kernel side's rules map at observe_open, and
 * tests/unit/test_observe.c checks each of them.
 *
 * A refusal is an errno the kernel returns because of what protect mode
 * set up: EACCES from a noexec mount or vm.memfd_noexec=2 (exec), EPERM
 * from a noexec mount (PROT_EXEC maps: mm/mmap.c), EROFS from a read-only
 * mount, EBUSY from a file or directory bind-mounted over itself (unlink,
 * rename, rmdir of a mount point). A change is a call that worked and
 * can undo protection: a new user or mount namespace, a mount; those
 * calls refused with EPERM are refusals too (an attempt seen). The calls
 * that make a new user or mount namespace (not setns, which joins one)
 * kill their caller instead in a cgroup watched in protect mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "enforcer/observe-abi.h"
#include "enforcer/observe.h"

#ifndef MFD_EXEC
#define MFD_EXEC	0x0010U		/* linux/memfd.h, Linux 6.3 */
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE	1		/* linux/mount.h, Linux 5.2 */
#endif

#define E(x)		(1ULL << (x))
#define NO		OBSERVE_NONE

#define EXEC_ERRNOS	(E(EACCES) | E(EPERM))
#define MAP_ERRNOS	(E(EPERM) | E(EACCES))
#define WRITE_ERRNOS	E(EROFS)
#define REMOVE_ERRNOS	(E(EROFS) | E(EBUSY))
#define CHANGE_ERRNOS	E(EPERM)

#define NS_FLAGS	((uint64_t)(CLONE_NEWUSER | CLONE_NEWNS))
#define WRITE_OPEN	((uint64_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC))

/* A call on paths (or a descriptor) refused by a read-only mount. */
#define WRITE(n, na, p, p2, fd, errs) \
	{ .name = (n), .nargs = (na), .route = "write", .path_arg = (p), \
	  .path2_arg = (p2), .fd_arg = (fd), .cond_arg = NO, \
	  .errnos = (errs) }
/* A namespace or mount call: reported when it works. */
#define CHANGE(n, na, rt, p, p2, fd, ca, mask) \
	{ .name = (n), .nargs = (na), .route = (rt), .path_arg = (p), \
	  .path2_arg = (p2), .fd_arg = (fd), .cond_arg = (ca), \
	  .cond_mask = (mask), .errnos = CHANGE_ERRNOS, .success = true }

const struct observe_syscall observe_syscalls[] = {
	/* foreign code: noexec mounts, vm.memfd_noexec */
	{ .name = "execve", .nargs = 3, .route = "exec", .path_arg = 0,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = NO,
	  .errnos = EXEC_ERRNOS },
	{ .name = "execveat", .nargs = 5, .route = "exec", .path_arg = 1,
	  .path2_arg = NO, .fd_arg = 0, .cond_arg = NO,
	  .errnos = EXEC_ERRNOS },
	{ .name = "mmap", .nargs = 6, .route = "map-exec", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = 4, .cond_arg = 2, .cond_mask = PROT_EXEC,
	  .errnos = MAP_ERRNOS },
	{ .name = "mprotect", .nargs = 3, .route = "map-exec", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 2,
	  .cond_mask = PROT_EXEC, .errnos = MAP_ERRNOS },
	{ .name = "pkey_mprotect", .nargs = 4, .route = "map-exec",
	  .path_arg = NO, .path2_arg = NO, .fd_arg = NO, .cond_arg = 2,
	  .cond_mask = PROT_EXEC, .errnos = MAP_ERRNOS },
	{ .name = "memfd_create", .nargs = 2, .route = "memfd-exec",
	  .path_arg = 0, .path2_arg = NO, .fd_arg = NO, .cond_arg = 1,
	  .cond_mask = MFD_EXEC, .errnos = E(EACCES) | E(EINVAL) },

	/* writes into protected directories: read-only mounts */
	WRITE("unlink", 1, 0, NO, NO, REMOVE_ERRNOS),
	WRITE("unlinkat", 3, 1, NO, NO, REMOVE_ERRNOS),
	WRITE("rename", 2, 0, 1, NO, REMOVE_ERRNOS),
	WRITE("renameat", 4, 1, 3, NO, REMOVE_ERRNOS),
	WRITE("renameat2", 5, 1, 3, NO, REMOVE_ERRNOS),
	WRITE("rmdir", 1, 0, NO, NO, REMOVE_ERRNOS),
	WRITE("mkdir", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("mkdirat", 3, 1, NO, NO, WRITE_ERRNOS),
	WRITE("link", 2, 0, 1, NO, WRITE_ERRNOS),
	WRITE("linkat", 5, 1, 3, NO, WRITE_ERRNOS),
	WRITE("symlink", 2, 0, 1, NO, WRITE_ERRNOS),
	WRITE("symlinkat", 3, 0, 2, NO, WRITE_ERRNOS),
	WRITE("chmod", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("fchmod", 2, NO, NO, 0, WRITE_ERRNOS),
	WRITE("fchmodat", 3, 1, NO, NO, WRITE_ERRNOS),
	WRITE("fchmodat2", 4, 1, NO, NO, WRITE_ERRNOS),
	WRITE("chown", 3, 0, NO, NO, WRITE_ERRNOS),
	WRITE("fchown", 3, NO, NO, 0, WRITE_ERRNOS),
	WRITE("fchownat", 5, 1, NO, NO, WRITE_ERRNOS),
	WRITE("lchown", 3, 0, NO, NO, WRITE_ERRNOS),
	WRITE("truncate", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("ftruncate", 2, NO, NO, 0, WRITE_ERRNOS),
	WRITE("setxattr", 5, 0, NO, NO, WRITE_ERRNOS),
	WRITE("lsetxattr", 5, 0, NO, NO, WRITE_ERRNOS),
	WRITE("fsetxattr", 5, NO, NO, 0, WRITE_ERRNOS),
	WRITE("setxattrat", 6, 1, NO, NO, WRITE_ERRNOS),
	WRITE("removexattr", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("lremovexattr", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("fremovexattr", 2, NO, NO, 0, WRITE_ERRNOS),
	WRITE("removexattrat", 4, 1, NO, NO, WRITE_ERRNOS),
	WRITE("file_setattr", 5, 1, NO, NO, WRITE_ERRNOS),
	WRITE("mknod", 3, 0, NO, NO, WRITE_ERRNOS),
	WRITE("mknodat", 4, 1, NO, NO, WRITE_ERRNOS),
	/* utimensat(fd, NULL, ...) changes the file open on fd */
	WRITE("utimensat", 4, 1, NO, 0, WRITE_ERRNOS),
	WRITE("utime", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("utimes", 2, 0, NO, NO, WRITE_ERRNOS),
	WRITE("futimesat", 3, 1, NO, NO, WRITE_ERRNOS),
	WRITE("creat", 2, 0, NO, NO, WRITE_ERRNOS),
	{ .name = "open", .nargs = 3, .route = "write", .path_arg = 0,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 1,
	  .cond_mask = WRITE_OPEN, .errnos = WRITE_ERRNOS },
	/* open_how.flags is the first member of the struct args[2] points to */
	{ .name = "openat2", .nargs = 4, .route = "write", .path_arg = 1,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 2,
	  .cond_mask = WRITE_OPEN, .cond_indirect = true,
	  .errnos = WRITE_ERRNOS },
	/* every program's every open: only on request (observe.h) */
	{ .name = "openat", .nargs = 4, .route = "write", .path_arg = 1,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 2,
	  .cond_mask = WRITE_OPEN, .errnos = WRITE_ERRNOS,
	  .only_with = OBSERVE_OPENAT },

	/* what can undo protection: namespaces (flags arg), mounts */
	{ .name = "unshare", .nargs = 1, .route = "namespace", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 0, .cond_mask = NS_FLAGS,
	  .errnos = CHANGE_ERRNOS, .success = true, .kills = true },
	{ .name = "clone", .nargs = 5, .route = "namespace", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 0, .cond_mask = NS_FLAGS,
	  .errnos = CHANGE_ERRNOS, .success = true, .parent_only = true,
	  .kills = true },
	/* clone_args.flags is the first member of the struct args[0] points to */
	{ .name = "clone3", .nargs = 2, .route = "namespace", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = NO, .cond_arg = 0, .cond_mask = NS_FLAGS,
	  .cond_indirect = true, .errnos = CHANGE_ERRNOS, .success = true,
	  .parent_only = true, .kills = true },
	/* setns(fd, 0) joins whatever namespace fd is: reported too */
	{ .name = "setns", .nargs = 2, .route = "namespace", .path_arg = NO,
	  .path2_arg = NO, .fd_arg = 0, .cond_arg = 1, .cond_mask = NS_FLAGS,
	  .cond_zero = true, .errnos = CHANGE_ERRNOS, .success = true },
	/* mount(source, target, ...): path is the target */
	CHANGE("mount", 5, "mount", 1, 0, NO, NO, 0),
	{ .name = "umount2", .tracepoint = "umount", .nargs = 2,
	  .route = "mount", .path_arg = 0, .path2_arg = NO, .fd_arg = NO,
	  .cond_arg = NO, .errnos = CHANGE_ERRNOS, .success = true },
	CHANGE("fsmount", 3, "mount", NO, NO, NO, NO, 0),
	/* fspick + fsconfig(FSCONFIG_CMD_RECONFIGURE) is a remount */
	CHANGE("fspick", 3, "mount", 1, NO, NO, NO, 0),
	/* move_mount(from_dfd, from, to_dfd, to, ...): path is where it goes */
	CHANGE("move_mount", 5, "mount", 3, 1, NO, NO, 0),
	CHANGE("mount_setattr", 5, "mount", 1, NO, NO, NO, 0),
	/* a detached copy of a mount tree (bind mount in the new API) */
	CHANGE("open_tree", 3, "mount", 1, NO, NO, 2, OPEN_TREE_CLONE),
	CHANGE("open_tree_attr", 5, "mount", 1, NO, NO, 2, OPEN_TREE_CLONE),
	CHANGE("pivot_root", 2, "mount", 0, 1, NO, NO, 0),
};

const size_t observe_n_syscalls =
    sizeof(observe_syscalls) / sizeof(observe_syscalls[0]);

const struct observe_syscall *
observe_syscall_find(const char *name)
{
	size_t	i;

	for (i = 0; i < observe_n_syscalls; i++)
		if (strcmp(observe_syscalls[i].name, name) == 0)
			return &observe_syscalls[i];
	return NULL;
}

const char *
observe_syscall_tracepoint(const struct observe_syscall *s)
{
	return s->tracepoint != NULL ? s->tracepoint : s->name;
}

bool
observe_syscall_wanted(const struct observe_syscall *s, unsigned int flags)
{
	return s->only_with == 0 || (flags & s->only_with) != 0;
}

static __u8
rule_arg(int arg)
{
	return arg >= 0 && arg < OBSERVE_NARGS ? (__u8)arg : OBSERVE_ARG_NONE;
}

void
observe_syscall_rule(const struct observe_syscall *s, struct observe_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->cond_mask = s->cond_mask;
	r->errnos = s->errnos;
	r->cond_arg = rule_arg(s->cond_arg);
	if (s->cond_indirect)
		r->flags |= OBSERVE_RULE_COND_INDIRECT;
	if (s->cond_zero)
		r->flags |= OBSERVE_RULE_COND_ZERO;
	if (s->success)
		r->flags |= OBSERVE_RULE_SUCCESS;
	if (s->parent_only)
		r->flags |= OBSERVE_RULE_PARENT;
	if (s->kills)
		r->flags |= OBSERVE_RULE_KILL;
	r->path_arg = rule_arg(s->path_arg);
	r->path2_arg = rule_arg(s->path2_arg);
}

bool
observe_syscall_stashes(const struct observe_syscall *s, uint64_t value)
{
	struct observe_rule	r;

	observe_syscall_rule(s, &r);
	return observe_rule_matches(&r, value) != 0;
}

bool
observe_syscall_kills(const struct observe_syscall *s, long ret)
{
	struct observe_rule	r;

	observe_syscall_rule(s, &r);
	return observe_rule_kills(&r, ret) != 0;
}

int
observe_syscall_kind(const struct observe_syscall *s, long ret)
{
	struct observe_rule	r;

	observe_syscall_rule(s, &r);
	switch (observe_rule_kind(&r, ret)) {
	case OBSERVE_KIND_REFUSAL:
		return OBSERVE_REFUSAL;
	case OBSERVE_KIND_CHANGE:
		return OBSERVE_CHANGE;
	}
	return 0;
}
