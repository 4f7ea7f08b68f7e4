/*
 * learner.c: `rtguard learn`, the learning role on the daemon scaffold.
 *
 *   executables  FAN_OPEN_EXEC notifications on each learned container's
 *                overlay superblock (daemon/fangroup.h); hashed from the
 *                event's descriptor
 *   writes       FAN_CLOSE_WRITE and FAN_MODIFY on the same mark; deletes
 *                and renames from audit (records.c)
 *   syscalls     audit (audit.c, records.c), attributed through cgroups
 *
 * A container of a learned image is attached from the OCI createRuntime
 * hook when it is installed (before its first instruction: its entrypoint
 * exec and startup syscalls are learned, and it counts as watched from its
 * start), else when the engine reports it (what it did before is applied
 * from the audit records kept for it). Facts go to the store writer; the
 * learning window is written every second, so `report` during a learn
 * shows it. The readiness verdict is the store's (store_image_readiness).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/imageref.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "learner/internal.h"

#define TICK_MS		1000
#define LEARN_QUEUE	1000000	/* store records queued before shedding */

/* --- images and containers --------------------------------------------------- */

static const char *
bare_id(const char *id)
{
	if (id != NULL && strncmp(id, "sha256:", 7) == 0)
		return id + 7;
	return id;
}

/* The image learned under image_id (any tag of it), else under ref. */
static struct limage *
image_find(struct learner *l, const char *ref, const char *image_id)
{
	size_t	i;

	for (i = 0; image_id != NULL && i < l->n_images; i++)
		if (l->images[i]->image_id != NULL &&
		    strcmp(bare_id(l->images[i]->image_id),
		    bare_id(image_id)) == 0)
			return l->images[i];
	for (i = 0; ref != NULL && i < l->n_images; i++)
		if (strcmp(l->images[i]->ref, ref) == 0)
			return l->images[i];
	return NULL;
}

static struct limage *
image_get(struct learner *l, const char *ref, const char *image_id)
{
	struct limage	*img;

	if ((img = image_find(l, ref, image_id)) != NULL) {
		if (img->image_id == NULL && image_id != NULL)
			img->image_id = xstrdup(image_id);
		return img;
	}
	img = xcalloc(1, sizeof(*img));
	img->ref = xstrdup(ref);
	img->image_id = image_id != NULL ? xstrdup(image_id) : NULL;
	l->images = xreallocarray(l->images, l->n_images + 1,
	    sizeof(*l->images));
	l->images[l->n_images++] = img;
	/* An image not learned yet: its syscalls go back into the rule. */
	l->audit.dirty = true;
	return img;
}

struct lcontainer *
learner_container(struct learner *l, const char *id)
{
	size_t	i;

	for (i = 0; i < l->n_cs; i++)
		if (strcmp(l->cs[i]->c->id, id) == 0)
			return l->cs[i];
	return NULL;
}

int
learner_arch_index(const struct learner *l, uint32_t arch)
{
	int	a;

	for (a = 0; a < LEARN_ARCHES; a++)
		if (l->arches[a] != 0 && l->arches[a] == arch)
			return a;
	return -1;
}

bool
learner_learned_by_all(const struct learner *l, int a, int nr)
{
	size_t	i;

	if (l->n_images == 0)
		return false;
	for (i = 0; i < l->n_images; i++)
		if (!((l->images[i]->learned[a][nr / 8] >> (nr % 8)) & 1))
			return false;
	return true;
}

/* --- fanotify ------------------------------------------------------------------ */

static void
fan_event(struct fangroup *g, const struct fanotify_event_metadata *md,
    void *arg)
{
	struct lcontainer	*lc = arg;
	struct learner		*l = lc->l;
	char			 link[64], path[PATH_MAX];
	ssize_t			 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return;
	path[n] = '\0';
	/* A file written then deleted before we read its event. */
	if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
		path[n - 10] = '\0';
	container_path(lc->c, path);
	if (md->mask & FAN_OPEN_EXEC) {
		/* Its audit records name it even after it is gone. */
		records_note_pid(l->records, md->pid, lc->c->id);
		facts_exec(l->facts, lc, md->fd, path);
	}
	if (md->mask & (FAN_CLOSE_WRITE | FAN_MODIFY)) {
		facts_write(l->facts, lc->img, path);
		/*
		 * A log held open is written without a close: FAN_MODIFY sees
		 * it. Once seen, the inode is ignored for writes (surviving
		 * modification), so a busy log costs one event, not one per
		 * write.
		 */
		(void)fanotify_mark(fangroup_fd(g), FAN_MARK_ADD |
		    FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY,
		    FAN_MODIFY | FAN_CLOSE_WRITE, md->fd, NULL);
	}
}

