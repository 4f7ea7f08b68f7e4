/*
 * learner.c: `rtguard learn`, one libevent loop over audit, fanotify, the
 * Engine API events stream and signals.
 *
 *   executables  FAN_OPEN_EXEC notifications on each learned container's
 *                overlay superblock; hashed from the event's descriptor
 *   writes       FAN_CLOSE_WRITE on the same mark; deletes and renames from
 *                an audit rule (fanotify path events cannot see them)
 *   syscalls     one audit rule over the syscalls no learned image has used
 *                yet; it shrinks as they are learned, so a converged image
 *                costs nearly nothing
 * Audit records carry host pids: they are attributed through the pid's
 * cgroup (and the parent's, for processes already gone), never to the host
 * or to containers of other images. rtguard's own rules carry the key
 * "rtguard-learn-PID" and are removed on every exit path; rules left by a
 * learner that died are removed at the next start.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libaudit.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/imageref.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "container/container.h"
#include "learner/auditrec.h"
#include "learner/learner.h"
#include "store/store.h"

#define MAX_SYSCALL		512
#define PID_CACHE		8192
#define PID_CACHE_TTL_MS	2000
#define PENDING_MAX		64
#define DIR_COLLAPSE		32	/* distinct names per dir before collapsing */
#define KEY_PREFIX		"rtguard-learn-"
#define AUDIT_DRAIN_US		10000	/* audit socket drained every 10 ms */
#define AUDIT_RCVBUF		(32 * 1024 * 1024)

struct limage {
	char		*ref;
	char		*image_id;
	unsigned char	 learned[MAX_SYSCALL / 8];
	bool		 attached_once;
	int64_t		 first_ms;
};

struct lcontainer {
	struct learner		*l;
	struct container	*c;
	struct limage		*img;
	int			 fd;
	struct event		*ev;
};

struct pid_slot {
	pid_t		 pid;
	int64_t		 expires;
	char		 id[CONTAINER_ID_LEN + 1];	/* "": host */
};

struct pending {
	uint64_t	 serial;
	struct limage	*img;
	char		*cwd;
	char		*names[4];
	size_t		 n_names;
};

struct strcount {
	char		*key;
	int		 n;
};

struct learner {
	const struct learn_options *o;
	struct event_base	*base;
	struct store_writer	*writer;
	struct limage		**images;
	size_t			 n_images;
	struct lcontainer	**cs;
	size_t			 n_cs;
	struct pid_slot		 pids[PID_CACHE];
	struct pending		 pending[PENDING_MAX];
	size_t			 pending_next;
	/* Write paths seen (exact keys) and names per directory. */
	struct strcount		*seen;
	size_t			 seen_cap, seen_n;
	/* audit */
	int			 audit_fd;
	struct event		*audit_ev;
	struct audit_rule_data	*rule_sc, *rule_files;
	bool			 rule_dirty;
	uint32_t		 prev_enabled, prev_backlog, prev_wait;
	bool			 have_prev;
	int64_t			 lost_start, lost_now;
	int			 machine;
	/* stats */
	uint64_t		 records, execs, writes, syscalls, fan_lost;
	uint64_t		 last_execs, last_writes, last_syscalls,
				 last_records;
	int64_t			 start_ms;
	bool			 progress_shown;
	pid_t			 self;
	struct sha256_cache	 hashes;	/* an exec storm hashes once */
};

/* --- small tables ------------------------------------------------------- */

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Add key to the seen table; returns the slot (n counts hits). */
static struct strcount *
seen_add(struct learner *l, const char *key)
{
	struct strcount	*old;
	size_t		 i, cap;

	if (l->seen_n * 2 >= l->seen_cap) {
		old = l->seen;
		cap = l->seen_cap;
		l->seen_cap = cap ? cap * 2 : 1024;
		l->seen = xcalloc(l->seen_cap, sizeof(*l->seen));
		l->seen_n = 0;
		for (i = 0; i < cap; i++)
			if (old[i].key != NULL) {
				struct strcount *s = seen_add(l, old[i].key);

				s->n = old[i].n;
				free(old[i].key);
			}
		free(old);
	}
	i = str_hash(key) % l->seen_cap;
	while (l->seen[i].key != NULL && strcmp(l->seen[i].key, key) != 0)
		i = (i + 1) % l->seen_cap;
	if (l->seen[i].key == NULL) {
		l->seen[i].key = xstrdup(key);
		l->seen_n++;
	}
	return &l->seen[i];
}

static bool
bit_get(const unsigned char *b, int n)
{
	return (b[n / 8] >> (n % 8)) & 1;
}

static void
bit_set(unsigned char *b, int n)
{
	b[n / 8] |= 1 << (n % 8);
}

/* --- recording ---------------------------------------------------------- */

