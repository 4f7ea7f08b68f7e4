/*
 * rtguard-runc.c: the OCI runtime an engine without hooks (Docker) runs
 * instead of runc, so its containers get rtguard's createRuntime hook
 * (container/runtime.h). Every argument is runc's; the environment may
 * name the runc ($RTGUARD_RUNC) and the daemons' socket directory
 * ($RTGUARD_HOOK_SOCKETS). A program of its own, not an rtguard command:
 * it is in front of every runc call an engine makes, and rtguard's
 * libraries (libcurl and what it pulls in) cost about 5 ms per exec
 * where this, linked with jansson only, costs half a millisecond.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "container/runtime.h"

/* rtguard itself, the hook: beside this program, else where installed. */
static const char *
hook_binary(char *buf, size_t size)
{
	ssize_t	 n;
	char	*slash;

	if ((n = readlink("/proc/self/exe", buf, size - 1)) > 0) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL &&
		    (size_t)(slash - buf) + sizeof("/rtguard") <= size) {
			strcpy(slash, "/rtguard");
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, size, "%s/rtguard", RTGUARD_BINDIR);
	if (access(buf, X_OK) == 0)
		return buf;
	log_warnx("no rtguard beside %s or in %s: containers start without "
	    "its hook", RUNTIME_WRAPPER_NAME, RTGUARD_BINDIR);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct rt_error	 err;
	const char	*env, *sockets = NULL;
	char		 runc[PATH_MAX], hook[PATH_MAX];

	(void)argc;
	log_init(LOG_LEVEL_QUIET, RUNTIME_WRAPPER_NAME);
	env = getenv("RTGUARD_RUNC");
	if (runtime_find_runc(env != NULL && env[0] != '\0' ? env : NULL,
	    runc, sizeof(runc), &err) < 0) {
		fprintf(stderr, "%s: %s\n", RUNTIME_WRAPPER_NAME, err.msg);
		return 127;
	}
	env = getenv("RTGUARD_HOOK_SOCKETS");
	if (env != NULL && env[0] == '/')
		sockets = env;
	/* Only a create needs the hook: every other call goes straight on. */
	runtime_exec(runc, argv + 1, runtime_create_bundle(argv + 1) != NULL ?
	    hook_binary(hook, sizeof(hook)) : NULL, sockets, &err);
	fprintf(stderr, "%s: %s\n", RUNTIME_WRAPPER_NAME, err.msg);
	return 127;
}
