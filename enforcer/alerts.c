/*
 * alerts.c: every refusal (and monitor-mode alert) becomes one store event
 * and one JSON line, without ever blocking the answer path.
 *
 * Lines go to a bounded queue drained by the loop when the output is
 * writable (the descriptor is non-blocking): a stalled reader of --alerts
 * or stderr costs queued lines, counted as shed, never a stalled answer.
 * Identical decisions (container, type, path, reason) within AGG_WINDOW_MS
 * are aggregated: the first is recorded at once, the rest as one record
 * with a count and the first and last time when the window closes.
 * A record's line is formats/event-json.h's, the same as report --json's.
 */
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/hash.h"
#include "common/xmalloc.h"
#include "enforcer/internal.h"
#include "formats/event-json.h"

#define QUEUE_MAX_BYTES	(4 * 1024 * 1024)	/* $RTGUARD_ALERT_QUEUE_KB */
#define AGG_SLOTS	1024
#define AGG_WINDOW_MS	5000

struct agg {
	bool		 used;
	char		*key;
	char		 container[CONTAINER_ID_LEN + 1];
	char		*image, *path, *reason, *route, *exe, *comm;
	enum event_kind	 kind;
	bool		 denied;
	int		 pid, ppid;
	const char	*mode;
	int64_t		 first_ms, last_ms;
	uint64_t	 count;		/* seen since the first was recorded */
};

struct alerts {
	struct event_base	*base;
	int			 fd;
	struct event		*wev, *timer;
	char			*q;
	size_t			 qlen, qoff;
	uint64_t		 shed;
	size_t			 max;		/* bytes queued at most */
	struct event_json	*ej;		/* the decision lines */
	struct agg		 slots[AGG_SLOTS];
};

static void
queue_drain(struct alerts *al)
{
	ssize_t	n;

	while (al->qoff < al->qlen) {
		n = write(al->fd, al->q + al->qoff, al->qlen - al->qoff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		al->qoff += (size_t)n;
	}
	if (al->qoff == al->qlen)
		al->qoff = al->qlen = 0;
	else if (al->wev != NULL)
		event_add(al->wev, NULL);
}

static void
alerts_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	queue_drain(arg);
}

static void
queue_line(struct alerts *al, const char *s, size_t n)
{
	if (al->qlen + n + 1 > al->max) {
		al->shed++;
		return;
	}
	if (al->qoff > 0 && al->qoff == al->qlen)
		al->qoff = al->qlen = 0;
	al->q = xreallocarray(al->q, 1, al->qlen + n + 1);
	memcpy(al->q + al->qlen, s, n);
	al->q[al->qlen + n] = '\n';
	al->qlen += n + 1;
	queue_drain(al);
}

/*
 * One decision record: the store event and the alert line, both from the
 * same struct rt_event (its count and first/last say how many and when).
 */
static void
emit(struct enforcer *enf, const struct agg *a, uint64_t count)
{
	struct rt_event	 ev;
	struct rt_error	 err;
	const char	*line;
	size_t		 len;

	memset(&ev, 0, sizeof(ev));
	ev.time_ms = count > 1 ? a->last_ms : a->first_ms;
	ev.image_ref = a->image;
	ev.container_id = a->container;
	ev.pid = a->pid;
	ev.ppid = a->ppid;
	ev.exe = a->exe;
	ev.kind = a->kind;
	ev.path = a->path;
	ev.action = a->denied ? ACTION_DENIED : ACTION_ALERTED;
	ev.reason = a->reason;
	ev.comm = a->comm;
	ev.route = a->route;
	ev.mode = a->mode;
	ev.count = (int64_t)count;
	ev.first_ms = a->first_ms;
	store_writer_event(enf->writer, &ev);
	if (event_json_format(enf->alerts->ej, &ev, &line, &len, &err) < 0) {
		log_warnx("alert line: %s", err.msg);
		return;
	}
	queue_line(enf->alerts, line, len);
}

static void
agg_clear(struct agg *a)
{
	free(a->key);
	free(a->image);
	free(a->path);
	free(a->reason);
	free(a->route);
	free(a->exe);
	free(a->comm);
	memset(a, 0, sizeof(*a));
}

static char *
agg_key(const struct enf_container *ec, enum event_kind kind, const char *path,
    bool denied, const char *reason)
{
	return xasprintf("%s\n%d\n%s\n%s\n%d", ec->c->id, (int)kind, path,
	    reason, denied);
}

static struct agg *
agg_find(struct alerts *al, const char *key, size_t *slot)
{
	struct agg	*a;
	size_t		 i;

	*slot = rt_hash_str(key) % AGG_SLOTS;
	for (i = 0; i < 8; i++) {
		a = &al->slots[(*slot + i) % AGG_SLOTS];
		if (a->used && strcmp(a->key, key) == 0)
			return a;
	}
	return NULL;
}

static void
count(struct enforcer *enf, struct enf_container *ec, bool denied)
{
	if (denied)
		ec->denied++, enf->denials++;
	else
		ec->alerted++, enf->alerts_n++;
}

bool
alerts_repeat(struct enforcer *enf, struct enf_container *ec,
    enum event_kind kind, const char *path, bool denied, const char *reason)
{
	struct agg	*a;
	char		*key = agg_key(ec, kind, path, denied, reason);
	size_t		 slot;

