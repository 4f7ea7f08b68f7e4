/*
 * helperwire.c: the mount helper's request on the wire (see harden.h).
 *
 * mountjob.c encodes a harden_request (or an undo) as one JSON object in
 * the memfd the helper reads on descriptor 0; the helper (mounts.c)
 * decodes it here. Paths travel rt_escape'd, so names with newlines or
 * invalid UTF-8 survive JSON; states travel in harden_state_format's
 * text. Both directions in one file, so they cannot drift apart. Pure.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/xmalloc.h"
#include "enforcer/harden.h"

/* --- encoding (the enforcer) ----------------------------------------------- */

static json_t *
esc(const char *path)
{
	char	*e = rt_escape_str(path);
	json_t	*j = json_string(e);

	free(e);
	return j;
}

static json_t *
paths(const char *const *v)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, esc(v[i]));
	return a;
}

static json_t *
state_text(const struct harden_state *st)
{
	char	*t = harden_state_format(st);
	json_t	*j = json_string(t);

	free(t);
	return j;
}

char *
harden_wire_encode(const struct harden_request *rq,
    const struct harden_state *undo)
{
	const struct baseline	*b = rq != NULL ? rq->baseline : NULL;
	json_t			*o = json_object(), *a, *e;
	char			*s;
	size_t			 i;

	if (undo != NULL) {
		json_object_set_new(o, "op", json_string("undo"));
		json_object_set_new(o, "state", state_text(undo));
		goto out;
	}
	json_object_set_new(o, "op", json_string(rq->update ? "update" :
	    "apply"));
	json_object_set_new(o, "prefix", esc(rq->prefix));
	json_object_set_new(o, "pid", json_integer(rq->pid));
	json_object_set_new(o, "memfd", json_boolean(rq->memfd_noexec));
	json_object_set_new(o, "protected", paths(rq->protected));
	json_object_set_new(o, "writable", paths(rq->writable));
	a = json_array();
	for (i = 0; b != NULL && i < b->n_execs; i++) {
		e = json_object();
		json_object_set_new(e, "path", esc(b->execs[i].path));
		json_object_set_new(e, "upper",
		    json_boolean(!b->execs[i].from_image));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "execs", a);
	a = json_array();
	for (i = 0; b != NULL && i < b->n_writes; i++)
		json_array_append_new(a, esc(b->writes[i].path));
	json_object_set_new(o, "writes", a);
	if (rq->saved != NULL)
		json_object_set_new(o, "saved", state_text(rq->saved));
	if (rq->remove != NULL)
		json_object_set_new(o, "remove", state_text(rq->remove));
	json_object_set_new(o, "add", paths(rq->add));
out:
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* --- decoding (the helper) ------------------------------------------------- */

/* An escaped path; NULL if it is not a string or holds a NUL. */
static char *
unescaped(json_t *v)
{
	const char	*s = json_string_value(v);
	char		*u;
	size_t		 len;

	if (s == NULL || (u = rt_unescape(s, &len)) == NULL)
		return NULL;
	if (strlen(u) != len) {
		free(u);
		return NULL;
	}
	return u;
}

/* A NULL-terminated vector of the array's unescaped paths. */
static const char *const *
paths_of(json_t *a)
{
	char	**v;
	json_t	 *e;
	size_t	  i, n = 0;

	v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	json_array_foreach(a, i, e)
		if ((v[n] = unescaped(e)) != NULL)
			n++;
	return (const char *const *)v;
}

static int
state_of(json_t *v, struct harden_state *st)
{
	const char	*s = json_string_value(v);

	memset(st, 0, sizeof(*st));
	return s == NULL ? -1 : harden_state_parse(s, st);
}

int
harden_wire_decode(json_t *o, struct harden_wire *w)
{
	struct harden_request	*rq = &w->rq;
	struct baseline		*b = &w->baseline;
	const char		*op;
	json_t			*e;
	size_t			 i;

	memset(w, 0, sizeof(*w));
	op = json_string_value(json_object_get(o, "op"));
	if (op != NULL && strcmp(op, "undo") == 0) {
		w->op = HARDEN_WIRE_UNDO;
		if (state_of(json_object_get(o, "state"), &w->remove) < 0) {
			w->error = "no state";
			return -1;
		}
		return 0;
	}
	if (op != NULL && strcmp(op, "update") == 0)
		w->op = HARDEN_WIRE_UPDATE;
	else if (op != NULL && strcmp(op, "apply") == 0)
		w->op = HARDEN_WIRE_APPLY;
	else {
		w->error = "unknown op";
		return -1;
	}
	w->prefix = unescaped(json_object_get(o, "prefix"));
	rq->prefix = w->prefix != NULL ? w->prefix : "";
	rq->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	rq->memfd_noexec = json_is_true(json_object_get(o, "memfd"));
	rq->protected = paths_of(json_object_get(o, "protected"));
	rq->writable = paths_of(json_object_get(o, "writable"));
	b->execs = xcalloc(json_array_size(json_object_get(o, "execs")) + 1,
	    sizeof(*b->execs));
	json_array_foreach(json_object_get(o, "execs"), i, e)
		if ((b->execs[b->n_execs].path = unescaped(json_object_get(e,
		    "path"))) != NULL)
			b->execs[b->n_execs++].from_image =
			    !json_is_true(json_object_get(e, "upper"));
	b->writes = xcalloc(json_array_size(json_object_get(o, "writes")) + 1,
	    sizeof(*b->writes));
	json_array_foreach(json_object_get(o, "writes"), i, e)
		if ((b->writes[b->n_writes].path = unescaped(e)) != NULL)
			b->n_writes++;
	rq->baseline = b;
	if (state_of(json_object_get(o, "saved"), &w->saved) == 0)
		rq->saved = &w->saved;
	if (w->op == HARDEN_WIRE_UPDATE) {
		rq->update = true;
		if (state_of(json_object_get(o, "remove"), &w->remove) == 0)
			rq->remove = &w->remove;
		rq->add = paths_of(json_object_get(o, "add"));
	}
	return 0;
}

static void
free_paths(const char *const *v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free((char *)v[i]);
	free((void *)v);
}

void
harden_wire_free(struct harden_wire *w)
{
	size_t	i;

	free(w->prefix);
	free_paths(w->rq.protected);
	free_paths(w->rq.writable);
	free_paths(w->rq.add);
	for (i = 0; i < w->baseline.n_execs; i++)
		free(w->baseline.execs[i].path);
	free(w->baseline.execs);
	for (i = 0; i < w->baseline.n_writes; i++)
		free(w->baseline.writes[i].path);
	free(w->baseline.writes);
	harden_state_free(&w->saved);
	harden_state_free(&w->remove);
	memset(w, 0, sizeof(*w));
}
