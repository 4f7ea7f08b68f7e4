/*
 * enforcer.c: `rtguard enforce`, one fanotify permission group per
 * container under enforcement, answered from memory.
 *
 * For each container whose image has a baseline (and that --image and the
 * policy select), a FAN_CLASS_CONTENT group marks the container's overlay
 * superblock (FAN_MARK_FILESYSTEM on its MergedDir) for FAN_OPEN_EXEC_PERM
 * and FAN_OPEN_PERM. Nothing on the host is ever marked. Each event is
 * decided from the baseline and the policy, answered at once, and only then
 * recorded (store writer queue) and alerted (JSON line). Allowed inodes get
 * an in-kernel ignore mark, which the kernel drops when the file changes.
 *
 * The answer path never opens a file on a marked filesystem: it reads the
 * event's own descriptor, /proc, and the container's upper directory on the
 * host filesystem.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "container/container.h"
#include "enforcer/enforcer.h"
#include "enforcer/intent.h"
#include "enforcer/lockdirs.h"
#include "policies/policy.h"
#include "store/store.h"

#define HEARTBEAT_S		2

struct enf_image {
	char			*ref;
	struct baseline		*b;	/* execs sorted by path, writes by path */
};

struct enforcer;

struct enf_container {
	struct enforcer		*enf;
	struct container	*c;
	struct enf_image	*img;
	int			 fd;
	struct event		*ev;
	uint64_t		 allowed, denied, alerted;
	bool			 locked;	/* read-only dirs applied */
};

struct enforcer {
	const struct enforce_options *o;
	struct event_base	*base;
	struct store_writer	*writer;
	struct policy		*policy;
	struct enf_image	*images;
	size_t			 n_images;
	struct enf_container	**cs;
	size_t			 n_cs;
	FILE			*alerts;
	struct sha256_cache	 hashes;
	uint64_t		 overflows, decisions, denials, alerts_n;
	int			 inotify_fd;
	struct event		*inotify_ev, *reload_timer;
};

/* --- decisions ---------------------------------------------------------- */

static int
cmp_exec_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct baseline_exec *)elem)->path);
}

static int
cmp_write_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct baseline_write *)elem)->path);
}

/* The first baseline exec with this path (execs are sorted by path, sha). */
static const struct baseline_exec *
find_exec(const struct baseline *b, const char *path, size_t *n)
{
	const struct baseline_exec	*e, *first;

	e = bsearch(path, b->execs, b->n_execs, sizeof(*b->execs),
	    cmp_exec_path);
	if (e == NULL)
		return NULL;
	first = e;
	while (first > b->execs && strcmp(first[-1].path, path) == 0)
		first--;
	for (e = first, *n = 0; e < b->execs + b->n_execs &&
	    strcmp(e->path, path) == 0; e++)
		(*n)++;
	return first;
}

/* Returns true to deny; reason says why (or "" when allowed). */
static bool
decide_exec(struct enf_container *ec, int fd, const char *path,
    bool *cacheable, char *reason, size_t rlen)
{
	struct enforcer			*enf = ec->enf;
	const struct baseline_exec	*e;
	struct rt_error			 err;
	char				 hex[SHA256_HEX_LEN + 1];
	enum policy_verdict		 pv;
	size_t				 n, i;

	*cacheable = false;
	reason[0] = '\0';
	switch (container_file_origin(ec->c, fd, path)) {
	case ORIGIN_ELSEWHERE:
		snprintf(reason, rlen, "drift: not from the image (file on a "
		    "volume or tmpfs)");
		return true;
	case ORIGIN_UPPER:
		snprintf(reason, rlen, "drift: written or changed in the "
		    "container after it started (upper layer)");
		return true;
	case ORIGIN_IMAGE:
		break;
	}
	pv = policy_check_exec(enf->policy, ec->img->ref, path);
	if (pv == POLICY_DENY) {
		snprintf(reason, rlen, "denied by a policy deny-exec rule");
		return true;
	}
	e = find_exec(ec->img->b, path, &n);
	if (e == NULL) {
		if (pv == POLICY_ALLOW) {
			*cacheable = true;
			return false;
		}
		snprintf(reason, rlen, "not in the image's learned command "
		    "whitelist");
		return true;
	}
	for (i = 0; i < n; i++)
		if (e[i].sha256[0] == '\0') {
			*cacheable = true;
			return false;
		}
	if (sha256_fd_cached(&enf->hashes, fd, hex, &err) < 0) {
		log_warnx("hashing %s: %s", path, err.msg);
		snprintf(reason, rlen, "cannot hash the file");
		return true;
	}
	for (i = 0; i < n; i++)
		if (strcmp(e[i].sha256, hex) == 0) {
			*cacheable = true;
			return false;
		}
	snprintf(reason, rlen, "content differs from the learned SHA-256 "
	    "(now %.12s)", hex);
	return true;
}

