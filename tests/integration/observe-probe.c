/*
 * observe-probe.c: the BPF observer (enforcer/observe.h) on its own, for
 * tests/integration/observe.sh and for measuring its cost.
 *
 *   observe-probe [-kos] [-v] [-t seconds] [-c cgroup-id] [-p pid] [pid ...]
 *   observe-probe -b rounds [-kos] [-c cgroup-id] [-p pid] command ...
 *
 * Watches the cgroup of each pid (a container's init, say) and each -c
 * id, prints "ready METHOD" once attached, then one line per record
 * until SIGINT, SIGTERM or the -t timeout, then "lost N". -o observes
 * openat as well; -s forces the enter+exit method; -k watches in protect
 * mode (a new user or mount namespace kills its maker), and SIGUSR1
 * switches every cgroup to it later (then prints "protect"). Exit 77
 * when the observer is unavailable (message on stderr).
 *
 * With -b, runs command 2 x rounds times, alternately without the
 * observer and with it attached and the cgroups watched (which goes
 * first alternates too, so drift cancels), and prints each run's first
 * line of output as "none LINE" or "observe LINE": an A/B measurement
 * with as little between the two halves as possible.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "container/container.h"
#include "enforcer/observe.h"

static void
usage(void)
{
	fprintf(stderr, "usage: observe-probe [-kos] [-v] [-t seconds] "
	    "[-c cgroup-id] [-p pid] [pid ...]\n"
	    "       observe-probe -b rounds [-kos] [-c cgroup-id] [-p pid] "
	    "command ...\n");
	exit(2);
}

static const char *
errname(long ret)
{
	const char	*s;

	if (ret >= 0)
		return "ok";
	s = strerrorname_np((int)-ret);
	return s != NULL ? s : "E?";
}

static const char *
kindname(enum observe_kind k)
{
	switch (k) {
	case OBSERVE_CHANGE:
		return "change";
	case OBSERVE_KILLED:
		return "killed";
	case OBSERVE_REFUSAL:
		break;
	}
	return "refusal";
}

static void
on_record(const struct refusal *r, void *arg)
{
	char	*p = rt_escape_str(r->path), *p2 = rt_escape_str(r->path2);
	char	*comm = rt_escape_str(r->comm);

	printf("%s %s %s ret=%ld cgroup=%llu pid=%d tid=%d uid=%u comm=%s "
	    "route=%s nr=%d%s path=%s path2=%s\n", kindname(r->kind), r->syscall,
	    errname(r->ret), r->ret, (unsigned long long)r->cgroup_id,
	    (int)r->pid, (int)r->tid, (unsigned)r->uid, comm, r->route,
	    r->syscall_nr, r->path_from_fd ? " from_fd=1" : "", p, p2);
	fflush(stdout);
	free(p);
	free(p2);
	free(comm);
}

static void
on_signal(int sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

struct probe_opts {
	unsigned int	 flags;
	uint64_t	*ids;		/* cgroups to watch */
	pid_t		*pids;		/* ... a process in each, or 0 (-c) */
	size_t		 n_ids;
	int		 rounds;	/* -b */
	bool		 protect;	/* -k, or after SIGUSR1 */
};

static void
watch_all(struct observe *o, const struct probe_opts *po)
{
	struct rt_error	err;
	size_t		i;

	for (i = 0; i < po->n_ids; i++)
		if (observe_add_cgroup(o, po->ids[i], po->protect, po->pids[i],
		    &err) < 0)
			fatalx("%s", err.msg);
}

struct protect_arg {
	struct observe		*o;
	struct probe_opts	*po;
};

/* SIGUSR1: the same cgroups, now in protect mode. */
static void
on_protect(int sig, short what, void *arg)
{
	struct protect_arg	*pa = arg;

	pa->po->protect = true;
	watch_all(pa->o, pa->po);
	printf("protect\n");
}

static void
add_id(struct probe_opts *po, uint64_t id, pid_t pid)
{
	po->ids = xreallocarray(po->ids, po->n_ids + 1, sizeof(*po->ids));
	po->pids = xreallocarray(po->pids, po->n_ids + 1, sizeof(*po->pids));
	po->pids[po->n_ids] = pid;
	po->ids[po->n_ids++] = id;
}

