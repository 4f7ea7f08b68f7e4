/*
 * daemon.c: the loop, signals, writer, tracker and hook listener that
 * learn and enforce share (see daemon.h).
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/daemon.h"

struct daemon {
	struct daemon_config	 cfg;
	struct daemon_role	 role;
	struct event_base	*base;
	struct store_writer	*writer;
	struct engine		*engine;
	struct tracker		*tracker;
	struct ocihook_server	*hooks;
	struct event		*sigs[3];
	bool			 cleaned;
};

static void
daemon_cleanup(void *arg)
{
	struct daemon	*d = arg;

	if (d->cleaned)
		return;
	d->cleaned = true;
	if (d->role.cleanup != NULL)
		d->role.cleanup(d->role.arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (d->role.reload != NULL)
			d->role.reload(d->role.arg);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(d->base, NULL);
}

/* The tracker's callbacks are the role's. */
static bool
tr_select(const struct container *c, void *arg)
{
	struct daemon	*d = arg;

	return d->role.select(c, d->role.arg);
}

static int
tr_attach(struct container *c, void *arg)
{
	struct daemon	*d = arg;

	return d->role.attach(c, d->role.arg);
}

static void
tr_detach(const char *id, void *arg)
{
	struct daemon	*d = arg;

	d->role.detach(id, d->role.arg);
}

static void
tr_unresolved(const char *id, const struct rt_error *err, void *arg)
{
	struct daemon	*d = arg;

	/* Most likely another image's container: information, not a warning. */
	if (d->role.unresolved != NULL)
		d->role.unresolved(id, err, d->role.arg);
	else
		log_info("%s", err->msg);
}

/* The first listing is done: every running container was considered. */
static void
tr_ready(void *arg)
{
	struct daemon	*d = arg;

	if (d->role.running != NULL)
		d->role.running(d->role.arg);
}

static const struct tracker_ops tracker_ops = {
	.select = tr_select,
	.attach = tr_attach,
	.detach = tr_detach,
	.unresolved = tr_unresolved,
	.ready = tr_ready,
};

static void
on_hook(struct ocihook_call *call, struct container *c, bool cap, void *arg)
{
	struct daemon	*d = arg;

	if (d->role.hook == NULL) {
		container_free(c);
		ocihook_reply(call, true, "not handled");
		return;
	}
	d->role.hook(call, c, cap, d->role.arg);
}

int
daemon_open(const struct daemon_config *cfg, const struct daemon_role *role,
    struct store *st, struct daemon **out, struct rt_error *err)
{
	struct daemon	*d;
	int		 rc;

	*out = NULL;
	d = xcalloc(1, sizeof(*d));
	d->cfg = *cfg;
	d->role = *role;
	if ((rc = engine_open(cfg->runtime_socket, &d->engine, err)) < 0) {
		store_free(st);
		free(d);
		return rc;
	}
	if ((rc = store_writer_start(st, cfg->store_queue, &d->writer,
	    err)) < 0) {
		store_free(st);
		engine_free(d->engine);
		free(d);
		return rc;
	}
	if ((d->base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	d->sigs[0] = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sigs[1] = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sigs[2] = evsignal_new(d->base, SIGHUP, on_signal, d);
	/* A dying reader of our output must not kill us mid-cleanup. */
	signal(SIGPIPE, SIG_IGN);
	log_set_fatal_hook(daemon_cleanup, d);
	*out = d;
	return 0;
}

struct event_base *
daemon_base(struct daemon *d)
{
	return d->base;
}

struct store_writer *
daemon_writer(struct daemon *d)
{
	return d->writer;
}

void
daemon_stop(struct daemon *d)
{
	event_base_loopexit(d->base, NULL);
}

void
daemon_adopt(struct daemon *d, const char *id)
{
	if (d->tracker != NULL)
		tracker_adopt(d->tracker, id);
}

int
daemon_run(struct daemon *d, struct rt_error *err)
{
	struct timeval	tv;
	struct rt_error	e2;
	size_t		i;
	int		rc;

	for (i = 0; i < 3; i++)
		event_add(d->sigs[i], NULL);
	if ((rc = tracker_start(d->engine, d->base, &tracker_ops, d,
	    &d->tracker, err)) < 0)
		return rc;
	if (d->cfg.hooks && ocihook_listen(d->base, d->role.name, on_hook, d,
	    &d->hooks, &e2) < 0)
		log_warnx("not listening for the OCI hook (%s): containers are "
		    "attached when the engine reports them started", e2.msg);
	if (d->cfg.duration_s > 0) {
		tv.tv_sec = d->cfg.duration_s;
		tv.tv_usec = 0;
		event_base_loopexit(d->base, &tv);
	}
	event_base_dispatch(d->base);
	/*
	 * Stop listening first: a hook that then finds no daemon lets its
	 * container start, and is not left waiting for an answer.
	 */
	ocihook_server_free(d->hooks);
	d->hooks = NULL;
	tracker_free(d->tracker);
	d->tracker = NULL;
	return 0;
}

int
daemon_close(struct daemon *d, struct store **st_out, struct rt_error *err)
{
	struct store	*st = NULL;
	size_t		 i;
	int		 rc;

	if (st_out != NULL)
		*st_out = NULL;
	if (d == NULL)
		return 0;
	daemon_cleanup(d);
	log_set_fatal_hook(NULL, NULL);
	ocihook_server_free(d->hooks);
	tracker_free(d->tracker);
	rc = store_writer_stop(d->writer, &st, err);
	if (st_out != NULL)
		*st_out = st;
	else
		store_free(st);
	for (i = 0; i < 3; i++)
		if (d->sigs[i] != NULL)
			event_free(d->sigs[i]);
	engine_free(d->engine);
	event_base_free(d->base);
	free(d);
	return rc;
}
