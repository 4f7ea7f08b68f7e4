/*
 * writer.c: the store writer, rtguard's one extra thread.
 *
 * The daemons' event loops must never wait on disk: the enforcer answers
 * fanotify permission events from memory and only then records the
 * decision. So records go into a bounded queue (a copy each) and this
 * thread commits them in batches, one transaction per batch and at least
 * every FLUSH_MS while there is data, so a kill -9 loses at most the last
 * fraction of a second. Past max_queued records it sheds and counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "store/store.h"

#define BATCH_MAX	2048
#define FLUSH_MS	200
#define IMAGE_CACHE	64

enum record_type {
	REC_EVENT,
	REC_CONTAINER,
	REC_EXEC,
	REC_SYSCALL,
	REC_WRITE,
	REC_LEARNED,
	REC_META,
};

struct record {
	struct record		*next;
	enum record_type	 type;
	char			*image_ref;
	/* Fields used by type: */
	struct rt_event		 ev;		/* EVENT: strings owned below */
	char			*s1, *s2, *s3, *s4, *s5, *s6, *s7;
	struct baseline_exec	 exec;
	struct baseline_write	 write;
	int64_t			 a, b, c;
};

struct image_key_cache {
	char	*ref;
	int64_t	 key;
};

struct store_writer {
	struct store		*st;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;		/* queue has data / stopping */
	pthread_cond_t		 done;		/* a batch was committed */
	struct record		*head, *tail;
	size_t			 queued, max_queued;
	uint64_t		 enqueued_seq, committed_seq;
	uint64_t		 dropped, failed;
	char			 last_error[1024];	/* of a failed batch */
	int64_t			 last_drop_warn_ms;
	bool			 stopping;
	struct image_key_cache	 cache[IMAGE_CACHE];
	size_t			 cache_next;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
record_free(struct record *r)
{
	free(r->image_ref);
	free(r->s1);
	free(r->s2);
	free(r->s3);
	free(r->s4);
	free(r->s5);
	free(r->s6);
	free(r->s7);
	free(r->exec.path);
	free(r->write.path);
	free(r);
}

static void
enqueue(struct store_writer *w, struct record *r)
{
	int64_t	now;

	pthread_mutex_lock(&w->lock);
	if (w->queued >= w->max_queued) {
		w->dropped++;
		now = time_mono_ms();
		if (now - w->last_drop_warn_ms >= 1000) {
			w->last_drop_warn_ms = now;
			log_warnx("store: queue full (%zu records): %" PRIu64
			    " records shed so far", w->queued, w->dropped);
		}
		pthread_mutex_unlock(&w->lock);
		record_free(r);
		return;
	}
	if (w->tail != NULL)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	w->queued++;
	w->enqueued_seq++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

static struct record *
record_new(enum record_type type, const char *image_ref)
{
	struct record	*r = xcalloc(1, sizeof(*r));

	r->type = type;
	r->image_ref = dup_or_null(image_ref);
	return r;
}

void
store_writer_event(struct store_writer *w, const struct rt_event *ev)
{
	struct record	*r = record_new(REC_EVENT, ev->image_ref);

	r->ev = *ev;
	r->ev.image_ref = r->image_ref;
	r->ev.container_id = r->s1 = dup_or_null(ev->container_id);
	r->ev.exe = r->s2 = dup_or_null(ev->exe);
	r->ev.path = r->s3 = dup_or_null(ev->path);
	r->ev.reason = r->s4 = dup_or_null(ev->reason);
	r->ev.comm = r->s5 = dup_or_null(ev->comm);
	r->ev.route = r->s6 = dup_or_null(ev->route);
	r->ev.mode = r->s7 = dup_or_null(ev->mode);
	enqueue(w, r);
}

void
store_writer_container(struct store_writer *w, const char *container_id,
    const char *image_ref, const char *image_id, int64_t now_ms)
{
	struct record	*r = record_new(REC_CONTAINER, image_ref);

	r->s1 = xstrdup(container_id);
	r->s2 = dup_or_null(image_id);
	r->a = now_ms;
	enqueue(w, r);
}

void
store_writer_exec(struct store_writer *w, const char *image_ref,
    const struct baseline_exec *e)
{
	struct record	*r = record_new(REC_EXEC, image_ref);

	r->exec = *e;
	r->exec.path = xstrdup(e->path);
	enqueue(w, r);
}

void
store_writer_syscall(struct store_writer *w, const char *image_ref,
    const char *name, int64_t now_ms)
{
	struct record	*r = record_new(REC_SYSCALL, image_ref);

	r->s1 = xstrdup(name);
	r->a = now_ms;
	enqueue(w, r);
}

void
store_writer_write(struct store_writer *w, const char *image_ref,
    const struct baseline_write *bw)
{
	struct record	*r = record_new(REC_WRITE, image_ref);

	r->write = *bw;
	r->write.path = xstrdup(bw->path);
	enqueue(w, r);
}

void
store_writer_learned(struct store_writer *w, const char *image_ref,
    int64_t start_ms, int64_t end_ms, int64_t audit_lost)
{
	struct record	*r = record_new(REC_LEARNED, image_ref);

	r->a = start_ms;
	r->b = end_ms;
	r->c = audit_lost;
	enqueue(w, r);
}

void
store_writer_meta(struct store_writer *w, const char *key, const char *value)
{
	struct record	*r = record_new(REC_META, NULL);

	r->s1 = xstrdup(key);
	r->s2 = xstrdup(value);
	enqueue(w, r);
}

/* Image key for ref, from the cache or the store (creating the row). */
static int
image_key(struct store_writer *w, const char *ref, const char *image_id,
    int64_t *key, struct rt_error *err)
{
	struct image_key_cache	*c;
	size_t			 i;

	for (i = 0; i < IMAGE_CACHE; i++) {
		if (w->cache[i].ref != NULL && strcmp(w->cache[i].ref, ref) == 0 &&
		    image_id == NULL) {
			*key = w->cache[i].key;
			return 0;
		}
	}
	if (store_image_add(w->st, ref, image_id, key, err) < 0)
		return -err->code;
	c = &w->cache[w->cache_next++ % IMAGE_CACHE];
	free(c->ref);
	c->ref = xstrdup(ref);
	c->key = *key;
	return 0;
}

static int
record_apply(struct store_writer *w, struct record *r, struct rt_error *err)
{
	int64_t	key = 0;

	if (r->type == REC_EVENT)
		return store_event_add(w->st, &r->ev, err);
	if (r->type == REC_META)
		return store_meta_set(w->st, r->s1, r->s2, err);
	if (image_key(w, r->image_ref, r->type == REC_CONTAINER ? r->s2 : NULL,
	    &key, err) < 0)
		return -err->code;
	switch (r->type) {
	case REC_CONTAINER:
		return store_container_seen(w->st, r->s1, key, r->a, err);
	case REC_EXEC:
		return store_exec_record(w->st, key, &r->exec, err);
	case REC_SYSCALL:
		return store_syscall_record(w->st, key, r->s1, r->a, err);
	case REC_WRITE:
		return store_write_record(w->st, key, &r->write, err);
	case REC_LEARNED:
		return store_image_learned(w->st, key, r->a, r->b, r->c, err);
	default:
		return 0;
	}
}

/* Commit one batch; on failure retry once, then count it as shed. */
static void
batch_commit(struct store_writer *w, struct record *batch, size_t n)
{
	struct rt_error	 err;
	struct record	*r;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (store_begin(w->st, &err) < 0)
			continue;
		for (r = batch; r != NULL; r = r->next) {
			if (record_apply(w, r, &err) < 0)
				break;
		}
		if (r == NULL && store_commit(w->st, &err) == 0)
			return;
		store_rollback(w->st);
		/* A rolled-back image row may be cached: forget the cache. */
		for (size_t i = 0; i < IMAGE_CACHE; i++) {
			free(w->cache[i].ref);
			w->cache[i].ref = NULL;
		}
	}
	log_warnx("store: %s; %zu records lost", err.msg, n);
	pthread_mutex_lock(&w->lock);
	memcpy(w->last_error, err.msg, sizeof(w->last_error));
	w->failed += n;
	w->dropped += n;
	pthread_mutex_unlock(&w->lock);
}

static void *
writer_main(void *arg)
{
	struct store_writer	*w = arg;
	struct record		*batch, *r, *next;
	struct timespec		 deadline;
	size_t			 n;
	uint64_t		 seq;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->head == NULL && w->stopping)
			break;
		/* Let a burst gather for a moment, unless it is big already. */
		if (w->queued < BATCH_MAX && !w->stopping) {
			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_nsec += (FLUSH_MS / 4) * 1000000L;
			if (deadline.tv_nsec >= 1000000000L) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->wake, &w->lock, &deadline);
		}
		batch = w->head;
		for (r = batch, n = 1; r->next != NULL && n < BATCH_MAX; n++)
			r = r->next;
		w->head = r->next;
		r->next = NULL;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued -= n;
		seq = w->committed_seq + n;
		pthread_mutex_unlock(&w->lock);

		batch_commit(w, batch, n);
		for (r = batch; r != NULL; r = next) {
			next = r->next;
			record_free(r);
		}

		pthread_mutex_lock(&w->lock);
		w->committed_seq = seq;
		pthread_cond_broadcast(&w->done);
	}
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
store_writer_start(struct store *st, size_t max_queued,
    struct store_writer **out, struct rt_error *err)
{
	struct store_writer	*w = xcalloc(1, sizeof(*w));
	int			 rc;

