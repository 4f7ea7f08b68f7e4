/*
 * mounts.c: the helper that applies a mount plan inside a container's
 * namespaces, and the loop's side of it (see harden.h).
 *
 * The helper is forked, never exec'd: it sets vm.memfd_noexec from the
 * container's pid namespace, enters its mount namespace, lists "/", builds
 * the plan and applies it, writing one line per step on a pipe. The loop
 * reads the pipe and learns of the helper's end through a pidfd, so no
 * answer to a permission event ever waits for a mount. Paths are resolved
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the container's
 * root and mounted by descriptor (open_tree, mount_setattr, move_mount):
 * a container that swaps a directory for a symlink cannot redirect a mount.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
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
#define HELPER_TIMEOUT_S	10
#define REPORT_MAX		(1024 * 1024)

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

/* The root mount: noexec always, read-only unless something writes. */
static int
apply_root(int out, int rootfd)
{
	struct statvfs	sv;
	unsigned int	set = 0;

	if (fstatvfs(rootfd, &sv) < 0) {
		dprintf(out, "error %d statvfs /\n", errno);
		return -1;
	}
	if (!(sv.f_flag & ST_NOEXEC)) {
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

static int
helper_apply(const struct helper_fds *f, const struct harden_request *rq)
{
	struct harden_plan	 plan;
	struct harden_top	*top;
	struct stat		 st;
	size_t			 n_top, i;
	int			 rootfd;

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
	top = list_top(rootfd, &n_top);
	harden_plan_build(rq->protected, rq->baseline, top, n_top, &plan);
	for (i = 0; i < plan.n; i++) {
		if (plan.v[i].op == HARDEN_ROOT) {
			if (apply_root(f->out, rootfd) < 0)
				return 1;
		} else if (apply_one(f->out, rootfd, st.st_dev, &plan.v[i]) < 0)
			return 1;
	}
	return 0;
}

static int
helper_undo(const struct helper_fds *f, const struct harden_state *hs)
{
	char		name[16];
	uint64_t	id;
	size_t		i;
	int		rootfd, tfd, procfd, bad = 0;

	/* Our own fd directory, on the host's /proc, before leaving it. */
	if ((procfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		dprintf(f->out, "error %d /proc/self/fd\n", errno);
		return 1;
	}
	if (setns(f->mntns, CLONE_NEWNS) < 0) {
		dprintf(f->out, "error %d entering the mount namespace\n",
		    errno);
		return 1;
	}
	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		dprintf(f->out, "error %d opening the container's root\n",
		    errno);
		return 1;
	}
	for (i = hs->n; i-- > 0;) {
		if ((tfd = resolve(rootfd, hs->v[i].path)) < 0)
			continue;
		/* Only a mount that is still ours, where we put it. */
		if (mount_id(tfd, &id) < 0 || id != hs->v[i].id) {
			report_path(f->out, "skip", hs->v[i].path);
			close(tfd);
			continue;
		}
		/*
		 * umount2 takes a path: this descriptor's, through the host's
		 * /proc/self/fd (opened before entering the namespace).
		 */
		snprintf(name, sizeof(name), "%d", tfd);
		if (fchdir(procfd) < 0 || umount2(name, MNT_DETACH) < 0) {
			dprintf(f->out, "error %d unmounting %s\n", errno,
			    hs->v[i].path);
			bad = 1;
		}
		close(tfd);
	}
	if (hs->root_set != 0 && setattr(rootfd, 0, 0, hs->root_set) < 0) {
		dprintf(f->out, "error %d restoring the root mount\n", errno);
		bad = 1;
	}
	return bad;
}

/* --- the loop's side ------------------------------------------------------ */

struct harden_job {
	struct event	*out_ev, *exit_ev, *timer;
	int		 out, pidfd;
	pid_t		 pid;
	char		*buf;
	size_t		 len;
	harden_cb	 cb;
	void		*arg;
	bool		 timed_out;
};

static int
open_ns(pid_t pid, const char *ns, struct rt_error *err)
{
	char	path[64];
	int	fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	return fd;
}

static bool
same_ns(int fd, const char *ns)
{
	struct stat	a, b;
	char		path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/*
 * Fork the helper with only f's descriptors open (dup'd to 3..5), run fn
 * there. The parent keeps the read end of the pipe.
 */
static pid_t
spawn(struct helper_fds *f, int (*fn)(const struct helper_fds *,
    const void *), const void *arg, int *out_read, struct rt_error *err)
{
	struct helper_fds	 c;
	int			 p[2];
	pid_t			 pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_error_sys(err, errno, "pipe");
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return rt_error_sys(err, errno, "fork");
	}
	if (pid == 0) {
		/* Nobody in the container may trace or read us. */
		(void)prctl(PR_SET_DUMPABLE, 0);
		if (dup2(p[1], 3) < 0 || dup2(f->mntns, 4) < 0 ||
		    (f->pidns >= 0 && dup2(f->pidns, 5) < 0))
			_exit(1);
		(void)syscall(SYS_close_range, 6, ~0U, 0);
		c.out = 3;
		c.mntns = 4;
		c.pidns = f->pidns >= 0 ? 5 : -1;
		_exit(fn(&c, arg));
	}
	close(p[1]);
	*out_read = p[0];
	return pid;
}

static int
run_apply(const struct helper_fds *f, const void *arg)
{
	return helper_apply(f, arg);
}

static int
run_undo(const struct helper_fds *f, const void *arg)
{
	return helper_undo(f, arg);
}

static int
fds_open(pid_t pid, bool want_pidns, struct helper_fds *f,
    struct rt_error *err)
{
	f->out = -1;
	f->pidns = -1;
	if ((f->mntns = open_ns(pid, "mnt", err)) < 0)
		return -err->code;
	if (same_ns(f->mntns, "mnt")) {
		close(f->mntns);
		return rt_error_set(err, EPERM, "pid %d shares the host's mount "
		    "namespace: no mounts can be made for it alone", (int)pid);
	}
	if (want_pidns && (f->pidns = open_ns(pid, "pid", err)) >= 0 &&
	    same_ns(f->pidns, "pid")) {
		/* Never change the host's own setting. */
		close(f->pidns);
		f->pidns = -1;
	}
	return 0;
}

static void
fds_close(struct helper_fds *f)
{
	close(f->mntns);
	if (f->pidns >= 0)
		close(f->pidns);
}

static void
job_read(struct harden_job *job)
{
	ssize_t	r;

	for (;;) {
		if (job->len + 4096 + 1 > REPORT_MAX)
			return;
		job->buf = xreallocarray(job->buf, 1, job->len + 4096 + 1);
		r = read(job->out, job->buf + job->len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		job->len += (size_t)r;
	}
	job->buf[job->len] = '\0';
}

static void
job_free(struct harden_job *job)
{
	event_free(job->out_ev);
	event_free(job->exit_ev);
	event_free(job->timer);
	close(job->out);
	close(job->pidfd);
	free(job->buf);
	free(job);
}

static void
job_out_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_read(arg);
}

static void
job_exited(evutil_socket_t fd, short what, void *arg)
{
	struct harden_job	*job = arg;
	struct harden_state	 st;
	struct rt_error		 err;
	siginfo_t		 si;
	int			 rc;

	(void)fd;
	(void)what;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)job->pidfd, &si, WEXITED) < 0 &&
	    errno == EINTR)
		;
	job_read(job);
	rt_error_clear(&err);
	rc = harden_report_parse(job->buf != NULL ? job->buf : "", &st, &err);
	if (rc == 0 && job->timed_out)
		rc = rt_error_set(&err, ETIMEDOUT, "the mount helper did not "
		    "finish within %d s", HELPER_TIMEOUT_S);
	else if (rc == 0 && (si.si_code != CLD_EXITED || si.si_status != 0))
		rc = rt_error_set(&err, EIO, "the mount helper failed "
		    "(status %d)", si.si_status);
	job->cb(rc, &err, &st, job->arg);
	job_free(job);
}

