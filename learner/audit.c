/*
 * audit.c: the learner's audit netlink session.
 *
 * Two sockets: one for control (rules, status), which only ever carries
 * acknowledgements, so a rule change is never confused with a record; one
 * for records. With no other audit daemon, the records socket registers
 * as the kernel's audit pid; when one holds it (auditd on a real host),
 * rtguard leaves it alone and reads a copy of every record through the
 * audit multicast group (CAP_AUDIT_READ), so auditd keeps logging.
 *
 * rtguard adds only its own rules, keyed "rtguard-learn-PID", built here
 * field by field in struct audit_rule_data (linux/audit.h); libaudit is
 * used only to send them. The syscall rule covers, per arch, the syscalls
 * some learned image has not used yet (it shrinks as they are learned),
 * plus execve (names an executable was run as; execs of containers not
 * attached yet), and leaves out rtguard and the busiest host processes
 * (pid!=, up to the rule's field limit), so host traffic does not flood
 * the kernel's backlog. The settings found (enabled, backlog limit and
 * wait time) are written to a file while learning, restored on every exit
 * path, and restored by the next learner if this one is killed.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libaudit.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "learner/internal.h"

#define AUDIT_DRAIN_US		10000	/* records drained every 10 ms */
#define AUDIT_RCVBUF		(64 * 1024 * 1024)
#define AUDIT_BACKLOG		65536	/* the first seconds, before narrowing */
#define AUDIT_DRAIN_MAX		65536	/* records per drain: others get a turn */
#define REBUILD_MIN_MS		100	/* between two rule rebuilds */
#define AUDIT_SAVED_DIR		"/run/rtguard"
#define AUDIT_SAVED		AUDIT_SAVED_DIR "/audit-saved"

static const char *const file_syscalls[] = {
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "rmdir",
	"truncate", NULL
};

static void	exclusions_compact(struct learner *);

/* --- status and settings -------------------------------------------------- */

/* A status reply on the control socket (it carries nothing else). */
static int
ctl_status(int fd, struct audit_status *out)
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

static bool
pid_alive(pid_t pid)
{
	return pid > 0 && !(kill(pid, 0) < 0 && errno == ESRCH);
}

static void
comm_of(pid_t pid, char *buf, size_t len)
{
	char	path[64];
	FILE	*f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, (int)len, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Settings a learner that died left changed: take them as found. */
static void
saved_load(struct audit_status *st)
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
	    (pid != (unsigned)getpid() && pid_alive((pid_t)pid)))
		return;
	log_notice("restoring the audit settings a learner (pid %u) left when "
	    "it died", pid);
	st->enabled = enabled;
	st->backlog_limit = backlog;
	st->backlog_wait_time = wait;
}

static void
saved_write(const struct laudit *a)
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
	    a->prev_enabled, a->prev_backlog, a->prev_wait);
	if (write(fd, buf, n) == n && close(fd) == 0)
		(void)rename(AUDIT_SAVED ".tmp", AUDIT_SAVED);
	else
		(void)unlink(AUDIT_SAVED ".tmp");
}

static int64_t
boottime_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
audit_started_before(const struct learner *l, pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start;
	ssize_t			 n;
	int			 fd, i;

	if (!l->audit.enabled_off)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* Field 22, counted after the ")" that ends comm. */
	if ((p = strrchr(buf, ')')) == NULL)
		return false;
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return false;
	return (int64_t)(start * 1000 / sysconf(_SC_CLK_TCK)) <
	    l->audit.enabled_boot_ms;
}

/* --- rules, built by hand ---------------------------------------------------- */

static void
rule_field(struct audit_rule_data *r, uint32_t field, uint32_t op,
    uint32_t value)
{
	r->fields[r->field_count] = field;
	r->fieldflags[r->field_count] = op;
	r->values[r->field_count++] = value;
}

/*
 * A rule on arch: the syscalls set in mask (LEARN_MASK_BYTES), not from
 * rtguard nor the excluded pids, with our key.
 */
