/*
 * cmd-learn.c: `rtguard learn`, build an image's baseline in staging.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "learner/learner.h"

enum { OPT_IMAGE = 'i', OPT_DURATION = 'd', OPT_RESET = 0x2001,
	OPT_NO_PROGRESS };

static const struct option learn_options[] = {
	{ "image",	 required_argument, NULL, OPT_IMAGE },
	{ "duration",	 required_argument, NULL, OPT_DURATION },
	{ "reset",	 no_argument,	    NULL, OPT_RESET },
	{ "no-progress", no_argument,	    NULL, OPT_NO_PROGRESS },
	{ NULL, 0, NULL, 0 }
};

static int
learn_option(int opt, const char *optarg, void *arg, struct rt_error *err)
{
	struct learn_options	*o = arg;

	switch (opt) {
	case OPT_IMAGE:
		o->image = optarg;
		return 0;
	case OPT_DURATION:
		if (duration_parse(optarg, &o->duration_s, err) < 0)
			return cmd_usage_error(err, "--duration: %s", err->msg);
		return 0;
	case OPT_RESET:
		o->reset = true;
		return 0;
	case OPT_NO_PROGRESS:
		o->progress = false;
		return 0;
	}
	return cmd_usage_error(err, "unexpected option");
}

static int
cmd_learn_exec(const struct cmd_entry *self, struct cmd_globals *g, int argc,
    char **argv, struct rt_error *err)
{
	struct learn_options	o;
	int			rc, first;

	memset(&o, 0, sizeof(o));
	o.progress = isatty(STDERR_FILENO);
	rc = cmd_getopt(self, g, argc, argv, learn_option, &o, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first < argc)
		return cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first]);
	if (o.image == NULL)
		return cmd_usage_error(err, "--image REF is required");
	log_init(g->verbose, "rtguard");
	if ((rc = cmd_require_root(self, err)) < 0)
		return rc;
	o.db_path = g->db_path;
	o.runtime_socket = g->runtime_socket;
	return learner_run(&o, err) < 0 ? -1 : EXIT_OK;
}

const struct cmd_entry cmd_learn_entry = {
	.name = "learn",
	.args = "--image REF [--duration SECS] [--reset]",
	.summary = "learn the normal behaviour of an image's containers",
	.help =
"Attach to every running container of the image REF, and to each one that\n"
"starts while learning, and record what they do into the image's baseline:\n"
"the executables they run (path inside the container and SHA-256), the\n"
"syscalls they make (from audit) and the files they write (from fanotify).\n"
"Run it in staging while the application is exercised; several replicas\n"
"merge into one baseline, and learning again extends it.\n"
"\n"
"REF may be a full reference (docker.io/library/nginx:latest), a repository\n"
"(localhost/nginx) or a short name (nginx) when that is unambiguous.\n"
"\n"
"Options:\n"
"  -i, --image REF        the image to learn (required)\n"
"  -d, --duration SECS    stop after this long (90, 30s, 15m, 2h; default:\n"
"                         until Ctrl-C or SIGTERM)\n"
"      --reset            forget the image's baseline before learning\n"
"      --no-progress      no live progress line\n"
"\n"
"Example:\n"
"  rtguard learn --image nginx --duration 10m\n"
"  rtguard report --image nginx",
	.needs_root = true,
	.options = learn_options,
	.optstring = "i:d:",
	.exec = cmd_learn_exec,
};
