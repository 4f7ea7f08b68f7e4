/*
 * cmd-runtime.c: `rtguard runtime`, the runc wrapper for engines that run
 * no OCI hooks (Docker): `rtguard runtime -- RUNC-ARGS` is the wrapper
 * itself (container/runtime.h), and `rtguard runtime install|uninstall`
 * puts the fast one, rtguard-runc, where Docker's daemon.json can name it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/xmalloc.h"
#include "container/runtime.h"

#define DEFAULT_WRAPPER_DIR	"/usr/local/bin"
/* The line that marks a script as ours, for uninstall. */
#define SCRIPT_MARK		"# written by 'rtguard runtime install'"

struct runtime_opts {
	const char	*dir;
	const char	*runtime;
	const char	*sockets;
};

static const struct option runtime_options[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "runtime", required_argument, NULL, 'r' },
	{ "sockets", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static int
runtime_option(int opt, const char *arg, void *v, struct rt_error *err)
{
	struct runtime_opts	*o = v;

	if (arg[0] != '/' || strchr(arg, '\'') != NULL)
		return cmd_usage_error(err, "'%s': an absolute path without "
		    "quotes", arg);
	switch (opt) {
	case 'd':
		o->dir = arg;
		return 0;
	case 'r':
		o->runtime = arg;
		return 0;
	case 's':
		o->sockets = arg;
		return 0;
	}
	return cmd_usage_error(err, "unknown option");
}

static int
self_path(char *buf, size_t size, struct rt_error *err)
{
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, size - 1)) < 0)
		return rt_error_sys(err, errno, "/proc/self/exe");
	buf[n] = '\0';
	return 0;
}

/* rtguard-runc as built and installed beside this rtguard. */
static int
wrapper_path(char *buf, size_t size, struct rt_error *err)
{
	char	*slash;

	if (self_path(buf, size, err) < 0)
		return -err->code;
	if ((slash = strrchr(buf, '/')) == NULL ||
	    (size_t)(slash - buf) + sizeof("/" RUNTIME_WRAPPER_NAME) > size)
		return rt_error_set(err, ENAMETOOLONG, "%s", buf);
	strcpy(slash, "/" RUNTIME_WRAPPER_NAME);
	if (access(buf, X_OK) < 0)
		return rt_error_sys(err, errno, "%s (installed beside rtguard "
		    "by make install)", buf);
	return 0;
}

/* Whether path is a wrapper this command wrote (a symlink or a script). */
static bool
ours(const char *path)
{
	struct stat	 st;
	char		 line[256];
	FILE		*f;
	ssize_t		 n;
	bool		 mark = false;

	if (lstat(path, &st) < 0)
		return false;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(path, line, sizeof(line) - 1)) < 0)
			return false;
		line[n] = '\0';
		return n >= (ssize_t)sizeof(RUNTIME_WRAPPER_NAME) &&
		    strcmp(line + n - sizeof(RUNTIME_WRAPPER_NAME),
		    "/" RUNTIME_WRAPPER_NAME) == 0;
	}
	if (!S_ISREG(st.st_mode) || (f = fopen(path, "re")) == NULL)
		return false;
	while (!mark && fgets(line, sizeof(line), f) != NULL)
		mark = strncmp(line, SCRIPT_MARK, strlen(SCRIPT_MARK)) == 0;
	fclose(f);
	return mark;
}

static int
install_script(const char *tmp, const char *wrapper,
    const struct runtime_opts *o, struct rt_error *err)
{
	FILE	*f;

	if ((f = fopen(tmp, "wxe")) == NULL)
		return rt_error_sys(err, errno, "%s", tmp);
	fprintf(f, "#!/bin/sh\n%s: Docker's runtime \"path\"\n"
	    "# takes no arguments, so they are here.\n", SCRIPT_MARK);
	if (o->runtime != NULL)
		fprintf(f, "export RTGUARD_RUNC='%s'\n", o->runtime);
	if (o->sockets != NULL)
		fprintf(f, "export RTGUARD_HOOK_SOCKETS='%s'\n", o->sockets);
	fprintf(f, "exec '%s' \"$@\"\n", wrapper);
	if (fchmod(fileno(f), 0755) < 0 || ferror(f) || fclose(f) != 0)
		return rt_error_sys(err, errno ? errno : EIO, "%s", tmp);
	return 0;
}

