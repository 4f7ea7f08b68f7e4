/*
 * engine.c: the Docker-compatible Engine API client (Podman, Docker).
 *
 * Plain HTTP/1.1 over a unix socket through libcurl, answers parsed with
 * jansson. Daemons use it asynchronously: libcurl's multi interface is
 * driven by the libevent loop (curl tells us which sockets to watch and
 * when to time out, libevent tells curl when they are ready), so a slow,
 * stopped or dead engine never holds the loop, and no thread is needed.
 * The /events stream is one more transfer on the same loop, split into
 * lines and reconnected with backoff. Completions and events are handed to
 * their callbacks from a deferred loop event, never from inside a libcurl
 * callback (libcurl refuses to be re-entered from there). A blocking path
 * remains for the one-shot CLI and for the /_ping probe of engine_open.
 * Every request is bounded (ENGINE_TIMEOUT_MS, ENGINE_MAX_BODY).
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
#include "common/imageref.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "container/container.h"

#define ENGINE_API		"/v1.41"
#define ENGINE_TIMEOUT_MS	5000
#define ENGINE_MAX_BODY		(16 * 1024 * 1024)
#define ENGINE_RETRY_MIN_MS	250
#define ENGINE_RETRY_MAX_MS	8000

static const char *default_sockets[] = {
	"/run/podman/podman.sock",
	"/var/run/docker.sock",
};

struct buf {
	char	*data;
	size_t	 len;
	bool	 overflow;
};

/*
 * One transfer on the multi handle, a request or the events stream:
 * CURLOPT_PRIVATE points here, and done() runs once libcurl has finished
 * with it (outside every libcurl callback).
 */
struct engine_xfer {
	CURL	*easy;
	void	(*done)(struct engine_xfer *x, CURLcode rc);
};

/* A socket libcurl asked us to watch. */
struct engine_sock {
	struct engine			*e;
	struct event			*ev;
	LIST_ENTRY(engine_sock)		 entry;
};

struct engine_req {
	struct engine_xfer	 x;	/* first: see engine_collect */
	struct engine		*e;
	char			*path;
	char			 id[CONTAINER_ID_LEN + 1];	/* inspects */
	struct buf		 body;
	CURLcode		 rc;
	long			 status;
	bool			 finished;	/* on e->done, else e->inflight */
	engine_inspect_cb	 inspect_cb;
	engine_list_cb		 list_cb;
	void			*arg;
	TAILQ_ENTRY(engine_req)	 entry;
};
TAILQ_HEAD(engine_reqs, engine_req);

struct engine {
	char			*socket;
	/* The loop binding (engine_loop_start); NULL base when unbound. */
	struct event_base	*base;
	unsigned		 loop_refs;
	CURLM			*multi;
	struct event		*timer;		/* libcurl's timeout */
	struct event		*deliver;	/* runs finished callbacks */
	struct engine_reqs	 inflight, done;
	LIST_HEAD(, engine_sock) socks;
};

static bool	curl_ready;

static void
curl_init_once(void)
{
	/* Called from the main thread before any other libcurl call. */
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_NOTHING);
		curl_ready = true;
	}
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

/*
 * A transfer of path on socket. Connections are not reused: each request
 * is one local connect(), and a cached connection could outlive the
 * engine process it was made to.
 */
static CURL *
engine_curl(const char *socket, const char *path)
{
	CURL	*c;
	char	*url;

	curl_init_once();
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	url = xasprintf("http://d%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ENGINE_TIMEOUT_MS);
	free(url);
	return c;
}

/* A bounded GET collecting its answer into b. */
static CURL *
engine_curl_get(const char *socket, const char *path, struct buf *b)
{
	CURL	*c;

	if ((c = engine_curl(socket, path)) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ENGINE_TIMEOUT_MS);
	return c;
}

static int
curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY:
		return ENOMEM;
	default:
		return EIO;
	}
}

/*
 * What a finished GET of path means: 0 with the HTTP status in *http,
 * *body (NUL-terminated, the caller frees it) and *len; or -errno with
 * err set when no answer came. Takes b's data either way.
 */
