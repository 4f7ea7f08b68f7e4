/*
 * cmd-help.c: `rtguard help [COMMAND]`.
 */
#include <stdio.h>

#include "cli/cmd.h"

static int
cmd_help_exec(const struct cmd_entry *self, struct cmd_globals *g, int argc,
    char **argv, struct rt_error *err)
{
	const struct cmd_entry	*e;
	int			 rc, first;

	rc = cmd_getopt(self, g, argc, argv, NULL, NULL, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first >= argc) {
		cmd_print_overview(stdout);
		return EXIT_OK;
	}
	if (first + 1 < argc)
		return cmd_usage_error(err, "help takes one command name");
	if ((e = cmd_find(argv[first])) == NULL)
		return cmd_usage_error(err, "unknown command '%s'",
		    argv[first]);
	cmd_print_help(e, stdout);
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "explain rtguard or one command",
	.help =
"Without COMMAND, list the commands; with one, explain it with examples.\n"
"\n"
"Example:\n"
"  rtguard help enforce",
	.needs_root = false,
	.options = NULL,
	.optstring = "",
	.exec = cmd_help_exec,
};
