/*
 * ocihook.c: the OCI createRuntime hook, both ends (see ocihook.h).
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/imageref.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "container/ocihook.h"

#define STATE_MAX	(1024 * 1024)

const char *
ocihook_socket_dir(void)
{
	const char	*d = getenv("RTGUARD_HOOK_SOCKETS");

	return d != NULL && d[0] == '/' ? d : OCIHOOK_DIR;
}

/* --- state and resolution ----------------------------------------------- */

int
ocihook_parse_state(const char *json, size_t len, struct oci_state *st,
    struct rt_error *err)
{
	json_error_t	 je;
	json_t		*o;
	const char	*id, *bundle, *status;
	json_int_t	 pid;

	memset(st, 0, sizeof(*st));
	if ((o = json_loadb(json, len, 0, &je)) == NULL)
		return rt_error_set(err, EPROTO, "OCI state is not JSON: line "
		    "%d: %s", je.line, je.text);
	id = json_string_value(json_object_get(o, "id"));
	bundle = json_string_value(json_object_get(o, "bundle"));
	status = json_string_value(json_object_get(o, "status"));
	pid = json_integer_value(json_object_get(o, "pid"));
	if (!container_id_valid(id) || bundle == NULL || bundle[0] != '/' ||
	    pid <= 0 || pid > 0x3fffffff) {
		json_decref(o);
		return rt_error_set(err, EPROTO, "OCI state lacks a 64-hex "
		    "\"id\", an absolute \"bundle\" or a \"pid\"");
	}
	memcpy(st->id, id, sizeof(st->id));
	st->pid = (pid_t)pid;
	st->bundle = xstrdup(bundle);
	st->status = xstrdup(status != NULL ? status : "");
	json_decref(o);
	return 0;
}

void
ocihook_state_clear(struct oci_state *st)
{
	free(st->bundle);
	free(st->status);
	memset(st, 0, sizeof(*st));
}

static json_t *
load_json(const char *path, struct rt_error *err)
{
	json_error_t	 je;
	json_t		*o;

	if ((o = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je)) == NULL)
		rt_error_set(err, errno ? errno : EPROTO, "%s: %s", path,
		    je.text);
	return o;
}

static json_t *
find_by_id(json_t *array, const char *id)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(array, i, e)
		if (json_is_string(json_object_get(e, "id")) &&
		    strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
			return e;
	return NULL;
}

/* containers/storage: the image id and name, the upper layer. */
static void
resolve_storage(const char *graphroot, struct container *c)
{
	struct rt_error	 err;
	json_t		*cs, *is, *ce, *ie, *names;
	const char	*image, *layer, *name;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json",
	    graphroot);
	if ((cs = load_json(path, &err)) == NULL) {
		log_debug("%s", err.msg);
		return;
	}
	if ((ce = find_by_id(cs, c->id)) != NULL) {
		image = json_string_value(json_object_get(ce, "image"));
		layer = json_string_value(json_object_get(ce, "layer"));
		if (image != NULL)
			c->image_id = xstrdup(image);
		if (layer != NULL && strchr(layer, '/') == NULL)
			c->upper_dir = xasprintf("%s/overlay/%s/diff",
			    graphroot, layer);
	}
	snprintf(path, sizeof(path), "%s/overlay-images/images.json",
	    graphroot);
	if (c->image_id != NULL && (is = load_json(path, &err)) != NULL) {
		ie = find_by_id(is, c->image_id);
		names = json_object_get(ie, "names");
		name = json_string_value(json_array_get(names, 0));
		if (name != NULL && imageref_normalise(name, &c->image_ref,
		    &err) < 0)
			c->image_ref = NULL;
		json_decref(is);
	}
	json_decref(cs);
}

/*
 * "<root>/containers/<64 hex>/<file>", a source Docker gives its
 * /etc/hostname, /etc/hosts and /etc/resolv.conf bind mounts: the data
 * root (/var/lib/docker unless dockerd's --data-root says otherwise), or
 * NULL.
 */
