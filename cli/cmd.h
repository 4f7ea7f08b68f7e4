/*
 * cmd.h: the rtguard command table (as tmux's cmd.c).
 *
 * Each command lives in its own cli/cmd-NAME.c and exports one
 * const struct cmd_entry; cmd.c lists them. A command only parses its
 * arguments and calls into its module; main() prints errors and exits.
 */
#ifndef RTGUARD_CMD_H
#define RTGUARD_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

/* Exit statuses, the contract scripts rely on. */
#define EXIT_OK		0
#define EXIT_FAILURE_	1	/* an operation failed */
#define EXIT_USAGE	2	/* bad command line */

/*
 * Returned by exec when err holds a usage error: exit status 2, with a
 * hint. A positive exit status, never confused with a -errno failure.
 */
#define CMD_USAGE	EXIT_USAGE

/* Options every command accepts, resolved before exec runs. */
struct cmd_globals {
	const char	*db_path;	/* --db, $RTGUARD_DB, or the default */
	const char	*runtime_socket;	/* --runtime-socket or NULL */
	int		 verbose;	/* -v count */
};

struct cmd_entry {
	const char	*name;
	const char	*args;		/* "--image REF [--duration SECS]" */
	const char	*summary;	/* one line for `rtguard help` */
	const char	*help;		/* the full text with an example */
	bool		 needs_root;
	bool		 hidden;	/* internal: not in help or the overview */
	/* Command-specific long options (NULL-terminated), and optstring. */
	const struct option *options;
	const char	*optstring;
	/* argv[0] is the command name; getopt has NOT run yet. */
	int		(*exec)(const struct cmd_entry *self,
			    struct cmd_globals *g, int argc, char **argv,
			    struct rt_error *err);
};

extern const struct cmd_entry cmd_learn_entry;
extern const struct cmd_entry cmd_enforce_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_policy_entry;
extern const struct cmd_entry cmd_containers_entry;
extern const struct cmd_entry cmd_hook_entry;
extern const struct cmd_entry cmd_runtime_entry;
extern const struct cmd_entry cmd_mount_helper_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_help_entry;

extern const struct cmd_entry *cmd_table[];

const struct cmd_entry *cmd_find(const char *name);
void	cmd_print_help(const struct cmd_entry *e, FILE *out);
void	cmd_print_overview(FILE *out);

/*
 * Run getopt_long over argv with the command's options plus the common
 * ones (--db, --runtime-socket, -v, --help). For each command-specific
 * option, on_option(opt, optarg, arg) is called; it returns 0 or a
 * negative value with err set. Returns 1 when --help was given (help has
 * been printed), 0 on success with *optind_out set to the first operand,
 * CMD_USAGE with err set on a bad option.
 */
typedef int (*cmd_option_cb)(int opt, const char *optarg, void *arg,
	    struct rt_error *err);
int	cmd_getopt(const struct cmd_entry *e, struct cmd_globals *g, int argc,
	    char **argv, cmd_option_cb on_option, void *arg, int *optind_out,
	    struct rt_error *err);

int	cmd_usage_error(struct rt_error *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* -EPERM with a clear message unless running as root. */
int	cmd_require_root(const struct cmd_entry *e, struct rt_error *err);

#endif