static void
record_write(struct learner *l, struct limage *img, const char *path)
{
	struct baseline_write	 w;
	struct strcount		*dir, *exact;
	char			*key, *slash, *pattern = NULL;
	int64_t			 now = time_now_ms();

	if (path[0] != '/')
		return;
	/* Per directory, past DIR_COLLAPSE distinct names: "dir" + "/" "*". */
	slash = strrchr(path, '/');
	key = xasprintf("%s\1D\1%.*s", img->ref, (int)(slash - path), path);
	dir = seen_add(l, key);
	free(key);
	key = xasprintf("%s\1F\1%s", img->ref, path);
	exact = seen_add(l, key);
	free(key);
	if (exact->n++ == 0)
		dir->n++;
	if (dir->n > DIR_COLLAPSE)
		path = pattern = xasprintf("%.*s/*", (int)(slash - path), path);
	memset(&w, 0, sizeof(w));
	w.path = (char *)path;
	w.count = 1;
	w.first_ms = w.last_ms = now;
	store_writer_write(l->writer, img->ref, &w);
	if (exact->n == 1 || pattern != NULL)
		l->writes++;
	free(pattern);
}

static void
record_exec(struct learner *l, struct lcontainer *lc, int fd,
    const char *path)
{
	struct baseline_exec	 e;
	struct rt_error		 err;
	struct strcount		*s;
	char			*key;

	memset(&e, 0, sizeof(e));
	e.path = (char *)path;
	if (sha256_fd_cached(&l->hashes, fd, e.sha256, &err) < 0) {
		log_warnx("container %.12s: hashing %s: %s", lc->c->id, path,
		    err.msg);
		e.sha256[0] = '\0';
	}
	e.from_image = container_file_origin(lc->c, fd, path) == ORIGIN_IMAGE;
	e.count = 1;
	e.first_ms = e.last_ms = time_now_ms();
	store_writer_exec(l->writer, lc->img->ref, &e);
	key = xasprintf("%s\1X\1%s\1%s", lc->img->ref, path, e.sha256);
	s = seen_add(l, key);
	free(key);
	if (s->n++ == 0) {
		l->execs++;
		log_info("%s: new executable %s%s", lc->img->ref, path,
		    e.from_image ? "" : " (not from the image layers)");
	}
}

/* --- fanotify ------------------------------------------------------------- */

static void
fan_readable(evutil_socket_t fd, short what, void *arg)
{
	struct lcontainer			*lc = arg;
	char					 buf[8192]
	    __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata	*md;
	char					 link[64], path[PATH_MAX];
	ssize_t					 len, n;

	(void)what;
	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (md = (void *)buf; FAN_EVENT_OK(md, len);
		    md = FAN_EVENT_NEXT(md, len)) {
			if (md->mask & FAN_Q_OVERFLOW)
				lc->l->fan_lost++;
			if (md->fd < 0)
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
			n = readlink(link, path, sizeof(path) - 1);
			if (n > 0) {
				path[n] = '\0';
				container_path(lc->c, path);
				if (md->mask & FAN_OPEN_EXEC)
					record_exec(lc->l, lc, md->fd, path);
				if (md->mask & (FAN_CLOSE_WRITE | FAN_MODIFY))
					record_write(lc->l, lc->img, path);
				/*
				 * A log held open is written without a close:
				 * FAN_MODIFY sees it. Once seen, the inode is
				 * ignored for writes (surviving modification),
				 * so a busy log costs one event, not one per
				 * write.
				 */
				if (md->mask & (FAN_CLOSE_WRITE | FAN_MODIFY))
					(void)fanotify_mark(fd, FAN_MARK_ADD |
					    FAN_MARK_IGNORED_MASK |
					    FAN_MARK_IGNORED_SURV_MODIFY,
					    FAN_MODIFY | FAN_CLOSE_WRITE, md->fd,
					    NULL);
			}
			close(md->fd);
		}
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
		n = readlink(p, path, sizeof(path) - 1);
		if (n <= 0)
			continue;
		path[n] = '\0';
		/* The magic link opens the very file the process runs. */
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		record_exec(l, lc, fd, path);
		close(fd);
	}
	closedir(d);
}

/* --- containers ------------------------------------------------------------ */

static struct limage *
image_get(struct learner *l, const char *ref, const char *image_id)
{
	struct limage	*img;
	size_t		 i;

	for (i = 0; i < l->n_images; i++)
		if (strcmp(l->images[i]->ref, ref) == 0)
			return l->images[i];
	img = xcalloc(1, sizeof(*img));
	img->ref = xstrdup(ref);
	img->image_id = image_id ? xstrdup(image_id) : NULL;
	l->images = xreallocarray(l->images, l->n_images + 1,
	    sizeof(*l->images));
	l->images[l->n_images++] = img;
	return img;
}

static bool
learn_select(const struct container *c, void *arg)
{
	struct learner	*l = arg;

	return imageref_matches(l->o->image, c->image_ref);
}

