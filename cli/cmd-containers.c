/*
 * cmd-containers.c: `rtguard containers`, what the resolver sees.
 *
 * Lists running containers through the Engine API, resolves a pid to its
 * container, or follows starts and stops as learn and enforce do. It is
 * the way to check, before learning, that rtguard sees the right things.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/escape.h"
#include "common/imageref.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "container/container.h"
#include "store/store.h"

enum { OPT_IMAGE = 'i', OPT_PID = 'p', OPT_WATCH = 'w', OPT_DURATION = 'd' };

struct containers_options {
	const char	*image;
	long		 pid;
	bool		 watch;
	int64_t		 duration_s;
};

static const struct option containers_options[] = {
	{ "image",	required_argument, NULL, OPT_IMAGE },
	{ "pid",	required_argument, NULL, OPT_PID },
	{ "watch",	no_argument,	   NULL, OPT_WATCH },
	{ "duration",	required_argument, NULL, OPT_DURATION },
	{ NULL, 0, NULL, 0 }
};

static int
containers_option(int opt, const char *optarg, void *arg,
    struct rt_error *err)
{
	struct containers_options	*o = arg;
	char				*end;

	switch (opt) {
	case OPT_IMAGE:
		o->image = optarg;
		return 0;
	case OPT_PID:
		errno = 0;
		o->pid = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || o->pid <= 0 ||
		    o->pid > 0x3fffffff)
			return cmd_usage_error(err, "--pid: '%s' is not a "
			    "process id", optarg);
		return 0;
	case OPT_WATCH:
		o->watch = true;
		return 0;
	case OPT_DURATION:
		if (duration_parse(optarg, &o->duration_s, err) < 0)
			return cmd_usage_error(err, "--duration: %s", err->msg);
		return 0;
	}
	return cmd_usage_error(err, "unexpected option");
}

static void
print_field(const char *key, const char *value)
{
	char	*s = rt_escape_str(value != NULL ? value : "");

	printf("%-10s %s\n", key, s);
	free(s);
}

/*
 * How a running 'rtguard enforce' protects the container, from what it
 * keeps in the database; NULL when none runs (or no database yet).
 */
static char *
protection_of(const char *db_path, const char *id)
{
	struct store	*st;
	struct rt_error	 err;
	char		 key[128], *v = NULL, *state = NULL;
	long long	 ms;
	int		 pid;

	if (store_open(db_path, STORE_READ_ONLY, &st, &err) < 0)
		return NULL;
	if (store_meta_get(st, "enforce.state", &state, &err) == 0 &&
	    state != NULL && sscanf(state, "running %lld %d", &ms, &pid) == 2 &&
	    kill(pid, 0) == 0) {
		snprintf(key, sizeof(key), "protection.%s", id);
		(void)store_meta_get(st, key, &v, &err);
	}
	free(state);
	store_free(st);
	return v;
}

/* The first words of a protection line: "protected", "not fully ...". */
static void
protection_word(const char *p, char *out, size_t len)
{
	size_t	n;

	if (p == NULL) {
		snprintf(out, len, "-");
		return;
	}
	n = strcspn(p, ":;(");
	snprintf(out, len, "%.*s", (int)n, p);
}

static int
containers_pid(struct engine *e, const char *db_path, pid_t pid,
    struct rt_error *err)
{
	char	*prot;
	struct container	*c;
	char			 id[CONTAINER_ID_LEN + 1], num[32];

	if (cgroup_container_of_pid(pid, id, err) < 0)
		return -err->code;
	if (engine_inspect(e, id, &c, err) < 0)
		return -err->code;
	print_field("container", c->id);
	print_field("name", c->name);
	print_field("image", c->image_ref);
	print_field("image-id", c->image_id);
	snprintf(num, sizeof(num), "%d", (int)c->init_pid);
	print_field("init-pid", num);
	print_field("merged", c->merged_dir);
	print_field("upper", c->upper_dir);
	print_field("lower", c->lower_dirs);
	prot = protection_of(db_path, c->id);
	print_field("enforce", prot != NULL ? prot : "not enforced (no "
	    "running 'rtguard enforce' has attached to it)");
	free(prot);
	container_free(c);
	return 0;
}

static int
containers_list(struct engine *e, const char *db_path, const char *image,
    struct rt_error *err)
{
	struct container	**v;
	size_t			  n, i, shown = 0;
	char			 *ref, *name, *prot, word[40];

	if (engine_list_running(e, &v, &n, err) < 0)
		return -err->code;
	printf("%-12s  %-7s  %-40s  %-20s  %s\n", "CONTAINER", "PID", "IMAGE",
	    "ENFORCE", "NAME");
	for (i = 0; i < n; i++) {
		if (image != NULL && !imageref_matches(image, v[i]->image_ref))
			continue;
		ref = rt_escape_str(v[i]->image_ref);
		name = rt_escape_str(v[i]->name != NULL ? v[i]->name : "");
		prot = protection_of(db_path, v[i]->id);
		protection_word(prot, word, sizeof(word));
		printf("%.12s  %-7d  %-40s  %-20s  %s\n", v[i]->id,
		    (int)v[i]->init_pid, ref, word, name);
		free(prot);
		free(ref);
		free(name);
		shown++;
	}
	container_list_free(v, n);
	if (image != NULL && shown == 0)
		log_warnx("no running container matches image '%s'", image);
	return 0;
}