static void
job_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct harden_job	*job = arg;

	(void)fd;
	(void)what;
	job->timed_out = true;
	(void)syscall(SYS_pidfd_send_signal, job->pidfd, SIGKILL, NULL, 0);
}

int
harden_start(struct event_base *base, const struct harden_request *rq,
    harden_cb cb, void *arg, struct harden_job **out, struct rt_error *err)
{
	struct harden_job	*job;
	struct helper_fds	 f;
	struct timeval		 tv = { HELPER_TIMEOUT_S, 0 };
	pid_t			 pid;
	int			 rd, pidfd;

	*out = NULL;
	if (fds_open(rq->pid, rq->memfd_noexec, &f, err) < 0)
		return -err->code;
	pid = spawn(&f, run_apply, rq, &rd, err);
	fds_close(&f);
	if (pid < 0)
		return (int)pid;
	if ((pidfd = pidfd_open(pid, 0)) < 0) {
		rt_error_sys(err, errno, "pidfd_open");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(rd);
		return -err->code;
	}
	(void)fcntl(rd, F_SETFL, O_NONBLOCK);
	job = xcalloc(1, sizeof(*job));
	job->out = rd;
	job->pidfd = pidfd;
	job->pid = pid;
	job->cb = cb;
	job->arg = arg;
	job->out_ev = event_new(base, rd, EV_READ | EV_PERSIST,
	    job_out_readable, job);
	job->exit_ev = event_new(base, pidfd, EV_READ, job_exited, job);
	job->timer = evtimer_new(base, job_timeout, job);
	event_add(job->out_ev, NULL);
	event_add(job->exit_ev, NULL);
	evtimer_add(job->timer, &tv);
	*out = job;
	return 0;
}