static struct audit_rule_data *
rule_build(const struct learner *l, uint32_t arch, const unsigned char *mask)
{
	struct audit_rule_data	*r;
	char			 key[64];
	size_t			 klen, i;
	int			 nr;

	klen = (size_t)snprintf(key, sizeof(key), LEARN_KEY_PREFIX "%d",
	    (int)l->self);
	r = xcalloc(1, sizeof(*r) + klen);
	/* As audit_add_rule_data sets them: rules compare whole. */
	r->flags = AUDIT_FILTER_EXIT;
	r->action = AUDIT_ALWAYS;
	for (nr = 0; nr < SYSCALL_NR_MAX; nr++)
		if ((mask[nr / 8] >> (nr % 8)) & 1)
			r->mask[nr / 32] |= 1U << (nr % 32);
	rule_field(r, AUDIT_ARCH, AUDIT_EQUAL, arch);
	rule_field(r, AUDIT_PID, AUDIT_NOT_EQUAL, (uint32_t)l->self);
	for (i = 0; i < l->audit.n_excluded; i++)
		rule_field(r, l->audit.excluded[i].parent ? AUDIT_PPID :
		    AUDIT_PID, AUDIT_NOT_EQUAL,
		    (uint32_t)l->audit.excluded[i].pid);
	/* A string field: its value is its length, its bytes go in buf. */
	rule_field(r, AUDIT_FILTERKEY, AUDIT_EQUAL, (uint32_t)klen);
	memcpy(r->buf, key, klen);
	r->buflen = (uint32_t)klen;
	return r;
}

static size_t
rule_size(const struct audit_rule_data *r)
{
	return sizeof(*r) + r->buflen;
}

static bool
rule_same(const struct audit_rule_data *a, const struct audit_rule_data *b)
{
	return a != NULL && b != NULL && rule_size(a) == rule_size(b) &&
	    memcmp(a, b, rule_size(a)) == 0;
}

static void
mask_set(unsigned char *mask, uint32_t arch, const char *name)
{
	int	nr;

	if ((nr = syscall_number(arch, name)) >= 0)
		mask[nr / 8] |= 1 << (nr % 8);
}

/* What the syscall rule of arch index a watches now. */
static void
sc_mask(const struct learner *l, int a, unsigned char *mask)
{
	int	nr;

	memset(mask, 0, LEARN_MASK_BYTES);
	for (nr = 0; nr < SYSCALL_NR_MAX; nr++)
		if (!learner_learned_by_all(l, a, nr))
			mask[nr / 8] |= 1 << (nr % 8);
	mask_set(mask, l->arches[a], "execve");
	mask_set(mask, l->arches[a], "execveat");
}

static int
rule_add(struct learner *l, struct audit_rule_data *r)
{
	int	rc;

	rc = audit_add_rule_data(l->audit.ctl_fd, r, AUDIT_FILTER_EXIT,
	    AUDIT_ALWAYS);
	return rc < 0 ? (errno > 0 ? -errno : rc) : 0;
}

/* Remove a rule we added. A rule the kernel no longer has is gone too. */
static void
rule_remove(struct learner *l, struct audit_rule_data **r)
{
	int	rc;

	if (*r == NULL)
		return;
	errno = 0;
	rc = audit_delete_rule_data(l->audit.ctl_fd, *r, AUDIT_FILTER_EXIT,
	    AUDIT_ALWAYS);
	if (rc < 0 && errno != ENOENT)
		log_debug("audit: removing a rule: %s", strerror(errno));
	free(*r);
	*r = NULL;
}

void
audit_rules_refresh(struct learner *l, bool force)
{
	struct laudit		*a = &l->audit;
	struct audit_rule_data	*r;
	unsigned char		 mask[LEARN_MASK_BYTES];
	int64_t			 now = time_mono_ms();
	int			 i, rc;

	if (a->n_excluded > 0)
		exclusions_compact(l);
	if (a->ctl_fd < 0 || (!a->dirty && !force) ||
	    (!force && now - a->last_rebuild_ms < REBUILD_MIN_MS))
		return;
	a->last_rebuild_ms = now;
	a->dirty = false;
	for (i = 0; i < LEARN_ARCHES; i++) {
		if (l->arches[i] == 0)
			continue;
		sc_mask(l, i, mask);
		r = rule_build(l, l->arches[i], mask);
		if (rule_same(r, a->rule_sc[i])) {
			free(r);
			continue;
		}
		/* The new rule before the old goes: no moment unwatched. */
		if ((rc = rule_add(l, r)) < 0) {
			log_warnx("audit: adding the syscall rule for %s: %s",
			    syscall_arch_name(l->arches[i]), strerror(-rc));
			free(r);
			continue;
		}
		rule_remove(l, &a->rule_sc[i]);
		a->rule_sc[i] = r;
	}
}