static char *
docker_data_root(const char *src)
{
	const char	*file, *id;

	if (src == NULL || src[0] != '/' || (file = strrchr(src, '/')) == src)
		return NULL;
	for (id = file - 1; id > src && *id != '/'; id--)
		;
	if ((size_t)(file - id - 1) != CONTAINER_ID_LEN ||
	    (size_t)(id - src) < sizeof("/containers") - 1 ||
	    strncmp(id - (sizeof("/containers") - 1), "/containers",
	    sizeof("/containers") - 1) != 0)
		return NULL;
	return xstrndup(src, (size_t)(id - src) - (sizeof("/containers") - 1));
}

/*
 * Docker's own record of a container, config.v2.json, written when the
 * container was created (before its task, so before this hook): the image
 * as the user named it and its id, the name, the storage driver.
 */
static bool
resolve_docker_record(const char *root, struct container *c)
{
	struct rt_error	 err;
	json_t		*rec;
	const char	*id, *image, *image_id, *name, *driver;
	char		 path[PATH_MAX];
	size_t		 n;

	if ((size_t)snprintf(path, sizeof(path), "%s/containers/%s/"
	    "config.v2.json", root, c->id) >= sizeof(path))
		return false;
	if ((rec = load_json(path, &err)) == NULL) {
		log_debug("%s", err.msg);
		return false;
	}
	id = json_string_value(json_object_get(rec, "ID"));
	image = json_string_value(json_object_get(json_object_get(rec,
	    "Config"), "Image"));
	image_id = json_string_value(json_object_get(rec, "Image"));
	name = json_string_value(json_object_get(rec, "Name"));
	driver = json_string_value(json_object_get(rec, "Driver"));
	if (id == NULL || strcmp(id, c->id) != 0 || image == NULL ||
	    imageref_normalise(image, &c->image_ref, &err) < 0) {
		c->image_ref = NULL;
		json_decref(rec);
		return false;
	}
	if (image_id != NULL) {
		free(c->image_id);
		c->image_id = xstrdup(image_id);
	}
	if (name != NULL && name[0] != '\0') {
		free(c->name);
		c->name = xstrdup(name[0] == '/' ? name + 1 : name);
	}
	/* overlay2 keeps <layer>/merged over <layer>/diff, as inspect says. */
	n = c->merged_dir != NULL ? strlen(c->merged_dir) : 0;
	if (driver != NULL && strcmp(driver, "overlay2") == 0 && n > 7 &&
	    strcmp(c->merged_dir + n - 7, "/merged") == 0) {
		free(c->upper_dir);
		c->upper_dir = xasprintf("%.*s/diff", (int)(n - 7),
		    c->merged_dir);
	}
	json_decref(rec);
	return true;
}

/*
 * Docker (moby, through containerd): the bundle is containerd's and says
 * nothing of the engine, but the engine's bind mounts come from its data
 * root. They may come from another container's directory (--network
 * container:X shares X's hosts file): only the root is taken from them,
 * and the record read is this container's, checked by its "ID".
 */
static void
resolve_docker(json_t *cfg, struct container *c)
{
	json_t		*m;
	const char	*dst;
	char		*root;
	size_t		 i;
	bool		 found = false;

	json_array_foreach(json_object_get(cfg, "mounts"), i, m) {
		dst = json_string_value(json_object_get(m, "destination"));
		if (dst == NULL || (strcmp(dst, "/etc/hostname") != 0 &&
		    strcmp(dst, "/etc/hosts") != 0 &&
		    strcmp(dst, "/etc/resolv.conf") != 0))
			continue;
		root = docker_data_root(json_string_value(json_object_get(m,
		    "source")));
		if (root != NULL)
			found = resolve_docker_record(root, c);
		free(root);
		if (found)
			return;
	}
}