static int
learn_attach(struct container *c, void *arg)
{
	struct learner		*l = arg;
	struct lcontainer	*lc;
	int			 fd;
	size_t			 i;

	if (!container_root_is_overlay(c)) {
		log_warnx("container %.12s: root %s is not a mounted overlay; "
		    "not learned", c->id, c->merged_dir ? c->merged_dir : "?");
		container_free(c);
		return -1;
	}
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
	    FAN_UNLIMITED_QUEUE, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
	    FAN_OPEN_EXEC | FAN_CLOSE_WRITE | FAN_MODIFY, AT_FDCWD,
	    c->merged_dir) < 0) {
		log_warn("container %.12s: fanotify on %s", c->id,
		    c->merged_dir);
		if (fd >= 0)
			close(fd);
		container_free(c);
		return -1;
	}
	lc = xcalloc(1, sizeof(*lc));
	lc->l = l;
	lc->c = c;
	lc->img = image_get(l, c->image_ref, c->image_id);
	lc->fd = fd;
	lc->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, fan_readable, lc);
	event_add(lc->ev, NULL);
	l->cs = xreallocarray(l->cs, l->n_cs + 1, sizeof(*l->cs));
	l->cs[l->n_cs++] = lc;
	if (!lc->img->attached_once) {
		lc->img->attached_once = true;
		lc->img->first_ms = time_now_ms();
		log_warnx("learning image %s (matched --image %s)",
		    c->image_ref, l->o->image);
		for (i = 0; i + 1 < l->n_images; i++)
			log_warnx("note: --image %s also matched %s; each image "
			    "gets its own baseline (give the full reference to "
			    "learn only one)", l->o->image, l->images[i]->ref);
	}
	log_info("attached to container %.12s (%s, pid %d)", c->id,
	    c->image_ref, (int)c->init_pid);
	store_writer_container(l->writer, c->id, c->image_ref, c->image_id,
	    time_now_ms());
	scan_running(l, lc);
	return 0;
}

static void
lcontainer_free(struct lcontainer *lc)
{
	event_free(lc->ev);
	close(lc->fd);
	container_free(lc->c);
	free(lc);
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
		/* Drain what the kernel queued before the stop. */
		fan_readable(l->cs[i]->fd, EV_READ, l->cs[i]);
		store_writer_container(l->writer, id, l->cs[i]->img->ref, NULL,
		    time_now_ms());
		lcontainer_free(l->cs[i]);
		l->cs[i] = l->cs[--l->n_cs];
		return;
	}
}

/* --- attribution ---------------------------------------------------------- */

static struct lcontainer *
container_of_pid(struct learner *l, pid_t pid, int64_t now)
{
	struct pid_slot	*s = &l->pids[(unsigned)pid % PID_CACHE];
	struct rt_error	 err;
	size_t		 i;

	if (pid <= 0)
		return NULL;
	/*
	 * The cache holds the container id, not the attachment: a container
	 * attached a moment after its first records is found at once.
	 */
	if (s->pid != pid || s->expires <= now) {
		s->pid = pid;
		s->expires = now + PID_CACHE_TTL_MS;
		if (cgroup_container_of_pid(pid, s->id, &err) < 0) {
			s->id[0] = '\0';
			if (err.code == ESRCH)
				s->pid = 0;	/* gone: do not cache */
		}
	}
	if (s->id[0] == '\0')
		return NULL;
	for (i = 0; i < l->n_cs; i++)
		if (strcmp(l->cs[i]->c->id, s->id) == 0)
			return l->cs[i];
	return NULL;
}

/* --- audit ---------------------------------------------------------------- */

/* auditctl's per-rule parser state, kept by libaudit in globals. */
extern int _audit_syscalladded, _audit_archadded;

static const char *file_syscalls[] = {
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "rmdir",
	"truncate", NULL
};

static bool
learned_by_all(const struct learner *l, int nr)
{
	size_t	i;

	if (l->n_images == 0)
		return false;
	for (i = 0; i < l->n_images; i++)
		if (!bit_get(l->images[i]->learned, nr))
			return false;
	return true;
}

static struct audit_rule_data *
rule_build(struct learner *l, bool files, size_t *n_out)
{
	struct audit_rule_data	*r = audit_rule_create_data();
	char			 pair[64];
	const char		*name;
	size_t			 i, n = 0;
	int			 nr;

	if (r == NULL)
		return NULL;
	/* libaudit keeps auditctl's per-rule state in globals: reset it. */
	_audit_archadded = 0;
	_audit_syscalladded = 0;
	/* libaudit writes into the pair string: never pass a literal. */
	snprintf(pair, sizeof(pair), "arch=b64");
	if (audit_rule_fieldpair_data(&r, pair, AUDIT_FILTER_EXIT) < 0)
		goto bad;
	if (files) {
		for (i = 0; file_syscalls[i] != NULL; i++)
			if (audit_rule_syscallbyname_data(r,
			    file_syscalls[i]) == 0)
				n++;
	} else {
		for (nr = 0; nr < MAX_SYSCALL; nr++) {
			name = audit_syscall_to_name(nr, l->machine);
			if (name == NULL || learned_by_all(l, nr))
				continue;
			if (audit_rule_syscallbyname_data(r, name) == 0)
				n++;
		}
	}
	snprintf(pair, sizeof(pair), "pid!=%d", (int)getpid());
	if (audit_rule_fieldpair_data(&r, pair, AUDIT_FILTER_EXIT) < 0)
		goto bad;
	/* libaudit checks the flag auditctl sets after -S before a key. */
	_audit_syscalladded = 1;
	snprintf(pair, sizeof(pair), "key=" KEY_PREFIX "%d", (int)getpid());
	if (audit_rule_fieldpair_data(&r, pair, AUDIT_FILTER_EXIT) < 0)
		goto bad;
	*n_out = n;
	return r;
bad:
	audit_rule_free_data(r);
	return NULL;
}

