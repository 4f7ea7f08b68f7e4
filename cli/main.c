/*
 * main.c: rtguard's entry point. Finds the command, resolves the options
 * every command shares, runs it, and is the one place that prints an error
 * and chooses the exit status.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"

static int
usage_exit(const char *cmd, const char *msg)
{
	fprintf(stderr, "rtguard: %s\n", msg);
	if (cmd != NULL)
		fprintf(stderr, "Try 'rtguard help %s'.\n", cmd);
	else
		fprintf(stderr, "Try 'rtguard help'.\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*e;
	struct cmd_globals	 g;
	struct rt_error		 err;
	char			 msg[512];
	const char		*env;
	int			 rc;

	setlocale(LC_CTYPE, "");
	memset(&g, 0, sizeof(g));
	rt_error_clear(&err);
	env = getenv("RTGUARD_DB");
	g.db_path = (env != NULL && env[0] != '\0') ? env : RTGUARD_DEFAULT_DB;

	if (argc < 2) {
		cmd_print_overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_print_overview(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = (char *)"version";
	if ((e = cmd_find(argv[1])) == NULL) {
		snprintf(msg, sizeof(msg), "unknown command '%s'", argv[1]);
		return usage_exit(NULL, msg);
	}

	rc = e->exec(e, &g, argc - 1, argv + 1, &err);
	if (rc == CMD_USAGE)
		return usage_exit(e->name, err.msg);
	if (rc < 0) {
		fprintf(stderr, "rtguard %s: %s\n", e->name, err.msg);
		return EXIT_FAILURE_;
	}
	return rc;
}
