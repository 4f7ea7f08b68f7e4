/*
 * observe-probe.c: the BPF observer (enforcer/observe.h) on its own, for
 * tests/integration/observe.sh and for measuring its cost.
 *
 *   observe-probe [-o] [-v] [-t seconds] [-c cgroup-id] [pid ...]
 *
 * Watches the cgroup of each pid (a container's init, say) and each -c
 * id, prints "ready" once attached, then one line per record until
 * SIGINT, SIGTERM or the -t timeout, then "lost N". -o observes openat
 * as well. Exit 77 when the observer is unavailable (message on stderr).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/escape.h"
#include "common/log.h"
#include "container/container.h"
#include "enforcer/observe.h"

static void
usage(void)
{
	fprintf(stderr, "usage: observe-probe [-o] [-v] [-t seconds] "
	    "[-c cgroup-id] [pid ...]\n");
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

static void
on_record(const struct refusal *r, void *arg)
{
	char	*p = rt_escape_str(r->path), *p2 = rt_escape_str(r->path2);
	char	*comm = rt_escape_str(r->comm);

	printf("%s %s %s ret=%ld cgroup=%llu pid=%d tid=%d uid=%u comm=%s "
	    "route=%s nr=%d%s path=%s path2=%s\n",
	    r->kind == OBSERVE_CHANGE ? "change" : "refusal", r->syscall,
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

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct event		*sigint, *sigterm, *timer = NULL;
	struct observe		*o;
	struct rt_error		 err;
	struct timeval		 tv = { 0, 0 };
	unsigned int		 flags = 0;
	uint64_t		 id;
	int			 ch, i, rc, verbose = 0;

	while ((ch = getopt(argc, argv, "c:ot:v")) != -1) {
		switch (ch) {
		case 'c':
		case 't':
			break;	/* second pass, once the observer is open */
		case 'o':
			flags |= OBSERVE_OPENAT;
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
	rc = observe_open(base, flags, on_record, NULL, &o, &err);
	if (rc == -ENOTSUP) {
		fprintf(stderr, "observe-probe: %s\n", err.msg);
		return 77;
	}
	if (rc < 0)
		fatalx("%s", err.msg);

	optind = 1;
	while ((ch = getopt(argc, argv, "c:ot:v")) != -1) {
		if (ch == 'c') {
			id = strtoull(optarg, NULL, 10);
			if (observe_add_cgroup(o, id, &err) < 0)
				fatalx("%s", err.msg);
		} else if (ch == 't')
			tv.tv_sec = atoi(optarg);
	}
	for (i = optind; i < argc; i++) {
		if (cgroup_v2_id_of_pid(atoi(argv[i]), &id, &err) < 0)
			fatalx("%s", err.msg);
		if (observe_add_cgroup(o, id, &err) < 0)
			fatalx("%s", err.msg);
		fprintf(stderr, "observe-probe: pid %s: cgroup %llu\n", argv[i],
		    (unsigned long long)id);
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	if (tv.tv_sec > 0) {
		timer = evtimer_new(base, on_signal, base);
		evtimer_add(timer, &tv);
	}
	printf("ready\n");
	event_base_dispatch(base);
	printf("lost %llu\n", (unsigned long long)observe_lost(o));
	observe_free(o);
	if (timer != NULL)
		event_free(timer);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(base);
	return 0;
}
