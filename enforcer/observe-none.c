/*
 * observe-none.c: the observer in a build without BPF (configure
 * --disable-bpf, or clang, bpftool or libbpf missing): observe_open says
 * so and the enforcer runs without it.
 */
#include <errno.h>

#include "enforcer/observe.h"

int
observe_open(struct event_base *base, unsigned int flags, observe_cb cb,
    void *arg, struct observe **out, struct rt_error *err)
{
	*out = NULL;
	return rt_error_set(err, ENOTSUP, "observe: rtguard was built without "
	    "BPF (configure found no clang, bpftool or libbpf): refusals by "
	    "mount flags are not recorded");
}

int
observe_add_cgroup(struct observe *o, uint64_t cgroup_id, bool protect,
    pid_t ns_pid, struct rt_error *err)
{
	return rt_error_set(err, ENOTSUP, "observe: built without BPF");
}

void
observe_remove_cgroup(struct observe *o, uint64_t cgroup_id)
{
}

int
observe_add_loader(struct observe *o, uint64_t cgroup_id, uint64_t ino,
    struct rt_error *err)
{
	(void)o; (void)cgroup_id; (void)ino;
	return rt_error_set(err, ENOTSUP, "rtguard was built without BPF");
}

void
observe_remove_loader(struct observe *o, uint64_t cgroup_id, uint64_t ino)
{
	(void)o; (void)cgroup_id; (void)ino;
}

uint64_t
observe_lost(const struct observe *o)
{
	return 0;
}

size_t
observe_attached(const struct observe *o, size_t *skipped)
{
	if (skipped != NULL)
		*skipped = 0;
	return 0;
}

const char *
observe_method(const struct observe *o)
{
	return "none";
}

void
observe_free(struct observe *o)
{
}
