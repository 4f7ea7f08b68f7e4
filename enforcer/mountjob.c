/*
 * mountjob.c: the loop's side of the mount helper (see harden.h).
 *
 * The helper is this binary exec'd as `rtguard __mount-helper` (mounts.c),
 * a fresh process with only the descriptors it needs. Its report comes on
 * a pipe read by the loop; the pipe's end of file is the helper's end,
 * reaped without waiting, so no answer to a permission event ever waits
 * for a mount. A helper that takes longer than HELPER_TIMEOUT_S is killed.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "enforcer/harden.h"

#define HELPER_TIMEOUT_S	10
#define REPORT_MAX		(1024 * 1024)

struct helper_fds {
	int	out, mntns, pidns;
};


struct harden_job {
	struct event	*out_ev, *timer;
	int		 out;
	pid_t		 pid;		/* not reaped yet: never reused */
	char		*buf;
	size_t		 len;
	harden_cb	 cb;
	void		*arg;
	bool		 eof, timed_out;
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
 * Exec the helper (this binary, rtguard __mount-helper) with the request
 * in a memfd on 0, the report pipe on 3, the namespaces on 4 and 5, and
 * nothing else: no memory, thread or descriptor of the daemon goes with
 * it. The parent keeps the read end of the pipe.
 */
static pid_t
spawn(struct helper_fds *f, const char *request, int *out_read,
    struct rt_error *err)
{
	static char	*const argv[] = { "rtguard", "__mount-helper", NULL };
	static char	*const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			    NULL };
	size_t		 len = strlen(request);
	pid_t		 pid;
	ssize_t		 n;
	char		 self[PATH_MAX] = "/proc/self/exe";
	int		 p[2], mfd;

	/*
	 * By name rather than /proc/self/exe: under valgrind that is
	 * valgrind, and the helper would not be this binary. A binary
	 * replaced since it started is reached through /proc/self/exe.
	 */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if (strstr(self, " (deleted)") != NULL || self[0] != '/')
			snprintf(self, sizeof(self), "/proc/self/exe");
	}
	if ((mfd = memfd_create("rtguard-mount-request", MFD_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "memfd_create");
	if (write(mfd, request, len) != (ssize_t)len ||
	    lseek(mfd, 0, SEEK_SET) != 0) {
		close(mfd);
		return rt_error_sys(err, errno, "writing the mount request");
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(mfd);
		return rt_error_sys(err, errno, "pipe");
	}
	if ((pid = fork()) < 0) {
		rt_error_sys(err, errno, "fork");
		close(mfd);
		close(p[0]);
		close(p[1]);
		return -err->code;
	}
	if (pid == 0) {
		if (dup2(mfd, 0) < 0 || dup2(p[1], 3) < 0 ||
		    dup2(f->mntns, 4) < 0 ||
		    (f->pidns >= 0 ? dup2(f->pidns, 5) : close(5)) < 0)
			_exit(126);
		(void)syscall(SYS_close_range, 6, ~0U, 0);
		execve(self, argv, envp);
		dprintf(3, "error %d exec of the mount helper\n", errno);
		_exit(127);
	}
	close(mfd);
	close(p[1]);
	*out_read = p[0];
	return pid;
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

/* Read what is there; *eof when the helper has closed its end. */
static void
job_read(struct harden_job *job)
{
	ssize_t	r;

	for (;;) {
		if (job->len + 4096 + 1 > REPORT_MAX) {
			job->eof = true;	/* a report that big is broken */
			return;
		}
		job->buf = xreallocarray(job->buf, 1, job->len + 4096 + 1);
		r = read(job->out, job->buf + job->len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			job->eof = true;
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
	event_free(job->timer);
	close(job->out);
	free(job->buf);
	free(job);
}

static void
job_finish(struct harden_job *job, int status)
{
	struct harden_state	st;
	struct rt_error		err;
	int			rc;

	rt_error_clear(&err);
	rc = harden_report_parse(job->buf != NULL ? job->buf : "", &st, &err);
	if (rc == 0 && job->timed_out)
		rc = rt_error_set(&err, ETIMEDOUT, "the mount helper did not "
		    "finish within %d s", HELPER_TIMEOUT_S);
	else if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		rc = rt_error_set(&err, EIO, "the mount helper failed "
		    "(status %d)", status);
	job->cb(rc, &err, &st, job->arg);
	job_free(job);
}

/*
 * The pipe's end of file comes as the helper exits: reap it without
 * blocking, and look again a moment later if it is not a zombie yet.
 */
static void
job_reap(evutil_socket_t fd, short what, void *arg)
{
	struct harden_job	*job = arg;
	struct timeval		 tv = { 0, 1000 };
	pid_t			 r;
	int			 status = 0;

	(void)fd;
	(void)what;
	while ((r = waitpid(job->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		event_free(job->timer);
		job->timer = evtimer_new(event_get_base(job->out_ev), job_reap,
		    job);
		evtimer_add(job->timer, &tv);
		return;
	}
	job_finish(job, r < 0 ? -1 : status);
}

static void
job_out_readable(evutil_socket_t fd, short what, void *arg)
{
	struct harden_job	*job = arg;

	(void)fd;
	(void)what;
	job_read(job);
	if (job->eof) {
		event_del(job->out_ev);
		job_reap(-1, 0, job);
	}
}

static void
job_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct harden_job	*job = arg;

	(void)fd;
	(void)what;
	job->timed_out = true;
	kill(job->pid, SIGKILL);	/* the pipe's EOF follows */
}

int
harden_start(struct event_base *base, const struct harden_request *rq,
    harden_cb cb, void *arg, struct harden_job **out, struct rt_error *err)
{
	struct harden_job	*job;
	struct helper_fds	 f;
	struct timeval		 tv = { HELPER_TIMEOUT_S, 0 };
	char			*req;
	pid_t			 pid;
	int			 rd;

	*out = NULL;
	if (fds_open(rq->pid, rq->memfd_noexec && !rq->update, &f, err) < 0)
		return -err->code;
	req = harden_wire_encode(rq, NULL);
	pid = spawn(&f, req, &rd, err);
	free(req);
	fds_close(&f);
	if (pid < 0)
		return (int)pid;
	(void)fcntl(rd, F_SETFL, O_NONBLOCK);
	job = xcalloc(1, sizeof(*job));
	job->out = rd;
	job->pid = pid;
	job->cb = cb;
	job->arg = arg;
	job->out_ev = event_new(base, rd, EV_READ | EV_PERSIST,
	    job_out_readable, job);
	job->timer = evtimer_new(base, job_timeout, job);
	event_add(job->out_ev, NULL);
	evtimer_add(job->timer, &tv);
	*out = job;
	return 0;
}

void
harden_cancel(struct harden_job *job, struct harden_state *done)
{
	struct rt_error	err;

	memset(done, 0, sizeof(*done));
	if (job == NULL)
		return;
	kill(job->pid, SIGKILL);
	/* Killed: it is gone at once, the reap does not wait. */
	while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR)
		;
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
	char			*req;
	pid_t			 c;
	int			 rc, waited = 0;

	if (st->n == 0 && st->root_set == 0)
		return 0;
	if (fds_open(pid, false, &f, err) < 0)
		return -err->code;
	req = harden_wire_encode(NULL, st);
	c = spawn(&f, req, &pfd.fd, err);
	free(req);
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
