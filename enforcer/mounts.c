/*
 * mounts.c: the mount helper, `rtguard __mount-helper` (see harden.h).
 *
 * A process of its own, exec'd by mountjob.c with the container's
 * namespaces on descriptors 4 (mnt) and 5 (pid) and its request as JSON
 * on descriptor 0: it sets vm.memfd_noexec from the container's pid
 * namespace, enters its mount namespace, lists "/", builds the plan and
 * applies it, writing one line per step on descriptor 3. Paths are
 * resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the
 * container's root and mounted by descriptor (open_tree, mount_setattr,
 * move_mount): a container that swaps a directory for a symlink cannot
 * redirect a mount.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "enforcer/harden.h"

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE	0x00004000U	/* Linux 6.8 */
#endif

/* --- the helper (a forked child: syscalls and dprintf only) ------------- */

static void
report_path(int out, const char *what, const char *path)
{
	char	*e = rt_escape_str(path);

	dprintf(out, "%s %s\n", what, e);
	free(e);
}

static int
resolve(int rootfd, const char *path)
{
	struct open_how	how;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how,
	    sizeof(how));
}

static int
setattr(int fd, unsigned int flags, unsigned int set, unsigned int clr)
{
	struct mount_attr	a;

	memset(&a, 0, sizeof(a));
	a.attr_set = set;
	a.attr_clr = clr;
	return mount_setattr(fd, "", AT_EMPTY_PATH | flags, &a, sizeof(a));
}

static int
mount_id(int fd, uint64_t *id)
{
	struct statx	stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE)) {
		errno = ENOTSUP;
		return -1;
	}
	*id = stx.stx_mnt_id;
	return 0;
}

/* A learned write not there yet: the nearest existing directory. */
static int
resolve_existing(int rootfd, char *path)
{
	char	*slash;
	int	 fd;

	while ((fd = resolve(rootfd, path)) < 0 && errno == ENOENT &&
	    (slash = strrchr(path, '/')) != NULL && slash != path)
		*slash = '\0';
	return fd;
}