/* A learned write: the exact path, or its directory collapsed. */
static bool
learned_write(const struct baseline *b, const char *path)
{
	const char	*slash;
	char		*pattern;
	bool		 found;

	if (bsearch(path, b->writes, b->n_writes, sizeof(*b->writes),
	    cmp_write_path) != NULL)
		return true;
	if ((slash = strrchr(path, '/')) == NULL)
		return false;
	pattern = xasprintf("%.*s/*", (int)(slash - path), path);
	found = bsearch(pattern, b->writes, b->n_writes, sizeof(*b->writes),
	    cmp_write_path) != NULL;
	free(pattern);
	return found;
}

static bool
decide_open(struct enf_container *ec, pid_t tid, const char *path,
    bool *cacheable, char *reason, size_t rlen)
{
	struct enforcer		*enf = ec->enf;
	enum policy_verdict	 pv;
	enum open_intent	 in;

	*cacheable = false;
	reason[0] = '\0';
	if (!policy_is_protected(enf->policy, path)) {
		*cacheable = true;	/* any open outside is fine */
		return false;
	}
	in = intent_of_tid(tid);
	if (in == INTENT_READ)
		return false;
	if (in == INTENT_UNKNOWN) {
		log_debug("open of %s by %d: intent unknown, allowed", path,
		    (int)tid);
		return false;
	}
	pv = policy_check_write(enf->policy, ec->img->ref, path);
	if (pv == POLICY_DENY) {
		snprintf(reason, rlen, "denied by a policy deny-write rule");
		return true;
	}
	if (pv == POLICY_ALLOW || learned_write(ec->img->b, path))
		return false;
	snprintf(reason, rlen, "write to a protected directory, not a "
	    "learned write");
	return true;
}

/* --- recording ---------------------------------------------------------- */

static void
proc_info(pid_t tid, pid_t *tgid, pid_t *ppid, char *exe, size_t elen)
{
	char	path[64], line[256];
	FILE	*f;
	ssize_t	n;

	*tgid = tid;
	*ppid = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if ((f = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "Tgid:", 5) == 0)
				*tgid = atoi(line + 5);
			else if (strncmp(line, "PPid:", 5) == 0) {
				*ppid = atoi(line + 5);
				break;
			}
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tid);
	n = readlink(path, exe, elen - 1);
	exe[n > 0 ? n : 0] = '\0';
}

static void
alert_line(struct enforcer *enf, json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		fprintf(enf->alerts, "%s\n", s);
		fflush(enf->alerts);
		free(s);
	}
	json_decref(o);
}

