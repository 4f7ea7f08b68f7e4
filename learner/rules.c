/*
 * rules.c: the learner's own audit rules, built by hand.
 *
 * Each rule is built field by field in struct audit_rule_data
 * (linux/audit.h) and keyed "rtguard-learn-PID"; libaudit only sends it,
 * so none of auditctl's parser state is touched. The syscall rule covers,
 * per arch, the syscalls some learned image has not used yet (it shrinks
 * as they are learned), plus execve (the names executables are run as;
 * the execs of containers not attached yet), and leaves out rtguard, the
 * busiest host processes (pid!=) and the children of host parents that
 * keep starting busy ones (ppid!=), up to the rule's field limit, so host
 * traffic does not flood the kernel's backlog. The file rule (deletes and
 * renames, which fanotify cannot see) excludes only rtguard. While rtguard
 * is the only audit consumer, a filesystem rule spares audited tasks the
 * inode details of overlay files (audit_rules_fs_check).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libaudit.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "learner/internal.h"

#define REBUILD_MIN_MS		100	/* between two rule rebuilds */

static const char *const file_syscalls[] = {
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "rmdir",
	"truncate", NULL
};

static void	exclusions_compact(struct learner *);

/* --- rules, built by hand ---------------------------------------------------- */

static void
rule_field(struct audit_rule_data *r, uint32_t field, uint32_t op,
    uint32_t value)
{
	r->fields[r->field_count] = field;
	r->fieldflags[r->field_count] = op;
	r->values[r->field_count++] = value;
}

/* An empty rule of ours on a filter list, with room for our key. */
static struct audit_rule_data *
rule_new(const struct learner *l, uint32_t list, uint32_t action,
    char *key, size_t keysz, size_t *klen)
{
	struct audit_rule_data	*r;

	*klen = (size_t)snprintf(key, keysz, LEARN_KEY_PREFIX "%d",
	    (int)l->self);
	r = xcalloc(1, sizeof(*r) + *klen);
	/* As audit_add_rule_data sets them: rules compare whole. */
	r->flags = list;
	r->action = action;
	return r;
}

/* Our key, the last field (a string: its value is its length). */
static void
rule_key(struct audit_rule_data *r, const char *key, size_t klen)
{
	rule_field(r, AUDIT_FILTERKEY, AUDIT_EQUAL, (uint32_t)klen);
	memcpy(r->buf, key, klen);
	r->buflen = (uint32_t)klen;
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

	r = rule_new(l, AUDIT_FILTER_EXIT, AUDIT_ALWAYS, key, sizeof(key),
	    &klen);
	for (nr = 0; nr < SYSCALL_NR_MAX; nr++)
		if ((mask[nr / 8] >> (nr % 8)) & 1)
			r->mask[nr / 32] |= 1U << (nr % 32);
	rule_field(r, AUDIT_ARCH, AUDIT_EQUAL, arch);
	rule_field(r, AUDIT_PID, AUDIT_NOT_EQUAL, (uint32_t)l->self);
	for (i = 0; i < l->audit.n_excluded; i++)
		rule_field(r, l->audit.excluded[i].parent ? AUDIT_PPID :
		    AUDIT_PID, AUDIT_NOT_EQUAL,
		    (uint32_t)l->audit.excluded[i].pid);
	rule_key(r, key, klen);
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

	rc = audit_add_rule_data(l->audit.ctl_fd, r, r->flags, r->action);
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
	rc = audit_delete_rule_data(l->audit.ctl_fd, *r, (*r)->flags,
	    (*r)->action);
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

int
audit_rules_add_files(struct learner *l, struct rt_error *err)
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

/* --- overlay inodes ------------------------------------------------------------ */

/*
 * Every path lookup of an audited task copies the inode's details into
 * its audit context, reading the file capability xattr too
 * (kernel/auditsc.c: __audit_inode, audit_copy_inode,
 * get_vfs_caps_from_disk), whether or not a rule will ever record the
 * syscall: on an overlay that read goes down to a layer. Under nginx +
 * wrk it was 4% of all CPU while learning, the largest part of what audit
 * costs an application that makes no record. A "never" rule on the
 * filesystem list makes __audit_inode and __audit_inode_child return at
 * once for overlay inodes: their PATH records keep the name as the
 * process gave it (getname), which is all rtguard reads, but lose inode,
 * device, mode, owner and capabilities, and audit watches on overlay files
 * stop matching. The rule is global, so it is there only while rtguard is
 * the only audit consumer: it holds the audit pid (no auditd), the kernel
 * has no rule but rtguard's, and no socket reads the multicast copy
 * (journald). Checked again every tick; anyone else appearing removes it.
 */
static struct audit_rule_data *
rule_build_fs(const struct learner *l)
{
	struct audit_rule_data	*r;
	char			 key[64];
	size_t			 klen;

	r = rule_new(l, AUDIT_FILTER_FS, AUDIT_NEVER, key, sizeof(key), &klen);
	rule_field(r, AUDIT_FSTYPE, AUDIT_EQUAL, OVERLAYFS_SUPER_MAGIC);
	rule_key(r, key, klen);
	return r;
}

/* Whether a netlink audit socket has joined a multicast group. */
static bool
multicast_readers(void)
{
	char		 line[256];
	unsigned	 eth, pid, groups;
	bool		 found = false;
	FILE		*f;

	/* "sk Eth Pid Groups ...", NETLINK_AUDIT is Eth 9 (net/netlink). */
	if ((f = fopen("/proc/net/netlink", "re")) == NULL)
		return true;	/* cannot tell: assume someone reads */
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %u %u %x", &eth, &pid, &groups) == 3 &&
		    eth == NETLINK_AUDIT && groups != 0)
			found = true;
	fclose(f);
	return found;
}

