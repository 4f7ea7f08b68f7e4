/*
 * lockdirs.h: read-only protected directories inside a container.
 *
 * fanotify sees opens, not unlink, rename, chmod or truncate(2), and a
 * denied O_CREAT open still leaves an empty file. With --lock-dirs, the
 * enforcer closes those gaps as systemd's ProtectSystem/ReadWritePaths do:
 * inside the container's mount namespace each protected directory becomes
 * a read-only bind mount of itself, with the learned write paths bound back
 * read-write. Everything is undone on detach and exit.
 */
#ifndef RTGUARD_LOCKDIRS_H
#define RTGUARD_LOCKDIRS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/*
 * Apply (lock = 1) or undo (lock = 0) in the mount namespace of pid.
 * dirs is NULL-terminated; rw holds in-container paths ("dir/ *" collapsed
 * entries name their directory) to keep writable. Runs in a forked child
 * (setns needs a single-threaded process); *locked gets the count of
 * directories made read-only.
 */
int	lockdirs_apply(pid_t pid, const char *const *dirs, char *const *rw,
	    size_t n_rw, int lock, int *locked, struct rt_error *err);

#endif