static void
record(struct enf_container *ec, pid_t tid, enum event_kind kind,
    const char *path, bool deny, const char *reason)
{
	struct enforcer	*enf = ec->enf;
	struct rt_event	 ev;
	json_t		*o;
	char		 exe[PATH_MAX], t[40];
	pid_t		 tgid, ppid;
	enum policy_mode m;

	m = enf->o->monitor ? POLICY_MODE_MONITOR :
	    policy_mode(enf->policy, ec->img->ref);
	proc_info(tid, &tgid, &ppid, exe, sizeof(exe));
	memset(&ev, 0, sizeof(ev));
	ev.time_ms = time_now_ms();
	ev.image_ref = ec->img->ref;
	ev.container_id = ec->c->id;
	ev.pid = tgid;
	ev.ppid = ppid;
	ev.exe = exe;
	ev.kind = kind;
	ev.path = path;
	ev.action = deny ? ACTION_DENIED : ACTION_ALERTED;
	ev.reason = reason;
	store_writer_event(enf->writer, &ev);
	time_rfc3339(ev.time_ms, t, sizeof(t));
	o = json_object();
	json_object_set_new(o, "time", json_string(t));
	json_object_set_new(o, "image", rt_json_escaped(ec->img->ref));
	json_object_set_new(o, "container", json_string(ec->c->id));
	json_object_set_new(o, "pid", json_integer(tgid));
	json_object_set_new(o, "ppid", json_integer(ppid));
	json_object_set_new(o, "exe", rt_json_escaped(exe));
	json_object_set_new(o, "type", json_string(event_kind_name(kind)));
	json_object_set_new(o, "path", rt_json_escaped(path));
	json_object_set_new(o, "decision", json_string(deny ? "denied" :
	    "alerted"));
	json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(o, "mode", json_string(policy_mode_name(m)));
	alert_line(enf, o);
	if (deny)
		ec->denied++, enf->denials++;
	else
		ec->alerted++, enf->alerts_n++;
}

/* --- the answer path ---------------------------------------------------- */

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
handle_event(struct enf_container *ec, const struct fanotify_event_metadata *md)
{
	struct enforcer	*enf = ec->enf;
	char		 link[64], path[PATH_MAX], reason[256];
	ssize_t		 n;
	bool		 deny, cacheable, is_exec, enforce;
	enum policy_mode m;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		n = 0;
	path[n] = '\0';
	container_path(ec->c, path);
	is_exec = (md->mask & FAN_OPEN_EXEC_PERM) != 0;
	m = enf->o->monitor ? POLICY_MODE_MONITOR :
	    policy_mode(enf->policy, ec->img->ref);
	if (m == POLICY_MODE_LEARN) {
		deny = false;
		cacheable = false;
	} else if (is_exec)
		deny = decide_exec(ec, md->fd, path, &cacheable, reason,
		    sizeof(reason));
	else
		deny = decide_open(ec, md->pid, path, &cacheable, reason,
		    sizeof(reason));
	enforce = deny && m == POLICY_MODE_PROTECT;
	answer(ec->fd, md->fd, !enforce);
	enf->decisions++;
	if (!deny) {
		ec->allowed++;
		/*
		 * Cached until the file changes. (Not FAN_MARK_IGNORED_SURV_
		 * MODIFY for opens: the flag belongs to the whole inode mark,
		 * and would keep a cached exec of that inode alive after the
		 * binary is rewritten.)
		 */
		if (cacheable &&
		    fanotify_mark(ec->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK,
		    is_exec ? FAN_OPEN_EXEC_PERM : FAN_OPEN_PERM, md->fd,
		    NULL) < 0)
			log_debug("ignore mark on %s: %s", path,
			    strerror(errno));
	} else
		record(ec, md->pid, is_exec ? EVENT_EXEC : EVENT_WRITE, path,
		    enforce, reason);
}

static void
container_readable(evutil_socket_t fd, short what, void *arg)
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
			if (md->vers != FANOTIFY_METADATA_VERSION)
				fatalx("fanotify metadata version %d, built for "
				    "%d", md->vers, FANOTIFY_METADATA_VERSION);
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

/* --- containers --------------------------------------------------------- */

static struct enf_image *
image_of(struct enforcer *enf, const char *ref)
{
	size_t	i;

	for (i = 0; i < enf->n_images; i++)
		if (strcmp(enf->images[i].ref, ref) == 0)
			return &enf->images[i];
	return NULL;
}

/* Make the protected directories read-only inside ec's container. */
static void
lock_container(struct enf_container *ec, bool lock)
{
	const struct baseline	*b = ec->img->b;
	struct rt_error		 err;
	char			**rw;
	size_t			 i;
	int			 n;

	rw = xcalloc(b->n_writes + 1, sizeof(*rw));
	for (i = 0; i < b->n_writes; i++)
		rw[i] = b->writes[i].path;
	if (lockdirs_apply(ec->c->init_pid, policy_protected(ec->enf->policy),
	    rw, b->n_writes, lock, &n, &err) < 0)
		log_warnx("container %.12s: %s%s", ec->c->id, err.msg,
		    err.code == EXDEV ? " (its root mount is shared with the "
		    "host; not locked)" : "");
	else if (lock) {
		ec->locked = true;
		log_info("container %.12s: %d protected directories read-only "
		    "(%zu learned write paths kept writable)", ec->c->id, n,
		    b->n_writes);
	} else
		log_info("container %.12s: protected directories writable "
		    "again", ec->c->id);
	free(rw);
}

