/*
 * tracker.c: attach to the containers a command cares about, as they come
 * and go. Used by learn, enforce and containers --watch; the per-container
 * work is theirs.
 *
 * Everything here runs on the caller's loop and waits on nothing: the
 * events stream, the listings and the inspects are asynchronous engine
 * requests. Each container the engine names is tracked from then on,
 * first as being resolved (an inspect in flight, or a retry timer after a
 * failed one), then as attached, until the engine says it is gone.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "container/container.h"

struct tracker;

struct tracked {
	struct tracker		*t;
	char			 id[CONTAINER_ID_LEN + 1];
	bool			 attached;	/* else being resolved */
	bool			 initial;	/* awaited by ready() */
	unsigned		 failures;	/* inspects failed in a row */
	struct engine_req	*req;		/* inspect in flight */
	struct event		*retry;		/* the next inspect */
};

struct tracker {
	struct engine		*engine;
	struct event_base	*base;
	const struct tracker_ops *ops;
	void			*arg;
	struct engine_watch	*watch;
	struct tracked		**v;
	size_t			 n, cap;
	size_t			 attached;
	/* Listing: one at a time; a rescan asked meanwhile runs after. */
	struct engine_req	*list;
	struct event		*list_retry;
	unsigned		 list_failures;
	bool			 rescan_again;
	bool			 stream_broken;
	/* ready(): after the first answered listing has settled. */
	bool			 listed;
	bool			 ready_done;
	size_t			 initial_left;
};

static void	tracker_resolve(struct tracked *tr);
static void	tracker_rescan(struct tracker *t);

static struct tracked *
tracker_find(const struct tracker *t, const char *id)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i]->id, id) == 0)
			return t->v[i];
	return NULL;
}

static struct tracked *
tracker_add(struct tracker *t, const char *id)
{
	struct tracked	*tr;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	tr = xcalloc(1, sizeof(*tr));
	tr->t = t;
	memcpy(tr->id, id, sizeof(tr->id));
	t->v[t->n++] = tr;
	return tr;
}

static void
tracker_maybe_ready(struct tracker *t)
{
	if (!t->listed || t->ready_done || t->initial_left > 0)
		return;
	t->ready_done = true;
	if (t->ops->ready != NULL)
		t->ops->ready(t->arg);
}

/* tr has had its first answer: ready() need not wait for it. */
static void
tracker_settled(struct tracked *tr)
{
	struct tracker	*t = tr->t;

	if (!tr->initial)
		return;
	tr->initial = false;
	t->initial_left--;
	tracker_maybe_ready(t);
}

static void
tracked_stop_resolving(struct tracked *tr)
{
	engine_req_cancel(tr->req);
	tr->req = NULL;
	if (tr->retry != NULL)
		evtimer_del(tr->retry);
}

static void
tracked_free(struct tracked *tr)
{
	tracked_stop_resolving(tr);
	if (tr->retry != NULL)
		event_free(tr->retry);
	free(tr);
}

static void
tracker_remove(struct tracker *t, struct tracked *tr)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (t->v[i] == tr)
			break;
	if (i == t->n)
		return;
	t->v[i] = t->v[--t->n];
	if (tr->attached)
		t->attached--;
	tr->attached = false;
	tracker_settled(tr);
	tracked_free(tr);
}

static void
tracker_attached(struct tracker *t, struct tracked *tr)
{
	tracked_stop_resolving(tr);
	tr->attached = true;
	tr->failures = 0;
	t->attached++;
	tracker_settled(tr);
}

void
tracker_adopt(struct tracker *t, const char *id)
{
	struct tracked	*tr;

	if ((tr = tracker_find(t, id)) == NULL)
		tr = tracker_add(t, id);
	if (!tr->attached)
		tracker_attached(t, tr);
}

static void
tracker_retry_fired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	tracker_resolve(arg);
}

/* The engine could not describe tr: say so, and ask again later. */
static void
tracker_unresolved(struct tracked *tr, const struct rt_error *why)
{
	struct tracker	*t = tr->t;
	struct rt_error	 err;
	struct timeval	 tv;
	unsigned	 ms;

	ms = engine_retry_delay_ms(tr->failures);
	if (tr->failures < 32)
		tr->failures++;
	rt_error_set(&err, why->code, "container %.12s is not yet resolved "
	    "(%u failed inspect%s, next in %u.%02u s): %s", tr->id,
	    tr->failures, tr->failures > 1 ? "s" : "", ms / 1000,
	    ms % 1000 / 10, why->msg);
	/*
	 * Most containers a daemon hears of are not its images': without a
	 * role that says otherwise (the enforcer alerts), only information.
	 */
	if (t->ops->unresolved != NULL)
		t->ops->unresolved(tr->id, &err, t->arg);
	else
		log_info("%s", err.msg);
	if (tr->retry == NULL)
		tr->retry = evtimer_new(t->base, tracker_retry_fired, tr);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(tr->retry, &tv);
	tracker_settled(tr);
}

static void
tracker_inspected(struct container *c, const struct rt_error *err,
    void *arg)
{
	struct tracked	*tr = arg;
	struct tracker	*t = tr->t;
	unsigned	 failures = tr->failures;

	tr->req = NULL;
	if (err != NULL && err->code != ENOENT) {
		tracker_unresolved(tr, err);
		return;
	}
	if (c == NULL || c->init_pid <= 0) {
		log_debug("container %.12s is gone before it was resolved",
		    tr->id);
		container_free(c);
		tracker_remove(t, tr);
		return;
	}
	if (failures > 0)
		log_info("container %.12s resolved after %u failed inspect%s",
		    tr->id, failures, failures > 1 ? "s" : "");
	if (!t->ops->select(c, t->arg)) {
		container_free(c);
		tracker_remove(t, tr);
		return;
	}
	/* attach() owns c now; on failure the next start tries again. */
	if (t->ops->attach(c, t->arg) < 0) {
		tracker_remove(t, tr);
		return;
	}
	tracker_attached(t, tr);
}

