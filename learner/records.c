/*
 * records.c: audit records turned into events of containers.
 *
 * The kernel writes one event as several records sharing a serial
 * (SYSCALL, CWD, PATH..., EOE). A SYSCALL record names a host pid: it is
 * attributed through the pid's cgroup (its parent's, for a process already
 * gone; the pids fanotify saw exec'ing, at once). Then:
 *   - a host process: not learned; one busy enough is left out of the
 *     audit rule (audit_exclude_pid), so it stops costing records;
 *   - the container runtime's own setup (runc's init before it execs the
 *     container's entrypoint, also for `exec`; comm "runc:[2:INIT]"): not
 *     the image's, never learned, but proof that the container was
 *     audited from before its first instruction;
 *   - an attached container: its image learns the syscall; deletes and
 *     renames wait for their PATH records, execs for the name they were
 *     run as, until EOE;
 *   - a container not attached yet (its start event or OCI hook not
 *     handled): kept by early.c, and applied here when it is attached.
 */
#include <errno.h>
#include <libaudit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "learner/auditrec.h"
#include "learner/internal.h"

#define PID_CACHE		8192
#define PID_CACHE_TTL_MS	2000
#define PID_SEEN_TTL_MS		60000	/* a pid fanotify saw exec */
#define EVENTS_MAX		256	/* events waiting for their EOE */
#define EVENT_NAMES		4
#define HOST_SLOTS		1024
#define HOST_BUSY		32	/* records per tick before exclusion */
#define HOST_BUSY_CHILDREN	64	/* of a parent's children, per tick */

enum aevent_kind { AEV_FILE = 1, AEV_EXEC };

struct pid_slot {
	pid_t		 pid;
	int64_t		 expires;
	char		 id[CONTAINER_ID_LEN + 1];	/* "": host */
};

/* The records of one serial, until its EOE. */
struct aevent {
	uint64_t	 serial;
	int64_t		 time_ms;	/* the kernel's time of the event */
	enum aevent_kind kind;		/* 0: slot free */
	bool		 ok;		/* the syscall succeeded */
	char		 id[CONTAINER_ID_LEN + 1];
	char		*cwd;
	char		*names[EVENT_NAMES];
	size_t		 n_names;
};

struct host_slot {
	pid_t		 pid;
	uint32_t	 n;
};

struct records {
	struct learner		*l;
	struct pid_slot		 pids[PID_CACHE];
	struct aevent		 events[EVENTS_MAX];
	size_t			 next_event;
	struct early		*early;	/* containers not attached yet */
	struct host_slot	 host[HOST_SLOTS], parents[HOST_SLOTS];
	uint64_t		 lost;
	uint64_t		 n_host, n_runtime, n_learned, n_early;
	int			 nr_execve[LEARN_ARCHES], nr_execveat[LEARN_ARCHES];
	unsigned char		 file_nr[LEARN_ARCHES][LEARN_MASK_BYTES];
};

struct records *
records_new(struct learner *l)
{
	static const char *const files[] = { "unlink", "unlinkat", "rename",
	    "renameat", "renameat2", "rmdir", "truncate", NULL };
	struct records	*r = xcalloc(1, sizeof(*r));
	size_t		 i;
	int		 a, nr;

	r->l = l;
	r->early = early_new();
	for (a = 0; a < LEARN_ARCHES; a++) {
		r->nr_execve[a] = r->nr_execveat[a] = -1;
		if (l->arches[a] == 0)
			continue;
		r->nr_execve[a] = syscall_number(l->arches[a], "execve");
		r->nr_execveat[a] = syscall_number(l->arches[a], "execveat");
		for (i = 0; files[i] != NULL; i++)
			if ((nr = syscall_number(l->arches[a], files[i])) >= 0)
				r->file_nr[a][nr / 8] |= 1 << (nr % 8);
	}
	return r;
}

static void
aevent_clear(struct aevent *e)
{
	size_t	i;

	free(e->cwd);
	for (i = 0; i < e->n_names; i++)
		free(e->names[i]);
	memset(e, 0, sizeof(*e));
}

void
records_free(struct records *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < EVENTS_MAX; i++)
		aevent_clear(&r->events[i]);
	early_free(r->early);
	free(r);
}

bool
records_comm_is_runtime(const char *comm, size_t len)
{
	/*
	 * runc names its init "runc:[0:PARENT]", "runc:[1:CHILD]", ...; runc
	 * itself and conmon run in the container's cgroup for an exec.
	 */
	return (len > 6 && memcmp(comm, "runc:[", 6) == 0) ||
	    (len == 4 && memcmp(comm, "runc", 4) == 0) ||
	    (len == 6 && memcmp(comm, "conmon", 6) == 0);
}

