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
	OPT_NO_PROGRESS, OPT_UNTIL_STABLE, OPT_QUIET };

static const struct option learn_options[] = {
	{ "image",	 required_argument, NULL, OPT_IMAGE },
	{ "duration",	 required_argument, NULL, OPT_DURATION },
	{ "reset",	 no_argument,	    NULL, OPT_RESET },
	{ "no-progress", no_argument,	    NULL, OPT_NO_PROGRESS },
	{ "until-stable", required_argument, NULL, OPT_UNTIL_STABLE },
	{ "quiet-period", required_argument, NULL, OPT_QUIET },
	{ NULL, 0, NULL, 0 }
};

static int
learn_option(int opt, const char *optarg, void *arg, struct rt_error *err)
{
	struct learn_options	*o = arg;
	int64_t			 v;

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
	case OPT_UNTIL_STABLE:
	case OPT_QUIET:
		if (duration_parse(optarg, &v, err) < 0)
			return cmd_usage_error(err, "--%s: %s", opt == OPT_QUIET ?
			    "quiet-period" : "until-stable", err->msg);
		if (v <= 0)
			return cmd_usage_error(err, "--%s: must be more than 0",
			    opt == OPT_QUIET ? "quiet-period" : "until-stable");
		if (opt == OPT_UNTIL_STABLE)
			o->until_stable_s = v;
		o->quiet_s = v;
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
	.args = "--image REF [--duration SECS] [--until-stable D] [--reset]",
	.summary = "learn the normal behaviour of an image's containers",
	.help =
"Attach to every running container of the image REF, and to each one that\n"
"starts while learning, and record what they do into the image's baseline:\n"
"the executables they run (path inside the container and SHA-256, and the\n"
"name a symlink ran them as), the syscalls they make (from audit) and the\n"
"files they write (from fanotify; pids and random names as patterns). Run it\n"
"in staging while the application is exercised, and start at least one\n"
"container of the image while it runs: with the OCI hook installed (rtguard\n"
"hook install), a container starting is learned from its first instruction,\n"
"which a seccomp profile needs. Several replicas merge into one baseline,\n"
"another tag of the same image id shares it, and learning again extends it.\n"
"With auditd running, rtguard reads a copy of the records and adds only its\n"
"own rules; every audit rule and setting is left as it was found.\n"
"\n"
"On a terminal a progress line shows what is new each second; otherwise a\n"
"status line every 10 s. At the end, and in 'rtguard report', the baseline's\n"
"readiness: ready to enforce, or why not (records lost, no container watched\n"
"from its start, new facts within the quiet period).\n"
"\n"
"REF may be a full reference (docker.io/library/nginx:latest), a repository\n"
"(localhost/nginx) or a short name (nginx) when that is unambiguous.\n"
"\n"
"Options:\n"
"  -i, --image REF        the image to learn (required)\n"
"  -d, --duration SECS    stop after this long (90, 30s, 15m, 2h; default:\n"
"                         until Ctrl-C or SIGTERM)\n"
"      --until-stable D   stop by itself once nothing new was learned for D\n"
"                         (also the quiet period of its readiness)\n"
"      --quiet-period D   the baseline counts as converged after D with\n"
"                         nothing new (default 60s)\n"
"      --reset            forget the image's baseline before learning\n"
"      --no-progress      no live progress line\n"
"\n"
"Example:\n"
"  rtguard learn --image nginx --until-stable 2m\n"
"  rtguard report --image nginx",
	.needs_root = true,
	.options = learn_options,
	.optstring = "i:d:",
	.exec = cmd_learn_exec,
};
