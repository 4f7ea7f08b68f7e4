/*
 * answer.c: the permission-event answer path.
 *
 * Decides from memory and the event itself (its descriptor, the blocked
 * thread's /proc entries), answers, adds an in-kernel ignore mark when the
 * decision may be cached, and only then queues the record. It never opens
 * a file on the marked filesystem (it would wait on itself), never waits
 * on the disk, the engine or the alert output.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "enforcer/internal.h"

#define DELETED_SUFFIX	" (deleted)"

static void
answer(int gfd, int efd, bool allow)
{
	struct fanotify_response	r = { efd, allow ? FAN_ALLOW : FAN_DENY };
	ssize_t				n;

	do
		n = write(gfd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		log_warn("fanotify answer");
}

/*
 * The loader comes with every dynamic exec and is never cached in the
 * kernel; its inode, once seen as image content that cannot change, is
 * remembered so that its events skip the path and origin reads.
 */
static const struct enf_loader *
loader_known(const struct enf_container *ec, const struct stat *st)
{
	size_t	i;

	for (i = 0; i < ec->n_loaders; i++)
		if (ec->loaders[i].dev == st->st_dev &&
		    ec->loaders[i].ino == st->st_ino)
			return &ec->loaders[i];
	return NULL;
}

/*
 * A loader seen, as immutable image content: remembered, and when the
 * kernel can refuse its direct runs itself (the observer's exec
 * tracepoint) and no policy allows them, handed over to it.
 */
static const struct enf_loader *
loader_remember(struct enf_container *ec, const struct stat *st,
    const char *path)
{
	struct enf_loader	*l;

	if ((l = (struct enf_loader *)loader_known(ec, st)) != NULL)
		return l;
	if (ec->n_loaders == ENF_LOADERS || strlen(path) >= sizeof(l->path))
		return NULL;
	l = &ec->loaders[ec->n_loaders++];
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	memcpy(l->path, path, strlen(path) + 1);
	l->kernel = policy_check_exec(ec->ctx.policy, ec->ctx.image_ref,
	    path) != POLICY_ALLOW && enf_observe_loader(ec, st->st_ino);
	return l;
}

static bool cache_allowed(int fd);

static void
decide_exec_event(struct enf_container *ec, int fd, const struct stat *st,
    pid_t tid, const char *path, bool deleted, struct decision *d)
{
	const struct enf_loader	*l;
	struct exec_query	 q;
	struct rt_error		 err;
	char			 hex[SHA256_HEX_LEN + 1];

	memset(&q, 0, sizeof(q));
	q.path = path;
	q.deleted = deleted;
	q.origin = container_file_origin(ec->c, fd, path);
	q.loader = q.origin == ORIGIN_IMAGE && decide_is_loader_path(path) ?
	    procinfo_loader_use(ec->names, tid, st) : LOADER_NOT_A_LOADER;
	decide_exec(&ec->ctx, &q, d);
	if (q.loader != LOADER_NOT_A_LOADER && !deleted && cache_allowed(fd) &&
	    (l = loader_remember(ec, st, path)) != NULL &&
	    d->verdict == VERDICT_ALLOW && (l->kernel ||
	    policy_check_exec(ec->ctx.policy, ec->ctx.image_ref, path) ==
	    POLICY_ALLOW))
		/* Direct runs are the kernel's (or allowed): cache it. */
		d->cacheable = true;
	if (d->verdict != VERDICT_NEED_HASH)
		return;
	if (sha256_fd_cached(&ec->enf->hashes, fd, hex, &err) < 0) {
		log_warnx("hashing %s: %s", path, err.msg);
		hex[0] = '\0';
	}
	q.sha256 = hex;
	decide_exec(&ec->ctx, &q, d);
}

/*
 * An allowed exec may be cached in the kernel (an ignore mark: no more
 * events for the inode) only when its file cannot change under the
 * container: on a read-only mount, with no other name it could be
 * reached and written by. The mark goes when the file is modified (no
 * FAN_MARK_IGNORED_SURV_MODIFY), and mmap writes or renames cannot
 * happen on a read-only mount at all.
 */
static bool
cache_allowed(int fd)
{
	struct statvfs	sv;
	struct stat	st;

	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY) &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

static void
read_path(int fd, char *path, size_t len, bool *deleted)
{
	char	link[64];
	ssize_t	n;
	size_t	l, sl = strlen(DELETED_SUFFIX);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, len - 1);
	path[n > 0 ? n : 0] = '\0';
	l = strlen(path);
	*deleted = l > sl && strcmp(path + l - sl, DELETED_SUFFIX) == 0;
	if (*deleted)
		path[l - sl] = '\0';
}

/*
 * A storm of refused execs of one binary (a loop, a fork bomb) costs one
 * decision: a refusal of a file that cannot change (cache_allowed) is
 * remembered for its inode, so its repeats skip path, hash and decision,
 * and are counted in the open aggregation window without reading who
 * asked again. Forgotten on a policy reload.
 */
