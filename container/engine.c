/*
 * engine.c: the Docker-compatible Engine API client (Podman, Docker).
 *
 * Plain HTTP/1.1 over a unix socket through libcurl, answers parsed with
 * jansson. Requests are short and bounded (ENGINE_TIMEOUT_MS); the /events
 * stream runs in its own thread and hands parsed events to the libevent
 * loop through a pipe, so a slow or broken engine never stalls the loop.
 */
#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/imageref.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "container/container.h"

#define ENGINE_API		"/v1.41"
#define ENGINE_TIMEOUT_MS	5000
#define ENGINE_MAX_BODY		(16 * 1024 * 1024)

static const char *default_sockets[] = {
	"/run/podman/podman.sock",
	"/var/run/docker.sock",
};

struct engine {
	char	*socket;
};

struct buf {
	char	*data;
	size_t	 len;
	bool	 overflow;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_NOTHING);
}

static size_t
buf_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 add = size * n;

	if (b->len + add > ENGINE_MAX_BODY) {
		b->overflow = true;
		return 0;
	}
	b->data = xreallocarray(b->data, 1, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static CURL *
engine_curl(const char *socket, const char *path)
{
	CURL	*c;
	char	*url;

	pthread_once(&curl_once, curl_init_once);
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	url = xasprintf("http://d%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	free(url);
	return c;
}

/* GET path; *body is NUL-terminated. Returns the HTTP status or -errno. */
static int
engine_get(const char *socket, const char *path, char **body, size_t *len,
    struct rt_error *err)
{
	struct buf	 b = { NULL, 0, false };
	CURL		*c;
	CURLcode	 rc;
	long		 status = 0;

	*body = NULL;
	if ((c = engine_curl(socket, path)) == NULL)
		return rt_error_set(err, ENOMEM, "libcurl: cannot start");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ENGINE_TIMEOUT_MS);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (b.overflow) {
		free(b.data);
		return rt_error_set(err, EMSGSIZE, "%s: GET %s: answer larger "
		    "than %d bytes", socket, path, ENGINE_MAX_BODY);
	}
	if (rc != CURLE_OK) {
		free(b.data);
		return rt_error_set(err, rc == CURLE_OPERATION_TIMEDOUT ?
		    ETIMEDOUT : ECONNREFUSED, "%s: GET %s: %s", socket, path,
		    curl_easy_strerror(rc));
	}
	if (b.data == NULL)
		b.data = xstrdup("");
	*body = b.data;
	*len = b.len;
	return (int)status;
}

static int
socket_probe(const char *path, struct rt_error *err)
{
	struct stat	 st;
	char		*body;
	size_t		 len;
	int		 status;

	if (stat(path, &st) < 0)
		return rt_error_sys(err, errno, "%s", path);
	if (!S_ISSOCK(st.st_mode))
		return rt_error_set(err, ENOTSOCK, "%s: not a socket", path);
	status = engine_get(path, "/_ping", &body, &len, err);
	if (status < 0)
		return status;
	free(body);
	if (status != 200)
		return rt_error_set(err, EPROTO, "%s: GET /_ping answered "
		    "HTTP %d", path, status);
	return 0;
}

int
engine_open(const char *socket_path, struct engine **out,
    struct rt_error *err)
{
	struct rt_error	 e1;
	char		 tried[2 * sizeof(e1.msg) + 8] = "";
	size_t		 i, off = 0;

	*out = NULL;
	if (socket_path != NULL) {
		if (socket_probe(socket_path, &e1) < 0)
			return rt_error_set(err, EHOSTDOWN, "no container engine "
			    "at --runtime-socket %s: %s", socket_path, e1.msg);
		*out = xcalloc(1, sizeof(**out));
		(*out)->socket = xstrdup(socket_path);
		return 0;
	}
	for (i = 0; i < sizeof(default_sockets) / sizeof(*default_sockets);
	    i++) {
		if (socket_probe(default_sockets[i], &e1) == 0) {
			*out = xcalloc(1, sizeof(**out));
			(*out)->socket = xstrdup(default_sockets[i]);
			return 0;
		}
		off += snprintf(tried + off, sizeof(tried) - off, "%s%s",
		    i > 0 ? "; " : "", e1.msg);
	}
	return rt_error_set(err, EHOSTDOWN, "no container engine reachable "
	    "(tried %s); start one (podman system service --time=0 "
	    "unix:///run/podman/podman.sock) or pass --runtime-socket PATH",
	    tried);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	free(e->socket);
	free(e);
}

const char *
engine_socket(const struct engine *e)
{
	return e->socket;
}

void
container_free(struct container *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->image_ref);
	free(c->image_id);
	free(c->merged_dir);
	free(c->upper_dir);
	free(c->lower_dirs);
	free(c);
}