static void
tracker_resolve(struct tracked *tr)
{
	struct tracker	*t = tr->t;
	struct rt_error	 err;

	tracked_stop_resolving(tr);
	log_debug("container %.12s: inspecting", tr->id);
	if (engine_inspect_async(t->engine, tr->id, tracker_inspected, tr,
	    &tr->req, &err) < 0)
		tracker_unresolved(tr, &err);
}

/* A container the engine says is running, or has just started. */
static void
tracker_seen(struct tracker *t, const char *id, bool initial)
{
	struct tracked	*tr;

	if ((tr = tracker_find(t, id)) == NULL)
		tr = tracker_add(t, id);
	else if (tr->attached)
		return;
	if (initial && !tr->initial) {
		tr->initial = true;
		t->initial_left++;
	}
	/* New, or waiting to retry: the engine just named it, ask now. */
	if (tr->req == NULL)
		tracker_resolve(tr);
}

static void
tracker_list_failed(struct tracker *t, const struct rt_error *err)
{
	struct timeval	tv;
	unsigned	ms;

	ms = engine_retry_delay_ms(t->list_failures);
	if (t->list_failures < 32)
		t->list_failures++;
	log_warnx("listing containers: %s; retrying in %u.%02u s", err->msg,
	    ms / 1000, ms % 1000 / 10);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->list_retry, &tv);
}

static void
tracker_listed(char **ids, size_t n, const struct rt_error *err, void *arg)
{
	struct tracker	*t = arg;
	size_t		 i;

	t->list = NULL;
	if (err != NULL) {
		tracker_list_failed(t, err);
		return;
	}
	t->list_failures = 0;
	for (i = 0; i < n; i++)
		tracker_seen(t, ids[i], !t->listed);
	if (!t->listed) {
		t->listed = true;
		tracker_maybe_ready(t);
	}
	if (t->rescan_again) {
		t->rescan_again = false;
		tracker_rescan(t);
	}
}

static void
tracker_rescan(struct tracker *t)
{
	struct rt_error	err;

	if (t->list != NULL) {
		t->rescan_again = true;
		return;
	}
	evtimer_del(t->list_retry);
	if (engine_list_ids_async(t->engine, tracker_listed, t, &t->list,
	    &err) < 0)
		tracker_list_failed(t, &err);
}

static void
tracker_list_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	tracker_rescan(arg);
}

static void
tracker_event(const struct engine_event *ev, void *arg)
{
	struct tracker	*t = arg;
	struct tracked	*tr;

	switch (ev->kind) {
	case ENGINE_EVENT_CONNECTED:
		/* Whatever happened while the stream was away: list it. */
		if (t->stream_broken)
			log_info("engine events stream restored; rescanning");
		else
			log_debug("engine events stream connected; listing");
		t->stream_broken = false;
		tracker_rescan(t);
		return;
	case ENGINE_EVENT_START:
		tracker_seen(t, ev->id, false);
		return;
	case ENGINE_EVENT_STOP:
		if ((tr = tracker_find(t, ev->id)) == NULL)
			return;
		if (tr->attached)
			t->ops->detach(ev->id, t->arg);
		else
			log_info("container %.12s stopped before it was "
			    "resolved", ev->id);
		tracker_remove(t, tr);
		return;
	}
}

static void
tracker_error(const struct rt_error *err, void *arg)
{
	struct tracker	*t = arg;

	if (!t->stream_broken)
		log_warnx("%s; reconnecting", err->msg);
	else
		log_debug("%s; reconnecting", err->msg);
	t->stream_broken = true;
	/* No stream yet: the running containers need not wait for one. */
	if (!t->listed && t->list == NULL)
		tracker_rescan(t);
}

int
tracker_start(struct engine *e, struct event_base *base,
    const struct tracker_ops *ops, void *arg, struct tracker **out,
    struct rt_error *err)
{
	struct tracker	*t;
	int		 rc;

	*out = NULL;
	if ((rc = engine_loop_start(e, base, err)) < 0)
		return rc;
	t = xcalloc(1, sizeof(*t));
	t->engine = e;
	t->base = base;
	t->ops = ops;
	t->arg = arg;
	t->list_retry = evtimer_new(base, tracker_list_retry, t);
	if ((rc = engine_watch_start(e, tracker_event, tracker_error, t,
	    &t->watch, err)) < 0) {
		event_free(t->list_retry);
		free(t);
		engine_loop_stop(e);
		return rc;
	}
	/*
	 * The first listing comes once the stream answers
	 * (ENGINE_EVENT_CONNECTED), so that a container starting in between
	 * is in one or the other, or once it fails.
	 */
	*out = t;
	return 0;
}

size_t
tracker_count(const struct tracker *t)
{
	return t->attached;
}

void
tracker_free(struct tracker *t)
{
	size_t	i;

	if (t == NULL)
		return;
	engine_watch_stop(t->watch);
	engine_req_cancel(t->list);
	event_free(t->list_retry);
	for (i = 0; i < t->n; i++)
		tracked_free(t->v[i]);
	free(t->v);
	engine_loop_stop(t->engine);
	free(t);
}