void
audit_rules_fs_check(struct learner *l)
{
	struct laudit	*a = &l->audit;
	const char	*why = NULL;
	int		 rc;

	if (a->ctl_fd < 0 || a->fs_refused)
		return;
	/* Lists the kernel's rules: foreign_rules is fresh. */
	(void)audit_rules_sweep(l, false);
	if (a->multicast)
		why = "another daemon holds audit";
	else if (a->foreign_rules > 0)
		why = "audit rules other than rtguard's are loaded";
	else if (multicast_readers())
		why = "another process reads the audit records";
	if (why != NULL) {
		if (a->rule_fs != NULL) {
			rule_remove(l, &a->rule_fs);
			log_info("audit: %s: overlay inode details recorded "
			    "again", why);
		}
		return;
	}
	if (a->rule_fs != NULL)
		return;
	a->rule_fs = rule_build_fs(l);
	if ((rc = rule_add(l, a->rule_fs)) < 0) {
		/* A kernel without the filesystem list (before 4.17). */
		log_debug("audit: adding the overlay rule: %s", strerror(-rc));
		free(a->rule_fs);
		a->rule_fs = NULL;
		a->fs_refused = true;
		return;
	}
	log_info("audit: rtguard is the only audit consumer: overlay inode "
	    "details left out of audit records while learning");
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

	audit_comm_of(pid, comm, sizeof(comm));
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
 * mine set, this process's own. Returns how many of ours remain listed;
 * counts the rules not rtguard's in foreign_rules.
 */
int
audit_rules_sweep(struct learner *l, bool mine)
{
	struct audit_reply	 rep;
	struct audit_rule_data	*stale[64];
	size_t			 n = 0, i, sz;
	const char		*k;
	int			 pid, loops, left = 0, foreign = 0;

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
		if (k == NULL)
			foreign++;
		if (k == NULL || n == 64)
			continue;
		pid = atoi(k + strlen(LEARN_KEY_PREFIX));
		if (pid <= 0 || (pid == (int)l->self && !mine) ||
		    (pid != (int)l->self && audit_pid_alive(pid)))
			continue;
		sz = sizeof(*rep.ruledata) + rep.ruledata->buflen;
		stale[n] = xmalloc(sz);
		memcpy(stale[n++], rep.ruledata, sz);
	}
	if (loops < 10000)
		l->audit.foreign_rules = foreign;
	for (i = 0; i < n; i++) {
		errno = 0;
		/* The list as listed (flags carry it) and the rule's action. */
		if (audit_delete_rule_data(l->audit.ctl_fd, stale[i],
		    stale[i]->flags, stale[i]->action) < 0 && errno != ENOENT)
			left++;
		else if (!mine)
			log_notice("removed an audit rule left by a learner "
			    "that died");
		free(stale[i]);
	}
	return left;
}

void
audit_rules_remove(struct learner *l)
{
	size_t	i;

	for (i = 0; i < LEARN_ARCHES; i++)
		rule_remove(l, &l->audit.rule_sc[i]);
	rule_remove(l, &l->audit.rule_files);
	rule_remove(l, &l->audit.rule_fs);
}

void
audit_exclusions_free(struct learner *l)
{
	size_t	i;

	for (i = 0; i < l->audit.n_excluded; i++) {
		event_free(l->audit.excluded[i].ev);
		close(l->audit.excluded[i].pidfd);
	}
	l->audit.n_excluded = 0;
}
