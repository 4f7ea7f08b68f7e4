/*
 * procinfo.c: /proc reads about a process blocked in a permission event
 * (see procinfo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "enforcer/procinfo.h"

#define NR_EXECVE	59	/* x86_64 */
#define NR_EXECVEAT	322

static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The NUL-terminated string at addr in tid's memory. */
static int
read_string(pid_t tid, unsigned long addr, char *out, size_t len)
{
	struct iovec	local = { out, len - 1 }, remote = { (void *)addr,
			    len - 1 };
	ssize_t		n;

	/* A page boundary may end the mapping: retry up to it. */
	n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n <= 0) {
		remote.iov_len = local.iov_len = 4096 - (addr & 4095);
		if (local.iov_len > len - 1)
			remote.iov_len = local.iov_len = len - 1;
		n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	}
	if (n <= 0)
		return -1;
	out[n] = '\0';
	return memchr(out, '\0', (size_t)n) != NULL ? 0 : -1;
}

/* Resolve path (absolute, inside tid's root) without leaving that root. */
static int
stat_in_root(pid_t tid, const char *path, struct stat *st)
{
	struct open_how	how = { .flags = O_PATH | O_CLOEXEC,
			    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char		root[64];
	int		rootfd, fd, rc;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)tid);
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	/* O_PATH opens raise no fanotify event: safe on a marked overlay. */
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	close(rootfd);
	if (fd < 0)
		return -1;
	rc = fstat(fd, st);
	close(fd);
	return rc;
}

enum loader_use
procinfo_loader_use(pid_t tid, int event_fd)
{
	char		 buf[512], name[PATH_MAX], dir[PATH_MAX], link[64];
	char		 full[PATH_MAX * 2];
	unsigned long	 a[6];
	struct stat	 ev, st;
	long		 nr;
	ssize_t		 n;
	int		 dirfd;

	if (fstat(event_fd, &ev) < 0)
		return LOADER_UNKNOWN;
	snprintf(link, sizeof(link), "/proc/%d/syscall", (int)tid);
	if (read_small(link, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx", &nr, &a[0], &a[1],
	    &a[2], &a[3], &a[4], &a[5]) != 7)
		return LOADER_UNKNOWN;
	if (nr == NR_EXECVE) {
		dirfd = AT_FDCWD;
		if (read_string(tid, a[0], name, sizeof(name)) < 0)
			return LOADER_UNKNOWN;
	} else if (nr == NR_EXECVEAT) {
		dirfd = (int)a[0];
		if (read_string(tid, a[1], name, sizeof(name)) < 0)
			return LOADER_UNKNOWN;
		if (name[0] == '\0' && (a[4] & AT_EMPTY_PATH)) {
			/* execveat(fd, "", AT_EMPTY_PATH): the fd's file. */
			snprintf(link, sizeof(link), "/proc/%d/fd/%d",
			    (int)tid, dirfd);
			if (stat(link, &st) < 0)
				return LOADER_UNKNOWN;
			goto compare;
		}
	} else
		return LOADER_UNKNOWN;	/* uselib, or not an exec at all */
	if (strncmp(name, "/proc/self/fd/", 14) == 0 ||
	    strncmp(name, "/proc/thread-self/fd/", 21) == 0) {
		/* fexecve() through /proc: the host's view of that fd. */
		snprintf(full, sizeof(full), "/proc/%d/fd/%s", (int)tid,
		    strrchr(name, '/') + 1);
		if (stat(full, &st) < 0)
			return LOADER_UNKNOWN;
		goto compare;
	}
	if (name[0] == '/')
		snprintf(full, sizeof(full), "%s", name);
	else {
		/* Relative: to the cwd or dirfd, as the process sees them. */
		if (dirfd == AT_FDCWD)
			snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
		else
			snprintf(link, sizeof(link), "/proc/%d/fd/%d",
			    (int)tid, dirfd);
		if ((n = readlink(link, dir, sizeof(dir) - 1)) <= 0 ||
		    dir[0] != '/')
			return LOADER_UNKNOWN;
		dir[n] = '\0';
		snprintf(full, sizeof(full), "%s/%s", dir, name);
	}
	if (stat_in_root(tid, full, &st) < 0)
		return LOADER_UNKNOWN;
compare:
	return st.st_dev == ev.st_dev && st.st_ino == ev.st_ino ?
	    LOADER_DIRECT : LOADER_INTERPRETER;
}

void
procinfo_identity(pid_t tid, struct proc_identity *id)
{
	char	path[64], buf[2048], *p;
	ssize_t	n;

	memset(id, 0, sizeof(*id));
	id->pid = tid;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		if ((p = strstr(buf, "\nTgid:")) != NULL)
			id->pid = atoi(p + 6);
		if ((p = strstr(buf, "\nPPid:")) != NULL)
			id->ppid = atoi(p + 6);
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	if (read_small(path, id->comm, sizeof(id->comm)) > 0)
		id->comm[strcspn(id->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tid);
	n = readlink(path, id->exe, sizeof(id->exe) - 1);
	id->exe[n > 0 ? n : 0] = '\0';
	/* runc init runs from a detached copy of itself: name it by comm. */
	if (strcmp(id->exe, "/") == 0 || strstr(id->exe, "(deleted)") != NULL)
		if (strncmp(id->comm, "runc", 4) == 0)
			snprintf(id->exe, sizeof(id->exe), "[%s]", id->comm);
}
