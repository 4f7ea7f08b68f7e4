/*
 * audit.c: the learner's audit netlink session.
 *
 * Two sockets: one for control (rules, status), which only ever carries
 * acknowledgements, so a rule change is never confused with a record; one
 * for records. With no other audit daemon, the records socket registers
 * as the kernel's audit pid; when one holds it (auditd on a real host),
 * rtguard leaves it alone and reads a copy of every record through the
 * audit multicast group (CAP_AUDIT_READ), so auditd keeps logging.
 * rtguard adds only its own rules (rules.c). The settings found (enabled,
 * backlog limit and wait time) are written to a file while learning,
 * restored on every exit path, and restored by the next learner if this
 * one is killed.
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
#define AUDIT_SAVED_DIR		"/run/rtguard"
#define AUDIT_SAVED		AUDIT_SAVED_DIR "/audit-saved"
/* When rtguard first enabled audit since boot (/run is a tmpfs). */
#define AUDIT_EVER		AUDIT_SAVED_DIR "/audit-ever-enabled"

static void	audit_drain_fd(struct learner *, int);

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

bool
audit_pid_alive(pid_t pid)
{
	return pid > 0 && !(kill(pid, 0) < 0 && errno == ESRCH);
}

void
audit_comm_of(pid_t pid, char *buf, size_t len)
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
	    (pid != (unsigned)getpid() && audit_pid_alive((pid_t)pid)))
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

/*
 * The kernel gives a process an audit context at fork once audit was
 * ever enabled since boot (audit_ever_enabled, kernel/auditsc.c), even
 * if it is off again: what matters is the first enable, not ours. We know
 * it when rtguard made it; if audit is on already, it was long ago.
 */
static void
ever_enabled(struct laudit *a, bool enabling)
{
	long long	 ms;
	char		 buf[64];
	FILE		*f;
	int		 fd, n;

	a->enabled_boot_ms = 0;
	if ((fd = open(AUDIT_EVER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if ((f = fdopen(fd, "r")) != NULL) {
			if (fscanf(f, "%lld", &ms) == 1 && ms > 0)
				a->enabled_boot_ms = ms;
			fclose(f);
		} else
			close(fd);
	}
	if (a->enabled_boot_ms > 0 || !enabling)
		return;
	a->enabled_boot_ms = boottime_ms();
	if (mkdir(AUDIT_SAVED_DIR, 0700) < 0 && errno != EEXIST)
		return;
	fd = open(AUDIT_EVER, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%lld\n", (long long)a->enabled_boot_ms);
	(void)!write(fd, buf, n);
	close(fd);
}

bool
audit_started_before(const struct learner *l, pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start;
	ssize_t			 n;
	int			 fd, i;

	if (l->audit.enabled_boot_ms == 0)
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

/* --- records ------------------------------------------------------------------ */

void
audit_drain(struct learner *l)
{
	audit_drain_fd(l, l->audit.rec_fd);
	audit_rules_refresh(l, false);
}

static void
audit_drain_fd(struct learner *l, int fd)
{
	char			 buf[MAX_AUDIT_MESSAGE_LENGTH + NLMSG_HDRLEN]
	    __attribute__((aligned(__alignof__(struct nlmsghdr))));
	const struct nlmsghdr	*nh = (const void *)buf;
	const char		*msg = buf + NLMSG_HDRLEN;
	ssize_t			 len;
	size_t			 mlen;
	int			 n;

	if (fd < 0)
		return;
	for (n = 0; n < AUDIT_DRAIN_MAX; n++) {
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
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
}

static void
drain_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	audit_drain(arg);
}

static int	open_unicast(struct learner *, struct rt_error *);

/*
 * The daemon whose records we copied (auditd) is gone: become the
 * receiver, or the kernel would only print the records to its log.
 */
static void
take_over(struct learner *l, const struct audit_status *st)
{
	struct rt_error	err;
	int		mc = l->audit.rec_fd;

	if (!l->audit.multicast || (st->pid != 0 &&
	    audit_pid_alive((pid_t)st->pid)))
		return;
	l->audit.rec_fd = -1;
	if (open_unicast(l, &err) < 0) {
		log_warnx("audit: the daemon holding audit is gone, and %s; "
		    "still reading the multicast copy", err.msg);
		if (l->audit.rec_fd >= 0)
			close(l->audit.rec_fd);
		l->audit.rec_fd = mc;
		return;
	}
	audit_drain_fd(l, mc);
	close(mc);
	l->audit.multicast = false;
	log_notice("audit: the daemon that held audit is gone; rtguard "
	    "receives the records now");
}

void
audit_update_lost(struct learner *l)
{
	struct audit_status	st;

	if (l->audit.ctl_fd >= 0 && ctl_status(l->audit.ctl_fd, &st) == 0) {
		l->audit.lost_now = st.lost;
		take_over(l, &st);
	}
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
	bool			 starve;

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
	    audit_pid_alive((pid_t)st.pid);
	saved_load(&st);
	a->prev_enabled = st.enabled;
	a->prev_backlog = st.backlog_limit;
	a->prev_wait = st.backlog_wait_time;
	a->have_prev = true;
	a->lost_start = a->lost_now = st.lost;
	saved_write(a);
	if (a->multicast) {
		audit_comm_of((pid_t)st.pid, comm, sizeof(comm));
		log_notice("audit is held by pid %u (%s): reading a copy of the "
		    "records, leaving it and its rules alone", st.pid, comm);
		if ((rc = open_multicast(l, err)) < 0)
			return rc;
	}
	ever_enabled(a, st.enabled == 0);
	if (st.enabled == 0) {
		if (audit_set_enabled(a->ctl_fd, 1) < 0)
			return rt_error_set(err, EIO, "cannot enable audit");
		a->enabled_off = true;
	}
	if (!a->multicast && (rc = open_unicast(l, err)) < 0)
		return rc;
	/*
	 * For tests only: a tiny backlog, a minimal socket buffer and a
	 * drain once a second make the kernel lose records, as a flood would.
	 */
	starve = getenv("RTGUARD_TEST_AUDIT_STARVE") != NULL;
	backlog = st.backlog_limit > AUDIT_BACKLOG ? st.backlog_limit :
	    AUDIT_BACKLOG;
	if (starve) {
		backlog = 4;
		drain.tv_sec = 1;
		drain.tv_usec = 0;
	}
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
	(void)audit_rules_sweep(l, false);
	a->dirty = true;
	audit_rules_refresh(l, true);
	if (a->rule_sc[0] == NULL)
		return rt_error_set(err, EIO, "the audit syscall rule could not "
		    "be added");
	if ((rc = audit_rules_add_files(l, err)) < 0)
		return rc;
	audit_rules_fs_check(l);
	/* Room for the records of one drain interval and then some. */
	rcvbuf = starve ? 1 : AUDIT_RCVBUF;
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
	int		 left;

	if (a->drain_ev != NULL) {
		event_free(a->drain_ev);
		a->drain_ev = NULL;
	}
	if (a->ctl_fd < 0)
		return;
	audit_rules_remove(l);
	/* Whatever the acknowledgements said: what the kernel still lists. */
	if ((left = audit_rules_sweep(l, true)) > 0)
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
	audit_exclusions_free(l);
	if (a->rec_fd >= 0)
		close(a->rec_fd);
	audit_close(a->ctl_fd);
	a->ctl_fd = a->rec_fd = -1;
}
