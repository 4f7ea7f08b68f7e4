/*
 * runtime.h: rtguard-runc, an OCI runtime in front of runc for engines
 * that run no OCI hooks of their own (Docker, through containerd).
 *
 * Owns the wrapper's three decisions, as nvidia-container-runtime makes
 * them: whether a runc command line creates a container (parsed the way
 * runc parses it), adding rtguard's createRuntime hook (`rtguard hook`,
 * see ocihook.h) to that container's bundle, and which runc to become.
 * Everything else is runc's: the wrapper execs it with the arguments it
 * was given. The wrapper never decides about protection and never stops
 * a container: when the bundle cannot be changed it says so on stderr and
 * runc starts the container without the hook (rtguard then attaches at
 * the engine's start event); the daemons the hook asks decide.
 */
#ifndef RTGUARD_RUNTIME_H
#define RTGUARD_RUNTIME_H

#include <stddef.h>

#include "common/error.h"

#define RUNTIME_WRAPPER_NAME	"rtguard-runc"
#define RUNTIME_CONFIG_MAX	(16 * 1024 * 1024)

/*
 * The bundle directory of a runc command line (args: runc's arguments
 * without argv[0], NULL-terminated) that creates a container: "create",
 * "run" or "restore" with --bundle/-b DIR, or "." (runc's default: its
 * working directory). NULL for every other command. Pure.
 */
const char *runtime_create_bundle(char *const *args);

/*
 * config (a bundle's config.json) with rtguard's hook appended to
 * hooks.createRuntime: hook_path run as "rtguard hook", given
 * RTGUARD_HOOK_SOCKETS=sockets unless sockets is NULL. Everything else is
 * kept: keys in their order, every value as parsed, indented if config
 * was. 0 and *out (the caller frees it); 1 when an rtguard hook is there
 * already (*out NULL); -EPROTO (err says why) when config cannot be
 * rewritten faithfully. Pure.
 */
int	runtime_config_add_hook(const char *config, size_t len,
	    const char *hook_path, const char *sockets, char **out,
	    struct rt_error *err);
/*
 * The same on bundle/config.json, opened and replaced relative to the
 * bundle's descriptor: a new file in the bundle, renamed over the old one
 * with its mode, so runc reads either the old config or the new one.
 */
int	runtime_bundle_add_hook(const char *bundle, const char *hook_path,
	    const char *sockets, struct rt_error *err);

/*
 * The runtime to exec into out: path if not NULL, else /usr/bin/runc,
 * else /usr/sbin/runc; never the wrapper itself (a loop). -ENOENT or
 * -ELOOP with err set.
 */
int	runtime_find_runc(const char *path, char *out, size_t size,
	    struct rt_error *err);

/*
 * Become runc: when args create a container, add the hook to its bundle
 * (a failure is logged, never fatal), then exec runc with args. Returns
 * only when runc cannot be exec'd (err says why). hook_path NULL: no
 * hook, only the exec.
 */
int	runtime_exec(const char *runc, char *const *args,
	    const char *hook_path, const char *sockets, struct rt_error *err);

#endif
