/*
 * report.c: `rtguard report`, the store as a terminal page or one JSON
 * object.
 *
 * The text view is built for an 80-column terminal: per image, its
 * learning window and counts, the baseline (executables, syscalls, written
 * paths), then denials and alerts grouped by (kind, action, path, reason)
 * and the latest few. The JSON view is made of formats/'s serializers (an
 * image is its baseline as policy export writes it, an event is the alert
 * line) and streams its "events" array in batches, so a database with a
 * million events never sits in memory. Every path and name is printed
 * through rt_escape().
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/json.h"
#include "common/syscallname.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "formats/baseline-json.h"
#include "formats/event-json.h"
#include "report/report.h"
#include "store/store.h"

#define REPORT_LATEST	10	/* latest events shown per image */
#define REPORT_GROUPS	20	/* event groups shown per image */

struct painter {
	bool	color;
	int	width;
};

static const char *
col(const struct painter *p, const char *code)
{
	return p->color ? code : "";
}
#define BOLD(p)		col(p, "\033[1m")
#define RED(p)		col(p, "\033[31m")
#define YELLOW(p)	col(p, "\033[33m")
#define DIM(p)		col(p, "\033[2m")
#define RESET(p)	col(p, "\033[0m")

static void
fmt_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		snprintf(buf, len, "-");
	else
		time_rfc3339(ms, buf, len);
}

/* Escape s and cut it to at most w display columns, keeping the tail. */
static char *
fit(const char *s, int w)
{
	char	*e = rt_escape_str(s != NULL ? s : ""), *r;
	size_t	 n = strlen(e);

	if (w < 4 || n <= (size_t)w)
		return e;
	/* Keep the end of a path, where the file name is. */
	r = xasprintf("...%s", e + n - (w - 3));
	free(e);
	return r;
}

static void
text_window(FILE *out, const struct image_info *im)
{
	char	a[40], b[40];

	fmt_time(im->learn_first_ms, a, sizeof(a));
	fmt_time(im->learn_last_ms, b, sizeof(b));
	if (im->learn_first_ms > 0)
		fprintf(out, "  learned     %s .. %s\n", a, b);
	else
		fprintf(out, "  learned     never\n");
	fprintf(out, "  containers  %lld seen    audit records lost  %lld\n",
	    (long long)im->containers, (long long)im->audit_lost);
	if (im->image_id != NULL)
		fprintf(out, "  image id    %.19s\n", im->image_id);
}

/* Ready to enforce, or why not, and where the verdict comes from. */
static void
text_readiness(FILE *out, const struct painter *p,
    const struct image_readiness *r)
{
	char	lines[8][200], t[40];
	size_t	n, i;

	n = image_readiness_reasons(r, lines, 8);
	if (r->ready)
		fprintf(out, "  readiness   ready to enforce\n");
	else
		fprintf(out, "  readiness   %snot ready%s: %s\n", YELLOW(p),
		    RESET(p), lines[0]);
	for (i = 1; i < n; i++)
		fprintf(out, "              and %s\n", lines[i]);
	fmt_time(r->last_new_fact_ms, t, sizeof(t));
	fprintf(out, "              %lld container%s watched from start, %lld "
	    "attached late; last new fact %s (quiet period %llds)\n",
	    (long long)r->containers_from_start,
	    r->containers_from_start == 1 ? "" : "s",
	    (long long)r->containers_attached_late, t,
	    (long long)(r->quiet_ms / 1000));
}

