/*
 * enforcer.h: enforcement mode, answering fanotify permission events.
 *
 * Owns the fanotify permission groups on the overlay superblock of each
 * container under enforcement, the in-memory decision tables built from
 * baselines and policy, the in-kernel ignore marks for allowed inodes, the
 * write protection of protected directories, and the alert lines. The
 * answer path decides from memory only; every decision is queued to the
 * store writer after the answer is written.
 */
#ifndef RTGUARD_ENFORCER_H
#define RTGUARD_ENFORCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct enforce_options {
	const char	**images;	/* --image patterns; none: all baselines */
	size_t		 n_images;
	bool		 monitor;	/* alert, never deny */
	int64_t		 duration_s;	/* 0: until SIGINT/SIGTERM */
	const char	*db_path;
	const char	*runtime_socket;
	const char	*policy_dir;	/* NULL: RTGUARD_POLICY_DIR */
	const char	*alerts_path;	/* NULL: JSON lines on stderr */
	bool		 lock_dirs;	/* accepted; the default now */
	bool		 record_write_opens;	/* observe openat too (cost) */
	/*
	 * Protect images whose baselines are not ready (store_image_
	 * readiness); without it their containers are monitored instead.
	 */
	bool		 force;
};

int	enforcer_run(const struct enforce_options *opts, struct rt_error *err);

#endif
