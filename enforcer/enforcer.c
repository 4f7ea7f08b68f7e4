/*
 * enforcer.c: `rtguard enforce`: load the baselines, follow the containers
 * (OCI hook and engine events), reload policy, stop cleanly.
 *
 * Per container, attach.c sets up a fanotify permission group on its
 * overlay and, in protect mode, the mounts of harden.c; answer.c answers
 * the events from memory; alerts.c records. This file owns the loop and
 * the lifetime of everything else.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "enforcer/internal.h"

#define HEARTBEAT_S		2

/* --- policy reload ------------------------------------------------------ */

static const char *
policy_dir(const struct enforcer *enf)
{
	return enf->o->policy_dir != NULL ? enf->o->policy_dir :
	    RTGUARD_POLICY_DIR;
}

static void
policy_reload(evutil_socket_t fd, short what, void *arg)
{
	struct enforcer	*enf = arg;
	struct policy	*p;
	struct rt_error	 err;
	size_t		 i;

	(void)fd; (void)what;
	if (policy_load_dir(policy_dir(enf), &p, &err) < 0) {
		log_warnx("policy not reloaded, keeping the last good one: %s",
		    err.msg);
		return;
	}
	policy_free(enf->policy);
	enf->policy = p;
	for (i = 0; i < enf->n_cs; i++) {
		enf_context_refresh(enf->cs[i]);
		/*
		 * Allowed inodes were cached in the kernel under the old
		 * policy: flush the inode marks (the ignore marks), keep the
		 * filesystem mark. First, so that the loader is asked about
		 * again before the kernel stops refusing its direct runs.
		 */
		if (fanotify_mark(fangroup_fd(enf->cs[i]->g), FAN_MARK_FLUSH,
		    0, AT_FDCWD, NULL) < 0)
			log_warn("container %.12s: flushing cached decisions",
			    enf->cs[i]->c->id);
		/* Refusals were decided under the old policy too. */
		memset(enf->cs[i]->denials, 0, sizeof(enf->cs[i]->denials));
		enf_forget_loaders(enf->cs[i]);
		enf_policy_changed(enf->cs[i]);
	}
	log_notice("policy reloaded from %s", policy_dir(enf));
}

static void
inotify_readable(evutil_socket_t fd, short what, void *arg)
{
	struct enforcer	*enf = arg;
	char		 buf[4096];
	struct timeval	 tv = { 0, 200 * 1000 };

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	/* Editors write in several steps: settle for 200 ms first. */
	evtimer_add(enf->reload_timer, &tv);
}

static void
watch_policy(struct enforcer *enf)
{
	enf->reload_timer = evtimer_new(enf->base, policy_reload, enf);
	enf->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (enf->inotify_fd < 0 || inotify_add_watch(enf->inotify_fd,
	    policy_dir(enf), IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
	    IN_DELETE | IN_CREATE) < 0) {
		log_info("not watching %s for policy changes (%s); SIGHUP "
		    "reloads", policy_dir(enf), strerror(errno));
		return;
	}
	enf->inotify_ev = event_new(enf->base, enf->inotify_fd,
	    EV_READ | EV_PERSIST, inotify_readable, enf);
	event_add(enf->inotify_ev, NULL);
}

/* --- run ---------------------------------------------------------------- */

static void
heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct enforcer	*enf = arg;
	char		 v[64];

	(void)fd; (void)what;
	snprintf(v, sizeof(v), "running %lld %d", (long long)time_now_ms(),
	    (int)getpid());
	store_writer_meta(enf->writer, "enforce.state", v);
}

/* Load the baselines of the images to enforce, before the writer owns st. */
/*
 * Whether img's baseline is ready to enforce (store_image_readiness, the
 * verdict report shows): a warning per image that is not, with its
 * reasons; its containers are then monitored instead of protected
 * (attach.c), unless --force.
 */
static int
image_readiness(struct enforcer *enf, struct store *st,
    const struct image_info *im, struct enf_image *img, struct rt_error *err)
{
	struct image_readiness	 r;
	char			 lines[8][200], *why, *t;
	size_t			 n, i;

	if (store_image_readiness(st, im->key, 0, &r, err) < 0)
		return -err->code;
	if (r.ready)
		return 0;
	n = image_readiness_reasons(&r, lines, 8);
	why = xstrdup(n > 0 ? lines[0] : "not ready");
	for (i = 1; i < n; i++) {
		t = xasprintf("%s; %s", why, lines[i]);
		free(why);
		why = t;
	}
	img->not_ready = why;
	if (enf->o->monitor)
		log_warnx("baseline for %s is not ready to enforce: %s", im->ref,
		    why);
	else if (enf->o->force)
		log_warnx("baseline for %s is not ready to enforce: %s; "
		    "protecting it anyway (--force)", im->ref, why);
	else
		log_warnx("baseline for %s is not ready to enforce: %s; its "
		    "containers in protect mode are monitored, not protected "
		    "(--force protects them)", im->ref, why);
	return 0;
}