static void
text_baseline(FILE *out, const struct painter *p, const struct baseline *b)
{
	size_t	 i;
	int	 pw = p->width - 30, x;
	char	*s, name[80], nm[64];
	uint32_t native = syscall_arch_native();

	if (pw < 20)
		pw = 20;
	fprintf(out, "\n  %sexecutables (%zu)%s\n", BOLD(p), b->n_execs, RESET(p));
	if (b->n_execs > 0)
		fprintf(out, "    %-*s %-12s %7s %s\n", pw - 4, "PATH", "SHA256",
		    "COUNT", "FROM");
	for (i = 0; i < b->n_execs; i++) {
		s = fit(b->execs[i].path, pw - 4);
		fprintf(out, "    %-*s %-12.12s %7lld %s\n", pw - 4, s,
		    b->execs[i].sha256[0] ? b->execs[i].sha256 : "-",
		    (long long)b->execs[i].count,
		    b->execs[i].from_image ? "image" : "container");
		free(s);
	}
	if (b->n_exec_names > 0)
		fprintf(out, "    run as (a symlink):\n");
	for (i = 0; i < b->n_exec_names; i++) {
		char	*t;

		s = fit(b->exec_names[i].name, (pw - 8) / 2);
		t = fit(b->exec_names[i].target, (pw - 8) / 2);
		fprintf(out, "      %s -> %s\n", s, t);
		free(s);
		free(t);
	}
	fprintf(out, "\n  %ssyscalls (%zu)%s\n", BOLD(p), b->n_syscalls,
	    RESET(p));
	x = 0;
	for (i = 0; i < b->n_syscalls; i++) {
		int n;

		/* Another arch than the native one says which. */
		syscall_name(b->syscalls[i].arch, b->syscalls[i].nr, nm,
		    sizeof(nm));
		if (b->syscalls[i].arch == native)
			snprintf(name, sizeof(name), "%s", nm);
		else
			snprintf(name, sizeof(name), "%s:%s",
			    syscall_arch_name(b->syscalls[i].arch) != NULL ?
			    syscall_arch_name(b->syscalls[i].arch) : "?", nm);
		n = (int)strlen(name) + 1;
		if (x == 0 || x + n > p->width - 2) {
			fprintf(out, "%s    ", x ? "\n" : "");
			x = 4;
		}
		fprintf(out, "%s ", name);
		x += n;
	}
	if (x)
		fputc('\n', out);
	fprintf(out, "\n  %swritten paths (%zu)%s\n", BOLD(p), b->n_writes,
	    RESET(p));
	if (b->n_writes > 0)
		fprintf(out, "    %-*s %7s\n", p->width - 14, "PATH", "COUNT");
	for (i = 0; i < b->n_writes; i++) {
		s = fit(b->writes[i].path, p->width - 14);
		fprintf(out, "    %-*s %7lld\n", p->width - 14, s,
		    (long long)b->writes[i].count);
		free(s);
	}
}

struct latest_ctx {
	FILE			*out;
	const struct painter	*p;
};

static int
text_latest_one(const struct rt_event *ev, void *arg)
{
	struct latest_ctx	*c = arg;
	char			 t[40], first[40], times[80] = "";
	char			*exe, *comm, *path, *reason;

	time_rfc3339(ev->time_ms, t, sizeof(t));
	if (ev->count > 1) {
		time_rfc3339(ev->first_ms, first, sizeof(first));
		snprintf(times, sizeof(times), " (%lld times since %s)",
		    (long long)ev->count, first);
	}
	exe = fit(ev->exe, 24);
	comm = fit(ev->comm != NULL ? ev->comm : "", 16);
	path = rt_escape_str(ev->path);
	reason = rt_escape_str(ev->reason != NULL ? ev->reason : "");
	fprintf(c->out, "    %s%s%s %s%-7s%s %-5s %.12s pid %d ppid %d\n"
	    "      %s%s%s%s -> %s\n      %s%s%s%s\n",
	    DIM(c->p), t, RESET(c->p),
	    ev->action == ACTION_DENIED ? RED(c->p) : YELLOW(c->p),
	    event_action_name(ev->action), RESET(c->p),
	    event_kind_name(ev->kind), ev->container_id ? ev->container_id : "-",
	    ev->pid, ev->ppid, exe, comm[0] != '\0' ? " (" : "", comm,
	    comm[0] != '\0' ? ")" : "", path, DIM(c->p), reason, times,
	    RESET(c->p));
	free(exe);
	free(comm);
	free(path);
	free(reason);
	return 0;
}