static int
files_rule_add(struct learner *l, struct rt_error *err)
{
	unsigned char	mask[LEARN_MASK_BYTES];
	size_t		i;
	int		rc;

	memset(mask, 0, sizeof(mask));
	for (i = 0; file_syscalls[i] != NULL; i++)
		mask_set(mask, l->arches[0], file_syscalls[i]);
	l->audit.rule_files = rule_build(l, l->arches[0], mask);
	/* Distinct from the syscall rule: no pid!= of the busy host. */
	if ((rc = rule_add(l, l->audit.rule_files)) < 0) {
		free(l->audit.rule_files);
		l->audit.rule_files = NULL;
		return rt_error_set(err, -rc, "adding the audit file rule: %s",
		    strerror(-rc));
	}
	return 0;
}

/* --- excluded host processes ------------------------------------------------- */

/* An excluded process is gone: its pid may be reused, so drop it. */
static void
exclude_gone(evutil_socket_t fd, short what, void *arg)
{
	struct learner	*l = arg;
	size_t		 i;

	(void)what;
	for (i = 0; i < l->audit.n_excluded; i++)
		if (l->audit.excluded[i].pidfd == fd && l->audit.excluded[i].pid > 0)
			l->audit.excluded[i].pid = -l->audit.excluded[i].pid;
	l->audit.dirty = true;
}

bool
audit_is_excluded(const struct learner *l, pid_t pid, bool parent)
{
	size_t	i;

	for (i = 0; i < l->audit.n_excluded; i++)
		if (l->audit.excluded[i].pid == pid &&
		    l->audit.excluded[i].parent == parent)
			return true;
	return false;
}

/* Whose children are containers' processes: runc, conmon, shims. */
static bool
is_runtime(pid_t pid)
{
	static const char *const names[] = { "runc", "crun", "conmon",
	    "containerd-shim", "containerd", "dockerd", "podman", "tini",
	    "catatonit", NULL };
	char	comm[64];
	size_t	i;

	comm_of(pid, comm, sizeof(comm));
	if (strcmp(comm, "?") == 0)
		return true;	/* cannot tell: never exclude its children */
	for (i = 0; names[i] != NULL; i++)
		if (strncmp(comm, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

void
audit_exclude_pid(struct learner *l, pid_t pid, bool parent)
{
	struct laudit	*a = &l->audit;
	struct lexclude	*x;
	int		 fd;

	if (pid <= 1 || audit_is_excluded(l, pid, parent) ||
	    (parent && is_runtime(pid)))
		return;
	if (a->n_excluded == LEARN_EXCLUDE_MAX) {
		a->exclusions_refused++;
		return;
	}
	/* Without a pidfd its exit goes unseen, and the pid may be reused. */
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	x = &a->excluded[a->n_excluded++];
	x->pid = pid;
	x->parent = parent;
	x->pidfd = fd;
	x->ev = event_new(l->base, fd, EV_READ, exclude_gone, l);
	event_add(x->ev, NULL);
	a->dirty = true;
	log_debug("audit: leaving busy host process %d%s out of the rule",
	    (int)pid, parent ? "'s children" : "");
}

/* Drop the slots whose process is gone (marked negative by their event). */
static void
exclusions_compact(struct learner *l)
{
	struct laudit	*a = &l->audit;
	size_t		 i = 0;

	while (i < a->n_excluded) {
		if (a->excluded[i].pid > 0) {
			i++;
			continue;
		}
		event_free(a->excluded[i].ev);
		close(a->excluded[i].pidfd);
		a->excluded[i] = a->excluded[--a->n_excluded];
		a->dirty = true;
	}
}

/* --- stale rules ------------------------------------------------------------- */

/*
 * Remove rules whose key names a learner pid that no longer runs, and with
 * mine set, this process's own. Returns how many of ours remain listed.
 */
static int
rules_sweep(struct learner *l, bool mine)
{
	struct audit_reply	 rep;
	struct audit_rule_data	*stale[64];
	size_t			 n = 0, i, sz;
	const char		*k;
	int			 pid, loops, left = 0;

	if (audit_request_rules_list_data(l->audit.ctl_fd) <= 0)
		return 0;
	for (loops = 0; loops < 10000; loops++) {
		if (audit_get_reply(l->audit.ctl_fd, &rep, GET_REPLY_BLOCKING,
		    0) <= 0 || rep.type == NLMSG_DONE)
			break;
		if (rep.type == NLMSG_ERROR) {
			if (rep.error->error != 0)
				break;
			continue;
		}
		if (rep.type != AUDIT_LIST_RULES || rep.ruledata == NULL)
			continue;
		k = memmem(rep.ruledata->buf, rep.ruledata->buflen,
		    LEARN_KEY_PREFIX, strlen(LEARN_KEY_PREFIX));
		if (k == NULL || n == 64)
			continue;
		pid = atoi(k + strlen(LEARN_KEY_PREFIX));
		if (pid <= 0 || (pid == (int)l->self && !mine) ||
		    (pid != (int)l->self && pid_alive(pid)))
			continue;
		sz = sizeof(*rep.ruledata) + rep.ruledata->buflen;
		stale[n] = xmalloc(sz);
		memcpy(stale[n++], rep.ruledata, sz);
	}
	for (i = 0; i < n; i++) {
		errno = 0;
		if (audit_delete_rule_data(l->audit.ctl_fd, stale[i],
		    AUDIT_FILTER_EXIT, AUDIT_ALWAYS) < 0 && errno != ENOENT)
			left++;
		else if (!mine)
			log_notice("removed an audit rule left by a learner "
			    "that died");
		free(stale[i]);
	}
	return left;
}

/* --- records ------------------------------------------------------------------ */

void
audit_drain(struct learner *l)
{
	char			 buf[MAX_AUDIT_MESSAGE_LENGTH + NLMSG_HDRLEN]
	    __attribute__((aligned(__alignof__(struct nlmsghdr))));
	const struct nlmsghdr	*nh = (const void *)buf;
	const char		*msg = buf + NLMSG_HDRLEN;
	ssize_t			 len;
	size_t			 mlen;
	int			 n;

	if (l->audit.rec_fd < 0)
		return;
	for (n = 0; n < AUDIT_DRAIN_MAX; n++) {
		len = recv(l->audit.rec_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOBUFS) {
			/* Our socket overflowed: the kernel counts it lost. */
			log_debug("audit: receive buffer overflowed");
			continue;
		}
		if (len < NLMSG_HDRLEN)
			break;
		/*
		 * One record per datagram. Its nlmsg_len is the payload's
		 * length when sent to the audit pid and the whole message's
		 * through multicast (kernel/audit.c, "length quirks"): trust
		 * what recv() returned instead.
		 */
		if (nh->nlmsg_type < AUDIT_FIRST_EVENT ||
		    nh->nlmsg_type >= AUDIT_LAST_USER_MSG2)
			continue;
		mlen = (size_t)len - NLMSG_HDRLEN;
		while (mlen > 0 && msg[mlen - 1] == '\0')
			mlen--;
		records_feed(l->records, nh->nlmsg_type, msg, mlen);
	}
	audit_rules_refresh(l, false);
}

static void
drain_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	audit_drain(arg);
}

void
audit_update_lost(struct learner *l)
{
	struct audit_status	st;

	if (l->audit.ctl_fd >= 0 && ctl_status(l->audit.ctl_fd, &st) == 0)
		l->audit.lost_now = st.lost;
}

int64_t
audit_lost(const struct learner *l)
{
	return l->audit.lost_now - l->audit.lost_start;
}

/* --- the session ---------------------------------------------------------------- */

static int
open_multicast(struct learner *l, struct rt_error *err)
{
	struct sockaddr_nl	sa;
	int			fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_AUDIT);
	if (fd < 0)
		return rt_error_sys(err, errno, "audit multicast socket");
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rt_error_sys(err, errno, "joining the audit multicast group "
		    "(needs CAP_AUDIT_READ)");
		close(fd);
		return -err->code;
	}
	l->audit.rec_fd = fd;
	return 0;
}