int
ocihook_resolve(const struct oci_state *st, struct container **out,
    bool *cap_sys_admin, struct rt_error *err)
{
	struct container	*c;
	json_t			*cfg, *caps, *ann, *e;
	const char		*root, *image, *tail;
	char			 path[PATH_MAX], *graphroot;
	size_t			 i, n;

	*out = NULL;
	*cap_sys_admin = false;
	snprintf(path, sizeof(path), "%s/config.json", st->bundle);
	if ((cfg = load_json(path, err)) == NULL)
		return -err->code;
	c = xcalloc(1, sizeof(*c));
	memcpy(c->id, st->id, sizeof(c->id));
	c->init_pid = st->pid;
	root = json_string_value(json_object_get(json_object_get(cfg, "root"),
	    "path"));
	if (root != NULL)
		c->merged_dir = root[0] == '/' ? xstrdup(root) :
		    xasprintf("%s/%s", st->bundle, root);
	caps = json_object_get(json_object_get(json_object_get(cfg, "process"),
	    "capabilities"), "bounding");
	json_array_foreach(caps, i, e)
		if (json_is_string(e) &&
		    strcmp(json_string_value(e), "CAP_SYS_ADMIN") == 0)
			*cap_sys_admin = true;
	/* Podman and CRI-O keep bundles in <graphroot>/overlay-containers. */
	tail = strstr(st->bundle, "/overlay-containers/");
	if (tail != NULL) {
		n = (size_t)(tail - st->bundle);
		graphroot = xasprintf("%.*s", (int)n, st->bundle);
		resolve_storage(graphroot, c);
		free(graphroot);
	}
	if (c->image_ref == NULL)
		resolve_docker(cfg, c);
	ann = json_object_get(cfg, "annotations");
	if (c->image_ref == NULL) {
		image = json_string_value(json_object_get(ann,
		    "io.kubernetes.cri.image-name"));
		if (image == NULL)
			image = json_string_value(json_object_get(ann,
			    "io.kubernetes.cri-o.ImageName"));
		if (image != NULL &&
		    imageref_normalise(image, &c->image_ref, err) < 0)
			c->image_ref = NULL;
	}
	json_decref(cfg);
	if (c->merged_dir == NULL || c->image_ref == NULL) {
		rt_error_set(err, ENOENT, "container %.12s: %s unknown from its "
		    "bundle %s", c->id, c->merged_dir == NULL ? "root" :
		    "image", st->bundle);
		container_free(c);
		return -err->code;
	}
	if (c->name == NULL)
		c->name = xstrdup(c->id);
	*out = c;
	return 0;
}

/*
 * What the hook hands a daemon: the container as resolved above, so the
 * daemon reads no file on its loop. Only root can reach the sockets, but
 * the message is still checked as if hostile.
 */
