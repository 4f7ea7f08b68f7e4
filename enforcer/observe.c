/*
 * observe.c: the user-space half of the observer (see observe.h): loads
 * the embedded BPF object with the programs of one method (exit-only
 * where it loads, else enter+exit), writes the syscall table into its
 * rules map, has observe-attach.c attach the programs, keeps the cgroup
 * and loader maps, and reads the ring buffer on the libevent loop.
 *
 * Everything is held by descriptors (programs, maps, perf events, links):
 * observe_free, or rtguard's exit however it happens, detaches it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "enforcer/observe-abi.h"
#include "enforcer/observe.h"
#include "enforcer/observe-int.h"
#include "enforcer/observe.skel.h"

/* Records handed to the callback per wakeup, so a storm cannot hold the loop. */
#define OBSERVE_BUDGET	256
/* While records keep coming, read them this often instead of per wakeup. */
#define OBSERVE_DRAIN_US	10000

static int
observe_libbpf_print(enum libbpf_print_level level, const char *fmt,
    va_list ap)
{
	char	line[512];
	size_t	len;

	/* libbpf's own warnings are expected (a missing tracepoint): debug. */
	if (log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

/* Open and load the object with only the programs of one method. */
static int
observe_load(struct observe *o, bool regs, struct rt_error *err)
{
	struct bpf_program	*p;
	int			 rc;

	o->regs = regs;
	if ((o->skel = observe_bpf__open()) == NULL)
		return rt_error_sys(err, errno,
		    "observe: opening the BPF object");
	bpf_object__for_each_program(p, o->skel->obj)
		bpf_program__set_autoload(p, !regs);
	bpf_program__set_autoload(o->skel->progs.observe_exec, true);
#ifdef OBSERVE_REGS_X86_64
	bpf_program__set_autoload(o->skel->progs.observe_exit_regs, regs);
#endif
	/* Nothing is stashed by the exit-only method: a token stash map. */
	if (regs)
		bpf_map__set_max_entries(o->skel->maps.inflight, 1);
	if ((rc = observe_bpf__load(o->skel)) != 0)
		return rt_error_set(err, ENOTSUP, "observe: the kernel refused "
		    "the BPF tracepoint programs (%s; -vv shows libbpf's log)",
		    strerror(-rc));
	return 0;
}

static void
fd_path(pid_t tid, uint64_t fdarg, char *buf, size_t size)
{
	char	proc[64];
	ssize_t	n;
	int	fd = (int)fdarg;

	if (fd < 0)
		return;
	snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", (int)tid, fd);
	if ((n = readlink(proc, buf, size - 1)) < 0)
		n = 0;
	buf[n] = '\0';
}

static int
observe_record(void *ctx, void *data, size_t size)
{
	struct observe			*o = ctx;
	const struct observe_record	*k = data;
	const struct observe_syscall	*s;
	struct refusal			 r;
	int				 i;

	if (size < sizeof(*k))
		return 0;
	if (k->rule != OBSERVE_RULE_LOADER && k->rule >= observe_n_syscalls)
		return 0;
	/* Who, from the record's header: the same for every kind. */
	memset(&r, 0, sizeof(r));
	r.cgroup_id = k->cgroup_id;
	r.pid = (pid_t)(k->pid_tgid >> 32);
	r.tid = (pid_t)(k->pid_tgid & 0xffffffff);
	r.uid = (uid_t)(k->uid_gid & 0xffffffff);
	memcpy(r.comm, k->comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';
	memcpy(r.path, k->path, sizeof(r.path));
	r.path[sizeof(r.path) - 1] = '\0';
	if (k->rule == OBSERVE_RULE_LOADER) {
		/* observe_exec: killed before its first instruction. */
		r.kind = OBSERVE_REFUSAL;
		r.syscall = "execve";
		r.route = "loader";
		r.ret = -EPERM;
		o->cb(&r, o->arg);
		return ++o->budget >= OBSERVE_BUDGET ? -EAGAIN : 0;
	}
	s = &observe_syscalls[k->rule];
	switch (k->kind) {
	case OBSERVE_KIND_CHANGE:
		r.kind = OBSERVE_CHANGE;
		break;
	case OBSERVE_KIND_KILLED:
		r.kind = OBSERVE_KILLED;
		break;
	default:
		r.kind = OBSERVE_REFUSAL;
	}
	r.syscall_nr = k->nr;
	r.syscall = s->name;
	r.route = s->route;
	r.ret = (long)k->ret;
	memcpy(r.path2, k->path2, sizeof(r.path2));
	r.path2[sizeof(r.path2) - 1] = '\0';
	memcpy(r.args, k->args, sizeof(r.args));
	/* Registers past the call's arguments hold whatever they held. */
	for (i = s->nargs; i < OBSERVE_NARGS; i++)
		r.args[i] = 0;
	if (r.path[0] == '\0' && s->fd_arg != OBSERVE_NONE) {
		/* The caller got its error a moment ago: usually still there. */
		fd_path(r.tid, r.args[s->fd_arg], r.path, sizeof(r.path));
		r.path_from_fd = r.path[0] != '\0';
	}
	o->cb(&r, o->arg);
	if (++o->budget >= OBSERVE_BUDGET)
		return -EAGAIN;		/* the rest on the next loop turn */
	return 0;
}

static int
observe_consume(struct observe *o)
{
	int	rc;

	o->budget = 0;
	rc = ring_buffer__consume(o->rb);
	if (rc < 0 && rc != -EAGAIN && rc != -EINTR)
		log_warnx("observe: reading the ring buffer: %s",
		    strerror(-rc));
	return rc;
}

/*
 * After a read: the kernel wakes the reader for each record it submits
 * once the reader has caught up (kernel/bpf/ringbuf.c), so in a storm of
 * refusals waiting on the descriptor costs a context switch per record
 * (about 19000/s, half the enforcer's CPU, on the 2-CPU VM). While
 * records keep coming, read them every OBSERVE_DRAIN_US instead (the
 * 4 MiB buffer holds far more than that), and wait on the descriptor
 * again once a read finds nothing: it is level-triggered, so a record
 * that came meanwhile makes it readable at once.
 */
static void
observe_next(struct observe *o, int rc)
{
	struct timeval	tv = { 0, 0 };

	if (rc == -EAGAIN || rc > 0) {
		/* The budget was hit: the rest right after other events. */
		if (rc > 0)
			tv.tv_usec = OBSERVE_DRAIN_US;
		if (event_pending(o->ev, EV_READ, NULL))
			event_del(o->ev);
		evtimer_add(o->drain, &tv);
	} else if (!event_pending(o->ev, EV_READ, NULL))
		event_add(o->ev, NULL);
}

static void
observe_readable(int fd, short what, void *arg)
{
	struct observe	*o = arg;

	(void)fd; (void)what;
	observe_next(o, observe_consume(o));
}

static void
observe_drained(int fd, short what, void *arg)
{
	struct observe	*o = arg;

	(void)fd; (void)what;
	observe_next(o, observe_consume(o));
}

int
observe_open(struct event_base *base, unsigned int flags, observe_cb cb,
    void *arg, struct observe **out, struct rt_error *err)
{
	struct observe		*o;
	struct observe_rule	 rule;
	const char		*dir;
	size_t			 i;
	__u32			 key;
	bool			 regs;
	int			 rc;

	*out = NULL;
	if (observe_n_syscalls > OBSERVE_MAX_RULES)
		return rt_error_set(err, EINVAL, "observe: %zu syscalls, "
		    "room for %d", observe_n_syscalls, OBSERVE_MAX_RULES);
	if ((rc = observe_tracefs(&dir, err)) < 0)
		return rc;
	libbpf_set_print(observe_libbpf_print);

	o = xcalloc(1, sizeof(*o));
	o->cb = cb;
	o->arg = arg;
	regs = false;
#ifdef OBSERVE_REGS_X86_64
	/* bpf_get_current_task_btf() needs the kernel's BTF. */
	regs = (flags & OBSERVE_STASH) == 0 &&
	    access("/sys/kernel/btf/vmlinux", R_OK) == 0;
#endif
	if ((rc = observe_load(o, regs, err)) < 0 && regs) {
		log_info("observe: exit-only method unavailable (%s); using "
		    "enter+exit", err->msg);
		observe_bpf__destroy(o->skel);
		o->skel = NULL;
		rc = observe_load(o, false, err);
	}
	if (rc < 0)
		goto fail;
	for (i = 0; i < observe_n_syscalls; i++) {
		observe_syscall_rule(&observe_syscalls[i], &rule);
		key = (__u32)i;
		rc = bpf_map__update_elem(o->skel->maps.rules, &key,
		    sizeof(key), &rule, sizeof(rule), BPF_ANY);
		if (rc != 0) {
			rc = rt_error_sys(err, -rc, "observe: rules map");
			goto fail;
		}
	}
	if ((rc = observe_attach(o, flags, dir, err)) < 0)
		goto fail;
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.records),
	    observe_record, o, NULL);
	if (o->rb == NULL) {
		rc = rt_error_sys(err, errno, "observe: ring buffer");
		goto fail;
	}
	o->ev = event_new(base, ring_buffer__epoll_fd(o->rb),
	    EV_READ | EV_PERSIST, observe_readable, o);
	o->drain = evtimer_new(base, observe_drained, o);
	if (o->ev == NULL || o->drain == NULL || event_add(o->ev, NULL) != 0) {
		rc = rt_error_set(err, ENOMEM, "observe: event_new failed");
		goto fail;
	}
	log_info("observe: %zu syscalls attached, %s (%zu without "
	    "tracepoint)", o->n_attached, observe_method(o), o->n_skipped);
	*out = o;
	return 0;
fail:
	observe_free(o);
	return rc;
}

/* The inode number of /proc/PID/ns/NAME, 0 when unknown. */
static __u32
ns_inum(pid_t pid, const char *name)
{
	char		path[64];
	struct stat	st;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(path, &st) != 0)
		return 0;
	return (__u32)st.st_ino;
}

