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
 *
 * Also the cgroup v2 id of a process (cgroup_v2_id_of_pid), which is what
 * the BPF observer matches containers by.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xmalloc.h"
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

/* --- cgroup v2 ids (for the BPF observer) ------------------------------- */

/* Copy a mountinfo field, decoding the kernel's \ooo escapes. */
static int
mountinfo_field(const char *s, size_t n, char *out, size_t size)
{
	size_t	i, o = 0;
	int	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\\' && i + 3 < n &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
			    (s[i + 3] - '0');
			i += 3;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
cgroup_v2_path_parse(const char *text, size_t len, char *path, size_t size)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n;

	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		/* "0::/path": hierarchy 0, no controllers, the unified one. */
		if (nl - p >= 4 && memcmp(p, "0::/", 4) == 0) {
			n = nl - p - 3;
			if (n + 1 > size)
				return -ENAMETOOLONG;
			memcpy(path, p + 3, n);
			path[n] = '\0';
			return 0;
		}
		p = nl + 1;
	}
	return -ENOENT;
}

int
cgroup_v2_mount_parse(const char *text, size_t len, char *mnt,
    size_t mnt_size, char *root, size_t root_size)
{
	const char	*p = text, *end = text + len, *nl, *f[16], *q;
	size_t		 fl[16], nf, i;
	int		 found = 0, rc;

	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		/* id parent maj:min root mountpoint opts [tags...] - type src */
		for (nf = 0, q = p; q < nl && nf < 16; nf++) {
			f[nf] = q;
			while (q < nl && *q != ' ')
				q++;
			fl[nf] = q - f[nf];
			while (q < nl && *q == ' ')
				q++;
		}
		for (i = 6; i + 1 < nf; i++)
			if (fl[i] == 1 && f[i][0] == '-')
				break;
		if (nf >= 5 && i + 1 < nf && fl[i + 1] == 7 &&
		    memcmp(f[i + 1], "cgroup2", 7) == 0 &&
		    (!found || (fl[3] == 1 && f[3][0] == '/'))) {
			if ((rc = mountinfo_field(f[4], fl[4], mnt,
			    mnt_size)) < 0 ||
			    (rc = mountinfo_field(f[3], fl[3], root,
			    root_size)) < 0)
				return rc;
			found = 1;
			/* The whole hierarchy: nothing better to find. */
			if (strcmp(root, "/") == 0)
				return 0;
		}
		p = nl + 1;
	}
	return found ? 0 : -ENOENT;
}

static int
read_text(const char *path, char **out, size_t *len, struct rt_error *err)
{
	char	*buf = NULL;
	size_t	 size = 0, n = 0;
	ssize_t	 r;
	int	 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	for (;;) {
		if (n + 1 >= size) {
			size = size == 0 ? 8192 : size * 2;
			buf = xreallocarray(buf, size, 1);
		}
		if ((r = read(fd, buf + n, size - n - 1)) < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			free(buf);
			return rt_error_sys(err, e, "%s", path);
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
cgroup_v2_id_of_pid(pid_t pid, uint64_t *id, struct rt_error *err)
{
	/* struct file_handle and room for its f_handle[] */
	char		 hbuf[sizeof(struct file_handle) + sizeof(uint64_t)]
			     __attribute__((aligned(8)));
	struct file_handle *fh = (struct file_handle *)hbuf;
	char		 proc[64], cg[4096], mnt[4096], root[4096];
	char		 dir[8192], *text = NULL;
	const char	*rel;
	struct stat	 st;
	size_t		 len, rl;
	int		 rc, mount_id;

	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	if ((rc = read_text(proc, &text, &len, err)) < 0)
		return rc == -ENOENT ? rt_error_set(err, ESRCH,
		    "pid %d: no such process", (int)pid) : rc;
	rc = cgroup_v2_path_parse(text, len, cg, sizeof(cg));
	free(text);
	if (rc == -ENOENT)
		return rt_error_set(err, ENOENT, "pid %d has no cgroup v2 path "
		    "(no unified hierarchy on this host)", (int)pid);
	if (rc < 0)
		return rt_error_set(err, -rc, "%s: cgroup v2 path too long",
		    proc);

	if ((rc = read_text("/proc/self/mountinfo", &text, &len, err)) < 0)
		return rc;
	rc = cgroup_v2_mount_parse(text, len, mnt, sizeof(mnt), root,
	    sizeof(root));
	free(text);
	if (rc == -ENOENT)
		return rt_error_set(err, ENOENT, "no cgroup2 mount in "
		    "/proc/self/mountinfo (the unified hierarchy is not "
		    "mounted)");
	if (rc < 0)
		return rt_error_set(err, -rc, "/proc/self/mountinfo: cgroup2 "
		    "mount point too long");
	/* A mount of a sub-tree (root "/a") shows "/a/b" as <mnt>/b. */
	rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(cg, root, rl) != 0 || (cg[rl] != '/' && cg[rl] != '\0'))
		return rt_error_set(err, ENOENT, "pid %d: cgroup %s is outside "
		    "the cgroup2 mount at %s (root %s)", (int)pid, cg, mnt,
		    root);
	rel = cg + rl;
	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", mnt,
	    strcmp(rel, "/") == 0 ? "" : rel) >= sizeof(dir))
		return rt_error_set(err, ENAMETOOLONG, "%s%s: too long", mnt,
		    rel);

	/* The file handle of a kernfs directory is its 64-bit id. */
	fh->handle_bytes = sizeof(*id);
	if (name_to_handle_at(AT_FDCWD, dir, fh, &mount_id, 0) == 0 &&
	    fh->handle_bytes == sizeof(*id)) {
		memcpy(id, fh->f_handle, sizeof(*id));
		return 0;
	}
	/* On 64-bit kernels the inode number is the same id. */
	if (stat(dir, &st) != 0)
		return rt_error_sys(err, errno == ENOENT ? ESRCH : errno,
		    "%s", dir);
	*id = (uint64_t)st.st_ino;
	return 0;
}