static char *
container_message(const struct container *c, bool cap_sys_admin)
{
	json_t	*o;
	char	*s;

	o = json_pack("{s:s, s:i, s:s, s:b}", "id", c->id, "pid",
	    (int)c->init_pid, "root", c->merged_dir, "cap_sys_admin",
	    cap_sys_admin);
	if (c->upper_dir != NULL)
		json_object_set_new(o, "upper", json_string(c->upper_dir));
	if (c->image_id != NULL)
		json_object_set_new(o, "image_id", json_string(c->image_id));
	if (c->image_ref != NULL)
		json_object_set_new(o, "image", json_string(c->image_ref));
	if (c->name != NULL)
		json_object_set_new(o, "name", json_string(c->name));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *
opt_path(json_t *o, const char *key)
{
	const char	*v = json_string_value(json_object_get(o, key));

	return v != NULL && v[0] == '/' ? xstrdup(v) : NULL;
}

int
ocihook_parse_container(const char *json, size_t len, struct container **out,
    bool *cap_sys_admin, struct rt_error *err)
{
	struct container	*c;
	json_error_t		 je;
	json_t			*o;
	const char		*id, *v;
	json_int_t		 pid;

	*out = NULL;
	if ((o = json_loadb(json, len, 0, &je)) == NULL)
		return rt_error_set(err, EPROTO, "hook message is not JSON: %s",
		    je.text);
	id = json_string_value(json_object_get(o, "id"));
	pid = json_integer_value(json_object_get(o, "pid"));
	v = json_string_value(json_object_get(o, "root"));
	if (!container_id_valid(id) || pid <= 0 || pid > 0x3fffffff || v == NULL ||
	    v[0] != '/') {
		json_decref(o);
		return rt_error_set(err, EPROTO, "hook message lacks an id, a "
		    "pid or an absolute root");
	}
	c = xcalloc(1, sizeof(*c));
	memcpy(c->id, id, sizeof(c->id));
	c->init_pid = (pid_t)pid;
	c->merged_dir = xstrdup(v);
	c->upper_dir = opt_path(o, "upper");
	if ((v = json_string_value(json_object_get(o, "image_id"))) != NULL)
		c->image_id = xstrdup(v);
	if ((v = json_string_value(json_object_get(o, "image"))) != NULL &&
	    imageref_normalise(v, &c->image_ref, err) < 0)
		c->image_ref = NULL;
	v = json_string_value(json_object_get(o, "name"));
	c->name = xstrdup(v != NULL ? v : c->id);
	*cap_sys_admin = json_is_true(json_object_get(o, "cap_sys_admin"));
	json_decref(o);
	*out = c;
	return 0;
}

/* --- the daemon's side -------------------------------------------------- */

struct ocihook_server {
	struct event_base	*base;
	ocihook_cb		 cb;
	void			*arg;
	int			 fd;
	struct event		*ev;
	char			*path;
};

struct ocihook_call {
	struct ocihook_server	*s;
	int			 fd;
	struct event		*ev;
	char			*buf;
	size_t			 len;
	bool			 dispatched;
};

static void
call_free(struct ocihook_call *call)
{
	event_free(call->ev);
	close(call->fd);
	free(call->buf);
	free(call);
}

void
ocihook_reply(struct ocihook_call *call, bool ok, const char *msg)
{
	char	line[1024];
	int	n;

	n = snprintf(line, sizeof(line), "%s %s\n", ok ? "ok" : "refuse",
	    msg != NULL ? msg : "");
	if (n > 0)
		(void)send(call->fd, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	call_free(call);
}

static void
call_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ocihook_call	*call = arg;
	struct container	*c;
	struct rt_error		 err;
	ssize_t			 r;
	char			*nl;
	bool			 cap;

	(void)what;
	call->buf = xreallocarray(call->buf, 1, call->len + 4097);
	r = read(fd, call->buf + call->len, 4096);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		call->len += (size_t)r;
	call->buf[call->len] = '\0';
	nl = memchr(call->buf, '\n', call->len);
	if (nl == NULL && r > 0 && call->len < STATE_MAX)
		return;
	if (nl == NULL && r != 0) {
		call_free(call);	/* too long, or an error */
		return;
	}
	event_del(call->ev);
	if (ocihook_parse_container(call->buf, nl ? (size_t)(nl - call->buf) :
	    call->len, &c, &cap, &err) < 0) {
		log_warnx("OCI hook: %s", err.msg);
		ocihook_reply(call, true, "bad message; not handled");
		return;
	}
	call->s->cb(call, c, cap, call->s->arg);
}

static void
server_accept(evutil_socket_t fd, short what, void *arg)
{
	struct ocihook_server	*s = arg;
	struct ocihook_call	*call;
	int			 c;

	(void)what;
	while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	    0) {
		call = xcalloc(1, sizeof(*call));
		call->s = s;
		call->fd = c;
		call->ev = event_new(s->base, c, EV_READ | EV_PERSIST,
		    call_readable, call);
		event_add(call->ev, NULL);
	}
}

int
ocihook_listen(struct event_base *base, const char *role, ocihook_cb cb,
    void *arg, struct ocihook_server **out, struct rt_error *err)
{
	struct ocihook_server	*s;
	struct sockaddr_un	 sun;

	*out = NULL;
	if (strcmp(ocihook_socket_dir(), OCIHOOK_DIR) == 0 &&
	    mkdir("/run/rtguard", 0700) < 0 && errno != EEXIST)
		return rt_error_sys(err, errno, "/run/rtguard");
	if (mkdir(ocihook_socket_dir(), 0700) < 0 && errno != EEXIST)
		return rt_error_sys(err, errno, "%s", ocihook_socket_dir());
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->cb = cb;
	s->arg = arg;
	s->path = xasprintf("%s/%s-%d.sock", ocihook_socket_dir(), role,
	    (int)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	(void)unlink(s->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(s->path, 0600) < 0 || listen(s->fd, 64) < 0) {
		rt_error_sys(err, errno, "%s", s->path);
		if (s->fd >= 0)
			close(s->fd);
		free(s->path);
		free(s);
		return -err->code;
	}
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, server_accept, s);
	event_add(s->ev, NULL);
	*out = s;
	return 0;
}

