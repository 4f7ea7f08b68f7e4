/*
 * cmd.c: the command table, common options and help text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/xmalloc.h"

const struct cmd_entry *cmd_table[] = {
	&cmd_learn_entry,
	&cmd_enforce_entry,
	&cmd_report_entry,
	&cmd_policy_entry,
	&cmd_containers_entry,
	&cmd_hook_entry,
	&cmd_runtime_entry,
	&cmd_mount_helper_entry,
	&cmd_version_entry,
	&cmd_help_entry,
	NULL
};

enum {
	OPT_DB = 0x1001,
	OPT_RUNTIME_SOCKET,
	OPT_HELP,
};

static const struct option common_options[] = {
	{ "db",			required_argument, NULL, OPT_DB },
	{ "runtime-socket",	required_argument, NULL, OPT_RUNTIME_SOCKET },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, OPT_HELP },
};

static const char common_help[] =
"Options every command accepts:\n"
"  --db PATH              database (default $RTGUARD_DB, else "
    RTGUARD_DEFAULT_DB ")\n"
"  --runtime-socket PATH  container engine API socket (default\n"
"                         /run/podman/podman.sock, then /var/run/docker.sock)\n"
"  -v, --verbose          more detail on stderr (twice: debug)\n"
"  -h, --help             this help\n";

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	**e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return *e;
	}
	return NULL;
}

void
cmd_print_help(const struct cmd_entry *e, FILE *out)
{
	fprintf(out, "Usage: rtguard %s%s%s\n\n%s\n\n%s", e->name,
	    e->args[0] != '\0' ? " " : "", e->args, e->help, common_help);
}

void
cmd_print_overview(FILE *out)
{
	const struct cmd_entry	**e;

	fprintf(out,
"rtguard learns what the containers of each image normally do, then denies\n"
"anything else: execs of binaries that drifted from the image or were never\n"
"learned, and writes to protected directories.\n\n"
"Usage: rtguard COMMAND [OPTIONS]\n\nCommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		if (!(*e)->hidden)
			fprintf(out, "  %-9s %s\n", (*e)->name, (*e)->summary);
	fprintf(out,
"\nA typical session:\n"
"  staging#    rtguard hook install\n"
"  staging#    rtguard learn --image nginx --until-stable 5m\n"
"  staging#    rtguard report --image nginx\n"
"  staging#    rtguard policy export --image nginx -o nginx.rtguard\n"
"  production# rtguard policy import nginx.rtguard\n"
"  production# rtguard enforce --image nginx --monitor\n"
"  production# rtguard enforce\n"
"\nRun 'rtguard help COMMAND' for a command's options and examples.\n");
}

int
cmd_usage_error(struct rt_error *err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	err->code = EINVAL;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return CMD_USAGE;
}

int
cmd_require_root(const struct cmd_entry *e, struct rt_error *err)
{
	if (geteuid() == 0)
		return 0;
	return rt_error_set(err, EPERM,
	    "'rtguard %s' must run as root: it needs CAP_AUDIT_CONTROL for "
	    "audit and CAP_SYS_ADMIN for fanotify (run it from a root shell)",
	    e->name);
}

/* The short option letter's long name, for messages. */
static const char *
option_name(const struct option *opts, int val)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		if (opts->val == val)
			return opts->name;
	}
	return NULL;
}

int
cmd_getopt(const struct cmd_entry *e, struct cmd_globals *g, int argc,
    char **argv, cmd_option_cb on_option, void *arg, int *optind_out,
    struct rt_error *err)
{
	struct option	*all;
	size_t		 n_cmd = 0, n_common;
	char		*optstring;
	const char	*bad, *name;
	int		 opt, rc = 0, longindex;

	while (e->options != NULL && e->options[n_cmd].name != NULL)
		n_cmd++;
	n_common = sizeof(common_options) / sizeof(common_options[0]);
	all = xcalloc(n_cmd + n_common + 1, sizeof(*all));
	if (n_cmd > 0)
		memcpy(all, e->options, n_cmd * sizeof(*all));
	memcpy(all + n_cmd, common_options, n_common * sizeof(*all));
	/* Leading ':' makes getopt report a missing argument as ':'. */
	optstring = xasprintf(":vh%s", e->optstring != NULL ? e->optstring : "");

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, optstring, all, &longindex)) != -1) {
		switch (opt) {
		case OPT_DB:
			g->db_path = optarg;
			break;
		case OPT_RUNTIME_SOCKET:
			g->runtime_socket = optarg;
			break;
		case 'v':
			g->verbose++;
			break;
		case 'h':
		case OPT_HELP:
			cmd_print_help(e, stdout);
			rc = 1;
			goto out;
		case ':':
			name = option_name(all, optopt);
			if (name != NULL)
				rc = cmd_usage_error(err,
				    "option '--%s' needs a value", name);
			else
				rc = cmd_usage_error(err,
				    "option '-%c' needs a value", optopt);
			goto out;
		case '?':
			bad = argv[optind - 1];
			if (optopt != 0 && (bad == NULL || bad[1] != '-'))
				rc = cmd_usage_error(err,
				    "unknown option '-%c' for 'rtguard %s'",
				    optopt, e->name);
			else
				rc = cmd_usage_error(err,
				    "unknown option '%s' for 'rtguard %s'",
				    bad, e->name);
			goto out;
		default:
			if (on_option == NULL) {
				rc = cmd_usage_error(err, "unexpected option");
				goto out;
			}
			if ((rc = on_option(opt, optarg, arg, err)) != 0)
				goto out;
			break;
		}
	}
	*optind_out = optind;
out:
	free(all);
	free(optstring);
	return rc;
}