static void
rule_delete(struct learner *l, struct audit_rule_data **r)
{
	if (*r == NULL)
		return;
	if (audit_delete_rule_data(l->audit_fd, *r, AUDIT_FILTER_EXIT,
	    AUDIT_ALWAYS) < 0)
		log_warnx("could not remove an rtguard audit rule; remove it "
		    "with: auditctl -l | grep " KEY_PREFIX "%d", (int)getpid());
	audit_rule_free_data(*r);
	*r = NULL;
}

/* Replace the syscall rule by one over what is still unlearned. */
static int
rule_update(struct learner *l, struct rt_error *err)
{
	struct audit_rule_data	*r;
	size_t			 n;

	if ((r = rule_build(l, false, &n)) == NULL)
		return rt_error_set(err, EINVAL, "cannot build the audit rule");
	if (n == 0) {
		audit_rule_free_data(r);
		rule_delete(l, &l->rule_sc);
		return 0;
	}
	/* Add the new rule before removing the old: no window unwatched. */
	if (audit_add_rule_data(l->audit_fd, r, AUDIT_FILTER_EXIT,
	    AUDIT_ALWAYS) < 0) {
		audit_rule_free_data(r);
		return rt_error_set(err, EIO, "adding the audit syscall rule "
		    "failed");
	}
	rule_delete(l, &l->rule_sc);
	l->rule_sc = r;
	l->rule_dirty = false;
	return 0;
}

static void
pending_finish(struct learner *l, struct pending *p)
{
	char	*full;
	size_t	 i;

	for (i = 0; i < p->n_names; i++) {
		if (p->names[i][0] == '/')
			record_write(l, p->img, p->names[i]);
		else if (p->cwd != NULL) {
			full = xasprintf("%s%s%s", p->cwd,
			    strcmp(p->cwd, "/") == 0 ? "" : "/", p->names[i]);
			record_write(l, p->img, full);
			free(full);
		}
		free(p->names[i]);
	}
	free(p->cwd);
	memset(p, 0, sizeof(*p));
}

static struct pending *
pending_find(struct learner *l, uint64_t serial)
{
	size_t	i;

	for (i = 0; i < PENDING_MAX; i++)
		if (l->pending[i].img != NULL && l->pending[i].serial == serial)
			return &l->pending[i];
	return NULL;
}

static void
audit_syscall_record(struct learner *l, const char *m, size_t len,
    uint64_t serial, int64_t now)
{
	struct lcontainer	*lc;
	struct pending		*p;
	uint64_t		 arch, nr, pid, ppid;
	const char		*name, *key;
	size_t			 klen;
	int			 machine;

	if (auditrec_number(m, len, "arch", 16, &arch) < 0 ||
	    auditrec_number(m, len, "syscall", 10, &nr) < 0 ||
	    auditrec_number(m, len, "pid", 10, &pid) < 0 ||
	    auditrec_number(m, len, "ppid", 10, &ppid) < 0 ||
	    pid > INT32_MAX || ppid > INT32_MAX) {
		log_debug("audit: SYSCALL record without arch/syscall/pid: "
		    "%.*s", (int)(len > 300 ? 300 : len), m);
		return;
	}
	if ((pid_t)pid == l->self)
		return;
	lc = container_of_pid(l, (pid_t)pid, now);
	/* A process already gone (sh -c true): its parent's container. */
	if (lc == NULL)
		lc = container_of_pid(l, (pid_t)ppid, now);
	if (lc == NULL)
		return;
	machine = audit_elf_to_machine((unsigned)arch);
	if (machine == l->machine && nr < MAX_SYSCALL &&
	    !bit_get(lc->img->learned, (int)nr) &&
	    (name = audit_syscall_to_name((int)nr, machine)) != NULL) {
		bit_set(lc->img->learned, (int)nr);
		store_writer_syscall(l->writer, lc->img->ref, name, now);
		l->syscalls++;
		l->rule_dirty = true;
	}
	key = auditrec_field(m, len, "key", &klen);
	if (key == NULL || klen < 3 || key[1] != 'r')
		return;
	/* The file rule: wait for CWD and PATH records until EOE. */
	name = audit_syscall_to_name((int)nr, machine);
	if (name == NULL || (strstr(name, "unlink") == NULL &&
	    strstr(name, "rename") == NULL && strcmp(name, "rmdir") != 0 &&
	    strcmp(name, "truncate") != 0))
		return;
	p = &l->pending[l->pending_next++ % PENDING_MAX];
	if (p->img != NULL)
		pending_finish(l, p);
	p->serial = serial;
	p->img = lc->img;
}

