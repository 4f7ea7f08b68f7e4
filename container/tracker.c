/*
 * tracker.c: attach to the containers a command cares about, as they come
 * and go. Used by learn and enforce; the per-container work is theirs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "container/container.h"

struct tracker {
	struct engine		*engine;
	const struct tracker_ops *ops;
	void			*arg;
	struct engine_watch	*watch;
	char			**ids;	/* attached */
	size_t			 n, cap;
	bool			 stream_broken;
};

static ssize_t
tracker_index(const struct tracker *t, const char *id)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->ids[i], id) == 0)
			return (ssize_t)i;
	return -1;
}

static void
tracker_remember(struct tracker *t, const char *id)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->ids = xreallocarray(t->ids, t->cap, sizeof(*t->ids));
	}
	t->ids[t->n++] = xstrdup(id);
}

void
tracker_adopt(struct tracker *t, const char *id)
{
	if (tracker_index(t, id) < 0)
		tracker_remember(t, id);
}

static void
tracker_consider(struct tracker *t, struct container *c)
{
	char	id[CONTAINER_ID_LEN + 1];

	if (c->init_pid <= 0 || tracker_index(t, c->id) >= 0 ||
	    !t->ops->select(c, t->arg)) {
		container_free(c);
		return;
	}
	memcpy(id, c->id, sizeof(id));
	if (t->ops->attach(c, t->arg) < 0)
		return;
	tracker_remember(t, id);
}

static void
tracker_rescan(struct tracker *t)
{
	struct container	**v;
	struct rt_error		  err;
	size_t			  n, i;

	if (engine_list_running(t->engine, &v, &n, &err) < 0) {
		log_warnx("listing containers: %s", err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		tracker_consider(t, v[i]);
	free(v);
}

static void
tracker_event(const struct engine_event *ev, void *arg)
{
	struct tracker		*t = arg;
	struct container	*c;
	struct rt_error		 err;
	ssize_t			 i;

	if (t->stream_broken) {
		/* The stream is back: catch up with what we missed. */
		t->stream_broken = false;
		log_info("engine events stream restored; rescanning");
		tracker_rescan(t);
	}
	if (ev->kind == ENGINE_EVENT_START) {
		if (tracker_index(t, ev->id) >= 0)
			return;	/* attached already (the OCI hook) */
		if (engine_inspect(t->engine, ev->id, &c, &err) < 0) {
			if (err.code == ENOENT)
				return;	/* gone already: nothing to protect */
			log_warnx("container %.12s started but cannot be "
			    "inspected: %s", ev->id, err.msg);
			if (t->ops->unresolved != NULL)
				t->ops->unresolved(ev->id, &err, t->arg);
			return;
		}
		tracker_consider(t, c);
		return;
	}
	if ((i = tracker_index(t, ev->id)) < 0)
		return;
	t->ops->detach(ev->id, t->arg);
	free(t->ids[i]);
	t->ids[i] = t->ids[--t->n];
}

static void
tracker_error(const struct rt_error *err, void *arg)
{
	struct tracker	*t = arg;

	if (!t->stream_broken)
		log_warnx("%s; reconnecting", err->msg);
	t->stream_broken = true;
}

int
tracker_start(struct engine *e, struct event_base *base,
    const struct tracker_ops *ops, void *arg, struct tracker **out,
    struct rt_error *err)
{
	struct tracker	*t;
	int		 rc;

	t = xcalloc(1, sizeof(*t));
	t->engine = e;
	t->ops = ops;
	t->arg = arg;
	/* Watch first, then list: a container starting in between is seen. */
	rc = engine_watch_start(e, base, tracker_event, tracker_error, t,
	    &t->watch, err);
	if (rc < 0) {
		free(t);
		return rc;
	}
	tracker_rescan(t);
	*out = t;
	return 0;
}

size_t
tracker_count(const struct tracker *t)
{
	return t->n;
}

void
tracker_free(struct tracker *t)
{
	size_t	i;

	if (t == NULL)
		return;
	engine_watch_stop(t->watch);
	for (i = 0; i < t->n; i++)
		free(t->ids[i]);
	free(t->ids);
	free(t);
}
