/*
 * observe-attach.c: the observer's programs on the kernel's tracepoints
 * (see observe.h): each row of the syscall table attached with its index
 * as BPF cookie, by the method observe.c loaded (exit-only: sys_exit_X;
 * enter+exit: both, with the enter program for the call's argument
 * count), the loader's program on sched_process_exec; and all of it
 * detached again, in parallel, because each detach waits for the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "enforcer/observe-abi.h"
#include "enforcer/observe-int.h"
#include "enforcer/observe.skel.h"

/* Where libbpf 1.x reads tracepoint ids: debugfs's copy if it exists. */
#define TRACEFS_DIR	"/sys/kernel/tracing"
#define DEBUGFS_TRACING	"/sys/kernel/debug/tracing"

/*
 * libbpf reads a tracepoint's id from tracefs. A host booted without
 * systemd may not have it mounted: mount it where the kernel documents
 * it (Documentation/trace/ftrace.rst), and say so.
 */
int
observe_tracefs(const char **dir, struct rt_error *err)
{
	if (access(DEBUGFS_TRACING, F_OK) == 0) {
		*dir = DEBUGFS_TRACING;
	} else {
		*dir = TRACEFS_DIR;
		if (access(TRACEFS_DIR "/events", F_OK) != 0) {
			if (access(TRACEFS_DIR, F_OK) != 0)
				return rt_error_set(err, ENOTSUP,
				    "no %s: kernel without tracing support",
				    TRACEFS_DIR);
			if (mount("nodev", TRACEFS_DIR, "tracefs",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
				return rt_error_set(err, ENOTSUP,
				    "tracefs is not mounted and mounting it on "
				    "%s failed (%s)", TRACEFS_DIR,
				    strerror(errno));
			log_notice("mounted tracefs on %s (tracepoint ids are "
			    "read there); it stays mounted", TRACEFS_DIR);
		}
	}
	if (access(TRACEFS_DIR "/events/syscalls", F_OK) != 0 &&
	    access(DEBUGFS_TRACING "/events/syscalls", F_OK) != 0)
		return rt_error_set(err, ENOTSUP, "no syscall tracepoints in "
		    "%s/events (kernel without CONFIG_FTRACE_SYSCALLS?)", *dir);
	return 0;
}

static bool
tracepoint_exists(const char *dir, const char *name)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/syscalls/%s", dir, name);
	return access(path, F_OK) == 0;
}

static struct bpf_program *
enter_program(struct observe_bpf *skel, int nargs)
{
	switch (nargs) {
	case 1: return skel->progs.observe_enter1;
	case 2: return skel->progs.observe_enter2;
	case 3: return skel->progs.observe_enter3;
	case 4: return skel->progs.observe_enter4;
	case 5: return skel->progs.observe_enter5;
	case 6: return skel->progs.observe_enter6;
	}
	return NULL;
}

static struct bpf_link *
attach_one(struct bpf_program *prog, const char *tp, __u64 cookie)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = cookie);

	return bpf_program__attach_tracepoint_opts(prog, "syscalls", tp, &opts);
}

static void
observe_keep_link(struct observe *o, struct bpf_link *l)
{
	o->links = xreallocarray(o->links, o->n_links + 1, sizeof(*o->links));
	o->links[o->n_links++] = l;
}

/*
 * Attach row i of the table (cookie i): the exit-only method to
 * sys_exit_X, the enter+exit method to sys_enter_X and sys_exit_X.
 * 0, -ENOENT when this kernel has no such tracepoint, -errno otherwise.
 */
