/*
 * baseline-json.c: struct baseline -> JSON (see baseline-json.h).
 */
#include <jansson.h>

#include "common/json.h"
#include "formats/baseline-json.h"

static json_t *
exec_json(const struct baseline_exec *e)
{
	json_t	*o = json_object();

	json_object_set_new(o, "path", rt_json_escaped(e->path));
	json_object_set_new(o, "sha256", e->sha256[0] != '\0' ?
	    json_string(e->sha256) : json_null());
	json_object_set_new(o, "count", json_integer(e->count));
	json_object_set_new(o, "from_image", json_boolean(e->from_image));
	json_object_set_new(o, "first_seen_ms", json_integer(e->first_ms));
	json_object_set_new(o, "last_seen_ms", json_integer(e->last_ms));
	return o;
}

static json_t *
write_json(const struct baseline_write *w)
{
	json_t	*o = json_object();

	json_object_set_new(o, "path", rt_json_escaped(w->path));
	json_object_set_new(o, "count", json_integer(w->count));
	json_object_set_new(o, "first_seen_ms", json_integer(w->first_ms));
	json_object_set_new(o, "last_seen_ms", json_integer(w->last_ms));
	return o;
}

void
baseline_json_add(json_t *obj, const struct baseline *b, const char *image_id)
{
	json_t	*a;
	size_t	 i;

	json_object_set_new(obj, "image", rt_json_escaped(b->image_ref));
	json_object_set_new(obj, "image_id", rt_json_escaped(image_id));
	a = json_array();
	for (i = 0; i < b->n_execs; i++)
		json_array_append_new(a, exec_json(&b->execs[i]));
	json_object_set_new(obj, "executables", a);
	a = json_array();
	for (i = 0; i < b->n_syscalls; i++)
		json_array_append_new(a, rt_json_escaped(b->syscalls[i]));
	json_object_set_new(obj, "syscalls", a);
	a = json_array();
	for (i = 0; i < b->n_writes; i++)
		json_array_append_new(a, write_json(&b->writes[i]));
	json_object_set_new(obj, "writes", a);
}