static void
audit_record(struct learner *l, int type, const char *m, size_t len)
{
	struct pending	*p;
	uint64_t	 serial;
	char		*s, *nt;
	size_t		 n, ntl;
	int64_t		 now = time_now_ms();

	if (auditrec_serial(m, len, &serial) < 0) {
		log_debug("audit: unparsed record type %d: %.*s", type,
		    (int)(len > 200 ? 200 : len), m);
		return;
	}
	l->records++;
	switch (type) {
	case AUDIT_SYSCALL:
		audit_syscall_record(l, m, len, serial, now);
		break;
	case AUDIT_CWD:
		if ((p = pending_find(l, serial)) != NULL && p->cwd == NULL)
			p->cwd = auditrec_string(m, len, "cwd", &n);
		break;
	case AUDIT_PATH:
		if ((p = pending_find(l, serial)) == NULL || p->n_names == 4)
			break;
		nt = auditrec_string(m, len, "nametype", &ntl);
		if (nt == NULL) {
			/* nametype is a bare word: take the field itself. */
			const char *v = auditrec_field(m, len, "nametype", &ntl);

			nt = v ? xstrndup(v, ntl) : NULL;
		}
		if (nt != NULL && (strcmp(nt, "DELETE") == 0 ||
		    strcmp(nt, "CREATE") == 0) &&
		    (s = auditrec_string(m, len, "name", &n)) != NULL) {
			if (strlen(s) == n)
				p->names[p->n_names++] = s;
			else
				free(s);
		}
		free(nt);
		break;
	case AUDIT_EOE:
		if ((p = pending_find(l, serial)) != NULL)
			pending_finish(l, p);
		break;
	}
}

static void
audit_readable(evutil_socket_t fd, short what, void *arg)
{
	struct learner		*l = arg;
	struct audit_reply	 rep;
	int			 i, rc;

	(void)fd; (void)what;
	/* Bounded per round so signals and fanotify get their turn. */
	for (i = 0; i < 65536; i++) {
		rc = audit_get_reply(l->audit_fd, &rep, GET_REPLY_NONBLOCKING,
		    0);
		if (rc <= 0) {
			if (rc < 0 && rc != -EAGAIN)
				log_debug("audit: receive: %s", strerror(-rc));
			return;
		}
		if (rep.type == AUDIT_GET && rep.status != NULL) {
			l->lost_now = rep.status->lost;
			continue;
		}
		if (rep.type >= AUDIT_FIRST_EVENT && rep.type < AUDIT_LAST_USER_MSG2
		    && rep.len > 0)
			audit_record(l, rep.type, rep.message, (size_t)rep.len);
	}
}

/* Wait (bounded) for a status reply on the still-blocking socket. */
static int
audit_status(int fd, struct audit_status *out)
{
	struct audit_reply	rep;
	int			i;

	if (audit_request_status(fd) < 0)
		return -1;
	for (i = 0; i < 100; i++) {
		if (audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0) <= 0)
			return -1;
		if (rep.type == AUDIT_GET) {
			memcpy(out, rep.status, sizeof(*out));
			return 0;
		}
	}
	return -1;
}

/*
 * Remove rules whose key names a learner pid that no longer runs, and with
 * mine set, this process's own (the last sweep on exit, whatever the
 * netlink acknowledgements said).
 */
static void
audit_remove_stale(int fd, bool mine)
{
	struct audit_reply	 rep;
	struct audit_rule_data	*stale[64];
	size_t			 n = 0, i, sz;
	const char		*k;
	int			 pid, loops;

	if (audit_request_rules_list_data(fd) <= 0)
		return;
	for (loops = 0; loops < 10000; loops++) {
		if (audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0) <= 0 ||
		    rep.type == NLMSG_DONE)
			break;
		/* An acknowledgement (error 0) precedes the list. */
		if (rep.type == NLMSG_ERROR) {
			if (rep.error->error != 0)
				break;
			continue;
		}
		if (rep.type != AUDIT_LIST_RULES || rep.ruledata == NULL)
			continue;
		k = memmem(rep.ruledata->buf, rep.ruledata->buflen,
		    KEY_PREFIX, strlen(KEY_PREFIX));
		if (k == NULL || n == 64)
			continue;
		pid = atoi(k + strlen(KEY_PREFIX));
		if (pid <= 0 || (pid == getpid() && !mine) ||
		    (pid != getpid() && (kill(pid, 0) == 0 || errno != ESRCH)))
			continue;
		sz = sizeof(*rep.ruledata) + rep.ruledata->buflen;
		stale[n] = xmalloc(sz);
		memcpy(stale[n++], rep.ruledata, sz);
	}
	for (i = 0; i < n; i++) {
		if (audit_delete_rule_data(fd, stale[i], AUDIT_FILTER_EXIT,
		    AUDIT_ALWAYS) >= 0)
			log_warnx("removed an audit rule left by %s",
			    mine ? "this learner" : "an earlier learner that "
			    "died");
		free(stale[i]);
	}
}