static int
observe_attach_row(struct observe *o, const char *dir, size_t i)
{
	const struct observe_syscall	*s = &observe_syscalls[i];
	struct bpf_program		*exit_p = o->skel->progs.observe_exit;
	struct bpf_link			*enter = NULL, *exit_l;
	char				 en[96], ex[96];
	int				 nargs, e = 0;

	snprintf(en, sizeof(en), "sys_enter_%s", observe_syscall_tracepoint(s));
	snprintf(ex, sizeof(ex), "sys_exit_%s", observe_syscall_tracepoint(s));
	if (!tracepoint_exists(dir, ex) ||
	    (!o->regs && !tracepoint_exists(dir, en)))
		return -ENOENT;
#ifdef OBSERVE_REGS_X86_64
	if (o->regs)
		exit_p = o->skel->progs.observe_exit_regs;
#endif
	/*
	 * The kernel refuses a program that reads past the tracepoint's
	 * last field (EACCES): if this kernel gives the call fewer
	 * arguments than the table says, use the program for fewer.
	 */
	for (nargs = s->nargs; !o->regs && nargs >= 1; nargs--) {
		enter = attach_one(enter_program(o->skel, nargs), en, i);
		if (enter != NULL || (e = errno) != EACCES)
			break;
	}
	if (!o->regs && enter == NULL)
		return -(e != 0 ? e : EINVAL);
	if (!o->regs && nargs != s->nargs)
		log_info("observe: %s has %d arguments here, %d expected",
		    en, nargs, s->nargs);
	if ((exit_l = attach_one(exit_p, ex, i)) == NULL) {
		e = errno;
		bpf_link__destroy(enter);
		return -(e != 0 ? e : EINVAL);
	}
	if (enter != NULL)
		observe_keep_link(o, enter);
	observe_keep_link(o, exit_l);
	return 0;
}

int
observe_attach(struct observe *o, unsigned int flags, const char *dir,
    struct rt_error *err)
{
	size_t	i;
	int	rc;

	for (i = 0; i < observe_n_syscalls; i++) {
		if (!observe_syscall_wanted(&observe_syscalls[i], flags))
			continue;
		rc = observe_attach_row(o, dir, i);
		if (rc == -ENOENT) {
			log_info("observe: no tracepoint for %s: not observed",
			    observe_syscalls[i].name);
			o->n_skipped++;
			continue;
		}
		if (rc < 0) {
			rc = rt_error_set(err, ENOTSUP, "observe: attaching to "
			    "syscalls:sys_*_%s failed (%s)",
			    observe_syscall_tracepoint(&observe_syscalls[i]),
			    strerror(-rc));
			return rc;
		}
		o->n_attached++;
	}
	/* The loader run directly (observe.bpf.c, observe_exec). */
	{
		struct bpf_link	*l;

		l = bpf_program__attach_tracepoint(o->skel->progs.observe_exec,
		    "sched", "sched_process_exec");
		if (l != NULL) {
			observe_keep_link(o, l);
			o->loaders = true;
		} else
			log_info("observe: sched_process_exec: %s; the loader's "
			    "direct runs are asked about on each exec instead",
			    strerror(errno));
	}
	return 0;
}

#define DETACH_THREADS	32

struct detach_slice {
	struct bpf_link	**links;
	size_t		  n;
};

static void *
detach_slice(void *arg)
{
	struct detach_slice	*d = arg;
	size_t			 i;

	for (i = 0; i < d->n; i++)
		bpf_link__destroy(d->links[i]);
	return NULL;
}

void
observe_detach(struct observe *o)
{
	struct detach_slice	 d[DETACH_THREADS];
	pthread_t		 t[DETACH_THREADS];
	bool			 started[DETACH_THREADS];
	size_t			 n, i, per, off = 0;

	n = o->n_links < DETACH_THREADS ? o->n_links : DETACH_THREADS;
	if (n == 0)
		return;
	per = (o->n_links + n - 1) / n;
	for (i = 0; i < n; i++) {
		d[i].links = o->links + off;
		d[i].n = off + per <= o->n_links ? per : o->n_links - off;
		off += d[i].n;
		started[i] = pthread_create(&t[i], NULL, detach_slice,
		    &d[i]) == 0;
		if (!started[i])
			detach_slice(&d[i]);	/* no thread: here, slowly */
	}
	for (i = 0; i < n; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	o->n_links = 0;
}