static bool
enf_select(const struct container *c, void *arg)
{
	struct enforcer	*enf = arg;

	if (image_of(enf, c->image_ref) == NULL) {
		log_info("container %.12s (%s): no baseline for its image; "
		    "left alone", c->id, c->image_ref);
		return false;
	}
	if (!enf->o->monitor &&
	    policy_mode(enf->policy, c->image_ref) == POLICY_MODE_LEARN) {
		log_info("container %.12s (%s): policy mode learn; left alone",
		    c->id, c->image_ref);
		return false;
	}
	return true;
}

static int
enf_attach(struct container *c, void *arg)
{
	struct enforcer		*enf = arg;
	struct enf_container	*ec;
	int			 fd;

	if (!container_root_is_overlay(c)) {
		/* Never put a permission mark on anything but its overlay. */
		log_warnx("container %.12s: root %s is not a mounted overlay; "
		    "not enforced", c->id, c->merged_dir ? c->merged_dir : "?");
		container_free(c);
		return -1;
	}
	fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
	    FAN_REPORT_TID, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0) {
		log_warn("container %.12s: fanotify_init", c->id);
		container_free(c);
		return -1;
	}
	ec = xcalloc(1, sizeof(*ec));
	ec->enf = enf;
	ec->c = c;
	ec->img = image_of(enf, c->image_ref);
	ec->fd = fd;
	if (enf->o->lock_dirs && !enf->o->monitor &&
	    policy_mode(enf->policy, c->image_ref) == POLICY_MODE_PROTECT)
		lock_container(ec, true);
	/*
	 * With the protected directories read-only mounts, the kernel itself
	 * refuses every write there before any open event: only execs need
	 * deciding, and a warm exec (ignore-marked) never leaves the kernel.
	 * Otherwise every open is a permission event too.
	 */
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
	    FAN_OPEN_EXEC_PERM | (ec->locked ? 0 : FAN_OPEN_PERM), AT_FDCWD,
	    c->merged_dir) < 0) {
		log_warn("container %.12s: fanotify_mark %s", c->id,
		    c->merged_dir);
		if (ec->locked)
			lock_container(ec, false);
		close(fd);
		container_free(c);
		free(ec);
		return -1;
	}
	ec->ev = event_new(enf->base, fd, EV_READ | EV_PERSIST,
	    container_readable, ec);
	event_add(ec->ev, NULL);
	enf->cs = xreallocarray(enf->cs, enf->n_cs + 1, sizeof(*enf->cs));
	enf->cs[enf->n_cs++] = ec;
	log_info("enforcing container %.12s (%s, %s)", c->id, c->image_ref,
	    enf->o->monitor ? "monitor" :
	    policy_mode_name(policy_mode(enf->policy, c->image_ref)));
	return 0;
}

static void
enf_container_free(struct enf_container *ec)
{
	event_free(ec->ev);
	close(ec->fd);	/* drops every mark; pending events are allowed */
	container_free(ec->c);
	free(ec);
}

static void
enf_detach(const char *id, void *arg)
{
	struct enforcer	*enf = arg;
	size_t		 i;

	for (i = 0; i < enf->n_cs; i++) {
		if (strcmp(enf->cs[i]->c->id, id) != 0)
			continue;
		log_info("container %.12s stopped: %llu allowed, %llu denied, "
		    "%llu alerted", id, (unsigned long long)enf->cs[i]->allowed,
		    (unsigned long long)enf->cs[i]->denied,
		    (unsigned long long)enf->cs[i]->alerted);
		enf_container_free(enf->cs[i]);
		enf->cs[i] = enf->cs[--enf->n_cs];
		return;
	}
}

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
	/*
	 * Allowed inodes were cached in the kernel under the old policy:
	 * flush the inode marks (the ignore marks), keep the filesystem mark.
	 */
	for (i = 0; i < enf->n_cs; i++)
		if (fanotify_mark(enf->cs[i]->fd, FAN_MARK_FLUSH, 0, AT_FDCWD,
		    NULL) < 0)
			log_warn("container %.12s: flushing cached decisions",
			    enf->cs[i]->c->id);
	log_warnx("policy reloaded from %s", policy_dir(enf));
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
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct enforcer	*enf = arg;

	(void)what;
	if (sig == SIGHUP) {
		policy_reload(-1, 0, enf);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(enf->base, NULL);
}

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