static int
engine_result(const char *socket, const char *path, CURLcode rc,
    long status, struct buf *b, int *http, char **body, size_t *len,
    struct rt_error *err)
{
	*http = 0;
	*body = NULL;
	*len = 0;
	if (b->overflow) {
		free(b->data);
		return rt_error_set(err, EMSGSIZE, "%s: GET %s: answer larger "
		    "than %d bytes", socket, path, ENGINE_MAX_BODY);
	}
	if (rc != CURLE_OK) {
		free(b->data);
		return rt_error_set(err, curl_errno(rc), "%s: GET %s: %s",
		    socket, path, curl_easy_strerror(rc));
	}
	*body = b->data != NULL ? b->data : xstrdup("");
	*len = b->len;
	*http = (int)status;
	return 0;
}

/* Blocking GET path: engine_result's. */
static int
engine_get_blocking(const char *socket, const char *path, int *http,
    char **body, size_t *len, struct rt_error *err)
{
	struct buf	 b = { NULL, 0, false };
	CURL		*c;
	CURLcode	 rc;
	long		 status = 0;

	*body = NULL;
	if ((c = engine_curl_get(socket, path, &b)) == NULL)
		return rt_error_set(err, ENOMEM, "libcurl: cannot start");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return engine_result(socket, path, rc, status, &b, http, body, len,
	    err);
}

static int
socket_probe(const char *path, struct rt_error *err)
{
	struct stat	 st;
	char		*body;
	size_t		 len;
	int		 status, rc;

	if (stat(path, &st) < 0)
		return rt_error_sys(err, errno, "%s", path);
	if (!S_ISSOCK(st.st_mode))
		return rt_error_set(err, ENOTSOCK, "%s: not a socket", path);
	if ((rc = engine_get_blocking(path, "/_ping", &status, &body, &len,
	    err)) < 0)
		return rc;
	free(body);
	if (status != 200)
		return rt_error_set(err, EPROTO, "%s: GET /_ping answered "
		    "HTTP %d", path, status);
	return 0;
}