void
container_list_free(struct container **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		container_free(v[i]);
	free(v);
}

static char *
json_strdup(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static bool
valid_id(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < CONTAINER_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
engine_parse_inspect(const char *json, size_t len, struct container **out,
    struct rt_error *err)
{
	json_error_t		 je;
	json_t			*root, *cfg, *state, *data;
	struct container	*c;
	const char		*id, *image, *name;
	json_int_t		 pid;

	*out = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return rt_error_set(err, EPROTO, "container inspect answer is "
		    "not JSON: line %d: %s", je.line, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return rt_error_set(err, EPROTO, "container inspect answer is "
		    "not an object");
	}
	id = json_string_value(json_object_get(root, "Id"));
	if (!valid_id(id)) {
		json_decref(root);
		return rt_error_set(err, EPROTO, "container inspect answer has "
		    "no valid \"Id\"");
	}
	c = xcalloc(1, sizeof(*c));
	memcpy(c->id, id, CONTAINER_ID_LEN + 1);
	name = json_string_value(json_object_get(root, "Name"));
	if (name != NULL)
		c->name = xstrdup(name[0] == '/' ? name + 1 : name);
	cfg = json_object_get(root, "Config");
	image = json_string_value(json_object_get(cfg, "Image"));
	if (image == NULL || *image == '\0' ||
	    imageref_normalise(image, &c->image_ref, err) < 0)
		/* Kept escaped: it is printed and stored as a name. */
		c->image_ref = image != NULL && *image != '\0' ?
		    rt_escape_str(image) : xstrdup("<unknown>");
	c->image_id = json_strdup(root, "Image");
	state = json_object_get(root, "State");
	pid = json_integer_value(json_object_get(state, "Pid"));
	if (pid < 0 || pid > 0x3fffffff)
		pid = 0;
	c->init_pid = json_is_true(json_object_get(state, "Running")) ?
	    (pid_t)pid : 0;
	data = json_object_get(json_object_get(root, "GraphDriver"), "Data");
	c->merged_dir = json_strdup(data, "MergedDir");
	c->upper_dir = json_strdup(data, "UpperDir");
	c->lower_dirs = json_strdup(data, "LowerDir");
	json_decref(root);
	*out = c;
	return 0;
}

int
engine_parse_list_ids(const char *json, size_t len, char ***ids, size_t *n,
    struct rt_error *err)
{
	json_error_t	 je;
	json_t		*root, *it;
	size_t		 i;
	const char	*id;

	*ids = NULL;
	*n = 0;
	root = json_loadb(json, len, 0, &je);
	if (root == NULL || !json_is_array(root)) {
		json_decref(root);
		return rt_error_set(err, EPROTO, "container list answer is not "
		    "a JSON array");
	}
	*ids = xcalloc(json_array_size(root) + 1, sizeof(char *));
	json_array_foreach(root, i, it) {
		id = json_string_value(json_object_get(it, "Id"));
		if (valid_id(id))
			(*ids)[(*n)++] = xstrdup(id);
	}
	json_decref(root);
	return 0;
}

int
engine_parse_event(const char *json, size_t len, struct engine_event *ev,
    struct rt_error *err)
{
	json_error_t	 je;
	json_t		*root;
	const char	*type, *action, *id;
	int		 rc = -ENOENT;

	root = json_loadb(json, len, 0, &je);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return rt_error_set(err, EPROTO, "event is not a JSON object");
	}
	type = json_string_value(json_object_get(root, "Type"));
	action = json_string_value(json_object_get(root, "Action"));
	if (action == NULL)
		action = json_string_value(json_object_get(root, "status"));
	id = json_string_value(json_object_get(json_object_get(root, "Actor"),
	    "ID"));
	if (id == NULL)
		id = json_string_value(json_object_get(root, "id"));
	if ((type == NULL || strcmp(type, "container") == 0) &&
	    action != NULL && valid_id(id)) {
		if (strcmp(action, "start") == 0 ||
		    strcmp(action, "restart") == 0) {
			ev->kind = ENGINE_EVENT_START;
			rc = 0;
		} else if (strcmp(action, "die") == 0 ||
		    strcmp(action, "stop") == 0 ||
		    strcmp(action, "died") == 0) {
			ev->kind = ENGINE_EVENT_STOP;
			rc = 0;
		}
		if (rc == 0)
			memcpy(ev->id, id, CONTAINER_ID_LEN + 1);
	}
	json_decref(root);
	return rc;
}

int
engine_inspect(struct engine *e, const char *id, struct container **out,
    struct rt_error *err)
{
	char	*path, *body;
	size_t	 len;
	int	 status, rc;

	*out = NULL;
	path = xasprintf(ENGINE_API "/containers/%s/json", id);
	status = engine_get(e->socket, path, &body, &len, err);
	free(path);
	if (status < 0)
		return status;
	if (status == 404) {
		free(body);
		return rt_error_set(err, ENOENT, "the engine at %s knows no "
		    "container %s", e->socket, id);
	}
	if (status != 200) {
		free(body);
		return rt_error_set(err, EPROTO, "%s: inspecting %.12s: HTTP %d",
		    e->socket, id, status);
	}
	rc = engine_parse_inspect(body, len, out, err);
	free(body);
	return rc;
}

int
engine_list_running(struct engine *e, struct container ***out, size_t *n,
    struct rt_error *err)
{
	char			**ids, *body;
	struct container	**v, *c;
	size_t			 len, nids, i;
	int			 status;

	*out = NULL;
	*n = 0;
	status = engine_get(e->socket, ENGINE_API "/containers/json", &body,
	    &len, err);
	if (status < 0)
		return status;
	if (status != 200) {
		free(body);
		return rt_error_set(err, EPROTO, "%s: listing containers: "
		    "HTTP %d", e->socket, status);
	}
	if (engine_parse_list_ids(body, len, &ids, &nids, err) < 0) {
		free(body);
		return -err->code;
	}
	free(body);
	v = xcalloc(nids + 1, sizeof(*v));
	for (i = 0; i < nids; i++) {
		/* A container may stop between list and inspect: skip it. */
		if (engine_inspect(e, ids[i], &c, err) == 0 && c->init_pid > 0)
			v[(*n)++] = c;
		else
			container_free(c);
		free(ids[i]);
	}
	free(ids);
	rt_error_clear(err);
	*out = v;
	return 0;
}

/* --- the /events stream ------------------------------------------------ */

struct watch_msg {
	int			 is_error;
	struct engine_event	 ev;
	char			 msg[256];
};

struct engine_watch {
	char			*socket;
	int			 pipe[2];
	struct event		*ev;
	pthread_t		 thread;
	atomic_bool		 stop;
	engine_event_cb		 cb;
	engine_error_cb		 on_error;
	void			*arg;
	/* One event is a few hundred bytes; longer lines are not events. */
	char			 line[65536];
	size_t			 line_len;
};

static void
watch_send(struct engine_watch *w, const struct watch_msg *m)
{
	ssize_t	n;

	do
		n = write(w->pipe[1], m, sizeof(*m));
	while (n < 0 && errno == EINTR);
}

static size_t
watch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct engine_watch	*w = arg;
	struct watch_msg	 m;
	struct rt_error		 err;
	size_t			 n = size * nmemb, i;

	for (i = 0; i < n; i++) {
		if (ptr[i] != '\n') {
			if (w->line_len < sizeof(w->line))
				w->line[w->line_len++] = ptr[i];
			continue;
		}
		memset(&m, 0, sizeof(m));
		if (w->line_len > 0 && w->line_len < sizeof(w->line) &&
		    engine_parse_event(w->line, w->line_len, &m.ev, &err) == 0)
			watch_send(w, &m);
		w->line_len = 0;
	}
	return n;
}