/* The executables of processes already running in the container. */
static void
scan_running(struct learner *l, struct lcontainer *lc)
{
	DIR		*d;
	struct dirent	*de;
	char		 id[CONTAINER_ID_LEN + 1], p[300], path[PATH_MAX];
	struct rt_error	 err;
	ssize_t		 n;
	int		 fd;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (cgroup_container_of_pid(atoi(de->d_name), id, &err) < 0 ||
		    strcmp(id, lc->c->id) != 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%s/exe", de->d_name);
		if ((n = readlink(p, path, sizeof(path) - 1)) <= 0)
			continue;
		path[n] = '\0';
		/* The magic link opens the very file the process runs. */
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		facts_exec(l->facts, lc, fd, path);
		close(fd);
	}
	closedir(d);
}

/* The fanotify overflows of lc since last asked, counted as lost. */
static void
overflows_take(struct lcontainer *lc)
{
	uint64_t	n = fangroup_overflows(lc->g);

	lc->img->events_lost += n - lc->overflows_seen;
	lc->overflows_seen = n;
}

static void
lcontainer_free(struct lcontainer *lc)
{
	fangroup_free(lc->g);
	container_free(lc->c);
	free(lc);
}

/*
 * Take c (a container of a learned image). from_start: attached before
 * its first instruction (the OCI hook).
 */
static int
lattach(struct learner *l, struct container *c, bool from_start)
{
	struct lcontainer	*lc;
	struct rt_error		 err;
	bool			 saw_start, first;

	lc = xcalloc(1, sizeof(*lc));
	lc->l = l;
	lc->c = c;
	lc->img = image_get(l, c->image_ref, c->image_id);
	if (fangroup_open(l->base, c, FAN_CLASS_NOTIF | FAN_UNLIMITED_QUEUE,
	    FAN_OPEN_EXEC | FAN_CLOSE_WRITE | FAN_MODIFY, fan_event, lc, &lc->g,
	    &err) < 0) {
		log_warnx("%s; not learned", err.msg);
		records_forget(l->records, c->id);
		lcontainer_free(lc);
		return -1;
	}
	lc->attached_ms = time_now_ms();
	l->cs = xreallocarray(l->cs, l->n_cs + 1, sizeof(*l->cs));
	l->cs[l->n_cs++] = lc;
	first = !lc->img->attached_once;
	if (first) {
		lc->img->attached_once = true;
		lc->img->first_ms = lc->img->last_new_ms = time_now_ms();
		if (strcmp(lc->img->ref, c->image_ref) == 0)
			log_notice("learning image %s", lc->img->ref);
		else
			log_notice("learning image %s (as %s, the same image id)",
			    lc->img->ref, c->image_ref);
	}
	records_attached(l->records, lc, &saw_start);
	lc->from_start = from_start || saw_start;
	store_writer_container(l->writer, c->id, lc->img->ref, c->image_id,
	    lc->from_start, time_now_ms());
	log_info("attached to container %.12s (%s, pid %d)%s", c->id,
	    c->image_ref, (int)c->init_pid, lc->from_start ?
	    ", from its start" : "");
	if (!from_start)
		scan_running(l, lc);
	if (!lc->from_start && audit_started_before(l, c->init_pid))
		log_warnx("container %.12s was started before audit was "
		    "enabled: the kernel does not audit its syscalls; they "
		    "are learned from containers started from now on", c->id);
	return 0;
}

/* Whether c is of an image being learned: by reference, or by image id. */
static bool
learn_wants(struct learner *l, const struct container *c)
{
	if (c->image_ref != NULL && imageref_matches(l->o->image, c->image_ref))
		return true;
	return c->image_id != NULL && image_find(l, NULL, c->image_id) != NULL;
}

/* --- the role's callbacks -------------------------------------------------------- */

static bool
learn_select(const struct container *c, void *arg)
{
	struct learner	*l = arg;

	if (learner_container(l, c->id) != NULL)
		return false;
	if (learn_wants(l, c))
		return true;
	records_forget(l->records, c->id);
	return false;
}

static int
learn_attach(struct container *c, void *arg)
{
	return lattach(arg, c, false);
}