static int
text_events(FILE *out, const struct painter *p, const char *ref,
    int64_t since_ms, struct store *st, struct rt_error *err)
{
	struct event_filter	 f = { ref, since_ms, REPORT_GROUPS };
	struct event_group	*g;
	struct latest_ctx	 lc = { out, p };
	size_t			 n, i;
	int64_t			 total = 0;
	char			*path, *reason;
	int			 pw = p->width - 32;

	if (pw < 20)
		pw = 20;
	if (store_event_groups(st, &f, &g, &n, err) < 0)
		return -err->code;
	for (i = 0; i < n; i++)
		total += g[i].count;
	fprintf(out, "\n  %sdenials and alerts%s", BOLD(p), RESET(p));
	if (n == 0) {
		fprintf(out, ": none%s\n", since_ms ? " in the window" : "");
		event_group_free(g, n);
		return 0;
	}
	fprintf(out, " (top %zu groups)\n", n);
	fprintf(out, "    %-7s %-5s %6s  %s\n", "ACTION", "KIND", "COUNT",
	    "PATH / REASON");
	for (i = 0; i < n; i++) {
		path = fit(g[i].path, pw);
		reason = rt_escape_str(g[i].reason ? g[i].reason : "");
		fprintf(out, "    %s%-7s%s %-5s %6lld  %s\n%22s%s%s%s\n",
		    g[i].action == ACTION_DENIED ? RED(p) : YELLOW(p),
		    event_action_name(g[i].action), RESET(p),
		    event_kind_name(g[i].kind), (long long)g[i].count, path,
		    "", DIM(p), reason, RESET(p));
		free(path);
		free(reason);
	}
	event_group_free(g, n);
	fprintf(out, "\n  %slatest%s\n", BOLD(p), RESET(p));
	f.limit = REPORT_LATEST;
	return store_event_foreach(st, &f, text_latest_one, &lc, err);
}

/* --- JSON ---------------------------------------------------------------- */

/* The baseline as policy export writes it, and what the store knows more. */
static json_t *
json_image(const struct image_info *im, const struct baseline *b,
    const struct image_readiness *r)
{
	json_t	*o = json_object();

	baseline_json_add(o, b, im->image_id);
	json_object_set_new(o, "learned_from", rt_json_time(im->learn_first_ms));
	json_object_set_new(o, "learned_to", rt_json_time(im->learn_last_ms));
	json_object_set_new(o, "containers", json_integer(im->containers));
	json_object_set_new(o, "audit_lost", json_integer(im->audit_lost));
	json_object_set_new(o, "readiness", baseline_json_readiness(r));
	json_object_set_new(o, "denied", json_integer(im->denied));
	json_object_set_new(o, "alerted", json_integer(im->alerted));
	return o;
}

/*
 * The "events" array is streamed: this thread steps SQLite through the
 * rows and copies them into batches; a second thread, the events writer,
 * turns each batch into JSON lines and writes them. A million rows take
 * about 0.6 s to step and 1 s to write as JSON; with the two overlapping
 * through a queue of EVENT_BATCHES, the report takes the longer of the
 * two rather than their sum.
 */
#define EVENT_BATCHES	3
#define BATCH_EVENTS	2048
#define BATCH_BYTES	(1024 * 1024)	/* the batch's copies of the strings */
#define OUT_CHUNK	(256 * 1024)	/* lines gathered per fwrite */

struct event_batch {
	struct event_batch	*next;
	struct rt_event		 ev[BATCH_EVENTS];
	size_t			 n;
	char			*bytes;
	size_t			 used, size;
};

struct events_writer {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct event_batch	*free;		/* for the reader to fill */
	struct event_batch	*full, *full_tail; /* for the writer */
	struct event_batch	*filling;	/* the reader's */
	bool			 done;		/* the reader has finished */
	int			 rc;		/* the writer's first failure */
	struct rt_error		 err;
	/* The writer's own: */
	FILE			*out;
	struct event_json	*ej;
	char			*chunk;
	size_t			 chunk_len;
	size_t			 n;		/* events written */
};

static int
writer_flush(struct events_writer *w)
{
	if (w->chunk_len > 0 &&
	    fwrite(w->chunk, 1, w->chunk_len, w->out) != w->chunk_len)
		return rt_error_sys(&w->err, errno != 0 ? errno : EIO,
		    "writing the report");
	w->chunk_len = 0;
	return 0;
}

/* One event as a line of the array. */
static int
writer_event(struct events_writer *w, const struct rt_event *ev)
{
	const char	*s;
	size_t		 n;
	int		 rc;

	if ((rc = event_json_format(w->ej, ev, &s, &n, &w->err)) < 0)
		return rc;
	if (w->chunk_len + n + 8 > OUT_CHUNK && (rc = writer_flush(w)) < 0)
		return rc;
	if (n + 8 > OUT_CHUNK) {
		/* Longer than a chunk (a huge path): written as it is. */
		if (fprintf(w->out, "%s\n    ", w->n++ ? "," : "") < 0 ||
		    fwrite(s, 1, n, w->out) != n)
			return rt_error_sys(&w->err, errno != 0 ? errno : EIO,
			    "writing the report");
		return 0;
	}
	if (w->n++ > 0)
		w->chunk[w->chunk_len++] = ',';
	memcpy(w->chunk + w->chunk_len, "\n    ", 5);
	w->chunk_len += 5;
	memcpy(w->chunk + w->chunk_len, s, n);
	w->chunk_len += n;
	return 0;
}

