/*
 * fangroup.c: a fanotify group on a container's overlay (see fangroup.h).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/fangroup.h"

#define FANGROUP_READ_MAX	64	/* reads per wakeup: others get a turn */

struct fangroup {
	int		 fd;
	struct event	*ev;
	fangroup_cb	 cb;
	void		*arg;
	uint64_t	 overflows;
	char		 id[CONTAINER_ID_LEN + 1];
};

/* An event we cannot interpret still must not block its process. */
static void
allow(int gfd, int efd)
{
	struct fanotify_response	r = { efd, FAN_ALLOW };

	(void)!write(gfd, &r, sizeof(r));
}

static void
fangroup_read(struct fangroup *g)
{
	char					 buf[8192]
	    __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata	*md;
	ssize_t					 len;
	int					 rounds;

	for (rounds = 0; rounds < FANGROUP_READ_MAX; rounds++) {
		len = read(g->fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return;
		for (md = (void *)buf; FAN_EVENT_OK(md, len);
		    md = FAN_EVENT_NEXT(md, len)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				log_warnx("container %.12s: fanotify metadata "
				    "version %d, built for %d", g->id, md->vers,
				    FANOTIFY_METADATA_VERSION);
				if (md->fd >= 0) {
					if (md->mask & (FAN_OPEN_PERM |
					    FAN_OPEN_EXEC_PERM | FAN_ACCESS_PERM))
						allow(g->fd, md->fd);
					close(md->fd);
				}
				continue;
			}
			if (md->mask & FAN_Q_OVERFLOW) {
				g->overflows++;
				log_warnx("container %.12s: fanotify queue "
				    "overflow (%llu so far)", g->id,
				    (unsigned long long)g->overflows);
			}
			if (md->fd < 0)
				continue;
			g->cb(g, md, g->arg);
			close(md->fd);
		}
	}
	/* Still more queued: come back after the others had their turn. */
	event_active(g->ev, EV_READ, 0);
}

static void
fangroup_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fangroup_read(arg);
}

int
fangroup_open(struct event_base *base, const struct container *c,
    unsigned int init_flags, uint64_t mask, fangroup_cb cb, void *arg,
    struct fangroup **out, struct rt_error *err)
{
	struct fangroup	*g;
	int		 fd;

	*out = NULL;
	/* Never put a mark on anything but the container's own overlay. */
	if (!container_root_is_overlay(c))
		return rt_error_set(err, ENOTSUP, "container %.12s: root %s is "
		    "not a mounted overlay of its own", c->id,
		    c->merged_dir != NULL ? c->merged_dir : "(unknown)");
	fd = fanotify_init(init_flags | FAN_CLOEXEC | FAN_NONBLOCK,
	    O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0)
		return rt_error_sys(err, errno, "container %.12s: fanotify_init",
		    c->id);
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask,
	    AT_FDCWD, c->merged_dir) < 0) {
		rt_error_sys(err, errno, "container %.12s: fanotify_mark %s",
		    c->id, c->merged_dir);
		close(fd);
		return -err->code;
	}
	g = xcalloc(1, sizeof(*g));
	g->fd = fd;
	g->cb = cb;
	g->arg = arg;
	memcpy(g->id, c->id, sizeof(g->id));
	g->ev = event_new(base, fd, EV_READ | EV_PERSIST, fangroup_readable, g);
	event_add(g->ev, NULL);
	*out = g;
	return 0;
}

int
fangroup_fd(const struct fangroup *g)
{
	return g->fd;
}

uint64_t
fangroup_overflows(const struct fangroup *g)
{
	return g->overflows;
}

void
fangroup_drain(struct fangroup *g)
{
	fangroup_read(g);
}

void
fangroup_free(struct fangroup *g)
{
	if (g == NULL)
		return;
	event_free(g->ev);
	close(g->fd);	/* drops the marks; pending events are allowed */
	free(g);
}