static struct engine *
engine_new(const char *socket)
{
	struct engine	*e = xcalloc(1, sizeof(*e));

	e->socket = xstrdup(socket);
	TAILQ_INIT(&e->inflight);
	TAILQ_INIT(&e->done);
	LIST_INIT(&e->socks);
	return e;
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
		*out = engine_new(socket_path);
		return 0;
	}
	for (i = 0; i < sizeof(default_sockets) / sizeof(*default_sockets);
	    i++) {
		if (socket_probe(default_sockets[i], &e1) == 0) {
			*out = engine_new(default_sockets[i]);
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

static void	engine_loop_teardown(struct engine *e);

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	if (e->base != NULL)
		engine_loop_teardown(e);
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

bool
container_id_valid(const char *s)
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
	if (!container_id_valid(id)) {
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
		if (container_id_valid(id))
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
	    action != NULL && container_id_valid(id)) {
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


/* --- answers --------------------------------------------------------- */

/* An inspect's HTTP answer: 0 and *out, or -errno. */
static int
inspect_answer(const char *socket, const char *id, int status,
    const char *body, size_t len, struct container **out,
    struct rt_error *err)
{
	*out = NULL;
	if (status == 404)
		return rt_error_set(err, ENOENT, "the engine at %s knows no "
		    "container %s", socket, id);
	if (status != 200)
		return rt_error_set(err, EPROTO, "%s: inspecting %.12s: HTTP %d",
		    socket, id, status);
	return engine_parse_inspect(body, len, out, err);
}

/* A list's HTTP answer: 0 and the ids, or -errno. */
static int
list_answer(const char *socket, int status, const char *body, size_t len,
    char ***ids, size_t *n, struct rt_error *err)
{
	*ids = NULL;
	*n = 0;
	if (status != 200)
		return rt_error_set(err, EPROTO, "%s: listing containers: "
		    "HTTP %d", socket, status);
	return engine_parse_list_ids(body, len, ids, n, err);
}

static void
ids_free(char **ids, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* --- the blocking path (one-shot CLI) ---------------------------------- */

static int
engine_blocking_refused(struct engine *e, const char *what,
    struct rt_error *err)
{
	if (e->base == NULL)
		return 0;
	return rt_error_set(err, EDEADLK, "%s: a blocking engine request on "
	    "an event loop (use the asynchronous call)", what);
}

int
engine_inspect(struct engine *e, const char *id, struct container **out,
    struct rt_error *err)
{
	char	*path, *body;
	size_t	 len;
	int	 status, rc;

	*out = NULL;
	if ((rc = engine_blocking_refused(e, "engine_inspect", err)) < 0)
		return rc;
	path = xasprintf(ENGINE_API "/containers/%s/json", id);
	rc = engine_get_blocking(e->socket, path, &status, &body, &len, err);
	free(path);
	if (rc < 0)
		return rc;
	rc = inspect_answer(e->socket, id, status, body, len, out, err);
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
	int			 status, rc;

	*out = NULL;
	*n = 0;
	if ((rc = engine_blocking_refused(e, "engine_list_running", err)) < 0)
		return rc;
	if ((rc = engine_get_blocking(e->socket, ENGINE_API "/containers/json",
	    &status, &body, &len, err)) < 0)
		return rc;
	rc = list_answer(e->socket, status, body, len, &ids, &nids, err);
	free(body);
	if (rc < 0)
		return rc;
	v = xcalloc(nids + 1, sizeof(*v));
	for (i = 0; i < nids; i++) {
		/* A container may stop between list and inspect: skip it. */
		if (engine_inspect(e, ids[i], &c, err) == 0 && c->init_pid > 0)
			v[(*n)++] = c;
		else
			container_free(c);
	}
	ids_free(ids, nids);
	rt_error_clear(err);
	*out = v;
	return 0;
}

/* --- libcurl's multi interface on the libevent loop -------------------- */

static void	engine_collect(struct engine *e);
static void	engine_deliver(evutil_socket_t fd, short what, void *arg);

static void
engine_sock_ready(evutil_socket_t fd, short what, void *arg)
{
	struct engine_sock	*s = arg;
	struct engine		*e = s->e;
	int			 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* May free s (CURL_POLL_REMOVE): only e from here on. */
	curl_multi_socket_action(e->multi, fd, action, &running);
	engine_collect(e);
}

static void
engine_sock_free(struct engine_sock *s)
{
	LIST_REMOVE(s, entry);
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl waits on. */
static int
engine_sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct engine		*e = arg;
	struct engine_sock	*s = sockp;
	short			 flags = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			engine_sock_free(s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->e = e;
		LIST_INSERT_HEAD(&e->socks, s, entry);
		curl_multi_assign(e->multi, fd, s);
	} else if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if ((s->ev = event_new(e->base, fd, flags, engine_sock_ready,
	    s)) == NULL || event_add(s->ev, NULL) < 0)
		fatalx("libevent: cannot watch the engine's socket");
	return 0;
}

static void
engine_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct engine	*e = arg;
	int		 running;

	(void)fd; (void)what;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	engine_collect(e);
}

/*
 * CURLMOPT_TIMERFUNCTION: libcurl wants to be called back in timeout_ms
 * (-1: never). Not from here: libcurl may not be re-entered.
 */
static int
engine_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct engine	*e = arg;
	struct timeval	 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(e->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(e->timer, &tv);
	return 0;
}

/* Hand every finished transfer to its owner. */
static void
engine_collect(struct engine *e)
{
	struct engine_xfer	*x;
	CURLMsg			*m;
	int			 left;
	char			*p;

	while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		x = (struct engine_xfer *)(void *)p;
		x->done(x, m->data.result);
	}
}

int
engine_loop_start(struct engine *e, struct event_base *base,
    struct rt_error *err)
{
	if (e->base != NULL) {
		if (e->base != base)
			return rt_error_set(err, EBUSY, "the engine client "
			    "runs on another event loop already");
		e->loop_refs++;
		return 0;
	}
	curl_init_once();
	if ((e->multi = curl_multi_init()) == NULL)
		return rt_error_set(err, ENOMEM, "libcurl: cannot start a "
		    "multi handle");
	e->base = base;
	e->loop_refs = 1;
	e->timer = evtimer_new(base, engine_timer_fired, e);
	e->deliver = event_new(base, -1, 0, engine_deliver, e);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, engine_sock_cb);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, engine_timer_cb);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	return 0;
}

static void	req_free(struct engine_req *r);

static void
engine_loop_teardown(struct engine *e)
{
	struct engine_req	*r;
	struct engine_sock	*s;

	while ((r = TAILQ_FIRST(&e->inflight)) != NULL)
		engine_req_cancel(r);
	while ((r = TAILQ_FIRST(&e->done)) != NULL)
		engine_req_cancel(r);
	curl_multi_cleanup(e->multi);
	/* libcurl may leave sockets it never said to stop watching. */
	while ((s = LIST_FIRST(&e->socks)) != NULL)
		engine_sock_free(s);
	event_free(e->timer);
	event_free(e->deliver);
	e->multi = NULL;
	e->timer = e->deliver = NULL;
	e->base = NULL;
	e->loop_refs = 0;
}