/*
 * The audit settings found before learning (enabled, backlog limit and
 * wait time) are kept in a file while the learner runs, so that the next
 * learner restores them if this one is killed: otherwise a kill -9 would
 * leave the host's audit changed for good.
 */
#define AUDIT_SAVED_DIR		"/run/rtguard"
#define AUDIT_SAVED		AUDIT_SAVED_DIR "/audit-saved"

static void
audit_saved_load(struct audit_status *st)
{
	unsigned	 pid, enabled, backlog, wait;
	FILE		*f;
	int		 fd, n;

	if ((fd = open(AUDIT_SAVED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	n = fscanf(f, "%u %u %u %u", &pid, &enabled, &backlog, &wait);
	fclose(f);
	if (n != 4 || enabled > 1 ||
	    (pid != (unsigned)getpid() && kill((pid_t)pid, 0) == 0))
		return;
	log_warnx("restoring the audit settings a learner (pid %u) left when "
	    "it died", pid);
	st->enabled = enabled;
	st->backlog_limit = backlog;
	st->backlog_wait_time = wait;
}

static void
audit_saved_write(const struct learner *l)
{
	char	buf[128];
	int	fd, n;

	if (mkdir(AUDIT_SAVED_DIR, 0700) < 0 && errno != EEXIST)
		return;
	(void)unlink(AUDIT_SAVED ".tmp");
	fd = open(AUDIT_SAVED ".tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%d %u %u %u\n", (int)getpid(),
	    l->prev_enabled, l->prev_backlog, l->prev_wait);
	if (write(fd, buf, n) == n && close(fd) == 0)
		(void)rename(AUDIT_SAVED ".tmp", AUDIT_SAVED);
	else
		(void)unlink(AUDIT_SAVED ".tmp");
}

static int
audit_start(struct learner *l, struct rt_error *err)
{
	struct audit_status	st;
	char			comm[64] = "?", path[64];
	FILE			*f;
	size_t			n;
	int			rc, rcvbuf;

	l->audit_fd = audit_open();
	if (l->audit_fd < 0)
		return rt_error_sys(err, errno, "cannot open the audit netlink "
		    "socket (kernel built without CONFIG_AUDIT, or not root)");
	if (audit_status(l->audit_fd, &st) < 0)
		return rt_error_set(err, EIO, "the kernel's audit status cannot "
		    "be read");
	if (st.pid != 0 && (pid_t)st.pid != getpid() &&
	    !(kill((pid_t)st.pid, 0) < 0 && errno == ESRCH)) {
		snprintf(path, sizeof(path), "/proc/%u/comm", st.pid);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(comm, sizeof(comm), f) != NULL)
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		return rt_error_set(err, EBUSY, "the audit subsystem is held by "
		    "pid %u (%s): only one process can receive audit records; "
		    "stop it (e.g. systemctl stop auditd) while learning",
		    st.pid, comm);
	}
	audit_saved_load(&st);
	if (st.enabled == 0)
		log_warnx("audit was off: the kernel does not audit the syscalls "
		    "of processes started before now. Containers already "
		    "running contribute executables and writes but not "
		    "syscalls until restarted; enable audit at boot (audit=1 "
		    "or 'auditctl -e 1') to avoid this");
	l->prev_enabled = st.enabled;
	l->prev_backlog = st.backlog_limit;
	l->have_prev = true;
	l->lost_start = l->lost_now = st.lost;
	if (st.enabled == 2)
		return rt_error_set(err, EPERM, "audit is locked (enabled=2): "
		    "rules cannot change until reboot");
	if (audit_set_enabled(l->audit_fd, 1) < 0 ||
	    audit_set_pid(l->audit_fd, getpid(), WAIT_YES) < 0)
		return rt_error_set(err, EIO, "cannot enable audit and register "
		    "as its receiver");
	if (st.backlog_limit < 8192)
		(void)audit_set_backlog_limit(l->audit_fd, 8192);
	/*
	 * With the backlog full, the kernel would make every audited process
	 * wait (up to backlog_wait_time): a storm would slow the workload,
	 * even the host. Better to lose records, counted and reported.
	 */
	l->prev_wait = st.backlog_wait_time;
	audit_saved_write(l);
	if (st.backlog_wait_time != 0 &&
	    audit_set_backlog_wait_time(l->audit_fd, 0) < 0)
		log_warnx("cannot set the audit backlog wait time to 0: a "
		    "record storm may slow audited processes");
	audit_remove_stale(l->audit_fd, false);
	l->machine = audit_detect_machine();
	if (l->machine != MACH_86_64)
		log_warnx("syscall learning covers the native 64-bit table "
		    "only");
	if (rule_update(l, err) < 0)
		return -err->code;
	if ((l->rule_files = rule_build(l, true, &n)) == NULL)
		return rt_error_set(err, EINVAL, "cannot build the audit file "
		    "rule");
	if ((rc = audit_add_rule_data(l->audit_fd, l->rule_files,
	    AUDIT_FILTER_EXIT, AUDIT_ALWAYS)) < 0) {
		audit_rule_free_data(l->rule_files);
		l->rule_files = NULL;
		return rt_error_set(err, -rc, "adding the audit file rule: %s",
		    strerror(-rc));
	}
	(void)fcntl(l->audit_fd, F_SETFL, fcntl(l->audit_fd, F_GETFL) |
	    O_NONBLOCK);
	/* Room for the records of one drain interval and then some. */
	rcvbuf = AUDIT_RCVBUF;
	if (setsockopt(l->audit_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(l->audit_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	return 0;
}

static void
audit_stop(struct learner *l)
{
	struct audit_status	st;

	if (l->audit_fd < 0)
		return;
	(void)fcntl(l->audit_fd, F_SETFL, fcntl(l->audit_fd, F_GETFL) &
	    ~O_NONBLOCK);
	rule_delete(l, &l->rule_sc);
	rule_delete(l, &l->rule_files);
	audit_remove_stale(l->audit_fd, true);
	if (l->have_prev) {
		if (audit_status(l->audit_fd, &st) == 0)
			l->lost_now = st.lost;
		(void)audit_set_pid(l->audit_fd, 0, WAIT_NO);
		if (l->prev_backlog < 8192)
			(void)audit_set_backlog_limit(l->audit_fd,
			    l->prev_backlog);
		if (l->prev_wait != 0)
			(void)audit_set_backlog_wait_time(l->audit_fd,
			    l->prev_wait);
		(void)audit_set_enabled(l->audit_fd, l->prev_enabled);
		(void)unlink(AUDIT_SAVED);
	}
	audit_close(l->audit_fd);
	l->audit_fd = -1;
}

/* --- loop ------------------------------------------------------------------ */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct learner	*l = arg;

	(void)what;
	log_info("signal %d: finishing", (int)sig);
	event_base_loopexit(l->base, NULL);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct learner	*l = arg;
	struct rt_error	 err;
	int64_t		 lost;

	(void)fd; (void)what;
	if (l->rule_dirty && rule_update(l, &err) < 0)
		log_warnx("%s", err.msg);
	(void)audit_request_status(l->audit_fd);
	lost = l->lost_now - l->lost_start;
	if (l->o->progress) {
		fprintf(stderr, "\r\033[Klearning %s: %zu container%s, "
		    "%llu executables (+%llu), %llu syscalls (+%llu), %llu "
		    "writes (+%llu), %llu records/s, %lld lost",
		    l->o->image, l->n_cs, l->n_cs == 1 ? "" : "s",
		    (unsigned long long)l->execs,
		    (unsigned long long)(l->execs - l->last_execs),
		    (unsigned long long)l->syscalls,
		    (unsigned long long)(l->syscalls - l->last_syscalls),
		    (unsigned long long)l->writes,
		    (unsigned long long)(l->writes - l->last_writes),
		    (unsigned long long)(l->records - l->last_records),
		    (long long)lost);
		l->progress_shown = true;
	}
	l->last_execs = l->execs;
	l->last_syscalls = l->syscalls;
	l->last_writes = l->writes;
	l->last_records = l->records;
}

/* Before the writer owns the store: --reset, and what is already known. */
static int
prepare_store(struct learner *l, struct store *st, struct rt_error *err)
{
	struct image_info	*im;
	struct baseline		*b;
	struct limage		*img;
	size_t			 n, i, j;
	int			 nr;
	const char		*name;

	if (store_image_list(st, &im, &n, err) < 0)
		return -err->code;
	for (i = 0; i < n; i++) {
		if (!imageref_matches(l->o->image, im[i].ref))
			continue;
		if (l->o->reset) {
			if (store_baseline_reset(st, im[i].key, err) < 0)
				goto fail;
			log_warnx("forgot the baseline of %s (--reset)",
			    im[i].ref);
			continue;
		}
		if (store_baseline_load(st, im[i].key, &b, err) < 0)
			goto fail;
		img = image_get(l, im[i].ref, im[i].image_id);
		for (j = 0; j < b->n_syscalls; j++)
			for (nr = 0; nr < MAX_SYSCALL; nr++) {
				name = audit_syscall_to_name(nr,
				    audit_detect_machine());
				if (name != NULL &&
				    strcmp(name, b->syscalls[j]) == 0) {
					bit_set(img->learned, nr);
					break;
				}
			}
		baseline_free(b);
	}
	image_info_free(im, n);
	return 0;
fail:
	image_info_free(im, n);
	return -err->code;
}

int
learner_run(const struct learn_options *o, struct rt_error *err)
{
	static struct learner		 l0;
	struct learner			*l = &l0;
	static const struct tracker_ops	 ops = { learn_select, learn_attach,
	    learn_detach, NULL };
	struct store			*st;
	struct engine			*engine = NULL;
	struct tracker			*tracker = NULL;
	struct event			*sigs[2] = { NULL, NULL }, *tk = NULL;
	struct timeval			 tv = { 1, 0 };
	struct timeval			 drain = { 0, AUDIT_DRAIN_US };
	struct rt_error			 e2;
	int64_t				 end_ms, lost;
	uint64_t			 shed = 0;
	size_t				 i;
	int				 rc;
	char				*check;

	memset(l, 0, sizeof(*l));
	l->o = o;
	l->audit_fd = -1;
	l->self = getpid();
	l->start_ms = time_now_ms();
	if (imageref_normalise(o->image, &check, err) < 0 &&
	    strchr(o->image, '/') != NULL)
		return -err->code;
	free(check);
	if ((rc = engine_open(o->runtime_socket, &engine, err)) < 0)
		return rc;
	if ((rc = store_open(o->db_path, STORE_READ_WRITE, &st, err)) < 0)
		goto out_engine;
	if ((rc = prepare_store(l, st, err)) < 0) {
		store_free(st);
		goto out_engine;
	}
	if ((rc = store_writer_start(st, 1000000, &l->writer, err)) < 0) {
		store_free(st);
		goto out_engine;
	}
	l->base = event_base_new();
	sigs[0] = evsignal_new(l->base, SIGINT, on_signal, l);
	sigs[1] = evsignal_new(l->base, SIGTERM, on_signal, l);
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	/* From here on every exit path goes through audit_stop(). */
	if ((rc = audit_start(l, err)) < 0)
		goto out_loop;
	/*
	 * Drained on a timer, not on readability: woken per record, the
	 * learner spent its time switching in and out for one record at a
	 * time (4000 records/s on the bench VM). Records wait in a large
	 * socket buffer and come in batches instead.
	 */
	l->audit_ev = event_new(l->base, -1, EV_PERSIST, audit_readable, l);
	event_add(l->audit_ev, &drain);
	tk = event_new(l->base, -1, EV_PERSIST, tick, l);
	event_add(tk, &tv);
	if ((rc = tracker_start(engine, l->base, &ops, l, &tracker, err)) < 0)
		goto out_loop;
	if (l->n_cs == 0)
		log_warnx("no running container matches --image %s yet; "
		    "waiting for one to start", o->image);
	if (o->duration_s > 0) {
		tv.tv_sec = o->duration_s;
		event_base_loopexit(l->base, &tv);
	}
	event_base_dispatch(l->base);
	tracker_free(tracker);
	if (l->progress_shown)
		fputc('\n', stderr);
	/* Take in what is already queued, then stop. */
	audit_readable(-1, 0, l);
	for (i = 0; i < l->n_cs; i++)
		fan_readable(l->cs[i]->fd, EV_READ, l->cs[i]);
	for (i = 0; i < PENDING_MAX; i++)
		if (l->pending[i].img != NULL)
			pending_finish(l, &l->pending[i]);
out_loop:
	audit_stop(l);
	end_ms = time_now_ms();
	lost = l->lost_now - l->lost_start;
	for (i = 0; i < l->n_images; i++)
		if (l->images[i]->attached_once)
			store_writer_learned(l->writer, l->images[i]->ref,
			    l->images[i]->first_ms, end_ms, lost);
	for (i = 0; i < l->n_cs; i++)
		lcontainer_free(l->cs[i]);
	free(l->cs);
	if (l->audit_ev != NULL)
		event_free(l->audit_ev);
	if (tk != NULL)
		event_free(tk);
	for (i = 0; i < 2; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	event_base_free(l->base);
	{
		struct store	*back = NULL;

		shed = store_writer_dropped(l->writer);
		if (store_writer_stop(l->writer, &back, &e2) < 0 && rc == 0)
			rc = rt_error_set(err, e2.code, "saving the baseline: "
			    "%s", e2.msg);
		store_free(back);
	}
	if (rc == 0) {
		bool any = false;

		for (i = 0; i < l->n_images; i++)
			any |= l->images[i]->attached_once;
		if (!any)
			log_warnx("no container of image %s ran during the "
			    "learning window: nothing was learned", o->image);
		else
			log_warnx("learned %llu new executables, %llu new "
			    "syscalls, %llu new written paths in %llds "
			    "(%llu audit records, %lld lost by the kernel, "
			    "%llu fanotify overflows, %llu records shed by a "
			    "full store queue); saved to %s",
			    (unsigned long long)l->execs,
			    (unsigned long long)l->syscalls,
			    (unsigned long long)l->writes,
			    (long long)((end_ms - l->start_ms) / 1000),
			    (unsigned long long)l->records, (long long)lost,
			    (unsigned long long)l->fan_lost,
			    (unsigned long long)shed, o->db_path);
	}
	for (i = 0; i < l->n_images; i++) {
		free(l->images[i]->ref);
		free(l->images[i]->image_id);
		free(l->images[i]);
	}
	free(l->images);
	for (i = 0; i < l->seen_cap; i++)
		free(l->seen[i].key);
	free(l->seen);
out_engine:
	engine_free(engine);
	return rc;
}
