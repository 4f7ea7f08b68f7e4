/*
 * container.h: which container a process belongs to, and what that
 * container is (image, init pid, overlay directories).
 *
 * Owns three things: the cgroup-path parser (pid -> container id, for
 * Podman, Docker, containerd, CRI-O and kubepods layouts, with libpcre2
 * patterns compiled once), image reference normalisation and matching (as
 * Docker does it), and the client for the Docker-compatible Engine API on a
 * unix socket (inspect, list, and the /events stream under libevent).
 */
#ifndef RTGUARD_CONTAINER_H
#define RTGUARD_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct event_base;

#define CONTAINER_ID_LEN	64

/* --- cgroup ------------------------------------------------------------ */

/*
 * Find a 64-hex container id in the text of /proc/PID/cgroup. Returns 0
 * and fills id, -ENOENT when the process is not in a container, -EINVAL on
 * malformed text.
 */
int	cgroup_parse_container_id(const char *cgroup_text, size_t len,
	    char id[CONTAINER_ID_LEN + 1]);
/* Read /proc/<pid>/cgroup and parse it; -ENOENT for host processes. */
int	cgroup_container_of_pid(pid_t pid, char id[CONTAINER_ID_LEN + 1],
	    struct rt_error *err);

/*
 * The cgroup v2 id of a process (what bpf_get_current_cgroup_id() returns
 * for it: the kernfs id of its directory in the unified hierarchy),
 * resolving the "0::" line of /proc/<pid>/cgroup against the cgroup2
 * mount of /proc/self/mountinfo. -ENOENT when the host has no unified
 * hierarchy mounted or the process is outside it, -ESRCH if it is gone.
 */
int	cgroup_v2_id_of_pid(pid_t pid, uint64_t *id, struct rt_error *err);
/* Pure parts, for the tests: the "0::" path; the cgroup2 mount point and
 * root. 0, -ENOENT if absent, -ENAMETOOLONG. */
int	cgroup_v2_path_parse(const char *cgroup_text, size_t len, char *path,
	    size_t size);
int	cgroup_v2_mount_parse(const char *mountinfo, size_t len, char *mnt,
	    size_t mnt_size, char *root, size_t root_size);

/* --- image references -------------------------------------------------- */

/*
 * Normalise as Docker does: "nginx" -> "docker.io/library/nginx:latest",
 * "localhost/nginx:test" unchanged, digests kept. -EINVAL on bad syntax.
 */
int	imageref_normalise(const char *ref, char **out, struct rt_error *err);
/*
 * Whether a user's --image pattern selects a normalised ref: a full
 * reference, a repository without tag ("docker.io/library/nginx"), or a
 * short name ("nginx" matches "localhost/nginx:test").
 */
bool	imageref_matches(const char *pattern, const char *normalised_ref);

/* --- containers -------------------------------------------------------- */

struct container {
	char	 id[CONTAINER_ID_LEN + 1];
	char	*name;
	char	*image_ref;	/* normalised */
	char	*image_id;	/* "sha256:..." or bare hex, as the engine says */
	pid_t	 init_pid;	/* 0 if not running */
	char	*merged_dir;	/* overlay root in the host mount namespace */
	char	*upper_dir;
	char	*lower_dirs;	/* colon-separated, as in the mount options */
};

void	container_free(struct container *c);
/*
 * A path read from an event descriptor is the path in the opener's mount
 * namespace: inside the container "/etc/passwd", but from a host process
 * (runc, podman cp) "<MergedDir>/etc/passwd". Rewrite the latter in place
 * to the former, so decisions never depend on who opened the file.
 */
void	container_path(const struct container *c, char *path);

/* Where the file open on fd (path inside the container) comes from. */
enum file_origin {
	ORIGIN_IMAGE,		/* the image's lower layers */
	ORIGIN_UPPER,		/* written or changed in the container */
	ORIGIN_ELSEWHERE,	/* not on the container's overlay: volume, tmpfs */
};
enum file_origin container_file_origin(const struct container *c, int fd,
	    const char *path);