void
ocihook_server_free(struct ocihook_server *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	close(s->fd);
	(void)unlink(s->path);
	free(s->path);
	free(s);
}

/* --- the client (the hook the runtime runs) ----------------------------- */

static int
ask_daemon(const char *path, const char *state, size_t len, int timeout_ms,
    struct rt_error *err)
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	char			reply[1024];
	size_t			got = 0;
	ssize_t			r;
	int			fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return rt_error_sys(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return 0;	/* a daemon that is gone: nothing to wait for */
	}
	if (write(fd, state, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		close(fd);
		return rt_error_sys(err, errno, "%s", path);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof(reply) - 1 && memchr(reply, '\n', got) == NULL) {
		if ((rc = poll(&pfd, 1, timeout_ms)) == 0) {
			close(fd);
			return rt_error_set(err, ETIMEDOUT, "%s did not answer "
			    "within %d s", path, timeout_ms / 1000);
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if ((r = read(fd, reply + got, sizeof(reply) - 1 - got)) <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	reply[got] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (strncmp(reply, "ok", 2) == 0)
		return 0;
	if (strncmp(reply, "refuse ", 7) == 0)
		return rt_error_set(err, EPERM, "%s", reply + 7);
	return rt_error_set(err, EPROTO, "%s closed without an answer", path);
}

int
ocihook_run(const char *state, size_t len, int timeout_s,
    struct rt_error *err)
{
	struct oci_state	 st;
	struct container	*c;
	struct rt_error		 e2;
	DIR			*d;
	struct dirent		*de;
	char			 path[PATH_MAX], *msg;
	size_t			 n;
	bool			 cap;
	int			 rc = 0;

	if ((d = opendir(ocihook_socket_dir())) == NULL)
		return 0;	/* no daemon has ever listened here */
	if (ocihook_parse_state(state, len, &st, err) < 0) {
		closedir(d);
		return -err->code;
	}
	rc = ocihook_resolve(&st, &c, &cap, &e2);
	ocihook_state_clear(&st);
	if (rc < 0) {
		/* Nothing to match a baseline with: the engine's event will. */
		closedir(d);
		log_warnx("%s; rtguard attaches when the engine reports it "
		    "started", e2.msg);
		return 0;
	}
	msg = container_message(c, cap);
	container_free(c);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".sock") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", ocihook_socket_dir(),
		    de->d_name);
		rc = ask_daemon(path, msg, strlen(msg), timeout_s * 1000, err);
	}
	free(msg);
	closedir(d);
	return rc;
}

int
ocihook_install(const char *dir, const char *rtguard_path,
    const char *sockets, struct rt_error *err)
{
	json_t	*o;
	char	 path[PATH_MAX], tmp[PATH_MAX], *env;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return rt_error_sys(err, errno, "%s", dir);
	snprintf(path, sizeof(path), "%s/rtguard.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.rtguard.json.tmp", dir);
	o = json_pack("{s:s, s:{s:s, s:[s,s], s:i}, s:{s:b}, s:[s]}",
	    "version", "1.0.0",
	    "hook", "path", rtguard_path, "args", "rtguard", "hook",
	    "timeout", OCIHOOK_TIMEOUT_S + 5,
	    "when", "always", 1,
	    "stages", "createRuntime");
	if (sockets != NULL) {
		env = xasprintf("RTGUARD_HOOK_SOCKETS=%s", sockets);
		json_object_set_new(json_object_get(o, "hook"), "env",
		    json_pack("[s]", env));
		free(env);
	}
	if (json_dump_file(o, tmp, JSON_INDENT(2)) < 0 ||
	    rename(tmp, path) < 0) {
		json_decref(o);
		(void)unlink(tmp);
		return rt_error_sys(err, errno, "%s", path);
	}
	json_decref(o);
	return 0;
}

int
ocihook_uninstall(const char *dir, struct rt_error *err)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/rtguard.json", dir);
	if (unlink(path) < 0 && errno != ENOENT)
		return rt_error_sys(err, errno, "%s", path);
	return 0;
}