static void
add_pid(struct probe_opts *po, const char *arg)
{
	struct rt_error	err;
	uint64_t	id;

	if (cgroup_v2_id_of_pid(atoi(arg), &id, &err) < 0)
		fatalx("%s", err.msg);
	fprintf(stderr, "observe-probe: pid %s: cgroup %llu\n", arg,
	    (unsigned long long)id);
	add_id(po, id, atoi(arg));
}

/* 77 (skip) when the observer is unavailable. */
static struct observe *
probe_open(struct event_base *base, const struct probe_opts *po)
{
	struct observe	*o;
	struct rt_error	 err;
	int		 rc;

	rc = observe_open(base, po->flags, on_record, NULL, &o, &err);
	if (rc == -ENOTSUP) {
		fprintf(stderr, "observe-probe: %s\n", err.msg);
		exit(77);
	}
	if (rc < 0)
		fatalx("%s", err.msg);
	watch_all(o, po);
	return o;
}

/* Run argv, print its first line of output after tag. */
static void
run_tagged(const char *tag, char **argv)
{
	char	line[512];
	FILE	*f;
	int	 p[2], st;
	pid_t	 pid;

	if (pipe(p) != 0 || (pid = fork()) < 0)
		fatal("pipe or fork");
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if ((f = fdopen(p[0], "r")) == NULL)
		fatal("fdopen");
	line[0] = '\0';
	if (fgets(line, sizeof(line), f) != NULL)
		line[strcspn(line, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	fclose(f);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		fprintf(stderr, "observe-probe: %s: failed\n", argv[0]);
	else
		printf("%s %s\n", tag, line);
}

static int
bench(struct event_base *base, const struct probe_opts *po, char **argv)
{
	struct observe	*o;
	int		 r, half;

	for (r = 0; r < po->rounds; r++) {
		for (half = 0; half < 2; half++) {
			if ((r + half) % 2 == 0) {
				run_tagged("none", argv);
				continue;
			}
			o = probe_open(base, po);
			run_tagged("observe", argv);
			observe_free(o);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct event		*sigint, *sigterm, *sigusr1, *timer = NULL;
	struct observe		*o;
	struct probe_opts	 po;
	struct protect_arg	 pa;
	struct timeval		 tv = { 0, 0 };
	int			 ch, i, verbose = 0;

	memset(&po, 0, sizeof(po));
	while ((ch = getopt(argc, argv, "+b:c:kop:st:v")) != -1) {
		switch (ch) {
		case 'b':
			po.rounds = atoi(optarg);
			break;
		case 'c':
			add_id(&po, strtoull(optarg, NULL, 10), 0);
			break;
		case 'k':
			po.protect = true;
			break;
		case 'o':
			po.flags |= OBSERVE_OPENAT;
			break;
		case 'p':
			add_pid(&po, optarg);
			break;
		case 's':
			po.flags |= OBSERVE_STASH;
			break;
		case 't':
			tv.tv_sec = atoi(optarg);
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	log_init(verbose > 1 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO :
	    LOG_LEVEL_QUIET, "observe-probe");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (po.rounds > 0) {
		if (optind >= argc)
			usage();
		return bench(base, &po, argv + optind);
	}
	for (i = optind; i < argc; i++)
		add_pid(&po, argv[i]);
	o = probe_open(base, &po);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	pa.o = o;
	pa.po = &po;
	sigusr1 = evsignal_new(base, SIGUSR1, on_protect, &pa);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sigusr1, NULL);
	if (tv.tv_sec > 0) {
		timer = evtimer_new(base, on_signal, base);
		evtimer_add(timer, &tv);
	}
	printf("ready %s\n", observe_method(o));
	event_base_dispatch(base);
	printf("lost %llu\n", (unsigned long long)observe_lost(o));
	observe_free(o);
	if (timer != NULL)
		event_free(timer);
	event_free(sigint);
	event_free(sigterm);
	event_free(sigusr1);
	event_base_free(base);
	free(po.ids);
	free(po.pids);
	return 0;
}