static int
load_images(struct enforcer *enf, struct store *st, struct rt_error *err)
{
	struct image_info	*im;
	struct baseline		*b;
	size_t			 n, i;

	/* Each --image must select at least one image with a baseline. */
	if (store_image_select(st, enf->o->images, enf->o->n_images,
	    STORE_SELECT_EACH_AT_LEAST_ONE | STORE_SELECT_WITH_BASELINE, &im,
	    &n, err) < 0)
		return -err->code;	/* names the pattern and the database */
	enf->images = xcalloc(n + 1, sizeof(*enf->images));
	for (i = 0; i < n; i++) {
		if (store_baseline_load(st, im[i].key, &b, err) < 0) {
			image_info_free(im, n);
			return -err->code;
		}
		enf->images[enf->n_images].ref = xstrdup(im[i].ref);
		enf->images[enf->n_images].image_id = im[i].image_id == NULL ?
		    NULL : xstrdup(strncmp(im[i].image_id, "sha256:", 7) == 0 ?
		    im[i].image_id + 7 : im[i].image_id);
		enf->images[enf->n_images].b = b;
		log_info("baseline for %s: %zu executables, %zu writes",
		    im[i].ref, b->n_execs, b->n_writes);
		if (image_readiness(enf, st, &im[i],
		    &enf->images[enf->n_images], err) < 0) {
			enf->n_images++;
			image_info_free(im, n);
			return -err->code;
		}
		enf->n_images++;
	}
	image_info_free(im, n);
	if (enf->n_images == 0)
		return rt_error_set(err, ENOENT, "no image has a baseline in %s; "
		    "run 'rtguard learn --image REF' first", store_path(st));
	return 0;
}

static void
report_gap(struct enforcer *enf, struct store *st)
{
	struct rt_error	 err;
	char		*v = NULL, t[40], reason[128];
	long long	 ms;
	int		 pid;

	if (store_meta_get(st, "enforce.state", &v, &err) < 0 || v == NULL)
		return;
	if (sscanf(v, "running %lld %d", &ms, &pid) == 2 &&
	    (kill(pid, 0) < 0 && errno == ESRCH)) {
		time_rfc3339(ms, t, sizeof(t));
		log_warnx("the previous 'rtguard enforce' (pid %d) ended without "
		    "a clean stop: containers were unprotected from about %s "
		    "until now", pid, t);
		snprintf(reason, sizeof(reason), "previous rtguard enforce ended "
		    "without a clean stop; unprotected since %s", t);
		alerts_status(enf, "gap", NULL, NULL, reason);
		store_meta_set(st, "enforce.last_gap_from", t, &err);
	}
	free(v);
}

/*
 * The alert output, non-blocking, in a file description of its own (so
 * O_NONBLOCK never leaks into a shared stderr): a reader that stops
 * reading costs queued lines, never an answer.
 */