	a = agg_find(enf->alerts, key, &slot);
	free(key);
	if (a == NULL)
		return false;
	count(enf, ec, denied);
	a->count++;
	a->last_ms = time_now_ms();
	return true;	/* recorded when the window closes */
}

void
alerts_record(struct enforcer *enf, struct enf_container *ec,
    const struct proc_identity *who, enum event_kind kind, const char *path,
    bool denied, const char *route, const char *reason)
{
	struct alerts	*al = enf->alerts;
	struct agg	*a;
	char		*key;
	int64_t		 now = time_now_ms();
	size_t		 i, slot;

	if (alerts_repeat(enf, ec, kind, path, denied, reason))
		return;
	count(enf, ec, denied);
	key = agg_key(ec, kind, path, denied, reason);
	(void)agg_find(al, key, &slot);
	for (i = 0; i < 8 && al->slots[(slot + i) % AGG_SLOTS].used; i++)
		;
	a = &al->slots[(slot + (i < 8 ? i : 0)) % AGG_SLOTS];
	if (a->used) {
		if (a->count > 0)
			emit(enf, a, a->count);
		agg_clear(a);
	}
	a->used = true;
	a->key = key;
	memcpy(a->container, ec->c->id, sizeof(a->container));
	a->image = xstrdup(ec->img->ref);
	a->path = xstrdup(path);
	a->reason = xstrdup(reason);
	a->route = xstrdup(route);
	a->exe = xstrdup(who->exe);
	a->comm = xstrdup(who->comm);
	a->kind = kind;
	a->denied = denied;
	a->pid = who->pid;
	a->ppid = who->ppid;
	a->mode = policy_mode_name(ec->mode);
	a->first_ms = a->last_ms = now;
	a->count = 0;
	emit(enf, a, 1);
}

/* Close the windows that have run their time. */
static void
alerts_tick(evutil_socket_t fd, short what, void *arg)
{
	struct enforcer	*enf = arg;
	struct alerts	*al = enf->alerts;
	int64_t		 now = time_now_ms();
	size_t		 i;

	(void)fd; (void)what;
	for (i = 0; i < AGG_SLOTS; i++) {
		if (!al->slots[i].used ||
		    now - al->slots[i].first_ms < AGG_WINDOW_MS)
			continue;
		if (al->slots[i].count > 0)
			emit(enf, &al->slots[i], al->slots[i].count);
		agg_clear(&al->slots[i]);
	}
}

/* Not a decision: a shape of its own, the same time and escaping. */
void
alerts_status(struct enforcer *enf, const char *type, const char *container_id,
    const char *image, const char *reason)
{
	json_t	*o = json_object();
	char	*s;

	json_object_set_new(o, "time", rt_json_time(time_now_ms()));
	json_object_set_new(o, "type", json_string(type));
	if (image != NULL)
		json_object_set_new(o, "image", rt_json_escaped(image));
	if (container_id != NULL)
		json_object_set_new(o, "container",
		    rt_json_escaped(container_id));
	json_object_set_new(o, "reason", rt_json_escaped(reason));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		queue_line(enf->alerts, s, strlen(s));
	free(s);
}

struct alerts *
alerts_new(struct event_base *base, int fd)
{
	struct alerts	*al = xcalloc(1, sizeof(*al));
	const char	*kb = getenv("RTGUARD_ALERT_QUEUE_KB");

	al->base = base;
	al->fd = fd;
	al->ej = event_json_new();
	/* Smaller for tests that show shedding; never below one line. */
	al->max = kb != NULL && atoi(kb) >= 4 ? (size_t)atoi(kb) * 1024 :
	    QUEUE_MAX_BYTES;
	return al;
}

/* The loop exists later than the queue: hook the events in then. */
void
alerts_start(struct enforcer *enf)
{
	struct alerts	*al = enf->alerts;
	struct timeval	 tv = { 1, 0 };

	al->base = enf->base;
	al->wev = event_new(al->base, al->fd, EV_WRITE, alerts_writable, al);
	al->timer = event_new(al->base, -1, EV_PERSIST, alerts_tick, enf);
	event_add(al->timer, &tv);
	if (al->qlen > al->qoff)
		event_add(al->wev, NULL);
}

/* Record what the windows still hold; called before the writer stops. */
void
alerts_finish(struct enforcer *enf)
{
	struct alerts	*al = enf->alerts;
	size_t		 i;

	for (i = 0; i < AGG_SLOTS; i++) {
		if (al->slots[i].used && al->slots[i].count > 0)
			emit(enf, &al->slots[i], al->slots[i].count);
		agg_clear(&al->slots[i]);
	}
}

uint64_t
alerts_shed(const struct alerts *al)
{
	return al->shed;
}

/* Before the loop goes: write what the output takes, drop the events. */
void
alerts_stop(struct alerts *al)
{
	queue_drain(al);
	if (al->wev != NULL)
		event_free(al->wev);
	if (al->timer != NULL)
		event_free(al->timer);
	al->wev = al->timer = NULL;
}

void
alerts_free(struct alerts *al)
{
	if (al == NULL)
		return;
	alerts_stop(al);
	if (al->qlen > al->qoff)
		log_warnx("%zu bytes of alert lines not written (output not "
		    "ready)", al->qlen - al->qoff);
	free(al->q);
	event_json_free(al->ej);
	free(al);
}