static int
watch_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct engine_watch	*w = arg;

	(void)a; (void)b; (void)c; (void)d;
	return atomic_load(&w->stop) ? 1 : 0;
}

static void
watch_sleep(struct engine_watch *w, int ms)
{
	struct timespec	ts = { 0, 100 * 1000 * 1000 };

	for (; ms > 0 && !atomic_load(&w->stop); ms -= 100)
		nanosleep(&ts, NULL);
}

static void *
watch_thread(void *arg)
{
	struct engine_watch	*w = arg;
	struct watch_msg	 m;
	CURL			*c;
	CURLcode		 rc;
	long			 status;
	int			 backoff = 250;

	while (!atomic_load(&w->stop)) {
		c = engine_curl(w->socket, ENGINE_API "/events");
		if (c == NULL)
			break;
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, watch_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, watch_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
		w->line_len = 0;
		rc = curl_easy_perform(c);
		status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		if (atomic_load(&w->stop))
			break;
		memset(&m, 0, sizeof(m));
		m.is_error = 1;
		if (rc != CURLE_OK)
			snprintf(m.msg, sizeof(m.msg), "%s: events stream: %s",
			    w->socket, curl_easy_strerror(rc));
		else
			snprintf(m.msg, sizeof(m.msg), "%s: events stream "
			    "ended (HTTP %ld)", w->socket, status);
		watch_send(w, &m);
		watch_sleep(w, backoff);
		if (backoff < 8000)
			backoff *= 2;
	}
	return NULL;
}