static int
apply_one(int out, int rootfd, dev_t root_dev, const struct harden_action *a)
{
	struct stat	st;
	char		path[4096];
	uint64_t	id;
	int		tfd, tree, rc = -1;

	snprintf(path, sizeof(path), "%s", a->path);
	tfd = a->op == HARDEN_KEEP_RW ? resolve_existing(rootfd, path) :
	    resolve(rootfd, path);
	if (tfd < 0) {
		/* Nothing there, or a symlink we will not follow. */
		if (errno == ENOENT || errno == ELOOP || errno == EXDEV) {
			report_path(out, "skip", a->path);
			return 0;
		}
		dprintf(out, "error %d resolving %s\n", errno, a->path);
		return -1;
	}
	if (fstat(tfd, &st) < 0)
		goto fail;
	tree = open_tree(tfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		goto fail;
	switch (a->op) {
	case HARDEN_LOCK:
		/*
		 * All of it read-only and noexec, then exec again on the top
		 * when it is the container's own overlay: what is mounted
		 * below (volumes, the engine's files) never runs.
		 */
		if (setattr(tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY |
		    MOUNT_ATTR_NOEXEC, 0) < 0 || (st.st_dev == root_dev &&
		    setattr(tree, 0, 0, MOUNT_ATTR_NOEXEC) < 0))
			goto fail_tree;
		break;
	case HARDEN_NOEXEC:
		if (setattr(tree, AT_RECURSIVE, MOUNT_ATTR_NOEXEC, 0) < 0)
			goto fail_tree;
		break;
	case HARDEN_KEEP_RW:
		/*
		 * Writable again: only the top (an operator's read-only mount
		 * below stays so); noexec, unless the app runs what it writes
		 * here and it is the container's own overlay.
		 */
		if ((!a->exec && setattr(tree, AT_RECURSIVE, MOUNT_ATTR_NOEXEC,
		    0) < 0) || setattr(tree, 0, 0, MOUNT_ATTR_RDONLY) < 0 ||
		    (a->exec && st.st_dev == root_dev &&
		    setattr(tree, 0, 0, MOUNT_ATTR_NOEXEC) < 0))
			goto fail_tree;
		break;
	case HARDEN_ROOT:
		break;
	}
	if (move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail_tree;
	if (mount_id(tree, &id) < 0) {
		/* Mounted, but not recordable: undo it at once. */
		dprintf(out, "error %d no unique mount id for %s\n", errno,
		    path);
		close(tree);
		close(tfd);
		return -1;
	}
	{
		char	*e = rt_escape_str(path);

		dprintf(out, "mount %llu %s\n", (unsigned long long)id, e);
		free(e);
	}
	rc = 0;
fail_tree:
	if (rc < 0)
		dprintf(out, "error %d %s %s\n", errno, harden_op_name(a->op),
		    path);
	close(tree);
	close(tfd);
	return rc;
fail:
	dprintf(out, "error %d %s %s\n", errno, harden_op_name(a->op), path);
	close(tfd);
	return -1;
}

/*
 * The root mount: read-only unless something writes through it, and
 * noexec before the container's first instruction. A container attached
 * while it runs keeps an executable root: its processes hold references
 * to the root mount (their executable, working directory, open files),
 * and busybox, for one, runs its applets by exec'ing /proc/self/exe, a
 * path on that mount. What is reached only through such a reference is
 * still asked about on exec (the overlay's fanotify mark).
 */
static int
apply_root(int out, int rootfd, bool running)
{
	struct statvfs	sv;
	unsigned int	set = 0;

	if (fstatvfs(rootfd, &sv) < 0) {
		dprintf(out, "error %d statvfs /\n", errno);
		return -1;
	}
	if (!running && !(sv.f_flag & ST_NOEXEC)) {
		if (setattr(rootfd, 0, MOUNT_ATTR_NOEXEC, 0) < 0) {
			dprintf(out, "error %d noexec /\n", errno);
			return -1;
		}
		set |= MOUNT_ATTR_NOEXEC;
	}
	/* EBUSY: a file is open for writing through it; noexec suffices. */
	if (!(sv.f_flag & ST_RDONLY) &&
	    setattr(rootfd, 0, MOUNT_ATTR_RDONLY, 0) == 0)
		set |= MOUNT_ATTR_RDONLY;
	dprintf(out, "root %u\n", set);
	return 0;
}

static int
cmp_top(const void *a, const void *b)
{
	return strcmp(((const struct harden_top *)a)->name,
	    ((const struct harden_top *)b)->name);
}

static struct harden_top *
list_top(int rootfd, size_t *n)
{
	struct harden_top	*v = NULL;
	struct dirent		*de;
	DIR			*d;
	int			 fd;

	*n = 0;
	if ((fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[*n].name = xstrdup(de->d_name);
		v[*n].is_dir = de->d_type == DT_DIR;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_top);
	return v;
}

/*
 * The mounts an earlier enforcer made and recorded: those still there,
 * with the same unique id, are ours again (reported, so they are undone
 * at stop). 0 when all are: the plan needs no second layer.
 */
static int
adopt(int out, int rootfd, const struct harden_state *saved)
{
	struct statvfs	 sv;
	uint64_t	 id;
	size_t		 i, alive = 0;
	unsigned int	 root = 0;
	char		*e;
	int		 tfd;

	for (i = 0; i < saved->n; i++) {
		if ((tfd = resolve(rootfd, saved->v[i].path)) < 0)
			continue;
		if (mount_id(tfd, &id) == 0 && id == saved->v[i].id) {
			e = rt_escape_str(saved->v[i].path);
			dprintf(out, "mount %llu %s\n", (unsigned long long)id,
			    e);
			free(e);
			alive++;
		}
		close(tfd);
	}
	if (fstatvfs(rootfd, &sv) == 0) {
		if ((saved->root_set & MOUNT_ATTR_NOEXEC) &&
		    (sv.f_flag & ST_NOEXEC))
			root |= MOUNT_ATTR_NOEXEC;
		if ((saved->root_set & MOUNT_ATTR_RDONLY) &&
		    (sv.f_flag & ST_RDONLY))
			root |= MOUNT_ATTR_RDONLY;
	}
	if (alive < saved->n || root != saved->root_set)
		return -1;
	dprintf(out, "root %u\nadopted\n", root);
	return 0;
}

/* Write 2 to vm.memfd_noexec from inside the container's pid namespace. */
static void
set_memfd_noexec(int out, int pidns)
{
	pid_t	g;
	int	status, fd;

	if (setns(pidns, CLONE_NEWPID) < 0) {
		dprintf(out, "error %d entering the pid namespace\n", errno);
		return;
	}
	if ((g = fork()) < 0) {
		dprintf(out, "error %d fork\n", errno);
		return;
	}
	if (g == 0) {
		/* The sysctl applies to the writer's pid namespace. */
		fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
		_exit(fd >= 0 && write(fd, "2\n", 2) == 2 ? 0 : 1);
	}
	while (waitpid(g, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		dprintf(out, "memfd\n");
	else
		dprintf(out, "error %d setting vm.memfd_noexec=2\n", EIO);
}

struct helper_fds {
	int	out, mntns, pidns;
};

/*
 * A mount made below a root mount that shares propagation with the host
 * would appear on the host too: refuse (the caller says why). mountinfo
 * of pid, read on the host's /proc before entering the namespace; the
 * root is the last mount at the container's root path.
 */
static int
root_is_shared(pid_t pid, const char *root)
{
	char	 path[64], line[8192], mp[4096];
	FILE	*f;
	int	 shared = 0;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) == 1 &&
		    strcmp(mp, root) == 0)
			shared = strstr(line, " shared:") != NULL &&
			    strstr(line, " shared:") < strstr(line, " - ");
	fclose(f);
	return shared;
}

static int
helper_apply(const struct helper_fds *f, const struct harden_request *rq)
{
	struct harden_plan	 plan;
	struct harden_top	*top;
	struct stat		 st;
	size_t			 n_top, i;
	int			 rootfd;

	if (root_is_shared(rq->pid, rq->prefix[0] ? rq->prefix : "/") == 1) {
		dprintf(f->out, "error %d its root mount propagates to the host "
		    "(shared): mounts made there would leak out\n", EPERM);
		return 1;
	}
	if (rq->memfd_noexec && f->pidns >= 0)
		set_memfd_noexec(f->out, f->pidns);
	if (setns(f->mntns, CLONE_NEWNS) < 0) {
		dprintf(f->out, "error %d entering the mount namespace\n",
		    errno);
		return 1;
	}
	rootfd = open(rq->prefix[0] ? rq->prefix : "/", O_PATH | O_DIRECTORY |
	    O_CLOEXEC);
	if (rootfd < 0 || fstat(rootfd, &st) < 0) {
		dprintf(f->out, "error %d opening the container's root\n",
		    errno);
		return 1;
	}
	if (rq->saved != NULL && rq->saved->n > 0 &&
	    adopt(f->out, rootfd, rq->saved) == 0)
		return 0;
	top = list_top(rootfd, &n_top);
	harden_plan_build(rq->protected, rq->writable, rq->baseline, top,
	    n_top, &plan);
	for (i = 0; i < plan.n; i++) {
		if (plan.v[i].op == HARDEN_ROOT) {
			if (apply_root(f->out, rootfd, rq->prefix[0] == '\0') <
			    0)
				return 1;
		} else if (apply_one(f->out, rootfd, st.st_dev, &plan.v[i]) < 0)
			return 1;
	}
	return 0;
}

/*
 * Unmount the mounts of hs that are still ours, where we put them.
 * umount2 takes a path: each descriptor's, through our own fd directory
 * on the host's /proc (procfd, opened before entering the namespace).
 */
static int
undo_mounts(int out, int rootfd, int procfd, const struct harden_state *hs)
{
	char		name[16];
	uint64_t	id;
	size_t		i;
	int		tfd, bad = 0;

	for (i = hs->n; i-- > 0;) {
		if ((tfd = resolve(rootfd, hs->v[i].path)) < 0)
			continue;
		if (mount_id(tfd, &id) < 0 || id != hs->v[i].id) {
			report_path(out, "skip", hs->v[i].path);
			close(tfd);
			continue;
		}
		snprintf(name, sizeof(name), "%d", tfd);
		if (fchdir(procfd) < 0 || umount2(name, MNT_DETACH) < 0) {
			dprintf(out, "error %d unmounting %s\n", errno,
			    hs->v[i].path);
			bad = 1;
		} else
			dprintf(out, "unmount %llu\n",
			    (unsigned long long)hs->v[i].id);
		close(tfd);
	}
	return bad;
}

/* Enter the namespace; our fd directory first, while /proc is the host's. */
static int
enter(const struct helper_fds *f, int *procfd)
{
	if ((*procfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		dprintf(f->out, "error %d /proc/self/fd\n", errno);
		return -1;
	}
	if (setns(f->mntns, CLONE_NEWNS) < 0) {
		dprintf(f->out, "error %d entering the mount namespace\n",
		    errno);
		return -1;
	}
	return 0;
}

static int
helper_undo(const struct helper_fds *f, const struct harden_state *hs)
{
	int	rootfd, procfd, bad;

	if (enter(f, &procfd) < 0)
		return 1;
	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		dprintf(f->out, "error %d opening the container's root\n",
		    errno);
		return 1;
	}
	bad = undo_mounts(f->out, rootfd, procfd, hs);
	if (hs->root_set != 0 && setattr(rootfd, 0, 0, hs->root_set) < 0) {
		dprintf(f->out, "error %d restoring the root mount\n", errno);
		bad = 1;
	}
	return bad;
}

/* A policy reload: some writable places go, others come. */
static int
helper_update(const struct helper_fds *f, const struct harden_request *rq)
{
	struct harden_action	a;
	struct stat		st;
	size_t			i;
	int			rootfd, procfd, bad = 0;

	if (enter(f, &procfd) < 0)
		return 1;
	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(rootfd, &st) < 0) {
		dprintf(f->out, "error %d opening the container's root\n",
		    errno);
		return 1;
	}
	if (rq->remove != NULL)
		bad = undo_mounts(f->out, rootfd, procfd, rq->remove);
	memset(&a, 0, sizeof(a));
	a.op = HARDEN_KEEP_RW;
	for (i = 0; rq->add != NULL && rq->add[i] != NULL; i++) {
		a.path = (char *)rq->add[i];
		if (apply_one(f->out, rootfd, st.st_dev, &a) < 0)
			bad = 1;
	}
	return bad;
}


int
harden_helper_main(void)
{
	struct harden_wire	 w;
	struct helper_fds	 f;
	struct stat		 st;
	json_error_t		 je;
	json_t			*o;

	(void)prctl(PR_SET_DUMPABLE, 0);
	f.out = 3;
	f.mntns = 4;
	f.pidns = fstat(5, &st) == 0 ? 5 : -1;
	if (fstat(f.out, &st) < 0 || fstat(f.mntns, &st) < 0) {
		fprintf(stderr, "rtguard: __mount-helper is run by 'rtguard "
		    "enforce' only\n");
		return 2;
	}
	if ((o = json_loadfd(0, JSON_DISABLE_EOF_CHECK, &je)) == NULL) {
		dprintf(f.out, "error %d request: %s\n", EPROTO, je.text);
		return 1;
	}
	if (harden_wire_decode(o, &w) < 0) {
		dprintf(f.out, "error %d request: %s\n", EPROTO, w.error);
		return 1;
	}
	/* Allocations are left to exit: this process does one request. */
	switch (w.op) {
	case HARDEN_WIRE_UNDO:
		return helper_undo(&f, &w.remove);
	case HARDEN_WIRE_UPDATE:
		return helper_update(&f, &w.rq);
	default:
		return helper_apply(&f, &w.rq);
	}
}
