/*
 * cmd-enforce.c: `rtguard enforce`, deny what the baselines do not allow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "enforcer/enforcer.h"

enum { OPT_IMAGE = 'i', OPT_DURATION = 'd', OPT_MONITOR = 'm',
	OPT_POLICY_DIR = 0x2001, OPT_ALERTS, OPT_LOCK_DIRS };

static const struct option enforce_options[] = {
	{ "image",	required_argument, NULL, OPT_IMAGE },
	{ "duration",	required_argument, NULL, OPT_DURATION },
	{ "monitor",	no_argument,	   NULL, OPT_MONITOR },
	{ "policy-dir",	required_argument, NULL, OPT_POLICY_DIR },
	{ "alerts",	required_argument, NULL, OPT_ALERTS },
	{ "lock-dirs",	no_argument,	   NULL, OPT_LOCK_DIRS },
	{ NULL, 0, NULL, 0 }
};

static int
enforce_option(int opt, const char *optarg, void *arg, struct rt_error *err)
{
	struct enforce_options	*o = arg;

	switch (opt) {
	case OPT_IMAGE:
		o->images = xreallocarray(o->images, o->n_images + 1,
		    sizeof(*o->images));
		o->images[o->n_images++] = optarg;
		return 0;
	case OPT_DURATION:
		if (duration_parse(optarg, &o->duration_s, err) < 0)
			return cmd_usage_error(err, "--duration: %s", err->msg);
		return 0;
	case OPT_LOCK_DIRS:
		o->lock_dirs = true;
		return 0;
	case OPT_MONITOR:
		o->monitor = true;
		return 0;
	case OPT_POLICY_DIR:
		o->policy_dir = optarg;
		return 0;
	case OPT_ALERTS:
		o->alerts_path = optarg;
		return 0;
	}
	return cmd_usage_error(err, "unexpected option");
}

static int
cmd_enforce_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	struct enforce_options	o;
	int			rc, first;

	memset(&o, 0, sizeof(o));
	rc = cmd_getopt(self, g, argc, argv, enforce_option, &o, &first, err);
	if (rc == 0 && first < argc)
		rc = cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first]);
	if (rc == 0) {
		log_init(g->verbose, "rtguard");
		rc = cmd_require_root(self, err);
	}
	if (rc == 0) {
		o.db_path = g->db_path;
		o.runtime_socket = g->runtime_socket;
		rc = enforcer_run(&o, err) < 0 ? -1 : EXIT_OK;
	}
	free(o.images);
	return rc == 1 ? EXIT_OK : rc;
}

const struct cmd_entry cmd_enforce_entry = {
	.name = "enforce",
	.args = "[--image REF]... [--monitor] [--lock-dirs] [--duration SECS]",
	.summary = "deny drift, unlearned execs and protected writes",
	.help =
"Enforce the learned baselines on every running container whose image has\n"
"one (or only on the images named with --image), and on each such container\n"
"that starts later. Before it happens, rtguard denies with EPERM:\n"
"  - an exec of a binary that is not from the image (written or changed in\n"
"    the container, or on a volume or tmpfs): container drift;\n"
"  - an exec of a binary the image never ran while learning, or whose\n"
"    content differs from the learned SHA-256;\n"
"  - an open for write, create or truncate under a protected directory\n"
"    (/bin /sbin /usr /lib /lib32 /lib64 /etc), except learned writes.\n"
"Containers of images without a baseline are not touched. Each decision is\n"
"recorded in the database and printed as one JSON line.\n"
"\n"
"Options:\n"
"  -i, --image REF        enforce only this image (repeatable)\n"
"  -m, --monitor          alert and record, never deny\n"
"  -d, --duration SECS    stop after this long (default: until SIGTERM)\n"
"      --policy-dir DIR   policy files (default " RTGUARD_POLICY_DIR ")\n"
"      --alerts FILE      append alert lines to FILE instead of stderr\n"
"      --lock-dirs        also make the protected directories read-only\n"
"                         inside each protected container (learned write\n"
"                         paths stay writable), which stops unlink, rename,\n"
"                         chmod and truncate(2) too; such writes then fail\n"
"                         with EROFS and are not recorded one by one\n"
"\n"
"Examples:\n"
"  rtguard enforce --image nginx --monitor     # see what would be denied\n"
"  rtguard enforce                             # protect every baseline\n"
"  rtguard enforce --lock-dirs                 # and lock /usr, /etc, ...",
	.needs_root = true,
	.options = enforce_options,
	.optstring = "i:d:m",
	.exec = cmd_enforce_exec,
};