static void
watch_readable(evutil_socket_t fd, short what, void *arg)
{
	struct engine_watch	*w = arg;
	struct watch_msg	 m;
	struct rt_error		 err;

	(void)what;
	while (read(fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		if (m.is_error) {
			rt_error_set(&err, EPIPE, "%s", m.msg);
			if (w->on_error != NULL)
				w->on_error(&err, w->arg);
		} else
			w->cb(&m.ev, w->arg);
	}
}

int
engine_watch_start(struct engine *e, struct event_base *base,
    engine_event_cb cb, engine_error_cb on_error, void *arg,
    struct engine_watch **out, struct rt_error *err)
{
	struct engine_watch	*w;
	int			 rc;

	w = xcalloc(1, sizeof(*w));
	w->socket = xstrdup(e->socket);
	w->cb = cb;
	w->on_error = on_error;
	w->arg = arg;
	atomic_init(&w->stop, false);
	if (pipe2(w->pipe, O_CLOEXEC) < 0) {
		rc = rt_error_sys(err, errno, "pipe");
		free(w->socket);
		free(w);
		return rc;
	}
	fcntl(w->pipe[0], F_SETFL, O_NONBLOCK);
	w->ev = event_new(base, w->pipe[0], EV_READ | EV_PERSIST,
	    watch_readable, w);
	event_add(w->ev, NULL);
	if ((rc = pthread_create(&w->thread, NULL, watch_thread, w)) != 0) {
		event_free(w->ev);
		close(w->pipe[0]);
		close(w->pipe[1]);
		free(w->socket);
		free(w);
		return rt_error_sys(err, rc, "starting the events thread");
	}
	*out = w;
	return 0;
}

void
engine_watch_stop(struct engine_watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	event_free(w->ev);
	close(w->pipe[0]);
	close(w->pipe[1]);
	free(w->socket);
	free(w);
}
