/*
 * fangroup.h: one fanotify group on one container's overlay.
 *
 * Both daemons watch a container through a group of its own with a
 * FAN_MARK_FILESYSTEM mark on its overlay superblock: that superblock is
 * the container's alone, so the group sees its processes and nobody
 * else's, and never a host filesystem (the only place rtguard marks).
 * The group's descriptor is read on the loop; for each event the role's
 * callback runs with the event's descriptor open (closed afterwards), and
 * must answer permission events itself. Closing the group lets every
 * pending permission event through: a dying daemon never blocks anyone.
 */
#ifndef RTGUARD_FANGROUP_H
#define RTGUARD_FANGROUP_H

#include <stdint.h>
#include <sys/fanotify.h>

#include "common/error.h"
#include "container/container.h"

struct event_base;
struct fangroup;

typedef void (*fangroup_cb)(struct fangroup *g,
	    const struct fanotify_event_metadata *md, void *arg);

/*
 * A group (fanotify_init(init_flags | FAN_CLOEXEC | FAN_NONBLOCK)) with
 * mask on c's overlay superblock. -ENOTSUP when c's root is not a mounted
 * overlay of its own.
 */
int	fangroup_open(struct event_base *base, const struct container *c,
	    unsigned int init_flags, uint64_t mask, fangroup_cb cb, void *arg,
	    struct fangroup **out, struct rt_error *err);
int	fangroup_fd(const struct fangroup *g);
/* Events the kernel dropped (FAN_Q_OVERFLOW) so far. */
uint64_t fangroup_overflows(const struct fangroup *g);
/* Read and dispatch whatever is queued now (before a stop). */
void	fangroup_drain(struct fangroup *g);
void	fangroup_free(struct fangroup *g);

#endif
