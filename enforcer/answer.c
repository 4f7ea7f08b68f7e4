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

static void
decide_exec_event(struct enf_container *ec, int fd, pid_t tid,
    const char *path, bool deleted, struct decision *d)
{
	struct exec_query	q;
	struct rt_error		err;
	char			hex[SHA256_HEX_LEN + 1];

	memset(&q, 0, sizeof(q));
	q.path = path;
	q.deleted = deleted;
	q.origin = container_file_origin(ec->c, fd, path);
	q.loader = q.origin == ORIGIN_IMAGE && decide_is_loader_path(path) ?
	    procinfo_loader_use(tid, fd) : LOADER_NOT_A_LOADER;
	decide_exec(&ec->ctx, &q, d);
	if (d->verdict != VERDICT_NEED_HASH)
		return;
	if (sha256_fd_cached(&ec->enf->hashes, fd, hex, &err) < 0) {
		log_warnx("hashing %s: %s", path, err.msg);
		hex[0] = '\0';
	}
	q.sha256 = hex;
	decide_exec(&ec->ctx, &q, d);
}

static void
handle_event(struct enf_container *ec, const struct fanotify_event_metadata *md)
{
	struct enforcer		*enf = ec->enf;
	struct proc_identity	 who;
	struct decision		 d;
	char			 link[64], path[PATH_MAX];
	ssize_t			 n;
	size_t			 len;
	bool			 is_exec, deleted = false, enforce;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	len = strlen(path);
	if (len > strlen(DELETED_SUFFIX) && strcmp(path + len -
	    strlen(DELETED_SUFFIX), DELETED_SUFFIX) == 0) {
		path[len - strlen(DELETED_SUFFIX)] = '\0';
		deleted = true;
	}
	container_path(ec->c, path);
	is_exec = (md->mask & FAN_OPEN_EXEC_PERM) != 0;
	if (is_exec)
		decide_exec_event(ec, md->fd, md->pid, path, deleted, &d);
	else
		decide_open(&ec->ctx, path, intent_of_tid(md->pid), &d);
	enforce = d.verdict == VERDICT_DENY && ec->mode == POLICY_MODE_PROTECT;
	/* Who asked, read while the thread still waits (refusals only). */
	if (d.verdict == VERDICT_DENY)
		procinfo_identity(md->pid, &who);
	answer(ec->fd, md->fd, !enforce);
	enf->decisions++;
	if (d.verdict != VERDICT_DENY) {
		ec->allowed++;
		/*
		 * Cached until the file changes (no FAN_MARK_IGNORED_SURV_
		 * MODIFY). In protect mode cached files cannot change at all:
		 * they sit on read-only mounts (harden.c).
		 */
		if (d.cacheable &&
		    fanotify_mark(ec->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK,
		    is_exec ? FAN_OPEN_EXEC_PERM : FAN_OPEN_PERM, md->fd,
		    NULL) < 0)
			log_debug("ignore mark on %s: %s", path,
			    strerror(errno));
		return;
	}
	alerts_record(enf, ec, &who, is_exec ? EVENT_EXEC : EVENT_WRITE,
	    path, enforce, d.route, d.reason);
}

void
enf_container_readable(int fd, short what, void *arg)
{
	struct enf_container			*ec = arg;
	char					 buf[8192]
	    __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata	*md;
	ssize_t					 len;

	(void)what;
	for (;;) {
		len = read(fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return;
		for (md = (void *)buf; FAN_EVENT_OK(md, len);
		    md = FAN_EVENT_NEXT(md, len)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				log_warnx("fanotify metadata version %d, built "
				    "for %d", md->vers,
				    FANOTIFY_METADATA_VERSION);
				if (md->fd >= 0)
					answer(ec->fd, md->fd, true);
				continue;
			}
			if (md->mask & FAN_Q_OVERFLOW) {
				ec->enf->overflows++;
				log_warnx("container %.12s: fanotify queue "
				    "overflow (%llu so far)", ec->c->id,
				    (unsigned long long)ec->enf->overflows);
			}
			if (md->fd < 0)
				continue;
			if (md->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM))
				handle_event(ec, md);
			close(md->fd);
		}
	}
}