static bool
wanted(const struct enforce_options *o, const char *ref)
{
	size_t	i;

	if (o->n_images == 0)
		return true;
	for (i = 0; i < o->n_images; i++)
		if (imageref_matches(o->images[i], ref))
			return true;
	return false;
}

/* Load the baselines of the images to enforce, before the writer owns st. */
static int
load_images(struct enforcer *enf, struct store *st, struct rt_error *err)
{
	struct image_info	*im;
	struct baseline		*b;
	size_t			 n, i, j;
	bool			 matched;

	if (store_image_list(st, &im, &n, err) < 0)
		return -err->code;
	enf->images = xcalloc(n + 1, sizeof(*enf->images));
	for (i = 0; i < n; i++) {
		if (!wanted(enf->o, im[i].ref) ||
		    (im[i].executables == 0 && im[i].learn_first_ms == 0))
			continue;
		if (store_baseline_load(st, im[i].key, &b, err) < 0) {
			image_info_free(im, n);
			return -err->code;
		}
		enf->images[enf->n_images].ref = xstrdup(im[i].ref);
		enf->images[enf->n_images++].b = b;
		log_info("baseline for %s: %zu executables, %zu writes",
		    im[i].ref, b->n_execs, b->n_writes);
	}
	for (j = 0; j < enf->o->n_images; j++) {
		matched = false;
		for (i = 0; i < enf->n_images; i++)
			if (imageref_matches(enf->o->images[j],
			    enf->images[i].ref))
				matched = true;
		if (!matched) {
			image_info_free(im, n);
			return rt_error_set(err, ENOENT, "--image %s: no image "
			    "with a baseline matches in %s; run 'rtguard learn "
			    "--image %s' first", enf->o->images[j], store_path(st),
			    enf->o->images[j]);
		}
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
	char		*v = NULL, t[40];
	long long	 ms;
	int		 pid;
	json_t		*o;

	if (store_meta_get(st, "enforce.state", &v, &err) < 0 || v == NULL)
		return;
	if (sscanf(v, "running %lld %d", &ms, &pid) == 2 &&
	    (kill(pid, 0) < 0 && errno == ESRCH)) {
		time_rfc3339(ms, t, sizeof(t));
		log_warnx("the previous 'rtguard enforce' (pid %d) ended without "
		    "a clean stop: containers were unprotected from about %s "
		    "until now", pid, t);
		o = json_object();
		time_rfc3339(time_now_ms(), t, sizeof(t));
		json_object_set_new(o, "time", json_string(t));
		json_object_set_new(o, "type", json_string("gap"));
		time_rfc3339(ms, t, sizeof(t));
		json_object_set_new(o, "unprotected_since", json_string(t));
		json_object_set_new(o, "reason", json_string("previous rtguard "
		    "enforce ended without a clean stop"));
		alert_line(enf, o);
		store_meta_set(st, "enforce.last_gap_from", t, &err);
	}
	free(v);
}

static FILE *
open_alerts(const char *path, struct rt_error *err)
{
	int	fd;
	FILE	*f;

	if (path == NULL)
		return stderr;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		rt_error_sys(err, errno, "--alerts %s", path);
		return NULL;
	}
	if ((f = fdopen(fd, "a")) == NULL) {
		rt_error_sys(err, errno, "--alerts %s", path);
		close(fd);
	}
	return f;
}