static int
runtime_install(const struct runtime_opts *o, struct rt_error *err)
{
	char	 wrapper[PATH_MAX], target[PATH_MAX], tmp[PATH_MAX];
	int	 rc;

	if (wrapper_path(wrapper, sizeof(wrapper), err) < 0)
		return -1;
	if (mkdir(o->dir, 0755) < 0 && errno != EEXIST)
		return rt_error_sys(err, errno, "%s", o->dir);
	snprintf(target, sizeof(target), "%s/%s", o->dir, RUNTIME_WRAPPER_NAME);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", o->dir, RUNTIME_WRAPPER_NAME);
	if (access(target, F_OK) == 0 && !ours(target))
		return rt_error_set(err, EEXIST, "%s exists and is not "
		    "rtguard's: remove it first", target);
	if (o->runtime == NULL && o->sockets == NULL &&
	    strcmp(target, wrapper) == 0) {
		printf("%s is installed already\n", target);
		return EXIT_OK;
	}
	(void)unlink(tmp);
	/* Nothing to pass: a symlink, no shell in front of every runc call. */
	if (o->runtime == NULL && o->sockets == NULL)
		rc = symlink(wrapper, tmp) < 0 ? rt_error_sys(err, errno, "%s",
		    tmp) : 0;
	else
		rc = install_script(tmp, wrapper, o, err);
	if (rc == 0 && rename(tmp, target) < 0)
		rc = rt_error_sys(err, errno, "%s", target);
	if (rc < 0) {
		(void)unlink(tmp);
		return -1;
	}
	printf("installed %s: name it as a runtime in /etc/docker/daemon.json,\n"
	    "  \"runtimes\": {\"rtguard\": {\"path\": \"%s\"}}\n"
	    "then reload dockerd (kill -HUP) and run 'docker run --runtime "
	    "rtguard ...',\nor add \"default-runtime\": \"rtguard\" to cover "
	    "every container\n", target, target);
	return EXIT_OK;
}

static int
runtime_uninstall(const struct runtime_opts *o, struct rt_error *err)
{
	char	target[PATH_MAX];

	snprintf(target, sizeof(target), "%s/%s", o->dir, RUNTIME_WRAPPER_NAME);
	if (access(target, F_OK) < 0 && errno == ENOENT)
		return EXIT_OK;
	if (!ours(target))
		return rt_error_set(err, EPERM, "%s is not rtguard's: left "
		    "alone", target);
	if (unlink(target) < 0)
		return rt_error_sys(err, errno, "%s", target);
	return EXIT_OK;
}

/* The wrapper itself, slower than rtguard-runc by rtguard's libraries. */
static int
runtime_wrap(const struct runtime_opts *o, char **args, struct rt_error *err)
{
	const char	*env, *runtime = o->runtime, *sockets = o->sockets;
	char		 runc[PATH_MAX], self[PATH_MAX];

	env = getenv("RTGUARD_RUNC");
	if (runtime == NULL && env != NULL && env[0] != '\0')
		runtime = env;
	env = getenv("RTGUARD_HOOK_SOCKETS");
	if (sockets == NULL && env != NULL && env[0] == '/')
		sockets = env;
	if (runtime_find_runc(runtime, runc, sizeof(runc), err) < 0 ||
	    self_path(self, sizeof(self), err) < 0)
		return -1;
	runtime_exec(runc, args, self, sockets, err);
	return -1;
}