void
harden_cancel(struct harden_job *job, struct harden_state *done)
{
	struct rt_error	err;
	siginfo_t	si;

	memset(done, 0, sizeof(*done));
	if (job == NULL)
		return;
	(void)syscall(SYS_pidfd_send_signal, job->pidfd, SIGKILL, NULL, 0);
	/* Killed: it is gone at once, the reap does not wait. */
	(void)waitid(P_PIDFD, (id_t)job->pidfd, &si, WEXITED);
	job_read(job);
	(void)harden_report_parse(job->buf != NULL ? job->buf : "", done, &err);
	job_free(job);
}

int
harden_undo(pid_t pid, const struct harden_state *st, struct rt_error *err)
{
	struct harden_state	 back;
	struct helper_fds	 f;
	struct harden_job	 job;
	struct pollfd		 pfd;
	pid_t			 c;
	int			 rc, waited = 0;

	if (st->n == 0 && st->root_set == 0)
		return 0;
	if (fds_open(pid, false, &f, err) < 0)
		return -err->code;
	c = spawn(&f, run_undo, st, &pfd.fd, err);
	fds_close(&f);
	if (c < 0)
		return (int)c;
	memset(&job, 0, sizeof(job));
	job.out = pfd.fd;
	pfd.events = POLLIN;
	(void)fcntl(pfd.fd, F_SETFL, O_NONBLOCK);
	/* Read until the helper closes its end, for at most the timeout. */
	while (waited < HELPER_TIMEOUT_S * 10) {
		if ((rc = poll(&pfd, 1, 100)) < 0 && errno != EINTR)
			break;
		if (rc == 0) {
			waited++;
			continue;
		}
		job_read(&job);
		if (pfd.revents & (POLLHUP | POLLERR))
			break;
	}
	if (waited >= HELPER_TIMEOUT_S * 10)
		kill(c, SIGKILL);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
	close(pfd.fd);
	rc = harden_report_parse(job.buf != NULL ? job.buf : "", &back, err);
	harden_state_free(&back);
	free(job.buf);
	if (rc == 0 && waited >= HELPER_TIMEOUT_S * 10)
		rc = rt_error_set(err, ETIMEDOUT, "the unmount helper did not "
		    "finish within %d s", HELPER_TIMEOUT_S);
	if (rc < 0)
		return rt_error_wrap(err, "undoing mounts in pid %d's namespace",
		    (int)pid);
	return 0;
}