struct watch_state {
	const char		*image;
	struct event_base	*base;
};

static bool
watch_select(const struct container *c, void *arg)
{
	struct watch_state	*w = arg;

	return w->image == NULL || imageref_matches(w->image, c->image_ref);
}

static int
watch_attach(struct container *c, void *arg)
{
	char	*ref = rt_escape_str(c->image_ref);

	(void)arg;
	printf("start %s %s %d\n", c->id, ref, (int)c->init_pid);
	fflush(stdout);
	free(ref);
	container_free(c);
	return 0;
}

static void
watch_detach(const char *id, void *arg)
{
	(void)arg;
	printf("stop %s\n", id);
	fflush(stdout);
}

static void
watch_unresolved(const char *id, const struct rt_error *err, void *arg)
{
	char	*why = rt_escape_str(err->msg);

	(void)arg;
	printf("unresolved %s %s\n", id, why);
	fflush(stdout);
	free(why);
}

static void
watch_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig; (void)what;
	event_base_loopexit(arg, NULL);
}

static int
containers_watch(struct engine *e, const struct containers_options *o,
    struct rt_error *err)
{
	static const struct tracker_ops ops = {
		.select = watch_select,
		.attach = watch_attach,
		.detach = watch_detach,
		.unresolved = watch_unresolved,
	};
	struct watch_state	 w = { o->image, NULL };
	struct tracker		*t;
	struct event		*sigint, *sigterm;
	struct timeval		 tv;

	if ((w.base = event_base_new()) == NULL)
		return rt_error_set(err, ENOMEM, "libevent: cannot start");
	sigint = evsignal_new(w.base, SIGINT, watch_signal, w.base);
	sigterm = evsignal_new(w.base, SIGTERM, watch_signal, w.base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	if (tracker_start(e, w.base, &ops, &w, &t, err) < 0) {
		event_free(sigint);
		event_free(sigterm);
		event_base_free(w.base);
		return -err->code;
	}
	if (o->duration_s > 0) {
		tv.tv_sec = o->duration_s;
		tv.tv_usec = 0;
		event_base_loopexit(w.base, &tv);
	}
	event_base_dispatch(w.base);
	tracker_free(t);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(w.base);
	return 0;
}

static int
cmd_containers_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	struct containers_options	 o;
	struct engine			*e;
	int				 rc, first;

	memset(&o, 0, sizeof(o));
	rc = cmd_getopt(self, g, argc, argv, containers_option, &o, &first,
	    err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first < argc)
		return cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first]);
	if (o.pid != 0 && o.watch)
		return cmd_usage_error(err, "--pid and --watch do not go "
		    "together");
	log_init(g->verbose, "rtguard");
	if (engine_open(g->runtime_socket, &e, err) < 0)
		return -1;
	if (o.pid != 0)
		rc = containers_pid(e, g->db_path, (pid_t)o.pid, err);
	else if (o.watch)
		rc = containers_watch(e, &o, err);
	else
		rc = containers_list(e, g->db_path, o.image, err);
	engine_free(e);
	return rc < 0 ? -1 : EXIT_OK;
}

const struct cmd_entry cmd_containers_entry = {
	.name = "containers",
	.args = "[--image REF] [--pid PID] [--watch [--duration SECS]]",
	.summary = "show the containers rtguard sees, and resolve pids",
	.help =
"List the running containers the engine reports, with the image reference\n"
"as rtguard normalises it; resolve a host pid to its container (cgroup ->\n"
"id -> image, init pid and overlay directories); or follow containers as\n"
"they start and stop, as learn and enforce do.\n"
"\n"
"ENFORCE says how a running 'rtguard enforce' protects the container\n"
"(protected, monitored, partly protected, not fully protectable, ...), and\n"
"--pid gives its whole reason; '-' when no enforcer has attached to it.\n"
"\n"
"Options:\n"
"  -i, --image REF        only containers of this image (nginx,\n"
"                         localhost/nginx, docker.io/library/nginx:latest)\n"
"  -p, --pid PID          resolve the container of host process PID\n"
"  -w, --watch            print 'start ID IMAGE PID' and 'stop ID' lines,\n"
"                         and 'unresolved ID REASON' while the engine cannot\n"
"                         describe a container it announced (retried)\n"
"  -d, --duration SECS    with --watch, stop after this long\n"
"\n"
"Examples:\n"
"  rtguard containers --image nginx\n"
"  rtguard containers --pid $(pgrep -o nginx)\n"
"  rtguard containers --watch --duration 1m",
	.needs_root = false,
	.options = containers_options,
	.optstring = "i:p:wd:",
	.exec = cmd_containers_exec,
};
