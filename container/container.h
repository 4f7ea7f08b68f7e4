/*
 * container.h: which container a process belongs to, and what that
 * container is (image, init pid, overlay directories).
 *
 * Owns the cgroup-path parser (pid -> container id, for Podman, Docker,
 * containerd, CRI-O and kubepods layouts, with libpcre2 patterns compiled
 * once), the client for the Docker-compatible Engine API on a unix socket
 * (inspect, list and the /events stream, asynchronous on a libevent loop;
 * blocking calls for the one-shot CLI), and the tracker that follows
 * containers as they start and stop. Image references are
 * common/imageref.h.
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
/* Whether s is a container id as engines write it: 64 lowercase hex. */
bool	container_id_valid(const char *s);
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
 * reachable, the error names every socket tried. Blocks for up to one
 * request timeout per socket (GET /_ping): call it before the loop runs.
 */
int	engine_open(const char *socket_path, struct engine **out,
	    struct rt_error *err);
/* Stops the loop binding too (engine_loop_stop); watches must be gone. */
void	engine_free(struct engine *e);
const char *engine_socket(const struct engine *e);

/*
 * Blocking requests, for the one-shot CLI only (`rtguard containers`
 * without --watch). They refuse (-EDEADLK) once the engine runs on a loop:
 * a daemon's loop must never wait on the engine.
 */
/* GET /containers/<id>/json. -ENOENT if the engine does not know id. */
int	engine_inspect(struct engine *e, const char *id, struct container **out,
	    struct rt_error *err);
/* All running containers, inspected. */
int	engine_list_running(struct engine *e, struct container ***out,
	    size_t *n, struct rt_error *err);
void	container_list_free(struct container **v, size_t n);

/*
 * Asynchronous requests: libcurl's multi interface driven by base's
 * sockets and timers, so nothing waits on the engine. engine_loop_start
 * binds e to base (again with the same base only adds a reference);
 * engine_loop_stop drops one, and the last cancels every request still
 * in flight without calling it back: do it before base is freed.
 */
int	engine_loop_start(struct engine *e, struct event_base *base,
	    struct rt_error *err);
void	engine_loop_stop(struct engine *e);

/*
 * Each request has a timeout (5 s) and its callback runs once, on the
 * loop, never inside the call that started it. A request handle is valid
 * until its callback starts; engine_req_cancel before then drops the
 * request and its callback. out may be NULL. Neither callback may stop
 * the loop binding or free e.
 */
struct engine_req;
/*
 * Inspect id: c (the callback owns it) or err, never both. err->code is
 * ENOENT when the engine does not know id (the container is gone),
 * ETIMEDOUT, ECONNREFUSED, EIO or EPROTO (an HTTP error, a bad answer)
 * when it could not say.
 */
typedef void (*engine_inspect_cb)(struct container *c,
	    const struct rt_error *err, void *arg);
int	engine_inspect_async(struct engine *e, const char *id,
	    engine_inspect_cb cb, void *arg, struct engine_req **out,
	    struct rt_error *err);
/*
 * GET /containers/json: the ids of the running containers (borrowed for
 * the callback's duration), or err. Inspect each with
 * engine_inspect_async: a container may stop in between.
 */
typedef void (*engine_list_cb)(char **ids, size_t n,
	    const struct rt_error *err, void *arg);
int	engine_list_ids_async(struct engine *e, engine_list_cb cb, void *arg,
	    struct engine_req **out, struct rt_error *err);
void	engine_req_cancel(struct engine_req *r);

/*
 * The wait before retry number attempt + 1 (attempt 0 is the first
 * retry): 250 ms doubling to 8 s, for inspects and the events stream.
 */
unsigned engine_retry_delay_ms(unsigned attempt);

/* Parsing of recorded API answers (pure; used by the client and tests). */
int	engine_parse_inspect(const char *json, size_t len,
	    struct container **out, struct rt_error *err);
int	engine_parse_list_ids(const char *json, size_t len, char ***ids,
	    size_t *n, struct rt_error *err);

enum engine_event_kind {
	ENGINE_EVENT_START,
	ENGINE_EVENT_STOP,	/* "die", "stop", "kill" ending the container */
	/*
	 * The stream is (re)established (id is empty): what happened before
	 * it went unseen, so a listing now catches up. Never parsed.
	 */
	ENGINE_EVENT_CONNECTED,
};

