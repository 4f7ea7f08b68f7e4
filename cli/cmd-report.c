/*
 * cmd-report.c: `rtguard report`, baselines, denials and alerts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "report/report.h"

enum { OPT_IMAGE = 'i', OPT_SINCE = 's', OPT_JSON = 0x2001, OPT_QUIET };

static const struct option report_options[] = {
	{ "image",	required_argument, NULL, OPT_IMAGE },
	{ "since",	required_argument, NULL, OPT_SINCE },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "quiet-period", required_argument, NULL, OPT_QUIET },
	{ NULL, 0, NULL, 0 }
};

static int
report_option(int opt, const char *optarg, void *arg, struct rt_error *err)
{
	struct report_options	*o = arg;

	switch (opt) {
	case OPT_IMAGE:
		o->image = optarg;
		return 0;
	case OPT_SINCE:
		if (duration_parse(optarg, &o->since_s, err) < 0)
			return cmd_usage_error(err, "--since: %s", err->msg);
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_QUIET:
		if (duration_parse(optarg, &o->quiet_s, err) < 0)
			return cmd_usage_error(err, "--quiet-period: %s",
			    err->msg);
		if (o->quiet_s <= 0)
			return cmd_usage_error(err, "--quiet-period: must be "
			    "more than 0");
		return 0;
	}
	return cmd_usage_error(err, "unexpected option");
}

static int
cmd_report_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	struct report_options	o;
	struct winsize		ws;
	int			rc, first;
	const char		*nc;

	memset(&o, 0, sizeof(o));
	rc = cmd_getopt(self, g, argc, argv, report_option, &o, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first < argc)
		return cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first]);
	log_init(g->verbose, "rtguard");
	o.db_path = g->db_path;
	nc = getenv("NO_COLOR");
	o.color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
	o.width = 80;
	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o.width = ws.ws_col;
	return report_run(&o, stdout, err) < 0 ? -1 : EXIT_OK;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.args = "[--image REF] [--since DURATION] [--quiet-period D] [--json]",
	.summary = "show baselines, denials and alerts",
	.help =
"Print, for each image, its learning window, the containers seen, whether\n"
"its baseline is ready to enforce (and why not: records lost, no container\n"
"watched from its start, new facts within the quiet period), the\n"
"executables, syscalls and written paths of its baseline, then its denials\n"
"and alerts grouped by kind and path, and the latest ones with the process\n"
"and its parent. Colour only on a terminal (NO_COLOR disables it).\n"
"\n"
"Options:\n"
"  -i, --image REF        only this image\n"
"  -s, --since DURATION   only events of the last DURATION (30m, 24h, 7d)\n"
"      --quiet-period D   converged after D with nothing new (default: the\n"
"                         one learn was given, else 60s)\n"
"      --json             one JSON object for machines (see README.md)\n"
"\n"
"Examples:\n"
"  rtguard report --image nginx --since 24h\n"
"  rtguard report --json | jq '.events[] | select(.decision == \"denied\")'",
	.needs_root = false,
	.options = report_options,
	.optstring = "i:s:",
	.exec = cmd_report_exec,
};
