/*
 * ocihook.h: the OCI createRuntime hook that lets rtguard act on a
 * container before its first instruction.
 *
 * Owns the hook's three parts: the client (`rtguard hook`, run by the
 * runtime with the OCI state on stdin), the daemons' listening side (a unix
 * socket per running daemon in OCIHOOK_DIR, served on the libevent loop),
 * and the resolution of an OCI state into a struct container without the
 * engine's API: while the hook runs, Podman holds the container's lock and
 * dockerd waits for its runtime, so an inspect would wait for the hook
 * that waits for it. The image comes from the engine's own records on
 * disk (containers/storage's, Docker's config.v2.json), or from the CRI
 * annotations. Docker runs this hook through rtguard-runc (runtime.h).
 */
#ifndef RTGUARD_OCIHOOK_H
#define RTGUARD_OCIHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "container/container.h"

#define OCIHOOK_DIR		"/run/rtguard/hooks"	/* the default */
#define OCIHOOK_TIMEOUT_S	10	/* how long the hook waits for a daemon */

struct oci_state {
	char	 id[CONTAINER_ID_LEN + 1];
	pid_t	 pid;
	char	*bundle;
	char	*status;		/* "creating" while the hook runs */
};

/*
 * Where the daemons' sockets are: $RTGUARD_HOOK_SOCKETS (absolute), else
 * OCIHOOK_DIR. A test points its daemons and its hook at a directory of
 * its own, so its containers never wait for another test's daemons.
 */
const char *ocihook_socket_dir(void);
/* Parse the state JSON the runtime writes on the hook's stdin. Pure. */
int	ocihook_parse_state(const char *json, size_t len, struct oci_state *st,
	    struct rt_error *err);
void	ocihook_state_clear(struct oci_state *st);
/*
 * The container behind a state: root from the bundle's config.json, image
 * id, name and upper directory from containers/storage (Podman, CRI-O) or
 * from Docker's config.v2.json (found through the engine's bind mounts),
 * else the image from the CRI annotations.
 */
int	ocihook_resolve(const struct oci_state *st, struct container **out,
	    bool *cap_sys_admin, struct rt_error *err);
/* The message a daemon receives from the hook: a resolved container. */
int	ocihook_parse_container(const char *json, size_t len,
	    struct container **out, bool *cap_sys_admin, struct rt_error *err);

/*
 * A daemon's side. on_state runs on the loop for each hook; it answers
 * later (or at once) with ocihook_reply(): ok = the container may start.
 */
struct ocihook_server;
struct ocihook_call;
struct event_base;
/* c (resolved by the hook; the callee's) is about to start. */
typedef void (*ocihook_cb)(struct ocihook_call *call, struct container *c,
	    bool cap_sys_admin, void *arg);
int	ocihook_listen(struct event_base *base, const char *role,
	    ocihook_cb on_state, void *arg, struct ocihook_server **out,
	    struct rt_error *err);
void	ocihook_reply(struct ocihook_call *call, bool ok, const char *msg);
void	ocihook_server_free(struct ocihook_server *s);

/*
 * The client: resolve stdin's state into a container, hand it to every
 * listening daemon and wait (at most timeout_s) for each answer. 0 =
 * start the container; -EPERM = a daemon refused (err says why);
 * -ETIMEDOUT = a daemon did not answer.
 */
int	ocihook_run(const char *state, size_t len, int timeout_s,
	    struct rt_error *err);
/*
 * Write (or remove) the hook's JSON for the runtime into dir; sockets, if
 * not NULL, is passed to the hook as $RTGUARD_HOOK_SOCKETS.
 */
int	ocihook_install(const char *dir, const char *rtguard_path,
	    const char *sockets, struct rt_error *err);
int	ocihook_uninstall(const char *dir, struct rt_error *err);

#endif