static int
open_unicast(struct learner *l, struct rt_error *err)
{
	if ((l->audit.rec_fd = audit_open()) < 0)
		return rt_error_sys(err, errno, "audit netlink socket");
	if (audit_set_pid(l->audit.rec_fd, getpid(), WAIT_YES) < 0)
		return rt_error_set(err, EIO, "cannot register as the audit "
		    "receiver");
	(void)fcntl(l->audit.rec_fd, F_SETFL, fcntl(l->audit.rec_fd,
	    F_GETFL) | O_NONBLOCK);
	return 0;
}

int
audit_source_open(struct learner *l, struct rt_error *err)
{
	struct laudit		*a = &l->audit;
	struct audit_status	 st;
	struct timeval		 drain = { 0, AUDIT_DRAIN_US };
	char			 comm[64];
	uint32_t		 backlog;
	int			 rcvbuf, rc;

	a->ctl_fd = a->rec_fd = -1;
	/* libaudit prints its own errors to stderr unless told not to. */
	set_aumessage_mode(MSG_QUIET, DBG_NO);
	if ((a->ctl_fd = audit_open()) < 0)
		return rt_error_sys(err, errno, "cannot open the audit netlink "
		    "socket (kernel built without CONFIG_AUDIT, or not root)");
	if (ctl_status(a->ctl_fd, &st) < 0)
		return rt_error_set(err, EIO, "the kernel's audit status cannot "
		    "be read");
	if (st.enabled == 2)
		return rt_error_set(err, EPERM, "audit is locked (enabled=2): "
		    "rules cannot change until reboot");
	a->multicast = st.pid != 0 && (pid_t)st.pid != getpid() &&
	    pid_alive((pid_t)st.pid);
	saved_load(&st);
	a->prev_enabled = st.enabled;
	a->prev_backlog = st.backlog_limit;
	a->prev_wait = st.backlog_wait_time;
	a->have_prev = true;
	a->lost_start = a->lost_now = st.lost;
	saved_write(a);
	if (a->multicast) {
		comm_of((pid_t)st.pid, comm, sizeof(comm));
		log_notice("audit is held by pid %u (%s): reading a copy of the "
		    "records, leaving it and its rules alone", st.pid, comm);
		if ((rc = open_multicast(l, err)) < 0)
			return rc;
	}
	if (st.enabled == 0) {
		if (audit_set_enabled(a->ctl_fd, 1) < 0)
			return rt_error_set(err, EIO, "cannot enable audit");
		a->enabled_off = true;
		a->enabled_boot_ms = boottime_ms();
	}
	if (!a->multicast && (rc = open_unicast(l, err)) < 0)
		return rc;
	backlog = st.backlog_limit > AUDIT_BACKLOG ? st.backlog_limit :
	    AUDIT_BACKLOG;
	if (backlog != st.backlog_limit)
		(void)audit_set_backlog_limit(a->ctl_fd, backlog);
	/*
	 * With the backlog full, the kernel makes every audited process wait
	 * (up to backlog_wait_time): a storm would slow the workload, even
	 * the host. Better to lose records, counted and reported.
	 */
	if (st.backlog_wait_time != 0 &&
	    audit_set_backlog_wait_time(a->ctl_fd, 0) < 0)
		log_warnx("cannot set the audit backlog wait time to 0: a "
		    "record storm may slow audited processes");
	(void)rules_sweep(l, false);
	a->dirty = true;
	audit_rules_refresh(l, true);
	if (a->rule_sc[0] == NULL)
		return rt_error_set(err, EIO, "the audit syscall rule could not "
		    "be added");
	if ((rc = files_rule_add(l, err)) < 0)
		return rc;
	/* Room for the records of one drain interval and then some. */
	rcvbuf = AUDIT_RCVBUF;
	if (setsockopt(a->rec_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(a->rec_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	/*
	 * Drained on a timer, not on readability: woken per record, the
	 * learner spent its time switching in and out for one record at a
	 * time. Records wait in a large socket buffer and come in batches.
	 */
	a->drain_ev = event_new(l->base, -1, EV_PERSIST, drain_timer, l);
	event_add(a->drain_ev, &drain);
	return 0;
}

void
audit_source_close(struct learner *l)
{
	struct laudit	*a = &l->audit;
	size_t		 i;
	int		 left;

	if (a->drain_ev != NULL) {
		event_free(a->drain_ev);
		a->drain_ev = NULL;
	}
	if (a->ctl_fd < 0)
		return;
	for (i = 0; i < LEARN_ARCHES; i++)
		rule_remove(l, &a->rule_sc[i]);
	rule_remove(l, &a->rule_files);
	/* Whatever the acknowledgements said: what the kernel still lists. */
	if ((left = rules_sweep(l, true)) > 0)
		log_warnx("%d rtguard audit rule%s could not be removed; remove "
		    "%s with: auditctl -l | grep " LEARN_KEY_PREFIX "%d", left,
		    left == 1 ? "" : "s", left == 1 ? "it" : "them",
		    (int)l->self);
	if (a->have_prev) {
		audit_update_lost(l);
		if (!a->multicast && a->rec_fd >= 0)
			(void)audit_set_pid(a->rec_fd, 0, WAIT_NO);
		(void)audit_set_backlog_limit(a->ctl_fd, a->prev_backlog);
		if (a->prev_wait != 0)
			(void)audit_set_backlog_wait_time(a->ctl_fd,
			    a->prev_wait);
		if (a->prev_enabled == 0)
			(void)audit_set_enabled(a->ctl_fd, 0);
		(void)unlink(AUDIT_SAVED);
		a->have_prev = false;
	}
	for (i = 0; i < a->n_excluded; i++) {
		event_free(a->excluded[i].ev);
		close(a->excluded[i].pidfd);
	}
	a->n_excluded = 0;
	if (a->rec_fd >= 0)
		close(a->rec_fd);
	audit_close(a->ctl_fd);
	a->ctl_fd = a->rec_fd = -1;
}