static void *
writer_main(void *arg)
{
	struct events_writer	*w = arg;
	struct event_batch	*b;
	size_t			 i;
	int			 rc = 0;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->full == NULL && !w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		if ((b = w->full) == NULL)
			break;
		if ((w->full = b->next) == NULL)
			w->full_tail = NULL;
		pthread_mutex_unlock(&w->lock);

		/* After a failure, batches are only given back. */
		for (i = 0; i < b->n && rc == 0; i++)
			rc = writer_event(w, &b->ev[i]);
		b->n = b->used = 0;

		pthread_mutex_lock(&w->lock);
		if (rc < 0 && w->rc == 0)
			w->rc = rc;
		b->next = w->free;
		w->free = b;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	if (rc == 0 && (rc = writer_flush(w)) < 0) {
		pthread_mutex_lock(&w->lock);
		w->rc = rc;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* Hand the reader's batch to the writer and take an empty one. */
static int
reader_next_batch(struct events_writer *w)
{
	int	rc;

	pthread_mutex_lock(&w->lock);
	if (w->filling != NULL) {
		if (w->full_tail != NULL)
			w->full_tail->next = w->filling;
		else
			w->full = w->filling;
		w->full_tail = w->filling;
		w->filling->next = NULL;
		w->filling = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	while (w->free == NULL && w->rc == 0)
		pthread_cond_wait(&w->cond, &w->lock);
	if ((rc = w->rc) == 0) {
		w->filling = w->free;
		w->free = w->filling->next;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* The string fields of an event, to copy them in one loop. */
static const size_t event_strings[] = {
	offsetof(struct rt_event, image_ref),
	offsetof(struct rt_event, container_id),
	offsetof(struct rt_event, exe), offsetof(struct rt_event, comm),
	offsetof(struct rt_event, path), offsetof(struct rt_event, reason),
	offsetof(struct rt_event, route), offsetof(struct rt_event, mode),
};
#define EVENT_STRINGS	(sizeof(event_strings) / sizeof(event_strings[0]))
#define EVENT_STRING(e, i) \
	(*(const char **)((char *)(e) + event_strings[i]))

/* store_event_foreach's callback, on the reading thread: copy ev. */
static int
reader_event(const struct rt_event *ev, void *arg)
{
	struct events_writer	*w = arg;
	struct event_batch	*b = w->filling;
	struct rt_event		*e, in = *ev;
	size_t			 len[EVENT_STRINGS], need = 0, i;
	const char		*s;

	for (i = 0; i < EVENT_STRINGS; i++) {
		s = EVENT_STRING(&in, i);
		len[i] = s != NULL ? strlen(s) + 1 : 0;
		need += len[i];
	}
	if (b == NULL || b->n == BATCH_EVENTS || b->used + need > b->size) {
		if (reader_next_batch(w) < 0)
			return 1;
		b = w->filling;
		if (need > b->size) {	/* empty: nothing points into it */
			b->bytes = xreallocarray(b->bytes, 1, need);
			b->size = need;
		}
	}
	e = &b->ev[b->n++];
	*e = in;
	for (i = 0; i < EVENT_STRINGS; i++) {
		if (len[i] == 0)
			continue;
		memcpy(b->bytes + b->used, EVENT_STRING(&in, i), len[i]);
		EVENT_STRING(e, i) = b->bytes + b->used;
		b->used += len[i];
	}
	return 0;
}

/* Stream the events of images im[0..n) (newest first per image) to out. */
static int
json_events(FILE *out, struct store *st, const struct image_info *im,
    size_t n, int64_t since_ms, size_t *written, struct rt_error *err)
{
	struct events_writer	 w;
	struct event_batch	*b;
	struct event_filter	 f;
	size_t			 i;
	int			 rc;

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.ej = event_json_new();
	w.chunk = xmalloc(OUT_CHUNK);
	for (i = 0; i < EVENT_BATCHES; i++) {
		b = xcalloc(1, sizeof(*b));
		b->size = BATCH_BYTES;
		b->bytes = xmalloc(b->size);
		b->next = w.free;
		w.free = b;
	}
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	if ((rc = pthread_create(&w.thread, NULL, writer_main, &w)) != 0) {
		rc = rt_error_sys(err, rc, "starting the report's writer thread");
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.since_ms = since_ms;
	for (i = 0; i < n && rc == 0; i++) {
		f.image_ref = im[i].ref;
		rc = store_event_foreach(st, &f, reader_event, &w, err);
	}
	if (rc == 0 && w.filling != NULL && w.filling->n > 0)
		reader_next_batch(&w);
	pthread_mutex_lock(&w.lock);
	w.done = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(w.thread, NULL);
	if (rc == 0 && w.rc < 0) {
		*err = w.err;
		rc = w.rc;
	}
	*written = w.n;
out:
	if (w.filling != NULL) {
		w.filling->next = w.free;
		w.free = w.filling;
	}
	while ((b = w.free) != NULL) {
		w.free = b->next;
		free(b->bytes);
		free(b);
	}
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	event_json_free(w.ej);
	free(w.chunk);
	return rc;
}

/* --- driver -------------------------------------------------------------- */

int
report_run(const struct report_options *o, FILE *out, struct rt_error *err)
{
	struct store		*st;
	struct image_info	*im;
	struct baseline		*b;
	struct image_readiness	 r;
	struct painter		 p = { o->color, o->width > 40 ? o->width : 80 };
	json_t			*images = NULL;
	size_t			 n, i, written = 0;
	int64_t			 since_ms = 0;
	char			*s;
	int			 rc = 0;

	if (store_open(o->db_path, STORE_READ_ONLY, &st, err) < 0) {
		if (err->code == ENOENT)
			rt_error_set(err, ENOENT, "%s: no database yet; run "
			    "'rtguard learn --image REF' first", o->db_path);
		return -err->code;
	}
	if (o->since_s > 0)
		since_ms = time_now_ms() - o->since_s * 1000;
	if ((rc = store_image_select(st, &o->image, o->image != NULL ? 1 : 0,
	    STORE_SELECT_EACH_AT_LEAST_ONE, &im, &n, err)) < 0)
		goto out;
	if (o->json)
		images = json_array();
	else if (n == 0)
		fprintf(out, "No images in %s yet: run 'rtguard learn --image "
		    "REF'.\n", o->db_path);
	for (i = 0; i < n; i++) {
		if ((rc = store_baseline_load(st, im[i].key, &b, err)) < 0)
			goto free_images;
		if ((rc = store_image_readiness(st, im[i].key,
		    o->quiet_s * 1000, &r, err)) < 0) {
			baseline_free(b);
			goto free_images;
		}
		if (o->json) {
			json_array_append_new(images, json_image(&im[i], b, &r));
		} else {
			s = rt_escape_str(im[i].ref);
			fprintf(out, "%s%sImage %s%s\n", i ? "\n" : "", BOLD(&p),
			    s, RESET(&p));
			free(s);
			text_window(out, &im[i]);
			text_readiness(out, &p, &r);
			fprintf(out, "  decisions   %lld denied, %lld alerted\n",
			    (long long)im[i].denied, (long long)im[i].alerted);
			text_baseline(out, &p, b);
			rc = text_events(out, &p, im[i].ref, since_ms, st, err);
		}
		baseline_free(b);
		if (rc < 0)
			goto free_images;
	}
	if (o->json) {
		json_t	*head = json_object();
		char	 t[40];

		time_rfc3339(time_now_ms(), t, sizeof(t));
		json_object_set_new(head, "generated", json_string(t));
		json_object_set_new(head, "database", rt_json_escaped(o->db_path));
		json_object_set_new(head, "images", images);
		s = json_dumps(head, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(head);
		/* Reopen the object to stream "events" after "images". */
		s[strlen(s) - 2] = '\0';
		fprintf(out, "%s,\n  \"events\": [", s);
		free(s);
		rc = json_events(out, st, im, n, since_ms, &written, err);
		if (rc == 0 && (fprintf(out, "%s]\n}\n", written ? "\n  " : "") < 0 ||
		    fflush(out) == EOF))
			rc = rt_error_sys(err, errno != 0 ? errno : EIO,
			    "writing the report");
		images = NULL;	/* head owned it */
	}
free_images:
	json_decref(images);
	image_info_free(im, n);
out:
	store_free(st);
	return rc < 0 ? rc : 0;
}