/*
 * Whether the container's root is a mounted overlay of its own (never the
 * host's root filesystem): the only place rtguard puts fanotify marks.
 */
bool	container_root_is_overlay(const struct container *c);

/* --- Engine API client ------------------------------------------------- */

struct engine;

/*
 * Connect to the Engine API: socket_path if given, else
 * /run/podman/podman.sock, else /var/run/docker.sock. With no engine
 * reachable, the error names every socket tried.
 */
int	engine_open(const char *socket_path, struct engine **out,
	    struct rt_error *err);
void	engine_free(struct engine *e);
const char *engine_socket(const struct engine *e);

/* GET /containers/<id>/json. -ENOENT if the engine does not know id. */
int	engine_inspect(struct engine *e, const char *id, struct container **out,
	    struct rt_error *err);
/* All running containers, inspected. */
int	engine_list_running(struct engine *e, struct container ***out,
	    size_t *n, struct rt_error *err);
void	container_list_free(struct container **v, size_t n);

/* Parsing of recorded API answers (pure; used by the client and tests). */
int	engine_parse_inspect(const char *json, size_t len,
	    struct container **out, struct rt_error *err);
int	engine_parse_list_ids(const char *json, size_t len, char ***ids,
	    size_t *n, struct rt_error *err);

enum engine_event_kind {
	ENGINE_EVENT_START,
	ENGINE_EVENT_STOP,	/* "die", "stop", "kill" ending the container */
};

struct engine_event {
	enum engine_event_kind	 kind;
	char			 id[CONTAINER_ID_LEN + 1];
};

/* Parse one JSON line of the /events stream; -ENOENT if not a start/stop. */
int	engine_parse_event(const char *json, size_t len, struct engine_event *ev,
	    struct rt_error *err);

typedef void (*engine_event_cb)(const struct engine_event *ev, void *arg);
typedef void (*engine_error_cb)(const struct rt_error *err, void *arg);

/*
 * Follow GET /events (container start/stop only) on base; cb runs in the
 * loop for each event. If the stream breaks, on_error runs and the watch
 * reconnects with backoff until engine_watch_stop.
 */
struct engine_watch;
int	engine_watch_start(struct engine *e, struct event_base *base,
	    engine_event_cb cb, engine_error_cb on_error, void *arg,
	    struct engine_watch **out, struct rt_error *err);
void	engine_watch_stop(struct engine_watch *w);

/* --- the tracker: which containers to attach to, as they come and go ---- */

/*
 * The tracker follows the engine for learn and enforce: it starts the
 * events watch, then lists the running containers, and for each container
 * (running, or started later) that select() accepts it calls attach();
 * when one stops it calls detach(). Each id is attached at most once.
 * attach() takes ownership of c; a negative return is logged and the
 * container is retried on its next start.
 *
 * A container the engine announces but cannot describe (inspect failed or
 * timed out) is never dropped: unresolved() says so (the daemon alerts)
 * and the tracker keeps asking, with backoff, until it is resolved or the
 * container is gone. Nothing here waits on the engine on the loop.
 */
struct tracker_ops {
	bool	(*select)(const struct container *c, void *arg);
	int	(*attach)(struct container *c, void *arg);
	void	(*detach)(const char *id, void *arg);
	/* Optional: id could not be inspected (err says why); retried. */
	void	(*unresolved)(const char *id, const struct rt_error *err,
		    void *arg);
};

struct tracker;
int	tracker_start(struct engine *e, struct event_base *base,
	    const struct tracker_ops *ops, void *arg, struct tracker **out,
	    struct rt_error *err);
/*
 * A container attached by other means (the OCI hook, before the engine
 * knows it is running): never attach it again, but do call detach() when
 * it stops.
 */
void	tracker_adopt(struct tracker *t, const char *id);
size_t	tracker_count(const struct tracker *t);	/* attached now */
void	tracker_free(struct tracker *t);	/* detaches nothing */

#endif