void
engine_loop_stop(struct engine *e)
{
	if (e == NULL || e->base == NULL)
		return;
	if (--e->loop_refs == 0)
		engine_loop_teardown(e);
}

/* --- asynchronous requests ---------------------------------------------- */

static void
req_free(struct engine_req *r)
{
	free(r->body.data);
	free(r->path);
	free(r);
}

/* The transfer is over: queue its callback for the loop. */
static void
req_done(struct engine_xfer *x, CURLcode rc)
{
	struct engine_req	*r = (struct engine_req *)x;
	struct engine		*e = r->e;

	r->rc = rc;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_multi_remove_handle(e->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	TAILQ_REMOVE(&e->inflight, r, entry);
	TAILQ_INSERT_TAIL(&e->done, r, entry);
	r->finished = true;
	event_active(e->deliver, EV_TIMEOUT, 0);
}

static void
req_finish(struct engine_req *r)
{
	struct engine		*e = r->e;
	struct rt_error		 err;
	struct container	*c = NULL;
	char			*body, **ids = NULL;
	size_t			 len, n = 0;
	int			 rc, http;

	rt_error_clear(&err);
	rc = engine_result(e->socket, r->path, r->rc, r->status, &r->body,
	    &http, &body, &len, &err);
	r->body.data = NULL;
	if (r->inspect_cb != NULL) {
		if (rc >= 0)
			rc = inspect_answer(e->socket, r->id, http, body, len,
			    &c, &err);
		free(body);
		r->inspect_cb(rc < 0 ? NULL : c, rc < 0 ? &err : NULL, r->arg);
	} else {
		if (rc >= 0)
			rc = list_answer(e->socket, http, body, len, &ids, &n,
			    &err);
		free(body);
		r->list_cb(ids, n, rc < 0 ? &err : NULL, r->arg);
		ids_free(ids, n);
	}
}

/* One finished request at a time: a callback may cancel the next. */
static void
engine_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct engine		*e = arg;
	struct engine_req	*r;

	(void)fd; (void)what;
	while ((r = TAILQ_FIRST(&e->done)) != NULL) {
		TAILQ_REMOVE(&e->done, r, entry);
		req_finish(r);
		req_free(r);
	}
}

static int
req_start(struct engine *e, struct engine_req *r, struct engine_req **out,
    struct rt_error *err)
{
	if (e->base == NULL) {
		req_free(r);
		return rt_error_set(err, EINVAL, "the engine client runs on "
		    "no event loop (engine_loop_start)");
	}
	r->e = e;
	r->x.done = req_done;
	if ((r->x.easy = engine_curl_get(e->socket, r->path,
	    &r->body)) == NULL) {
		req_free(r);
		return rt_error_set(err, ENOMEM, "libcurl: cannot start");
	}
	curl_easy_setopt(r->x.easy, CURLOPT_PRIVATE, &r->x);
	if (curl_multi_add_handle(e->multi, r->x.easy) != CURLM_OK) {
		curl_easy_cleanup(r->x.easy);
		req_free(r);
		return rt_error_set(err, ENOMEM, "libcurl: cannot queue a "
		    "request");
	}
	TAILQ_INSERT_TAIL(&e->inflight, r, entry);
	if (out != NULL)
		*out = r;
	return 0;
}

int
engine_inspect_async(struct engine *e, const char *id, engine_inspect_cb cb,
    void *arg, struct engine_req **out, struct rt_error *err)
{
	struct engine_req	*r;

	if (out != NULL)
		*out = NULL;
	if (!container_id_valid(id))
		return rt_error_set(err, EINVAL, "not a container id");
	r = xcalloc(1, sizeof(*r));
	memcpy(r->id, id, sizeof(r->id));
	r->path = xasprintf(ENGINE_API "/containers/%s/json", id);
	r->inspect_cb = cb;
	r->arg = arg;
	return req_start(e, r, out, err);
}

int
engine_list_ids_async(struct engine *e, engine_list_cb cb, void *arg,
    struct engine_req **out, struct rt_error *err)
{
	struct engine_req	*r;