	w->st = st;
	w->max_queued = max_queued > 0 ? max_queued : 100000;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->done, NULL);
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		free(w);
		return rt_error_sys(err, rc, "starting the store writer thread");
	}
	*out = w;
	return 0;
}

int
store_writer_flush(struct store_writer *w, struct rt_error *err)
{
	uint64_t	target;
	int		rc;

	pthread_mutex_lock(&w->lock);
	/* Shed records never reach committed_seq: count from what is queued. */
	target = w->committed_seq + w->queued;
	pthread_cond_signal(&w->wake);
	while (w->committed_seq < target)
		pthread_cond_wait(&w->done, &w->lock);
	rc = w->failed > 0 ? rt_error_set(err, EIO, "%s: %" PRIu64 " records "
	    "could not be saved (last error: %s)", store_path(w->st), w->failed,
	    w->last_error) : 0;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

uint64_t
store_writer_dropped(struct store_writer *w)
{
	uint64_t	n;

	pthread_mutex_lock(&w->lock);
	n = w->dropped;
	pthread_mutex_unlock(&w->lock);
	return n;
}

int
store_writer_stop(struct store_writer *w, struct store **st,
    struct rt_error *err)
{
	size_t	i;
	int	rc = 0;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (i = 0; i < IMAGE_CACHE; i++)
		free(w->cache[i].ref);
	if (w->dropped > w->failed)
		log_warnx("store: %" PRIu64 " records were shed (queue full)",
		    w->dropped - w->failed);
	/* Shed records were counted and said; failed writes are errors. */
	if (w->failed > 0)
		rc = rt_error_set(err, EIO, "%s: %" PRIu64 " records could not "
		    "be saved (last error: %s)", store_path(w->st), w->failed,
		    w->last_error);
	if (st != NULL)
		*st = w->st;
	else
		store_free(w->st);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->done);
	free(w);
	return rc;
}