bool
records_exe_is_runtime(const char *comm, size_t clen, const char *exe,
    size_t elen)
{
	const char	*base = exe;
	size_t		 i, blen;

	if (records_comm_is_runtime(comm, clen))
		return true;
	/*
	 * runc re-executes itself through /proc/self/exe for its init
	 * (comm "exe", before it names itself runc:[...]): its mounts are
	 * the runtime's, not the image's. exe is the host's runc then.
	 */
	if (clen != 3 || memcmp(comm, "exe", 3) != 0 || exe == NULL)
		return false;
	for (i = 0; i < elen; i++)
		if (exe[i] == '/')
			base = exe + i + 1;
	blen = elen - (size_t)(base - exe);
	return (blen == 4 && memcmp(base, "runc", 4) == 0) ||
	    (blen == 4 && memcmp(base, "crun", 4) == 0);
}

bool
records_file_name_counts(const char *nametype, size_t len, bool success)
{
	/* What a delete or a rename removed, what a rename created. */
	if (len == 6 && (memcmp(nametype, "DELETE", 6) == 0 ||
	    memcmp(nametype, "CREATE", 6) == 0))
		return true;
	/*
	 * The name as the process gave it, no inode looked up for it: an
	 * overlay file while the overlay rule is on (rules.c). A failed
	 * lookup leaves one too: only a syscall that succeeded counts.
	 */
	return success && len == 7 && memcmp(nametype, "UNKNOWN", 7) == 0;
}

/* --- attribution ------------------------------------------------------------- */

/* The container id of pid ("" for the host), cached for a moment. */
static const char *
container_of_pid(struct records *r, pid_t pid, int64_t now)
{
	struct pid_slot	*s = &r->pids[(unsigned)pid % PID_CACHE];
	struct rt_error	 err;

	if (pid <= 0)
		return NULL;
	if (s->pid != pid || s->expires <= now) {
		s->pid = pid;
		s->expires = now + PID_CACHE_TTL_MS;
		if (cgroup_container_of_pid(pid, s->id, &err) < 0) {
			s->id[0] = '\0';
			if (err.code == ESRCH) {
				s->pid = 0;	/* gone: not cached */
				return NULL;
			}
		}
	}
	return s->id;
}

/* A pid fanotify saw exec in container id: known even once it is gone. */
void
records_note_pid(struct records *r, pid_t pid, const char *id)
{
	struct pid_slot	*s = &r->pids[(unsigned)pid % PID_CACHE];

	if (pid <= 0)
		return;
	s->pid = pid;
	s->expires = time_mono_ms() + PID_SEEN_TTL_MS;
	snprintf(s->id, sizeof(s->id), "%s", id);
}

/*
 * A record of the host: a process busy enough is left out of the rule;
 * so are the children of a parent that keeps starting busy ones (a shell
 * loop of curl, a test runner), which no pid!= could catch in time.
 */
static void
host_busy(struct records *r, pid_t pid, pid_t ppid)
{
	struct host_slot	*h = &r->host[(unsigned)pid % HOST_SLOTS];
	struct host_slot	*p = &r->parents[(unsigned)ppid % HOST_SLOTS];

	if (h->pid != pid) {
		h->pid = pid;
		h->n = 0;
	}
	if (++h->n == HOST_BUSY)
		audit_exclude_pid(r->l, pid, false);
	if (p->pid != ppid) {
		p->pid = ppid;
		p->n = 0;
	}
	if (++p->n == HOST_BUSY_CHILDREN)
		audit_exclude_pid(r->l, ppid, true);
}

/* --- events ----------------------------------------------------------------- */

static struct aevent *
event_find(struct records *r, uint64_t serial)
{
	size_t	i;

	for (i = 0; i < EVENTS_MAX; i++)
		if (r->events[i].kind != 0 && r->events[i].serial == serial)
			return &r->events[i];
	return NULL;
}

/* "cwd" + "/" + name, for a relative name. */
static char *
event_path(const struct aevent *e, const char *name)
{
	if (name[0] == '/')
		return xstrdup(name);
	if (e->cwd == NULL)
		return NULL;
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	return xasprintf("%s%s%s", e->cwd, strcmp(e->cwd, "/") == 0 ? "" : "/",
	    name);
}

