/*
 * overlay.c: a container's files as its overlay mount shows them: paths
 * read from event descriptors, and whether a file comes from the image's
 * layers, was written in the container, or lives elsewhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "container/container.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC	0x794c7630
#endif

void
container_path(const struct container *c, char *path)
{
	size_t	n;

	if (c->merged_dir == NULL)
		return;
	n = strlen(c->merged_dir);
	if (strncmp(path, c->merged_dir, n) == 0 && path[n] == '/')
		memmove(path, path + n, strlen(path + n) + 1);
}

/* Whether the container wrote or changed path: it is in the upper layer. */
static bool
in_upper(const struct container *c, const char *path)
{
	char		buf[PATH_MAX * 2];
	struct stat	st;

	if (c->upper_dir == NULL)
		return false;
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", c->upper_dir, path) >=
	    sizeof(buf))
		return true;	/* too long to check: not from the image */
	if (lstat(buf, &st) == 0)
		return true;
	/* Only a clear "not there" means not written; fail closed else. */
	return errno != ENOENT && errno != ENOTDIR;
}

enum file_origin
container_file_origin(const struct container *c, int fd, const char *path)
{
	struct statfs	sfs;

	if (fstatfs(fd, &sfs) < 0 ||
	    (unsigned long)sfs.f_type != OVERLAYFS_SUPER_MAGIC)
		return ORIGIN_ELSEWHERE;
	/* A file unlinked since it was opened cannot be from the image. */
	if (strstr(path, " (deleted)") != NULL || in_upper(c, path))
		return ORIGIN_UPPER;
	return ORIGIN_IMAGE;
}

bool
container_root_is_overlay(const struct container *c)
{
	struct statfs	sfs;
	struct stat	st, root;

	return c->merged_dir != NULL && statfs(c->merged_dir, &sfs) == 0 &&
	    (unsigned long)sfs.f_type == OVERLAYFS_SUPER_MAGIC &&
	    stat(c->merged_dir, &st) == 0 && stat("/", &root) == 0 &&
	    st.st_dev != root.st_dev;
}
