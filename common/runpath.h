/*
 * runpath.h: /var/run and /run as one directory.
 *
 * /var/run and /var/lock are symlinks to /run and /run/lock on every
 * distribution, so a container's process writes one file under either
 * name. The learner stores written paths under the /run name; the
 * enforcer matches a path under that name too.
 */
#ifndef RTGUARD_RUNPATH_H
#define RTGUARD_RUNPATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * If path starts with /var/run or /var/lock as whole components, the
 * length of that prefix, with *to (if not NULL) its /run name ("/run",
 * "/run/lock"); else 0.
 */
size_t	runpath_alias(const char *path, const char **to);
/*
 * path under its /run name into out (truncated to len - 1 bytes; len >
 * 0); returns whether it differs from path.
 */
bool	runpath_canonical(const char *path, char *out, size_t len);

#endif