static void
event_finish(struct records *r, struct aevent *e)
{
	struct lcontainer	*lc;
	struct early_ctr	*p = NULL;
	char			*path;
	size_t			 i;

	lc = learner_container(r->l, e->id);
	if (lc == NULL && (p = early_get(r->early, e->id, time_mono_ms())) == NULL)
		goto out;
	for (i = 0; i < e->n_names; i++) {
		if ((path = event_path(e, e->names[i])) == NULL)
			continue;
		if (e->kind == AEV_FILE && lc != NULL)
			facts_write(r->l->facts, lc->img, path);
		else if (e->kind == AEV_FILE)
			early_add_write(p, path);
		else if (lc != NULL)
			/*
			 * Before the fanotify mark was on, only audit saw the
			 * exec: record the executable itself too.
			 */
			facts_exec_name(r->l->facts, lc, path,
			    e->time_ms < lc->attached_ms);
		else
			early_add_exec(p, path);
		free(path);
	}
out:
	aevent_clear(e);
}

/* The time of "audit(SECONDS.MILLIS:SERIAL): ...", in ms, or 0. */
static int64_t
record_time_ms(const char *m, size_t len)
{
	int64_t	 s = 0, ms = 0;
	size_t	 i = 6, d = 0;

	if (len < 8 || memcmp(m, "audit(", 6) != 0)
		return 0;
	for (; i < len && m[i] >= '0' && m[i] <= '9' && d < 12; i++, d++)
		s = s * 10 + (m[i] - '0');
	if (i >= len || m[i] != '.')
		return 0;
	for (i++, d = 0; i < len && m[i] >= '0' && m[i] <= '9' && d < 3;
	    i++, d++)
		ms = ms * 10 + (m[i] - '0');
	return s * 1000 + ms;
}

static void
event_start(struct records *r, uint64_t serial, enum aevent_kind kind,
    bool ok, const char *id, int64_t time_ms)
{
	struct aevent	*e = &r->events[r->next_event++ % EVENTS_MAX];

	if (e->kind != 0)
		event_finish(r, e);	/* its EOE never came */
	e->serial = serial;
	e->time_ms = time_ms;
	e->kind = kind;
	e->ok = ok;
	snprintf(e->id, sizeof(e->id), "%s", id);
}

static bool
mask_has(const unsigned char *m, uint64_t nr)
{
	return nr < SYSCALL_NR_MAX && ((m[nr / 8] >> (nr % 8)) & 1);
}

static void
syscall_record(struct records *r, const char *m, size_t len, uint64_t serial,
    int64_t now)
{
	struct learner		*l = r->l;
	struct lcontainer	*lc;
	struct early_ctr	*p;
	uint64_t		 arch, nr, pid, ppid;
	const char		*id, *comm, *exe, *ok;
	size_t			 clen, elen, oklen;
	bool			 success;
	int			 a;

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
	id = container_of_pid(r, (pid_t)pid, now);
	/* A process already gone (sh -c true): its parent's container. */
	if (id == NULL || id[0] == '\0') {
		const char *pid2 = container_of_pid(r, (pid_t)ppid, now);

		if (id == NULL || (pid2 != NULL && pid2[0] != '\0'))
			id = pid2;
	}
	/*
	 * The host, or a container of another image: not learned, and a
	 * busy one is left out of the rule.
	 */
	if (id == NULL || id[0] == '\0' || early_ignored(r->early, id)) {
		r->n_host++;
		host_busy(r, (pid_t)pid, (pid_t)ppid);
		return;
	}
	comm = auditrec_field(m, len, "comm", &clen);
	exe = auditrec_field(m, len, "exe", &elen);
	if (exe != NULL && elen > 2 && exe[0] == '"') {
		exe++;
		elen -= 2;
	} else
		exe = NULL;
	if (comm != NULL && clen > 2 && comm[0] == '"' &&
	    records_exe_is_runtime(comm + 1, clen - 2, exe, exe ? elen : 0)) {
		r->n_runtime++;
		if ((lc = learner_container(l, id)) == NULL &&
		    (p = early_get(r->early, id, now)) != NULL)
			p->saw_runtime = true;
		return;
	}
	if ((a = learner_arch_index(l, (uint32_t)arch)) < 0 ||
	    nr >= SYSCALL_NR_MAX)
		return;
	if ((lc = learner_container(l, id)) != NULL) {
		r->n_learned++;
		facts_syscall(l->facts, lc->img, a, (int)nr, time_now_ms());
	} else if ((p = early_get(r->early, id, now)) != NULL) {
		r->n_early++;
		p->sc[a][nr / 8] |= 1 << (nr % 8);
	}
	ok = auditrec_field(m, len, "success", &oklen);
	success = ok != NULL && oklen == 3 && memcmp(ok, "yes", 3) == 0;
	if (mask_has(r->file_nr[a], nr))
		event_start(r, serial, AEV_FILE, success, id,
		    record_time_ms(m, len));
	else if (((int)nr == r->nr_execve[a] || (int)nr == r->nr_execveat[a]) &&
	    success)
		event_start(r, serial, AEV_EXEC, true, id,
		    record_time_ms(m, len));
}