static int
cmd_runtime_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	struct runtime_opts	 o = { DEFAULT_WRAPPER_DIR, NULL, NULL };
	int			 rc, first;

	rc = cmd_getopt(self, g, argc, argv, runtime_option, &o, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	if (first > 1 && strcmp(argv[first - 1], "--") == 0)
		return runtime_wrap(&o, argv + first, err);
	if (first == argc)
		return cmd_usage_error(err, "give runc's arguments after '--', "
		    "or an action (install, uninstall)");
	if (first + 1 != argc)
		return cmd_usage_error(err, "unexpected argument '%s' (runc's "
		    "arguments go after '--')", argv[first + 1]);
	if (strcmp(argv[first], "install") == 0)
		return runtime_install(&o, err) < 0 ? -1 : EXIT_OK;
	if (strcmp(argv[first], "uninstall") == 0)
		return runtime_uninstall(&o, err) < 0 ? -1 : EXIT_OK;
	return cmd_usage_error(err, "unknown action '%s' (install, uninstall, "
	    "or runc's arguments after '--')", argv[first]);
}

const struct cmd_entry cmd_runtime_entry = {
	.name = "runtime",
	.args = "[--runtime PATH] [--sockets DIR] -- RUNC-ARGS... | "
	    "install|uninstall [--dir DIR] [--runtime PATH] [--sockets DIR]",
	.summary = "the runc wrapper that protects Docker containers from "
	    "their first exec",
	.help =
"Docker runs no OCI hooks of its own, so 'rtguard hook install' cannot\n"
"reach its containers. The runtime wrapper closes that gap the way\n"
"nvidia-container-runtime does: Docker (through containerd) runs it\n"
"instead of runc; when runc is asked to create a container, the wrapper\n"
"adds rtguard's createRuntime hook to the container's config.json (a new\n"
"file renamed over the old one, everything else kept), then it execs the\n"
"real runc with the same arguments. Every other runc command goes\n"
"straight through. runc then runs 'rtguard hook' before the container's\n"
"first instruction, exactly as with Podman: every running 'rtguard\n"
"enforce' protects it first, or the start fails with the reason.\n"
"\n"
"The wrapper never stops a container itself: if config.json cannot be\n"
"changed, it says why on stderr (containerd's log) and runc starts the\n"
"container without the hook; rtguard then attaches at the engine's start\n"
"event, a few milliseconds in (see README, Known limits).\n"
"\n"
"The wrapper to give Docker is rtguard-runc, installed beside rtguard by\n"
"make install: a small program that takes all its arguments as runc's,\n"
"so it costs about half a millisecond per runc call where\n"
"'rtguard runtime -- ARGS' costs rtguard's start-up (about 5 ms).\n"
"It reads $RTGUARD_RUNC (the real runc; default /usr/bin/runc, then\n"
"/usr/sbin/runc) and $RTGUARD_HOOK_SOCKETS (passed on to the hook).\n"
"\n"
"'install' puts rtguard-runc into --dir (default /usr/local/bin): a\n"
"symlink, or with --runtime or --sockets a two-line script that sets them\n"
"(Docker's runtime \"path\" takes no arguments). 'uninstall' removes it.\n"
"Then name it in /etc/docker/daemon.json and reload dockerd:\n"
"\n"
"  {\"runtimes\": {\"rtguard\": {\"path\": \"/usr/bin/rtguard-runc\"}},\n"
"   \"default-runtime\": \"rtguard\"}\n"
"\n"
"Without \"default-runtime\", only 'docker run --runtime rtguard' gets it.\n"
"\n"
"Examples:\n"
"  kill -HUP $(pidof dockerd)     (after editing daemon.json as above)\n"
"  docker run --rm --runtime rtguard nginx\n"
"  rtguard runtime install --dir /usr/local/bin --runtime /usr/sbin/runc\n"
"  rtguard runtime -- --root /run/runc create --bundle /tmp/b ID",
	.needs_root = false,
	.options = runtime_options,
	.optstring = "",
	.exec = cmd_runtime_exec,
};