	if (out != NULL)
		*out = NULL;
	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(ENGINE_API "/containers/json");
	r->list_cb = cb;
	r->arg = arg;
	return req_start(e, r, out, err);
}

void
engine_req_cancel(struct engine_req *r)
{
	struct engine	*e;

	if (r == NULL)
		return;
	e = r->e;
	if (r->finished)
		TAILQ_REMOVE(&e->done, r, entry);
	else {
		curl_multi_remove_handle(e->multi, r->x.easy);
		curl_easy_cleanup(r->x.easy);
		TAILQ_REMOVE(&e->inflight, r, entry);
	}
	req_free(r);
}

unsigned
engine_retry_delay_ms(unsigned attempt)
{
	unsigned	ms = ENGINE_RETRY_MIN_MS;

	while (attempt-- > 0 && ms < ENGINE_RETRY_MAX_MS)
		ms *= 2;
	return ms < ENGINE_RETRY_MAX_MS ? ms : ENGINE_RETRY_MAX_MS;
}

/* --- the /events stream ------------------------------------------------ */

struct engine_lines {
	size_t	 max;
	size_t	 len;
	bool	 overlong;	/* dropping the line in progress */
	char	 buf[];		/* max + 1 */
};

struct engine_lines *
engine_lines_new(size_t max)
{
	struct engine_lines	*l;

	l = xcalloc(1, sizeof(*l) + max + 1);
	l->max = max;
	return l;
}

void
engine_lines_free(struct engine_lines *l)
{
	free(l);
}

void
engine_lines_reset(struct engine_lines *l)
{
	l->len = 0;
	l->overlong = false;
}

size_t
engine_lines_feed(struct engine_lines *l, const char *p, size_t n,
    engine_line_cb cb, void *arg)
{
	const char	*nl;
	size_t		 take, dropped = 0;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) : n;
		if (!l->overlong && l->len + take > l->max) {
			l->overlong = true;
			l->len = 0;
		}
		if (!l->overlong) {
			memcpy(l->buf + l->len, p, take);
			l->len += take;
		}
		if (nl == NULL)
			break;
		if (l->overlong)
			dropped++;
		else {
			if (l->len > 0 && l->buf[l->len - 1] == '\r')
				l->len--;
			l->buf[l->len] = '\0';
			if (l->len > 0)
				cb(l->buf, l->len, arg);
		}
		engine_lines_reset(l);
		p = nl + 1;
		n -= take + 1;
	}
	return dropped;
}

struct engine_watch {
	struct engine_xfer	 x;	/* first: see engine_collect */
	struct engine		*e;
	engine_event_cb		 cb;
	engine_error_cb		 on_error;
	void			*arg;
	struct engine_lines	*lines;
	struct event		*reconnect;	/* after backoff */
	struct event		*deliver;	/* runs cb and on_error */
	unsigned		 attempt;	/* failures in a row */
	bool			 connected;	/* this transfer answered 200 */
	int64_t			 connected_ms;
	/* Parsed, not yet handed over: libcurl callbacks cannot call out. */
	struct engine_event	*queue;
	size_t			 qlen, qcap;
	bool			 failed;
	struct rt_error		 error;
};

static int64_t
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
watch_queue(struct engine_watch *w, const struct engine_event *ev)
{
	if (w->qlen == w->qcap) {
		w->qcap = w->qcap ? w->qcap * 2 : 16;
		w->queue = xreallocarray(w->queue, w->qcap, sizeof(*w->queue));
	}
	w->queue[w->qlen++] = *ev;
	event_active(w->deliver, EV_TIMEOUT, 0);
}

static void
watch_line(const char *line, size_t len, void *arg)
{
	struct engine_watch	*w = arg;
	struct engine_event	 ev;
	struct rt_error		 err;

	memset(&ev, 0, sizeof(ev));
	if (engine_parse_event(line, len, &ev, &err) == 0)
		watch_queue(w, &ev);
}

/* The end of the answer's headers: the stream is there if it is a 200. */
static size_t
watch_header(char *p, size_t size, size_t n, void *arg)
{
	struct engine_watch	*w = arg;
	struct engine_event	 ev;
	long			 status = 0;

	if (size * n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		curl_easy_getinfo(w->x.easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 && !w->connected) {
			w->connected = true;
			w->connected_ms = monotonic_ms();
			memset(&ev, 0, sizeof(ev));
			ev.kind = ENGINE_EVENT_CONNECTED;
			watch_queue(w, &ev);
		}
	}
	return size * n;
}