int
observe_add_cgroup(struct observe *o, uint64_t cgroup_id, bool protect,
    pid_t ns_pid, struct rt_error *err)
{
	struct observe_cgroup	v, old;
	__u64			key = cgroup_id;
	bool			known;
	int			rc;

	memset(&v, 0, sizeof(v));
	v.flags = protect ? OBSERVE_CGROUP_KILL : 0;
	v.user_ns = ns_inum(ns_pid, "user");
	v.mnt_ns = ns_inum(ns_pid, "mnt");
	known = bpf_map__lookup_elem(o->skel->maps.cgroups, &key, sizeof(key),
	    &old, sizeof(old), 0) == 0;
	/* Known namespaces are kept when a later call does not know them. */
	if (known && v.user_ns == 0 && v.mnt_ns == 0) {
		v.user_ns = old.user_ns;
		v.mnt_ns = old.mnt_ns;
	}
	rc = bpf_map__update_elem(o->skel->maps.cgroups, &key, sizeof(key),
	    &v, sizeof(v), known ? BPF_EXIST : BPF_NOEXIST);
	if (rc != 0)
		return rt_error_sys(err, -rc, "observe: watching cgroup %llu%s",
		    (unsigned long long)cgroup_id, rc == -E2BIG ?
		    " (too many containers)" : "");
	if (protect && (v.user_ns == 0 || v.mnt_ns == 0))
		log_info("observe: cgroup %llu: its namespaces are not known: "
		    "a clone's child is compared with its parent's alone",
		    (unsigned long long)cgroup_id);
	if (known)
		return 0;
	/* The programs read it through the mmapped .bss; only we write. */
	__atomic_store_n(&o->skel->bss->watched, o->skel->bss->watched + 1,
	    __ATOMIC_RELAXED);
	return 0;
}

