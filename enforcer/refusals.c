/*
 * refusals.c: what the kernel refused by itself in a protected container
 * (the BPF observer, observe.h), turned into records like fanotify's.
 *
 * Protect mode's mounts make the kernel refuse an exec from a writable
 * place (EACCES), a PROT_EXEC map of a file there (EPERM), a memfd exec
 * (EACCES) and every write into a protected directory (EROFS) before any
 * fanotify event: each such refusal the observer reports becomes one
 * record and alert line with its route, aggregated like the others. The
 * calls that can undo protection (a mount, a setns) are reported as a
 * loud status line and mark the container partly protected. A new user or
 * mount namespace would escape the mounts altogether: the kernel side
 * kills its maker in protect mode, and that is a denied record, route
 * "namespace". execve's EPERM is fanotify's own refusal, recorded already.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "enforcer/internal.h"

static struct enf_container *
by_cgroup(struct enforcer *enf, uint64_t id)
{
	size_t	i;

	for (i = 0; i < enf->n_cs; i++)
		if (enf->cs[i]->cgroup_id == id && enf->cs[i]->cgroup_id != 0)
			return enf->cs[i];
	return NULL;
}

static const char *
why(const struct refusal *r)
{
	if (strcmp(r->route, "loader") == 0)
		return "the dynamic loader run directly (it would map a file "
		    "without an exec check): killed before its first "
		    "instruction";
	if (strcmp(r->route, "exec") == 0)
		return r->ret == -EACCES && strncmp(r->path, "/proc/", 6) == 0 ?
		    "refused by the kernel: exec of a memfd or a descriptor "
		    "(vm.memfd_noexec, noexec mount)" : "refused by the kernel: "
		    "exec from a place the container can write (noexec mount)";
	if (strcmp(r->route, "map-exec") == 0)
		return "refused by the kernel: an executable map of a file "
		    "where the container can write (noexec mount: LD_PRELOAD, "
		    "dlopen, the loader run on it)";
	if (strcmp(r->route, "memfd-exec") == 0)
		return "refused by the kernel: an executable memfd "
		    "(vm.memfd_noexec)";
	if (r->ret == -EBUSY)
		return "refused by the kernel: rename or unlink of a file "
		    "rtguard bound in place (a learned write, a writable path)";
	return "refused by the kernel: write to a protected directory "
	    "(read-only mount)";
}

static void
refused(struct enforcer *enf, struct enf_container *ec,
    const struct refusal *r)
{
	struct proc_identity	 who;
	enum event_kind		 kind;
	const char		*reason = why(r), *path;

	/* fanotify's own refusals reach execve as EPERM: counted already. */
	if (strcmp(r->route, "exec") == 0 && r->ret == -EPERM)
		return;
	if (strcmp(r->route, "loader") == 0)
		ec->started = true;
	kind = strcmp(r->route, "write") == 0 ? EVENT_WRITE : EVENT_EXEC;
	path = r->path[0] != '\0' ? r->path : "(a descriptor)";
	/* symlink(target, name), link(old, new): the name is what is made. */
	if ((strncmp(r->syscall, "symlink", 7) == 0 ||
	    strncmp(r->syscall, "link", 4) == 0) && r->path2[0] != '\0')
		path = r->path2;
	if (alerts_repeat(enf, ec, kind, path, true, reason))
		return;
	/* Best effort: the process may be gone; the BPF side saw it. */
	procinfo_identity(r->tid, &who);
	who.pid = r->pid;
	if (who.comm[0] == '\0')
		snprintf(who.comm, sizeof(who.comm), "%s", r->comm);
	alerts_record(enf, ec, &who, kind, path, true, r->route, reason);
}

/* "unshare(CLONE_NEWUSER|CLONE_NEWNS)"; clone3's flags are not in args. */
static void
ns_call(const struct refusal *r, char *buf, size_t size)
{
	uint64_t	f = r->args[0];

	if (strcmp(r->syscall, "clone3") == 0) {
		snprintf(buf, size, "clone3(CLONE_NEWUSER or CLONE_NEWNS)");
		return;
	}
	snprintf(buf, size, "%s(%s%s%s)", r->syscall,
	    f & CLONE_NEWUSER ? "CLONE_NEWUSER" : "",
	    (f & CLONE_NEWUSER) && (f & CLONE_NEWNS) ? "|" : "",
	    f & CLONE_NEWNS ? "CLONE_NEWNS" : "");
}

