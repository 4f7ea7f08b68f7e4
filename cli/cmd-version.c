/*
 * cmd-version.c: `rtguard version`, this build and its libraries.
 */
#include <stdio.h>

#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "cli/cmd.h"

static int
cmd_version_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	int	rc, first;

	rc = cmd_getopt(self, g, argc, argv, NULL, NULL, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first < argc)
		return cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first]);
	printf("rtguard %s\n", PACKAGE_VERSION);
	if (g->verbose > 0)
		printf("sqlite %s, libevent %s, jansson %s, schema %d\n",
		    sqlite3_libversion(), event_get_version(), JANSSON_VERSION,
		    1);
	return EXIT_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.args = "",
	.summary = "print rtguard's version",
	.help =
"Print the version of rtguard (with -v, of its libraries too).\n"
"\n"
"Example:\n"
"  rtguard version -v",
	.needs_root = false,
	.options = NULL,
	.optstring = "",
	.exec = cmd_version_exec,
};
