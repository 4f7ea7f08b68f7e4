/*
 * observe-int.h: what the observer's two files share, and nothing else
 * sees: observe.c (loading, the maps, the ring buffer on the loop) and
 * observe-attach.c (the programs attached to tracepoints, and detached).
 */
#ifndef RTGUARD_OBSERVE_INT_H
#define RTGUARD_OBSERVE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "enforcer/observe.h"

struct bpf_link;
struct event;
struct observe_bpf;
struct ring_buffer;

struct observe {
	struct observe_bpf	*skel;
	struct ring_buffer	*rb;
	struct event		*ev;		/* the ring buffer is readable */
	struct event		*drain;		/* ... or read it on a timer */
	struct bpf_link		**links;
	size_t			 n_links;
	size_t			 n_attached, n_skipped;
	bool			 regs;		/* the exit-only method */
	bool			 loaders;	/* observe_exec is attached */
	size_t			 budget;
	observe_cb		 cb;
	void			*arg;
};

/* Where tracepoint ids are read (tracefs, mounted if need be). */
int	observe_tracefs(const char **dir, struct rt_error *err);
/*
 * Attach every wanted row of the syscall table, and the loader's exec
 * program; the links are kept in o. A tracepoint this kernel lacks is
 * skipped (counted); any other failure is an error.
 */
int	observe_attach(struct observe *o, unsigned int flags, const char *dir,
	    struct rt_error *err);
/* Destroy every link, in parallel (each waits for an RCU grace period). */
void	observe_detach(struct observe *o);

#endif