void
observe_remove_cgroup(struct observe *o, uint64_t cgroup_id)
{
	__u64	key = cgroup_id;

	if (bpf_map__delete_elem(o->skel->maps.cgroups, &key, sizeof(key),
	    0) == 0 && o->skel->bss->watched > 0)
		__atomic_store_n(&o->skel->bss->watched,
		    o->skel->bss->watched - 1, __ATOMIC_RELAXED);
}

int
observe_add_loader(struct observe *o, uint64_t cgroup_id, uint64_t ino,
    struct rt_error *err)
{
	struct observe_loader	key = { cgroup_id, ino };
	__u8			one = 1;
	int			rc;

	if (!o->loaders)
		return rt_error_set(err, ENOTSUP, "observe: the exec tracepoint "
		    "is not attached");
	rc = bpf_map__update_elem(o->skel->maps.loaders, &key, sizeof(key),
	    &one, sizeof(one), BPF_ANY);
	if (rc != 0)
		return rt_error_sys(err, -rc, "observe: loaders map");
	return 0;
}

void
observe_remove_loader(struct observe *o, uint64_t cgroup_id, uint64_t ino)
{
	struct observe_loader	key = { cgroup_id, ino };

	(void)bpf_map__delete_elem(o->skel->maps.loaders, &key, sizeof(key),
	    0);
}

uint64_t
observe_lost(const struct observe *o)
{
	return __atomic_load_n(&o->skel->bss->lost, __ATOMIC_RELAXED);
}

const char *
observe_method(const struct observe *o)
{
	return o->regs ? "exit-only" : "enter+exit";
}

size_t
observe_attached(const struct observe *o, size_t *skipped)
{
	if (skipped != NULL)
		*skipped = o->n_skipped;
	return o->n_attached;
}

/*
 * Closing a tracepoint's last perf event waits for an RCU-tasks-trace
 * grace period (perf_trace_event_unreg -> tracepoint_synchronize_unregister:
 * syscall tracepoints may fault since Linux 6.13), 40 to 75 ms here: one
 * after another, 118 of them held rtguard's exit for 8.5 s. Closed from
 * several threads at once, part of the waiting overlaps (the kernel
 * still serialises them on event_mutex): 4.5 to 5 s. The threads live
 * only inside observe_free and have this one job.
 */
void
observe_free(struct observe *o)
{
	if (o == NULL)
		return;
	/* No-ops from now on, however long the detaching takes. */
	if (o->skel != NULL && o->skel->bss != NULL)
		__atomic_store_n(&o->skel->bss->watched, 0, __ATOMIC_RELAXED);
	if (o->ev != NULL)
		event_free(o->ev);
	if (o->drain != NULL)
		event_free(o->drain);
	ring_buffer__free(o->rb);
	observe_detach(o);
	free(o->links);
	observe_bpf__destroy(o->skel);
	free(o);
}