struct engine_event {
	enum engine_event_kind	 kind;
	char			 id[CONTAINER_ID_LEN + 1];
};

/* Parse one JSON line of the /events stream; -ENOENT if not a start/stop. */
int	engine_parse_event(const char *json, size_t len, struct engine_event *ev,
	    struct rt_error *err);

/*
 * Splitting the /events stream into lines (pure): bytes come in chunks
 * that cut lines anywhere. A line ends at '\n', a '\r' before it is
 * dropped, empty lines are skipped, and a line longer than max bytes is
 * dropped whole (an event is a few hundred bytes). engine_lines_feed calls
 * cb with each complete line, NUL-terminated, and returns how many lines
 * it dropped for their length; engine_lines_reset forgets a partial line
 * (a new connection).
 */
#define ENGINE_LINE_MAX	65535
struct engine_lines;
typedef void (*engine_line_cb)(const char *line, size_t len, void *arg);
struct engine_lines *engine_lines_new(size_t max);
void	engine_lines_free(struct engine_lines *l);
void	engine_lines_reset(struct engine_lines *l);
size_t	engine_lines_feed(struct engine_lines *l, const char *p, size_t n,
	    engine_line_cb cb, void *arg);

typedef void (*engine_event_cb)(const struct engine_event *ev, void *arg);
typedef void (*engine_error_cb)(const struct rt_error *err, void *arg);

/*
 * Follow GET /events (container start/stop only) on the engine's loop
 * (engine_loop_start first); cb runs in the loop for each event, and with
 * ENGINE_EVENT_CONNECTED each time the stream answers. If the stream
 * breaks or ends, on_error runs and the watch reconnects with backoff
 * (engine_retry_delay_ms) until engine_watch_stop, which must not be
 * called from cb or on_error.
 */
struct engine_watch;
int	engine_watch_start(struct engine *e, engine_event_cb cb,
	    engine_error_cb on_error, void *arg, struct engine_watch **out,
	    struct rt_error *err);
void	engine_watch_stop(struct engine_watch *w);

/* --- the tracker: which containers to attach to, as they come and go ---- */

/*
 * The tracker follows the engine for learn, enforce and containers
 * --watch, entirely on the loop: it follows the events stream and lists
 * the running containers (once the stream first answers or fails, and
 * again whenever it is back after a break), and for each container
 * (running, or started later) that select() accepts it calls attach();
 * when one stops it calls detach(). Each id is attached at most once.
 * attach() takes ownership of c; a negative return is logged and the
 * container is retried on its next start.
 *
 * A container the engine announces but cannot describe (the inspect timed
 * out, was refused, or answered an HTTP error other than 404) is never
 * dropped: unresolved() says so after each failed inspect (the daemon
 * alerts; without unresolved() the tracker logs it as information), and the
 * tracker asks again after engine_retry_delay_ms() until the inspect
 * succeeds (then select() and attach() as usual) or the container is gone
 * (404, not running, or a stop event).
 *
 * tracker_start returns at once; ready(), if set, runs once, when the
 * first listing has been answered and each container in it attached,
 * refused, found gone or reported unresolved: the moment for a daemon's
 * "enforcing N containers". New members are added at the end; callers
 * use designated initializers (-Wextra warns on a short positional one).
 */
struct tracker_ops {
	bool	(*select)(const struct container *c, void *arg);
	int	(*attach)(struct container *c, void *arg);
	void	(*detach)(const char *id, void *arg);
	/* Optional: id could not be inspected (err says why); retried. */
	void	(*unresolved)(const char *id, const struct rt_error *err,
		    void *arg);
	/* Optional: the initial scan is done (see above). */
	void	(*ready)(void *arg);
};

struct tracker;
/* Binds e to base (engine_loop_start); fails only if it cannot. */
int	tracker_start(struct engine *e, struct event_base *base,
	    const struct tracker_ops *ops, void *arg, struct tracker **out,
	    struct rt_error *err);
/*
 * A container attached by other means (the OCI hook, before the engine
 * knows it is running): never attach it again, but do call detach() when
 * it stops. Cancels a pending inspect of it.
 */
void	tracker_adopt(struct tracker *t, const char *id);
size_t	tracker_count(const struct tracker *t);	/* attached now */
/* Detaches nothing; cancels what is in flight. Before base is freed. */
void	tracker_free(struct tracker *t);

#endif
