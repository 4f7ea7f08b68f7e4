/*
 * procinfo.h: what the enforcer reads about the process behind a
 * permission event while that process still waits for the answer.
 *
 * Owns two reads of /proc/<tid> (never of the marked filesystem): how a
 * dynamic loader came to be exec'd (as a binary's interpreter, or run
 * directly on some file), and, for refusals only, the process's identity
 * (pid, ppid, exe, comm) captured before the answer lets it go on or exit.
 */
#ifndef RTGUARD_PROCINFO_H
#define RTGUARD_PROCINFO_H

#include <limits.h>
#include <sys/types.h>

#include "enforcer/decide.h"

/*
 * The exec'ing thread tid is blocked in execve/execveat; event_fd is the
 * loader the kernel is opening. Compare the file the syscall names with
 * event_fd: the same inode means the loader itself is being run.
 */
enum loader_use procinfo_loader_use(pid_t tid, int event_fd);

struct proc_identity {
	pid_t	pid, ppid;
	char	exe[PATH_MAX];
	char	comm[32];
};

/* Best effort: fields stay empty or 0 when the process is gone. */
void	procinfo_identity(pid_t tid, struct proc_identity *id);

#endif