static void
killed(struct enforcer *enf, struct enf_container *ec,
    const struct refusal *r)
{
	static const char	 reason[] = "a new user or mount namespace "
	    "would escape rtguard's mounts (a tmpfs there runs anything): "
	    "killed before its first instruction in it";
	struct proc_identity	 who;
	char			 call[64];

	ns_call(r, call, sizeof(call));
	log_info("container %.12s: pid %d (%s) killed: %s", ec->c->id,
	    (int)r->pid, r->comm, call);
	if (alerts_repeat(enf, ec, EVENT_EXEC, call, true, reason))
		return;
	/* Killed already, most likely: the BPF side's comm stands in. */
	procinfo_identity(r->tid, &who);
	who.pid = r->pid;
	if (who.comm[0] == '\0')
		snprintf(who.comm, sizeof(who.comm), "%s", r->comm);
	alerts_record(enf, ec, &who, EVENT_EXEC, call, true, r->route, reason);
}

static void
changed(struct enforcer *enf, struct enf_container *ec,
    const struct refusal *r)
{
	char	line[1024];

	/*
	 * runc's own setup (pivot_root, mounts) happens between the hook
	 * and the entrypoint; and a setns is joining, not making, a
	 * namespace (podman exec does it): neither undoes anything.
	 */
	if (!ec->started || strcmp(r->syscall, "setns") == 0)
		return;
	snprintf(line, sizeof(line), "protection may be undone: pid %d (%s) "
	    "made a %s call (%s) that worked; what it mounts in a namespace "
	    "of its own is not covered by rtguard's mounts",
	    (int)r->pid, r->comm, r->route, r->syscall);
	log_warnx("container %.12s: %s", ec->c->id, line);
	alerts_status(enf, "undo", ec->c->id, ec->c->image_ref, line);
	if (ec->state == ENF_PROTECTED) {
		ec->state = ENF_PARTIAL;
		snprintf(ec->protection, sizeof(ec->protection), "partly "
		    "protected: %s", line);
		enf_protection_record(ec);
	}
}

void
enf_observed(const struct refusal *r, void *arg)
{
	struct enforcer		*enf = arg;
	struct enf_container	*ec;

	if ((ec = by_cgroup(enf, r->cgroup_id)) == NULL)
		return;		/* gone meanwhile */
	switch (r->kind) {
	case OBSERVE_REFUSAL:
		refused(enf, ec, r);
		break;
	case OBSERVE_KILLED:
		killed(enf, ec, r);
		break;
	case OBSERVE_CHANGE:
		changed(enf, ec, r);
		break;
	}
}

void
enf_observe_container(struct enf_container *ec, bool started)
{
	struct rt_error	err;

	ec->started = started;
	if (ec->enf->observe == NULL)
		return;
	if (cgroup_v2_id_of_pid(ec->c->init_pid, &ec->cgroup_id, &err) < 0 ||
	    observe_add_cgroup(ec->enf->observe, ec->cgroup_id,
	    ec->mode == POLICY_MODE_PROTECT, ec->c->init_pid, &err) < 0) {
		ec->cgroup_id = 0;
		log_warnx("container %.12s: the kernel's refusals will not be "
		    "recorded: %s", ec->c->id, err.msg);
	}
}

void
enf_unobserve_container(struct enf_container *ec)
{
	enf_forget_loaders(ec);
	if (ec->enf->observe != NULL && ec->cgroup_id != 0)
		observe_remove_cgroup(ec->enf->observe, ec->cgroup_id);
	ec->cgroup_id = 0;
}

bool
enf_observe_loader(struct enf_container *ec, ino_t ino)
{
	struct rt_error	err;

	if (ec->enf->observe == NULL || ec->cgroup_id == 0)
		return false;
	if (observe_add_loader(ec->enf->observe, ec->cgroup_id, ino,
	    &err) < 0) {
		log_debug("container %.12s: %s", ec->c->id, err.msg);
		return false;
	}
	return true;
}

void
enf_forget_loaders(struct enf_container *ec)
{
	size_t	i;

	for (i = 0; i < ec->n_loaders; i++)
		if (ec->loaders[i].kernel && ec->enf->observe != NULL)
			observe_remove_loader(ec->enf->observe, ec->cgroup_id,
			    ec->loaders[i].ino);
	ec->n_loaders = 0;
}
