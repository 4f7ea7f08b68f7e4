/*
 * procinfo.c: /proc reads about a process blocked in a permission event
 * (see procinfo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/xmalloc.h"
#include "enforcer/procinfo.h"

#define NR_EXECVE	59	/* x86_64 */
#define NR_EXECVEAT	322
#define NAMES_SLOTS	2048	/* per container; all forgotten when full */
#define RUNNING_RETRIES	200

struct name_slot {
	char	*path;
	dev_t	 root_dev, dev;	/* resolved from that root (a chroot is */
	ino_t	 root_ino, ino;	/* another root) to that file */
};

struct procinfo_names {
	struct name_slot	slots[NAMES_SLOTS];
	size_t			used;
};

struct procinfo_names *
procinfo_names_new(void)
{
	return xcalloc(1, sizeof(struct procinfo_names));
}

static void
names_clear(struct procinfo_names *n)
{
	size_t	i;

	for (i = 0; i < NAMES_SLOTS; i++) {
		free(n->slots[i].path);
		n->slots[i].path = NULL;
	}
	n->used = 0;
}

void
procinfo_names_free(struct procinfo_names *n)
{
	if (n == NULL)
		return;
	names_clear(n);
	free(n);
}

static struct name_slot *
names_find(struct procinfo_names *n, const struct stat *root, const char *path)
{
	size_t	i, k;

	i = rt_hash_str(path) % NAMES_SLOTS;
	for (k = 0; k < 8; k++, i = (i + 1) % NAMES_SLOTS)
		if (n->slots[i].path != NULL &&
		    n->slots[i].root_dev == root->st_dev &&
		    n->slots[i].root_ino == root->st_ino &&
		    strcmp(n->slots[i].path, path) == 0)
			return &n->slots[i];
	return NULL;
}

static void
names_add(struct procinfo_names *n, const struct stat *root, const char *path,
    dev_t dev, ino_t ino)
{
	size_t	i, k;

	if (n->used >= NAMES_SLOTS / 2)
		names_clear(n);
	i = rt_hash_str(path) % NAMES_SLOTS;
	for (k = 0; k < 8; k++, i = (i + 1) % NAMES_SLOTS)
		if (n->slots[i].path == NULL) {
			n->slots[i].path = xstrdup(path);
			n->slots[i].root_dev = root->st_dev;
			n->slots[i].root_ino = root->st_ino;
			n->slots[i].dev = dev;
			n->slots[i].ino = ino;
			n->used++;
			return;
		}
}

/* Absolute, without "." or ".." components or doubled slashes. */
static bool
canonical(const char *p)
{
	if (p[0] != '/')
		return false;
	return strstr(p, "//") == NULL && strstr(p, "/./") == NULL &&
	    strstr(p, "/../") == NULL && strcmp(p + strlen(p) -
	    (strlen(p) >= 2 ? 2 : 0), "/.") != 0 && (strlen(p) < 3 ||
	    strcmp(p + strlen(p) - 3, "/..") != 0);
}

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

/*
 * The blocked thread's syscall line. The event can reach us before the
 * thread is off its CPU, when the kernel says "running": try again.
 */
static int
read_syscall(pid_t tid, long *nr, unsigned long a[6])
{
	char	path[64], buf[512];
	int	i;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	for (i = 0; i < RUNNING_RETRIES; i++) {
		if (read_small(path, buf, sizeof(buf)) <= 0)
			return -1;
		if (strncmp(buf, "running", 7) != 0)
			break;
		sched_yield();
	}
	if (sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx", nr, &a[0], &a[1], &a[2],
	    &a[3], &a[4], &a[5]) != 7)
		return -1;
	return 0;
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

static int
openat2_path(int dirfd, const char *path, uint64_t resolve)
{
	struct open_how	how;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static bool
on_ro_mount(int fd)
{
	struct statvfs	sv;

	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/*
 * Resolve path (absolute, inside tid's root) without leaving that root.
 * When neither the file nor its directory can change (both on read-only
 * mounts, reached through no symlink), the answer is remembered.
 */
static int
stat_in_root(struct procinfo_names *names, pid_t tid, const char *path,
    struct stat *st)
{
	struct name_slot	*s;
	struct stat		 rst;
	char			 root[64], *dir, *slash;
	int			 rootfd, fd, dfd, rc;
	bool			 stable = false;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)tid);
	if (names != NULL && stat(root, &rst) < 0)
		return -1;
	if (names != NULL && (s = names_find(names, &rst, path)) != NULL) {
		st->st_dev = s->dev;
		st->st_ino = s->ino;
		return 0;
	}
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	/* O_PATH opens raise no fanotify event: safe on a marked overlay. */
	fd = openat2_path(rootfd, path, RESOLVE_IN_ROOT |
	    RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		close(rootfd);
		return -1;
	}
	rc = fstat(fd, st);
	if (rc == 0 && names != NULL && canonical(path) && on_ro_mount(fd)) {
		dir = xstrdup(path);
		slash = strrchr(dir, '/');
		*slash = '\0';
		dfd = openat2_path(rootfd, dir[0] ? dir : "/", RESOLVE_IN_ROOT |
		    RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		/* The same name, with no symlink on the way: it is fixed. */
		if (dfd >= 0) {
			int	again = openat2_path(rootfd, path,
			    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
			    RESOLVE_NO_MAGICLINKS);
			struct stat	st2;

			stable = on_ro_mount(dfd) && again >= 0 &&
			    fstat(again, &st2) == 0 && st2.st_dev == st->st_dev &&
			    st2.st_ino == st->st_ino;
			if (again >= 0)
				close(again);
			close(dfd);
		}
		free(dir);
	}
	if (stable)
		names_add(names, &rst, path, st->st_dev, st->st_ino);
	close(fd);
	close(rootfd);
	return rc;
}

enum loader_use
procinfo_loader_use(struct procinfo_names *names, pid_t tid,
    const struct stat *ev)
{
	char		 name[PATH_MAX], dir[PATH_MAX], link[64];
	char		 full[PATH_MAX * 2];
	unsigned long	 a[6];
	struct stat	 st;
	long		 nr;
	ssize_t		 n;
	int		 dirfd;

	if (read_syscall(tid, &nr, a) < 0)
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
	if (strncmp(name, "/proc/", 6) == 0) {
		/* fexecve() through /proc/self/fd: never remembered. */
		if (strncmp(name, "/proc/self/fd/", 14) == 0 ||
		    strncmp(name, "/proc/thread-self/fd/", 21) == 0) {
			snprintf(full, sizeof(full), "/proc/%d/fd/%s",
			    (int)tid, strrchr(name, '/') + 1);
			if (stat(full, &st) < 0)
				return LOADER_UNKNOWN;
			goto compare;
		}
		return LOADER_UNKNOWN;
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
		names = NULL;	/* a cwd is the process's: not remembered */
	}
	if (stat_in_root(names, tid, full, &st) < 0)
		return LOADER_UNKNOWN;
compare:
	return st.st_dev == ev->st_dev && st.st_ino == ev->st_ino ?
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
