/*
 * cmd-hook.c: `rtguard hook`, the OCI createRuntime hook, and
 * `rtguard hook install|uninstall`, which register it with the runtime.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/xmalloc.h"
#include "container/ocihook.h"

#define DEFAULT_HOOKS_DIR	"/etc/containers/oci/hooks.d"

struct hook_opts {
	const char	*dir;
	const char	*sockets;
	int		 timeout_s;
};

static const struct option hook_options[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "sockets", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

static int
hook_option(int opt, const char *arg, void *v, struct rt_error *err)
{
	struct hook_opts	*o = v;
	char			*end;
	long			 n;

	switch (opt) {
	case 'd':
		o->dir = arg;
		return 0;
	case 's':
		if (arg[0] != '/')
			return cmd_usage_error(err, "--sockets %s: an absolute "
			    "directory", arg);
		o->sockets = arg;
		return 0;
	case 't':
		n = strtol(arg, &end, 10);
		if (*end != '\0' || n < 1 || n > 300)
			return cmd_usage_error(err, "--timeout %s: seconds from "
			    "1 to 300", arg);
		o->timeout_s = (int)n;
		return 0;
	}
	return cmd_usage_error(err, "unknown option");
}

/* The runtime's side: state on stdin, answer by exit status. */
static int
hook_run(int timeout_s, struct rt_error *err)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;
	int	 rc;

	for (;;) {
		if (cap - len < 4096)
			buf = xreallocarray(buf, 1, cap = cap ? cap * 2 : 65536);
		if ((r = read(STDIN_FILENO, buf + len, cap - len)) < 0 &&
		    errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > 1024 * 1024)
			break;
	}
	rc = ocihook_run(buf, len, timeout_s, err);
	free(buf);
	if (rc == -ETIMEDOUT)
		rt_error_wrap(err, "the container is not started: rtguard "
		    "enforce is running but");
	else if (rc < 0)
		rt_error_wrap(err, "the container is not started");
	return rc < 0 ? -1 : EXIT_OK;	/* main() prints err */
}

static int
cmd_hook_exec(const struct cmd_entry *self, struct cmd_globals *g, int argc,
    char **argv, struct rt_error *err)
{
	struct hook_opts	 o = { DEFAULT_HOOKS_DIR, NULL, OCIHOOK_TIMEOUT_S };
	char			 self_path[PATH_MAX];
	ssize_t			 n;
	int			 rc, first;

	rc = cmd_getopt(self, g, argc, argv, hook_option, &o, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first == argc)
		return hook_run(o.timeout_s, err);
	if (first + 1 != argc)
		return cmd_usage_error(err, "unexpected argument '%s'",
		    argv[first + 1]);
	if (strcmp(argv[first], "install") == 0) {
		if ((n = readlink("/proc/self/exe", self_path,
		    sizeof(self_path) - 1)) < 0)
			return rt_error_sys(err, errno, "/proc/self/exe");
		self_path[n] = '\0';
		if (ocihook_install(o.dir, self_path, o.sockets, err) < 0)
			return -1;
		printf("installed %s/rtguard.json: every container this "
		    "runtime creates waits for a running 'rtguard enforce' or "
		    "'rtguard learn' (at most %d s)\n", o.dir, OCIHOOK_TIMEOUT_S);
		return EXIT_OK;
	}
	if (strcmp(argv[first], "uninstall") == 0)
		return ocihook_uninstall(o.dir, err) < 0 ? -1 :
		    EXIT_OK;
	return cmd_usage_error(err, "unknown action '%s' (install, uninstall, "
	    "or none to run as the hook)", argv[first]);
}

const struct cmd_entry cmd_hook_entry = {
	.name = "hook",
	.args = "[install|uninstall] [--dir DIR] [--sockets DIR] [--timeout SECS]",
	.summary = "the OCI hook that protects containers from their first exec",
	.help =
"Without an action, run as an OCI createRuntime hook: the runtime (runc,\n"
"through Podman, CRI-O or rtguard-runc) writes the container's state on\n"
"stdin before its first instruction, and the hook waits until every\n"
"running 'rtguard enforce' or 'rtguard learn' has attached to the\n"
"container. If one of them refuses (it cannot protect a container whose\n"
"image it enforces) or does not answer within --timeout (default 10 s),\n"
"the hook fails and the container does not start. With no rtguard daemon\n"
"running, it returns at once.\n"
"\n"
"'install' writes rtguard.json into --dir (default\n"
"/etc/containers/oci/hooks.d, which Podman and CRI-O read); 'uninstall'\n"
"removes it. Docker reads no hooks directory: its containers get this\n"
"hook from rtguard's runtime wrapper (see 'rtguard help runtime').\n"
"\n"
"The daemons listen in /run/rtguard/hooks, or in $RTGUARD_HOOK_SOCKETS;\n"
"--sockets DIR makes the installed hook look there (the hook gets\n"
"RTGUARD_HOOK_SOCKETS=DIR), so a test's containers wait only for that\n"
"test's daemons.\n"
"\n"
"Examples:\n"
"  rtguard hook install\n"
"  podman --hooks-dir /tmp/hooks run ...   (after rtguard hook install --dir /tmp/hooks)",
	.needs_root = false,
	.options = hook_options,
	.optstring = "",
	.exec = cmd_hook_exec,
};
