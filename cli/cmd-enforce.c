/*
 * cmd-enforce.c: `rtguard enforce`, deny what the baselines do not allow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "enforcer/enforcer.h"

enum { OPT_IMAGE = 'i', OPT_DURATION = 'd', OPT_MONITOR = 'm',
	OPT_POLICY_DIR = 0x2001, OPT_ALERTS, OPT_LOCK_DIRS, OPT_WRITE_OPENS,
	OPT_FORCE };

static const struct option enforce_options[] = {
	{ "image",	required_argument, NULL, OPT_IMAGE },
	{ "duration",	required_argument, NULL, OPT_DURATION },
	{ "monitor",	no_argument,	   NULL, OPT_MONITOR },
	{ "policy-dir",	required_argument, NULL, OPT_POLICY_DIR },
	{ "alerts",	required_argument, NULL, OPT_ALERTS },
	{ "lock-dirs",	no_argument,	   NULL, OPT_LOCK_DIRS },
	{ "record-write-opens", no_argument, NULL, OPT_WRITE_OPENS },
	{ "force",	no_argument,	   NULL, OPT_FORCE },
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
		/* What it did (read-only protected dirs) is protect mode now. */
		fprintf(stderr, "rtguard: --lock-dirs is the default now and "
		    "does nothing more; it will go in a later version\n");
		o->lock_dirs = true;
		return 0;
	case OPT_WRITE_OPENS:
		o->record_write_opens = true;
		return 0;
	case OPT_MONITOR:
		o->monitor = true;
		return 0;
	case OPT_FORCE:
		o->force = true;
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
	.args = "[--image REF]... [--monitor] [--force] [--duration SECS] "
	    "[--alerts FILE]",
	.summary = "deny drift, unlearned execs and protected writes",
	.help =
"Enforce the learned baselines on every container whose image has one (or\n"
"only the images named with --image), running now or started later. With\n"
"the OCI hook installed ('rtguard hook install'), Podman and CRI-O\n"
"containers are protected before their first instruction; otherwise from\n"
"the engine's start event. In a protected container:\n"
"  - an exec of a file that is not image content is refused: a file\n"
"    written or changed after start (drift, EPERM), anything on a volume,\n"
"    a tmpfs or in a memfd (EACCES);\n"
"  - an exec the image never ran while learning, or whose SHA-256 differs,\n"
"    is denied; so is the dynamic loader run directly on a file;\n"
"  - every place the container can write is mounted noexec (no exec, no\n"
"    loader, LD_PRELOAD or dlopen from there), and the protected\n"
"    directories (/bin /sbin /usr /lib* /etc) and the directories holding\n"
"    learned executables are read-only (EROFS), learned writes excepted.\n"
"A baseline that is not ready to enforce (records lost while learning, no\n"
"container watched from its start, new facts within the quiet period: see\n"
"rtguard report) is not trusted to protect: each such image gets a warning\n"
"at start, and its containers are monitored instead of protected, with an\n"
"alert line saying why, unless --force (or its policy mode is monitor).\n"
"Containers of images without a baseline are not touched. Every refusal is\n"
"recorded in the database and printed as one JSON line (those the kernel\n"
"makes by itself through the BPF observer; identical ones within 5 s as\n"
"one, with a count); a container that cannot be fully protected\n"
"(CAP_SYS_ADMIN, a shared root mount) is reported at attach.\n"
"\n"
"Options:\n"
"  -i, --image REF        enforce only this image (repeatable)\n"
"  -m, --monitor          alert and record, never deny (no mounts)\n"
"      --force            protect images whose baselines are not ready\n"
"  -d, --duration SECS    stop after this long (default: until SIGTERM)\n"
"      --policy-dir DIR   policy files (default " RTGUARD_POLICY_DIR ")\n"
"      --alerts FILE      append alert lines to FILE instead of stderr\n"
"      --record-write-opens  also record each write-open the read-only\n"
"                         mounts refuse (by default the other write routes\n"
"                         are recorded, not openat: watching it costs every\n"
"                         openat on the host about 0.1 us)\n"
"      --lock-dirs        accepted for compatibility: protect mode does it\n"
"\n"
"Examples:\n"
"  rtguard hook install                        # protect from the first exec\n"
"  rtguard enforce --image nginx --monitor     # see what would be denied\n"
"  rtguard enforce                             # protect every baseline",
	.needs_root = true,
	.options = enforce_options,
	.optstring = "i:d:m",
	.exec = cmd_enforce_exec,
};