static void
learn_detach(const char *id, void *arg)
{
	struct learner	*l = arg;
	size_t		 i;

	for (i = 0; i < l->n_cs; i++) {
		if (strcmp(l->cs[i]->c->id, id) != 0)
			continue;
		log_info("container %.12s stopped", id);
		/* What the kernel queued before the stop. */
		fangroup_drain(l->cs[i]->g);
		overflows_take(l->cs[i]);
		store_writer_container(l->writer, id, l->cs[i]->img->ref, NULL,
		    false, time_now_ms());
		lcontainer_free(l->cs[i]);
		l->cs[i] = l->cs[--l->n_cs];
		return;
	}
	records_forget(l->records, id);
}

/* The OCI hook: a container before its first instruction. Never refused. */
static void
learn_hook(struct ocihook_call *call, struct container *c, bool cap,
    void *arg)
{
	struct learner	*l = arg;
	char		 id[CONTAINER_ID_LEN + 1];

	(void)cap;
	memcpy(id, c->id, sizeof(id));
	if (learner_container(l, id) != NULL || !learn_wants(l, c)) {
		records_forget(l->records, id);
		container_free(c);
		ocihook_reply(call, true, "not learned");
		return;
	}
	if (lattach(l, c, true) == 0)
		daemon_adopt(l->daemon, id);
	ocihook_reply(call, true, "learning");
}

static void
learn_running(void *arg)
{
	struct learner	*l = arg;

	l->ready = true;
	if (l->n_cs == 0)
		log_notice("no running container matches --image %s yet; "
		    "waiting for one to start", l->o->image);
}

/* Must not outlive us, also from fatal(): our audit rules and settings. */
static void
learn_cleanup(void *arg)
{
	audit_source_close(arg);
}

