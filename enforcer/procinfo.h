/*
 * procinfo.h: what the enforcer reads about the process behind a
 * permission event while that process still waits for the answer.
 *
 * Owns two reads of /proc/<tid> (never of the marked filesystem): how a
 * dynamic loader came to be exec'd (as a binary's interpreter, or run
 * directly on some file), and, for refusals only, the process's identity
 * (pid, ppid, exe, comm) captured before the answer lets it go on or exit.
 *
 * The loader question comes with every exec of a dynamically linked
 * binary (the kernel opens the loader for it, and that open cannot be
 * cached: a cached loader would also run directly unasked), so it is kept
 * cheap: names whose resolution cannot change (every component on a
 * read-only mount) are remembered per container, and only the syscall's
 * file name is read from the process.
 */
#ifndef RTGUARD_PROCINFO_H
#define RTGUARD_PROCINFO_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "enforcer/decide.h"

/* Names resolved once in a container: path -> (dev, ino). */
struct procinfo_names;

struct procinfo_names *procinfo_names_new(void);
void	procinfo_names_free(struct procinfo_names *n);

/*
 * The exec'ing thread tid is blocked in execve/execveat; ev is the stat of
 * the loader the kernel is opening. Compare the file the syscall names
 * with it: the same inode means the loader itself is being run.
 */
struct stat;
enum loader_use procinfo_loader_use(struct procinfo_names *names, pid_t tid,
	    const struct stat *ev);

struct proc_identity {
	pid_t	pid, ppid;
	char	exe[PATH_MAX];
	char	comm[32];
};

/* Best effort: fields stay empty or 0 when the process is gone. */
void	procinfo_identity(pid_t tid, struct proc_identity *id);

#endif
