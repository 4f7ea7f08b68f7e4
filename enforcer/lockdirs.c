/*
 * lockdirs.c: read-only bind mounts of protected directories inside a
 * container's mount namespace (see lockdirs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforcer/lockdirs.h"

/*
 * The container's mount table, read from the host's /proc/<pid>/mountinfo
 * before forking (inside the container's root, /proc belongs to its pid
 * namespace, where the helper has no /proc/self).
 */
static char	*mountinfo;

/* Whether path is a read-only mount point (ours, from an earlier run). */
static int
is_ro_mountpoint(const char *path)
{
	char	*line, *save = NULL, *copy, mp[2048], opts[512];
	int	 ro = 0;

	if (mountinfo == NULL || (copy = strdup(mountinfo)) == NULL)
		return 0;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint options ... */
		if (sscanf(line, "%*s %*s %*s %*s %2047s %511s", mp, opts) != 2)
			continue;
		if (strcmp(mp, path) == 0)
			ro = strncmp(opts, "ro", 2) == 0 &&
			    (opts[2] == ',' || opts[2] == '\0');
	}
	free(copy);
	return ro;
}

static int
under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The in-container path to keep writable for one learned entry. */
static void
rw_target(const char *entry, char *out, size_t len)
{
	size_t	n = strlen(entry);

	snprintf(out, len, "%s", entry);
	if (n >= 2 && strcmp(entry + n - 2, "/*") == 0)
		out[n - 2 < len ? n - 2 : len - 1] = '\0';
}

/* Whether the container's root mount propagates to peers (the host). */
static int
root_is_shared(void)
{
	char	*line, *save = NULL, *copy, mp[2048];
	int	 shared = 1;

	if (mountinfo == NULL || (copy = strdup(mountinfo)) == NULL)
		return 1;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%*s %*s %*s %*s %2047s", mp) == 1 &&
		    strcmp(mp, "/") == 0)
			shared = strstr(line, " shared:") != NULL;
	free(copy);
	return shared;
}

static void
read_mountinfo(pid_t pid)
{
	char	 path[64];
	FILE	*f;
	size_t	 len = 0;

	free(mountinfo);
	mountinfo = NULL;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (getdelim(&mountinfo, &len, '\0', f) < 0) {
		free(mountinfo);
		mountinfo = NULL;
	}
	fclose(f);
}

static int
child(const char *const *dirs, char *const *rw, size_t n_rw, int lock)
{
	struct stat	st;
	char		target[4096];
	size_t		i, j;
	int		locked = 0;

	/* Our mounts must stay inside the container, never reach the host. */
	if (lock && root_is_shared())
		return 100 + EXDEV;

	for (i = 0; dirs[i] != NULL; i++) {
		/* Merged-/usr links (/bin -> usr/bin) are covered by /usr. */
		if (lstat(dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!lock) {
			for (j = 0; j < n_rw; j++) {
				rw_target(rw[j], target, sizeof(target));
				if (under(target, dirs[i]))
					(void)umount2(target, MNT_DETACH);
			}
			if (is_ro_mountpoint(dirs[i]) &&
			    umount2(dirs[i], MNT_DETACH) == 0)
				locked++;
			continue;
		}
		if (is_ro_mountpoint(dirs[i]))
			continue;	/* already locked (an earlier run) */
		if (mount(dirs[i], dirs[i], NULL, MS_BIND | MS_REC, NULL) < 0)
			return 100 + errno;
		if (mount(NULL, dirs[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		    MS_NOSUID | MS_NODEV, NULL) < 0) {
			(void)umount2(dirs[i], MNT_DETACH);
			return 100 + errno;
		}
		locked++;
		for (j = 0; j < n_rw; j++) {
			rw_target(rw[j], target, sizeof(target));
			if (!under(target, dirs[i]) || lstat(target, &st) < 0 ||
			    S_ISLNK(st.st_mode))
				continue;
			if (mount(target, target, NULL, MS_BIND, NULL) == 0)
				(void)mount(NULL, target, NULL, MS_REMOUNT |
				    MS_BIND | MS_NOSUID | MS_NODEV, NULL);
		}
	}
	return locked > 99 ? 99 : locked;
}

int
lockdirs_apply(pid_t pid, const char *const *dirs, char *const *rw,
    size_t n_rw, int lock, int *locked, struct rt_error *err)
{
	char	path[64];
	pid_t	c;
	int	nsfd, rootfd, status;

	*locked = 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if ((rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		close(nsfd);
		return rt_error_sys(err, errno, "%s", path);
	}
	read_mountinfo(pid);
	c = fork();
	if (c < 0) {
		close(nsfd);
		close(rootfd);
		return rt_error_sys(err, errno, "fork");
	}
	if (c == 0) {
		/* Single-threaded here, as setns(CLONE_NEWNS) requires. */
		if (setns(nsfd, CLONE_NEWNS) < 0 || fchdir(rootfd) < 0 ||
		    chroot(".") < 0 || chdir("/") < 0)
			_exit(100 + errno);
		_exit(child(dirs, rw, n_rw, lock));
	}
	close(nsfd);
	close(rootfd);
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			return rt_error_sys(err, errno, "waitpid");
	if (!WIFEXITED(status))
		return rt_error_set(err, EIO, "mount helper for pid %d died",
		    (int)pid);
	if (WEXITSTATUS(status) >= 100)
		return rt_error_set(err, WEXITSTATUS(status) - 100,
		    "%s protected directories in pid %d's mount namespace: %s",
		    lock ? "locking" : "unlocking", (int)pid,
		    strerror(WEXITSTATUS(status) - 100));
	*locked = WEXITSTATUS(status);
	return 0;
}