/* The window and losses so far, so `report` during a learn shows them. */
static void
flush_windows(struct learner *l, int64_t now)
{
	struct limage	*img;
	int64_t		 lost = audit_lost(l), events;
	size_t		 i;

	for (i = 0; i < l->n_cs; i++)
		overflows_take(l->cs[i]);
	for (i = 0; i < l->n_images; i++) {
		img = l->images[i];
		if (!img->attached_once)
			continue;
		events = (int64_t)img->events_lost +
		    (int64_t)store_writer_dropped(l->writer);
		store_writer_learned(l->writer, img->ref, img->first_ms, now,
		    lost - img->flushed_audit_lost,
		    events - img->flushed_events_lost);
		img->flushed_audit_lost = lost;
		img->flushed_events_lost = events;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct learner	*l = arg;
	int64_t		 now = time_now_ms();

	(void)fd;
	(void)what;
	records_tick(l->records, time_mono_ms());
	audit_update_lost(l);
	audit_rules_refresh(l, false);
	audit_rules_fs_check(l);
	flush_windows(l, now);
	learner_progress(l, now);
	if (learner_converged(l, now)) {
		if (l->progress_shown)
			fputc('\n', stderr);
		l->progress_shown = false;
		log_notice("learning %s converged: nothing new for %llds",
		    l->o->image, (long long)l->o->until_stable_s);
		daemon_stop(l->daemon);
	}
}

/* --- the run --------------------------------------------------------------------- */

/* Before the writer owns the store: --reset, and what is already known. */
static int
prepare_store(struct learner *l, struct store *st, struct rt_error *err)
{
	struct image_info	*im;
	struct baseline		*b;
	struct limage		*img;
	size_t			 n, i, j;
	int			 a;

	if (store_image_list(st, &im, &n, err) < 0)
		return -err->code;
	for (i = 0; i < n; i++) {
		if (!imageref_matches(l->o->image, im[i].ref))
			continue;
		if (l->o->reset) {
			if (store_baseline_reset(st, im[i].key, err) < 0)
				goto fail;
			log_notice("forgot the baseline of %s (--reset)",
			    im[i].ref);
		}
		if (store_baseline_load(st, im[i].key, &b, err) < 0)
			goto fail;
		img = image_get(l, im[i].ref, im[i].image_id);
		for (j = 0; j < b->n_syscalls; j++)
			if ((a = learner_arch_index(l, b->syscalls[j].arch)) >= 0)
				img->learned[a][b->syscalls[j].nr / 8] |=
				    1 << (b->syscalls[j].nr % 8);
		for (j = 0; j < b->n_execs; j++)
			facts_known_exec(l->facts, img, b->execs[j].path,
			    b->execs[j].sha256);
		for (j = 0; j < b->n_writes; j++)
			facts_known_write(l->facts, img, b->writes[j].path);
		baseline_free(b);
	}
	image_info_free(im, n);
	return 0;
fail:
	image_info_free(im, n);
	return -err->code;
}

static void
learner_free(struct learner *l)
{
	size_t	i;

	for (i = 0; i < l->n_cs; i++)
		lcontainer_free(l->cs[i]);
	free(l->cs);
	for (i = 0; i < l->n_images; i++) {
		free(l->images[i]->ref);
		free(l->images[i]->image_id);
		free(l->images[i]);
	}
	free(l->images);
	records_free(l->records);
	facts_free(l->facts);
	if (l->tick != NULL)
		event_free(l->tick);
}

int
learner_run(const struct learn_options *o, struct rt_error *err)
{
	static struct learner	 l0;
	struct learner		*l = &l0;
	struct daemon_role	 role;
	struct daemon_config	 cfg;
	struct store		*st = NULL;
	struct timeval		 tv = { TICK_MS / 1000, 0 };
	struct rt_error		 e2;
	char			*check;
	bool			 any = false;
	size_t			 i;
	int			 rc;

	memset(l, 0, sizeof(*l));
	l->o = o;
	l->self = getpid();
	l->start_ms = time_now_ms();
	l->audit.ctl_fd = l->audit.rec_fd = -1;
	l->arches[0] = syscall_arch_native();
	l->arches[1] = syscall_arch_compat();
	if (imageref_normalise(o->image, &check, err) < 0 &&
	    strchr(o->image, '/') != NULL)
		return -err->code;
	free(check);
	l->records = records_new(l);
	l->facts = facts_new(l);
	if ((rc = store_open(o->db_path, STORE_READ_WRITE, &st, err)) < 0 ||
	    (rc = prepare_store(l, st, err)) < 0) {
		store_free(st);
		learner_free(l);
		return rc;
	}
	memset(&role, 0, sizeof(role));
	role.name = "learn";
	role.arg = l;
	role.select = learn_select;
	role.attach = learn_attach;
	role.detach = learn_detach;
	role.hook = learn_hook;
	role.running = learn_running;
	role.cleanup = learn_cleanup;
	memset(&cfg, 0, sizeof(cfg));
	cfg.runtime_socket = o->runtime_socket;
	cfg.store_queue = LEARN_QUEUE;
	cfg.duration_s = o->duration_s;
	cfg.hooks = true;
	if ((rc = daemon_open(&cfg, &role, st, &l->daemon, err)) < 0) {
		learner_free(l);
		return rc;
	}
	l->base = daemon_base(l->daemon);
	l->writer = daemon_writer(l->daemon);
	for (i = 0; i < l->n_images; i++)
		if (o->quiet_s > 0)
			store_writer_quiet(l->writer, l->images[i]->ref,
			    o->quiet_s * 1000);
	/* From here on every exit path removes our rules (learn_cleanup). */
	if ((rc = audit_source_open(l, err)) < 0)
		goto out;
	l->tick = event_new(l->base, -1, EV_PERSIST, tick, l);
	event_add(l->tick, &tv);
	rc = daemon_run(l->daemon, err);
	if (l->progress_shown)
		fputc('\n', stderr);
	/* Take in what is already queued, then stop. */
	audit_drain(l);
	records_flush(l->records);
	for (i = 0; i < l->n_cs; i++)
		fangroup_drain(l->cs[i]->g);
	records_log_sources(l->records);
out:
	audit_update_lost(l);
	flush_windows(l, time_now_ms());
	for (i = 0; i < l->n_images; i++) {
		any |= l->images[i]->attached_once;
		if (o->quiet_s > 0 && l->images[i]->attached_once)
			store_writer_quiet(l->writer, l->images[i]->ref,
			    o->quiet_s * 1000);
	}
	audit_source_close(l);
	/* Their events live on the daemon's loop: gone before it is. */
	for (i = 0; i < l->n_cs; i++)
		lcontainer_free(l->cs[i]);
	l->n_cs = 0;
	if (l->tick != NULL)
		event_free(l->tick);
	l->tick = NULL;
	st = NULL;
	if (daemon_close(l->daemon, &st, &e2) < 0 && rc == 0)
		rc = rt_error_set(err, e2.code, "saving the baseline: %s",
		    e2.msg);
	if (rc == 0 && !any)
		log_warnx("no container of image %s ran during the learning "
		    "window: nothing was learned", o->image);
	else if (rc == 0)
		learner_summary(l, st, (time_now_ms() - l->start_ms) / 1000);
	store_free(st);
	learner_free(l);
	return rc;
}