static struct enf_denial *
denial_find(struct enf_container *ec, const struct stat *st)
{
	struct enf_denial	*x = &ec->denials[st->st_ino % ENF_DENIALS];

	return x->used && x->dev == st->st_dev && x->ino == st->st_ino ?
	    x : NULL;
}

static void
denial_remember(struct enf_container *ec, const struct stat *st,
    const char *path, const struct decision *d)
{
	struct enf_denial	*x = &ec->denials[st->st_ino % ENF_DENIALS];

	if (strlen(path) >= sizeof(x->path))
		return;
	x->used = true;
	x->dev = st->st_dev;
	x->ino = st->st_ino;
	memcpy(x->path, path, strlen(path) + 1);
	x->d = *d;
}

static void
on_exec(struct enf_container *ec, int gfd,
    const struct fanotify_event_metadata *md)
{
	struct enforcer			*enf = ec->enf;
	const struct enf_loader		*known;
	struct enf_denial		*x;
	struct exec_query		 q;
	struct proc_identity		 who;
	struct decision			 d;
	struct stat			 st;
	char				 path[PATH_MAX];
	bool				 deleted = false, enforce;

	if (fstat(md->fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	if ((x = denial_find(ec, &st)) != NULL) {
		enforce = ec->mode == POLICY_MODE_PROTECT;
		if (alerts_repeat(enf, ec, EVENT_EXEC, x->path, enforce,
		    x->d.reason)) {
			answer(gfd, md->fd, !enforce);
			enf->decisions++;
			return;
		}
		snprintf(path, sizeof(path), "%s", x->path);
		d = x->d;
	} else if ((known = loader_known(ec, &st)) != NULL) {
		/* The fast path of every dynamic exec. */
		snprintf(path, sizeof(path), "%s", known->path);
		memset(&q, 0, sizeof(q));
		q.path = path;
		q.origin = ORIGIN_IMAGE;
		q.loader = procinfo_loader_use(ec->names, md->pid, &st);
		decide_exec(&ec->ctx, &q, &d);
		if (known->kernel && d.verdict == VERDICT_ALLOW)
			d.cacheable = true;	/* flushed by a reload: again */
	} else {
		read_path(md->fd, path, sizeof(path), &deleted);
		container_path(ec->c, path);
		decide_exec_event(ec, md->fd, &st, md->pid, path, deleted, &d);
		if (d.verdict == VERDICT_DENY && !deleted &&
		    strcmp(d.route, "loader") != 0 && cache_allowed(md->fd))
			denial_remember(ec, &st, path, &d);
	}
	enforce = d.verdict == VERDICT_DENY && ec->mode == POLICY_MODE_PROTECT;
	/* Who asked, read while the thread still waits (refusals only). */
	if (d.verdict == VERDICT_DENY && !alerts_repeat(enf, ec, EVENT_EXEC,
	    path, enforce, d.reason)) {
		procinfo_identity(md->pid, &who);
		answer(gfd, md->fd, !enforce);
		alerts_record(enf, ec, &who, EVENT_EXEC, path, enforce,
		    d.route, d.reason);
		enf->decisions++;
		return;
	}
	answer(gfd, md->fd, !enforce);
	enf->decisions++;
	if (d.verdict == VERDICT_DENY)
		return;		/* counted in its window */
	ec->allowed++;
	if (d.cacheable && cache_allowed(md->fd) &&
	    fanotify_mark(gfd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK,
	    FAN_OPEN_EXEC_PERM, md->fd, NULL) < 0)
		log_debug("ignore mark on %s: %s", path, strerror(errno));
}

/* Monitor mode: content written (a notification; nothing waits). */
static void
on_write(struct enf_container *ec, int gfd,
    const struct fanotify_event_metadata *md)
{
	struct proc_identity	 who;
	struct decision		 d;
	char			 path[PATH_MAX];
	bool			 deleted;

	read_path(md->fd, path, sizeof(path), &deleted);
	container_path(ec->c, path);
	decide_open(&ec->ctx, path, INTENT_WRITE, &d);
	/*
	 * One event per inode is enough (a log written all day costs one):
	 * further writes to it are ignored, surviving modification.
	 */
	(void)fanotify_mark(gfd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK |
	    FAN_MARK_IGNORED_SURV_MODIFY, FAN_CLOSE_WRITE | FAN_MODIFY, md->fd,
	    NULL);
	if (d.verdict != VERDICT_DENY)
		return;
	procinfo_identity(md->pid, &who);
	alerts_record(ec->enf, ec, &who, EVENT_WRITE, path, false, d.route,
	    d.reason);
}

void
enf_container_event(struct fangroup *g,
    const struct fanotify_event_metadata *md, void *arg)
{
	struct enf_container	*ec = arg;
	int			 gfd = fangroup_fd(g);

	if (md->mask & FAN_OPEN_EXEC_PERM) {
		ec->started = true;	/* the entrypoint, or later */
		on_exec(ec, gfd, md);
	}
	else if (md->mask & (FAN_CLOSE_WRITE | FAN_MODIFY))
		on_write(ec, gfd, md);
	else if (md->mask & (FAN_OPEN_PERM | FAN_ACCESS_PERM))
		answer(gfd, md->fd, true);	/* not asked for: never block */
}
