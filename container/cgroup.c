/*
 * cgroup.c: pid -> container id, from the text of /proc/PID/cgroup.
 *
 * One libpcre2 pattern, compiled once, recognises the cgroup layouts of the
 * engines rtguard supports:
 *   Podman      .../libpod-<id>  (not libpod-conmon-<id>, which is conmon)
 *   Docker      .../docker-<id>.scope  or  /docker/<id>
 *   containerd  .../cri-containerd-<id>.scope
 *   CRI-O       .../crio-<id>.scope  (not crio-conmon-<id>)
 *   kubepods    /kubepods/<qos>/pod<uid>/<id>  (cgroupfs driver)
 * The innermost match wins, so a container nested in a pod slice resolves
 * to itself.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container/container.h"

static const char cgroup_pattern[] =
    "(?:libpod-|docker-|/docker/|cri-containerd-|crio-|/kubepods[^\\n]*/)"
    "([0-9a-f]{64})(?:\\.scope)?(?=/|$)";

static pcre2_code	*cgroup_re;
static pthread_once_t	 cgroup_once = PTHREAD_ONCE_INIT;

static void
cgroup_compile(void)
{
	int		errcode;
	PCRE2_SIZE	erroff;

	cgroup_re = pcre2_compile((PCRE2_SPTR)cgroup_pattern,
	    PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
	/* A constant pattern: failing to compile is a programming error. */
	if (cgroup_re != NULL)
		(void)pcre2_jit_compile(cgroup_re, PCRE2_JIT_COMPLETE);
}

static int
line_container_id(const char *line, size_t len, char id[CONTAINER_ID_LEN + 1])
{
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov;
	size_t			 off = 0;
	int			 found = 0, rc;

	md = pcre2_match_data_create_from_pattern(cgroup_re, NULL);
	if (md == NULL)
		return -ENOMEM;
	while (off < len) {
		rc = pcre2_match(cgroup_re, (PCRE2_SPTR)line, len, off, 0, md,
		    NULL);
		if (rc < 2)
			break;
		ov = pcre2_get_ovector_pointer(md);
		memcpy(id, line + ov[2], CONTAINER_ID_LEN);
		id[CONTAINER_ID_LEN] = '\0';
		found = 1;
		off = ov[1] > off ? ov[1] : off + 1;	/* innermost wins */
	}
	pcre2_match_data_free(md);
	return found;
}

int
cgroup_parse_container_id(const char *text, size_t len,
    char id[CONTAINER_ID_LEN + 1])
{
	const char	*p = text, *end = text + len, *nl, *path;
	int		 found = 0, rc, lines = 0;

	pthread_once(&cgroup_once, cgroup_compile);
	if (cgroup_re == NULL)
		return -ENOMEM;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		if (nl > p) {
			/* "hierarchy-id:controllers:path"; path may hold ':'. */
			path = memchr(p, ':', nl - p);
			if (path != NULL)
				path = memchr(path + 1, ':', nl - path - 1);
			if (path == NULL || path + 1 >= nl || path[1] != '/')
				return -EINVAL;
			lines++;
			rc = line_container_id(path + 1, nl - path - 1, id);
			if (rc < 0)
				return rc;
			if (rc > 0)
				found = 1;
			/* cgroup v2 or the first v1 hierarchy that names it. */
			if (found)
				break;
		}
		p = nl + 1;
	}
	if (lines == 0)
		return -EINVAL;
	return found ? 0 : -ENOENT;
}

int
cgroup_container_of_pid(pid_t pid, char id[CONTAINER_ID_LEN + 1],
    struct rt_error *err)
{
	char	path[64], buf[8192];
	ssize_t	n;
	int	fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno == ENOENT ? ESRCH : errno,
		    "%s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return rt_error_sys(err, errno, "%s", path);
	if (n == 0)
		return rt_error_set(err, ESRCH, "%s: empty (process exited)",
		    path);
	buf[n] = '\0';
	rc = cgroup_parse_container_id(buf, n, id);
	if (rc == -ENOENT)
		return rt_error_set(err, ENOENT, "pid %d is not in a container",
		    (int)pid);
	if (rc < 0)
		return rt_error_set(err, -rc, "%s: unrecognised cgroup text",
		    path);
	return 0;
}