static int
open_alerts(const char *path, struct rt_error *err)
{
	int	fd;

	if (path == NULL) {
		if ((fd = open("/proc/self/fd/2", O_WRONLY | O_APPEND |
		    O_NONBLOCK | O_CLOEXEC)) < 0)
			fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return rt_error_sys(err, errno, "stderr");
		return fd;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (fd < 0)
		return rt_error_sys(err, errno, "--alerts %s", path);
	return fd;
}

static void
enf_reload(void *arg)
{
	policy_reload(-1, 0, arg);
}

static void
enf_running(void *arg)
{
	struct enforcer	*enf = arg;

	log_notice("enforcing %zu image%s with baselines%s, %zu running "
	    "container%s attached; Ctrl-C stops", enf->n_images,
	    enf->n_images == 1 ? "" : "s", enf->o->monitor ?
	    " in monitor mode" : "", enf->n_cs, enf->n_cs == 1 ? "" : "s");
}

/* Undo what must not outlive us: our mounts (also from fatal()). */
static void
enf_cleanup(void *arg)
{
	enf_detach_all(arg);
}

static void
images_free(struct enforcer *enf)
{
	size_t	i;

	for (i = 0; i < enf->n_images; i++) {
		free(enf->images[i].ref);
		free(enf->images[i].image_id);
		baseline_free(enf->images[i].b);
		free(enf->images[i].not_ready);
	}
	free(enf->images);
	enf->images = NULL;
	enf->n_images = 0;
}

int
enforcer_run(const struct enforce_options *o, struct rt_error *err)
{
	static struct enforcer		 enf0;
	struct enforcer			*enf = &enf0;
	struct daemon_role		 role;
	struct daemon_config		 cfg;
	struct store			*st;
	struct event			*hb = NULL;
	struct rt_error			 e2;
	struct timeval			 tv;
	char				 v[64];
	int				 rc, afd;

	memset(enf, 0, sizeof(*enf));
	enf->o = o;
	enf->inotify_fd = -1;
	if (policy_load_dir(policy_dir(enf), &enf->policy, err) < 0)
		return -err->code;
	if ((afd = open_alerts(o->alerts_path, err)) < 0) {
		policy_free(enf->policy);
		return afd;
	}
	enf->alerts = alerts_new(NULL, afd);
	if ((rc = store_open(o->db_path, STORE_READ_WRITE, &st, err)) < 0)
		goto out;
	if ((rc = load_images(enf, st, err)) < 0) {
		store_free(st);
		goto out;
	}
	report_gap(enf, st);
	/* An earlier enforcer's mounts, to take over (it died, or was killed). */
	if (store_meta_list(st, "mounts.", &enf->saved_ids, &enf->saved_mounts,
	    &enf->n_saved, &e2) < 0)
		log_warnx("%s", e2.msg);
	memset(&role, 0, sizeof(role));
	role.name = "enforce";
	role.arg = enf;
	role.select = enf_tracker_select;
	role.attach = enf_tracker_attach;
	role.detach = enf_tracker_detach;
	role.unresolved = enf_tracker_unresolved;
	role.hook = enf_on_hook;
	role.reload = enf_reload;
	role.running = enf_running;
	role.cleanup = enf_cleanup;
	memset(&cfg, 0, sizeof(cfg));
	cfg.runtime_socket = o->runtime_socket;
	cfg.store_queue = 100000;
	cfg.duration_s = o->duration_s;
	cfg.hooks = true;
	if ((rc = daemon_open(&cfg, &role, st, &enf->daemon, err)) < 0)
		goto out;
	enf->base = daemon_base(enf->daemon);
	enf->writer = daemon_writer(enf->daemon);
	if (!o->monitor && observe_open(enf->base, o->record_write_opens ?
	    OBSERVE_OPENAT : 0, enf_observed, enf, &enf->observe, &e2) < 0)
		log_warnx("the refusals the kernel makes by itself (noexec, "
		    "read-only, memfd) are not recorded: %s", e2.msg);
	else if (enf->observe != NULL)
		log_info("recording the kernel's own refusals (%s)",
		    observe_method(enf->observe));
	alerts_start(enf);
	hb = event_new(enf->base, -1, EV_PERSIST, heartbeat, enf);
	tv.tv_sec = HEARTBEAT_S;
	tv.tv_usec = 0;
	event_add(hb, &tv);
	heartbeat(-1, 0, enf);
	watch_policy(enf);
	rc = daemon_run(enf->daemon, err);
	if (enf->observe != NULL) {
		if (observe_lost(enf->observe) > 0)
			log_warnx("%llu of the kernel's refusals were not "
			    "recorded (the observer's ring buffer was full)",
			    (unsigned long long)observe_lost(enf->observe));
		observe_free(enf->observe);
		enf->observe = NULL;
	}
	/*
	 * Undo our mounts and close every group (closing lets pending
	 * events through), then record what the aggregation windows hold.
	 */
	enf_detach_all(enf);
	alerts_finish(enf);
	snprintf(v, sizeof(v), "stopped %lld", (long long)time_now_ms());
	store_writer_meta(enf->writer, "enforce.state", v);
	log_notice("stopped: %llu decisions, %llu denied, %llu alerted, %llu "
	    "queue overflows, %llu records shed, %llu alert lines shed",
	    (unsigned long long)enf->decisions,
	    (unsigned long long)enf->denials,
	    (unsigned long long)enf->alerts_n,
	    (unsigned long long)enf->overflows,
	    (unsigned long long)store_writer_dropped(enf->writer),
	    (unsigned long long)alerts_shed(enf->alerts));
	event_free(hb);
	if (enf->inotify_ev != NULL)
		event_free(enf->inotify_ev);
	event_free(enf->reload_timer);
	if (enf->inotify_fd >= 0)
		close(enf->inotify_fd);
	alerts_stop(enf->alerts);
	if (daemon_close(enf->daemon, NULL, &e2) < 0 && rc == 0)
		rc = rt_error_set(err, e2.code, "%s", e2.msg);
out:
	for (size_t i = 0; i < enf->n_saved; i++) {
		free(enf->saved_ids[i]);
		free(enf->saved_mounts[i]);
	}
	free(enf->saved_ids);
	free(enf->saved_mounts);
	images_free(enf);
	alerts_free(enf->alerts);
	close(afd);
	policy_free(enf->policy);
	return rc;
}
