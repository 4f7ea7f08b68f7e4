/*
 * learner.h: learning mode, kernel events -> per-image baseline facts.
 *
 * Owns the audit netlink session (enable, register pid, raise backlog, add
 * and remove only rtguard's own rules), the fanotify notification groups
 * on each learned container's overlay superblock, the attribution of
 * events to containers, and the in-memory aggregation that feeds the
 * store writer. One libevent loop drives audit, fanotify, the Engine API
 * events stream and signals.
 */
#ifndef RTGUARD_LEARNER_H
#define RTGUARD_LEARNER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct learn_options {
	const char	*image;		/* --image pattern, required */
	int64_t		 duration_s;	/* 0: until SIGINT/SIGTERM */
	bool		 reset;		/* forget the image's baseline first */
	bool		 progress;	/* live progress line (stderr is a tty) */
	const char	*db_path;
	const char	*runtime_socket;	/* NULL: the default list */
};

int	learner_run(const struct learn_options *opts, struct rt_error *err);

#endif