static void
path_record(struct aevent *e, const char *m, size_t len)
{
	const char	*v;
	char		*nt = NULL, *s;
	size_t		 n, ntl;
	uint64_t	 item;

	if (e->n_names == EVENT_NAMES)
		return;
	if (e->kind == AEV_EXEC) {
		/* Item 0 is the file as execve was given it. */
		if (auditrec_number(m, len, "item", 10, &item) < 0 || item != 0)
			return;
	} else {
		if ((nt = auditrec_string(m, len, "nametype", &ntl)) == NULL &&
		    (v = auditrec_field(m, len, "nametype", &ntl)) != NULL)
			nt = xstrndup(v, ntl);	/* a bare word */
		if (nt == NULL || !records_file_name_counts(nt, strlen(nt),
		    e->ok)) {
			free(nt);
			return;
		}
		free(nt);
	}
	if ((s = auditrec_string(m, len, "name", &n)) == NULL)
		return;
	if (strlen(s) == n && n > 0)
		e->names[e->n_names++] = s;
	else
		free(s);
}

void
records_feed(struct records *r, int type, const char *m, size_t len)
{
	struct aevent	*e;
	uint64_t	 serial;
	size_t		 n;
	int64_t		 now = time_mono_ms();

	if (auditrec_serial(m, len, &serial) < 0) {
		log_debug("audit: unparsed record type %d: %.*s", type,
		    (int)(len > 200 ? 200 : len), m);
		return;
	}
	r->l->n_records++;
	switch (type) {
	case AUDIT_SYSCALL:
		syscall_record(r, m, len, serial, now);
		break;
	case AUDIT_CWD:
		if ((e = event_find(r, serial)) != NULL && e->cwd == NULL)
			e->cwd = auditrec_string(m, len, "cwd", &n);
		break;
	case AUDIT_PATH:
		if ((e = event_find(r, serial)) != NULL)
			path_record(e, m, len);
		break;
	case AUDIT_EOE:
		if ((e = event_find(r, serial)) != NULL)
			event_finish(r, e);
		break;
	}
}

void
records_flush(struct records *r)
{
	size_t	i;

	for (i = 0; i < EVENTS_MAX; i++)
		if (r->events[i].kind != 0)
			event_finish(r, &r->events[i]);
}

/* --- containers attached ---------------------------------------------------- */

void
records_attached(struct records *r, struct lcontainer *lc, bool *saw_start)
{
	struct early_ctr	*p;
	int64_t			 when;
	size_t			 i;
	int			 a, nr;

	*saw_start = false;
	if ((p = early_take(r->early, lc->c->id)) == NULL)
		return;
	*saw_start = p->saw_runtime;
	/* Learned when it happened, not when the engine got round to it. */
	when = time_now_ms() - (time_mono_ms() - p->first_ms);
	for (a = 0; a < LEARN_ARCHES; a++)
		for (nr = 0; nr < SYSCALL_NR_MAX; nr++)
			if (mask_has(p->sc[a], (uint64_t)nr))
				facts_syscall(r->l->facts, lc->img, a, nr, when);
	for (i = 0; i < p->n_execs; i++)
		facts_exec_name(r->l->facts, lc, p->execs[i], true);
	for (i = 0; i < p->n_writes; i++)
		facts_write(r->l->facts, lc->img, p->writes[i]);
	if (p->lost > 0) {
		log_warnx("container %.12s: %llu of its paths from before it "
		    "was attached did not fit and were lost", lc->c->id,
		    (unsigned long long)p->lost);
		r->lost += p->lost;
		lc->img->events_lost += p->lost;
	}
	log_info("container %.12s: applied what it did in the %lld ms before "
	    "it was attached", lc->c->id,
	    (long long)(time_mono_ms() - p->first_ms));
	early_ctr_free(p);
}

void
records_forget(struct records *r, const char *id)
{
	early_forget(r->early, id);
}

void
records_tick(struct records *r, int64_t now)
{
	memset(r->host, 0, sizeof(r->host));
	memset(r->parents, 0, sizeof(r->parents));
	early_expire(r->early, now);
}

uint64_t
records_pending_lost(const struct records *r)
{
	return r->lost + early_lost(r->early);
}

void
records_log_sources(const struct records *r)
{
	log_info("syscall records: %llu of learned containers, %llu of "
	    "containers before they were attached, %llu of the container "
	    "runtime, %llu of the host or other images (%zu host processes "
	    "left out of the rule now)", (unsigned long long)r->n_learned,
	    (unsigned long long)r->n_early, (unsigned long long)r->n_runtime,
	    (unsigned long long)r->n_host, r->l->audit.n_excluded);
}