static size_t
watch_write(char *p, size_t size, size_t n, void *arg)
{
	struct engine_watch	*w = arg;
	size_t			 dropped;

	/* An error answer's body is no event. */
	if (!w->connected)
		return size * n;
	dropped = engine_lines_feed(w->lines, p, size * n, watch_line, w);
	if (dropped > 0)
		log_debug("%s: events stream: %zu line(s) longer than %d "
		    "bytes dropped", w->e->socket, dropped, ENGINE_LINE_MAX);
	return size * n;
}

/* The transfer failed or ended (w->error says how): report, back off. */
static void
watch_failed(struct engine_watch *w)
{
	struct timeval	tv;
	unsigned	ms;

	/* A stream that held a while was not failing: start over. */
	if (w->connected && monotonic_ms() - w->connected_ms >
	    ENGINE_RETRY_MAX_MS)
		w->attempt = 0;
	ms = engine_retry_delay_ms(w->attempt);
	if (w->attempt < 32)
		w->attempt++;
	w->failed = true;
	event_active(w->deliver, EV_TIMEOUT, 0);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->reconnect, &tv);
}

static void
watch_done(struct engine_xfer *x, CURLcode rc)
{
	struct engine_watch	*w = (struct engine_watch *)x;
	long			 status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(w->e->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (rc != CURLE_OK)
		rt_error_set(&w->error, EPIPE, "%s: events stream: %s",
		    w->e->socket, curl_easy_strerror(rc));
	else
		rt_error_set(&w->error, EPIPE, "%s: events stream ended "
		    "(HTTP %ld)", w->e->socket, status);
	watch_failed(w);
}

static void
watch_connect(struct engine_watch *w)
{
	CURL	*c;

	w->connected = false;
	engine_lines_reset(w->lines);
	if ((c = engine_curl(w->e->socket, ENGINE_API "/events")) == NULL) {
		rt_error_set(&w->error, ENOMEM, "%s: events stream: libcurl "
		    "cannot start", w->e->socket);
		watch_failed(w);
		return;
	}
	w->x.easy = c;
	curl_easy_setopt(c, CURLOPT_PRIVATE, &w->x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, watch_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
	if (curl_multi_add_handle(w->e->multi, c) != CURLM_OK) {
		curl_easy_cleanup(c);
		w->x.easy = NULL;
		rt_error_set(&w->error, ENOMEM, "%s: events stream: libcurl "
		    "cannot queue it", w->e->socket);
		watch_failed(w);
	}
}

static void
watch_reconnect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	watch_connect(arg);
}

/* Events first, then the error that ended their stream. */
static void
watch_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct engine_watch	*w = arg;
	struct engine_event	 ev;
	size_t			 i;

	(void)fd; (void)what;
	for (i = 0; i < w->qlen; i++) {
		ev = w->queue[i];
		w->cb(&ev, w->arg);
	}
	w->qlen = 0;
	if (w->failed) {
		w->failed = false;
		if (w->on_error != NULL)
			w->on_error(&w->error, w->arg);
	}
}

int
engine_watch_start(struct engine *e, engine_event_cb cb,
    engine_error_cb on_error, void *arg, struct engine_watch **out,
    struct rt_error *err)
{
	struct engine_watch	*w;

	*out = NULL;
	if (e->base == NULL)
		return rt_error_set(err, EINVAL, "the engine client runs on "
		    "no event loop (engine_loop_start)");
	w = xcalloc(1, sizeof(*w));
	w->e = e;
	w->cb = cb;
	w->on_error = on_error;
	w->arg = arg;
	w->x.done = watch_done;
	w->lines = engine_lines_new(ENGINE_LINE_MAX);
	w->reconnect = evtimer_new(e->base, watch_reconnect, w);
	w->deliver = event_new(e->base, -1, 0, watch_deliver, w);
	watch_connect(w);
	*out = w;
	return 0;
}

void
engine_watch_stop(struct engine_watch *w)
{
	if (w == NULL)
		return;
	if (w->x.easy != NULL) {
		curl_multi_remove_handle(w->e->multi, w->x.easy);
		curl_easy_cleanup(w->x.easy);
	}
	event_free(w->reconnect);
	event_free(w->deliver);
	engine_lines_free(w->lines);
	free(w->queue);
	free(w);
}
