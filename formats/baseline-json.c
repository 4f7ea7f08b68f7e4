/*
 * baseline-json.c: struct baseline -> JSON (see baseline-json.h).
 */
#include <jansson.h>

#include "common/json.h"
#include "common/syscallname.h"
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

static json_t *
exec_names_json(const struct baseline *b)
{
	json_t	*a = json_array(), *o;
	size_t	 i;

	for (i = 0; i < b->n_exec_names; i++) {
		o = json_object();
		json_object_set_new(o, "name",
		    rt_json_escaped(b->exec_names[i].name));
		json_object_set_new(o, "target",
		    rt_json_escaped(b->exec_names[i].target));
		json_object_set_new(o, "count",
		    json_integer(b->exec_names[i].count));
		json_object_set_new(o, "first_seen_ms",
		    json_integer(b->exec_names[i].first_ms));
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * The syscalls of arch by name (returned); the others in *by_arch, an
 * object of arrays keyed by arch name, or NULL when there are none.
 */
static json_t *
syscalls_json(const struct baseline *b, uint32_t arch, json_t **by_arch)
{
	json_t		*a = json_array(), *other;
	const char	*an;
	char		 name[64];
	size_t		 i;

	*by_arch = NULL;
	for (i = 0; i < b->n_syscalls; i++) {
		syscall_name(b->syscalls[i].arch, b->syscalls[i].nr, name,
		    sizeof(name));
		if (b->syscalls[i].arch == arch) {
			json_array_append_new(a, json_string(name));
			continue;
		}
		if ((an = syscall_arch_name(b->syscalls[i].arch)) == NULL)
			continue;
		if (*by_arch == NULL)
			*by_arch = json_object();
		if ((other = json_object_get(*by_arch, an)) == NULL) {
			other = json_array();
			json_object_set_new(*by_arch, an, other);
		}
		json_array_append_new(other, json_string(name));
	}
	return a;
}

json_t *
baseline_json_readiness(const struct image_readiness *r)
{
	char	 lines[8][200];
	json_t	*o = json_object(), *a = json_array();
	size_t	 n, i;

	json_object_set_new(o, "ready", json_boolean(r->ready));
	n = image_readiness_reasons(r, lines, 8);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(lines[i]));
	json_object_set_new(o, "reasons", a);
	json_object_set_new(o, "containers_from_start",
	    json_integer(r->containers_from_start));
	json_object_set_new(o, "containers_attached_late",
	    json_integer(r->containers_attached_late));
	json_object_set_new(o, "audit_lost", json_integer(r->audit_lost));
	json_object_set_new(o, "events_lost", json_integer(r->events_lost));
	json_object_set_new(o, "last_new_fact",
	    rt_json_time(r->last_new_fact_ms));
	json_object_set_new(o, "quiet_period_s",
	    json_integer(r->quiet_ms / 1000));
	return o;
}

void
baseline_json_add(json_t *obj, const struct baseline *b, const char *image_id)
{
	json_t	*a, *by_arch;
	size_t	 i;

	json_object_set_new(obj, "image", rt_json_escaped(b->image_ref));
	json_object_set_new(obj, "image_id", rt_json_escaped(image_id));
	a = json_array();
	for (i = 0; i < b->n_execs; i++)
		json_array_append_new(a, exec_json(&b->execs[i]));
	json_object_set_new(obj, "executables", a);
	json_object_set_new(obj, "arch",
	    json_string(syscall_arch_name(syscall_arch_native())));
	a = syscalls_json(b, syscall_arch_native(), &by_arch);
	json_object_set_new(obj, "syscalls", a);
	if (by_arch != NULL)
		json_object_set_new(obj, "syscalls_by_arch", by_arch);
	a = json_array();
	for (i = 0; i < b->n_writes; i++)
		json_array_append_new(a, write_json(&b->writes[i]));
	json_object_set_new(obj, "writes", a);
	json_object_set_new(obj, "run_as", exec_names_json(b));
}