int
enforcer_run(const struct enforce_options *o, struct rt_error *err)
{
	static struct enforcer		 enf0;
	struct enforcer			*enf = &enf0;
	static const struct tracker_ops	 ops = { enf_select, enf_attach,
	    enf_detach };
	struct store			*st;
	struct engine			*engine = NULL;
	struct tracker			*tracker = NULL;
	struct event			*sigs[3], *hb;
	struct timeval			 tv;
	char				 v[64];
	size_t				 i;
	int				 rc;

	memset(enf, 0, sizeof(*enf));
	enf->o = o;
	enf->inotify_fd = -1;
	if (policy_load_dir(policy_dir(enf), &enf->policy, err) < 0)
		return -err->code;
	if ((enf->alerts = open_alerts(o->alerts_path, err)) == NULL) {
		policy_free(enf->policy);
		return -err->code;
	}
	if ((rc = store_open(o->db_path, STORE_READ_WRITE, &st, err)) < 0)
		goto out_policy;
	if ((rc = load_images(enf, st, err)) < 0) {
		store_free(st);
		goto out_images;
	}
	report_gap(enf, st);
	if ((rc = engine_open(o->runtime_socket, &engine, err)) < 0) {
		store_free(st);
		goto out_images;
	}
	if ((rc = store_writer_start(st, 100000, &enf->writer, err)) < 0) {
		store_free(st);
		goto out_engine;
	}
	enf->base = event_base_new();
	sigs[0] = evsignal_new(enf->base, SIGINT, on_signal, enf);
	sigs[1] = evsignal_new(enf->base, SIGTERM, on_signal, enf);
	sigs[2] = evsignal_new(enf->base, SIGHUP, on_signal, enf);
	for (i = 0; i < 3; i++)
		event_add(sigs[i], NULL);
	hb = event_new(enf->base, -1, EV_PERSIST, heartbeat, enf);
	tv.tv_sec = HEARTBEAT_S;
	tv.tv_usec = 0;
	event_add(hb, &tv);
	heartbeat(-1, 0, enf);
	watch_policy(enf);
	if ((rc = tracker_start(engine, enf->base, &ops, enf, &tracker,
	    err)) == 0) {
		log_warnx("enforcing %zu container(s) of %zu image(s) with "
		    "baselines%s; Ctrl-C stops", enf->n_cs, enf->n_images,
		    o->monitor ? " in monitor mode" : "");
		if (o->duration_s > 0) {
			tv.tv_sec = o->duration_s;
			event_base_loopexit(enf->base, &tv);
		}
		event_base_dispatch(enf->base);
		tracker_free(tracker);
	}
	/* Unmark everything: closing each group lets pending events through. */
	for (i = 0; i < enf->n_cs; i++) {
		if (enf->cs[i]->locked)
			lock_container(enf->cs[i], false);
		enf_container_free(enf->cs[i]);
	}
	free(enf->cs);
	snprintf(v, sizeof(v), "stopped %lld", (long long)time_now_ms());
	store_writer_meta(enf->writer, "enforce.state", v);
	log_warnx("stopped: %llu decisions, %llu denied, %llu alerted, %llu "
	    "queue overflows, %llu records shed", (unsigned long long)
	    enf->decisions, (unsigned long long)enf->denials,
	    (unsigned long long)enf->alerts_n,
	    (unsigned long long)enf->overflows,
	    (unsigned long long)store_writer_dropped(enf->writer));
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_free(hb);
	if (enf->inotify_ev != NULL)
		event_free(enf->inotify_ev);
	event_free(enf->reload_timer);
	if (enf->inotify_fd >= 0)
		close(enf->inotify_fd);
	event_base_free(enf->base);
	{
		struct rt_error	 e2;
		struct store	*back = NULL;

		if (store_writer_stop(enf->writer, &back, &e2) < 0 && rc == 0)
			rc = rt_error_set(err, e2.code, "%s", e2.msg);
		store_free(back);
	}
out_engine:
	engine_free(engine);
out_images:
	for (i = 0; i < enf->n_images; i++) {
		free(enf->images[i].ref);
		baseline_free(enf->images[i].b);
	}
	free(enf->images);
out_policy:
	if (enf->alerts != stderr)
		fclose(enf->alerts);
	policy_free(enf->policy);
	return rc;
}
