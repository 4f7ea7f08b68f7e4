/*
 * learner.h: learning mode, kernel events -> per-image baseline facts.
 *
 * Owns the audit netlink session (as the kernel's audit receiver, or
 * beside auditd through the multicast group; only rtguard's own rules,
 * removed on every exit path, settings restored), the fanotify
 * notification group on each learned container's overlay superblock, the
 * attribution of audit records to containers (also of containers not
 * attached yet), the stable form of learned facts, and the progress a
 * user sees. It is a role on daemon/daemon.h, which runs the loop, the
 * store writer, the engine tracker and the OCI hook listener.
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
	int64_t		 until_stable_s;	/* stop once nothing new so long */
	int64_t		 quiet_s;	/* readiness: converged after this */
	const char	*db_path;
	const char	*runtime_socket;	/* NULL: the default list */
};

int	learner_run(const struct learn_options *opts, struct rt_error *err);

#endif
