/*
 * harden.c: read-only and noexec bind mounts in a container's mount
 * namespace, and memfd_noexec in its pid namespace (see harden.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "enforcer/harden.h"

/* --- the plan (pure) ---------------------------------------------------- */

static bool
path_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
plan_add(struct harden_plan *p, enum harden_op op, const char *path)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n].op = op;
	p->v[p->n].path = xstrdup(path);
	p->v[p->n].exec = false;
	p->n++;
}

static bool
has_exec_under(const struct baseline *b, const char *dir)
{
	size_t	i;

	for (i = 0; b != NULL && i < b->n_execs; i++)
		if (path_under(b->execs[i].path, dir))
			return true;
	return false;
}

static bool
is_protected(const char *const *protected, const char *path)
{
	size_t	i;

	for (i = 0; protected[i] != NULL; i++)
		if (strcmp(protected[i], path) == 0)
			return true;
	return false;
}

/* The directory a learned write entry makes writable ("d/ *" -> d). */
static char *
write_target(const char *entry)
{
	size_t	n = strlen(entry);

	if (n >= 2 && strcmp(entry + n - 2, "/*") == 0)
		return xasprintf("%.*s", (int)(n - 2), entry);
	return xstrdup(entry);
}

void
harden_plan_build(const char *const *protected, const struct baseline *b,
    const struct harden_top *top, size_t n_top, char *const *mountpoints,
    size_t n_mountpoints, struct harden_plan *out)
{
	static const char *const skip[] = { "proc", "sys", "dev", NULL };
	char	*path, *t;
	size_t	 i, j, k;
	bool	 skipped, locked_parent;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n_top; i++) {
		if (!top[i].is_dir)
			continue;	/* symlinks point into the others */
		for (skipped = false, k = 0; skip[k] != NULL; k++)
			if (strcmp(top[i].name, skip[k]) == 0)
				skipped = true;
		if (skipped)
			continue;
		path = xasprintf("/%s", top[i].name);
		if (is_protected(protected, path) || has_exec_under(b, path))
			plan_add(out, HARDEN_LOCK, path);
		else
			plan_add(out, HARDEN_NOEXEC, path);
		free(path);
	}
	/* Protected directories below the top level (/usr/local, /opt/x). */
	for (i = 0; protected[i] != NULL; i++) {
		if (strchr(protected[i] + 1, '/') == NULL)
			continue;
		for (j = 0; j < out->n; j++)
			if (path_under(protected[i], out->v[j].path) &&
			    out->v[j].op == HARDEN_LOCK)
				break;
		if (j == out->n)
			plan_add(out, HARDEN_LOCK, protected[i]);
	}
	/* Learned writes inside a read-only tree are bound back. */
	for (i = 0; b != NULL && i < b->n_writes; i++) {
		t = write_target(b->writes[i].path);
		locked_parent = false;
		for (j = 0; j < out->n; j++)
			if (out->v[j].op == HARDEN_LOCK &&
			    path_under(t, out->v[j].path) &&
			    strcmp(t, out->v[j].path) != 0)
				locked_parent = true;
		if (locked_parent) {
			plan_add(out, HARDEN_KEEP_RW, t);
			out->v[out->n - 1].exec = has_exec_under(b, t);
		}
		free(t);
	}
	/* Mounts the top level does not reach are nested: covered by MS_REC. */
	(void)mountpoints;
	(void)n_mountpoints;
	plan_add(out, HARDEN_ROOT_RO, "/");
}

void
harden_plan_free(struct harden_plan *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* --- mountinfo ---------------------------------------------------------- */

struct mnt {
	int	 id, parent;
	char	*mp;
	bool	 shared;
};

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char	*w = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*w++ = *s++;
	}
	*w = '\0';
}

static void
mnts_free(struct mnt *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].mp);
	free(v);
}

/* Parse mountinfo text: id, parent, mount point, shared propagation. */
static struct mnt *
mnts_parse(char *text, size_t *n)
{
	struct mnt	*v = NULL;
	char		*line, *save = NULL, mp[PATH_MAX * 4];
	int		 id, parent;

	*n = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%d %d %*s %*s %16383s", &id, &parent,
		    mp) != 3)
			continue;
		unescape(mp);
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[*n].id = id;
		v[*n].parent = parent;
		v[*n].mp = xstrdup(mp);
		v[*n].shared = strstr(line, " shared:") != NULL &&
		    strstr(line, " shared:") < strstr(line, " - ");
		(*n)++;
	}
	return v;
}

static char *
read_all(int fd)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = xreallocarray(buf, 1, cap);
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return buf;
}

static struct mnt *
mnts_read(int procfd, size_t *n)
{
	struct mnt	*v;
	char		*text;
	int		 fd;

	*n = 0;
	fd = openat(procfd, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	text = read_all(fd);
	close(fd);
	v = mnts_parse(text, n);
	free(text);
	return v;
}

/* The mount on top at mp: not the parent of another mount at mp. */
static int
topmost(const struct mnt *v, size_t n, const char *mp)
{
	size_t	i, j;
	bool	covered;

	for (i = n; i-- > 0;) {
		if (strcmp(v[i].mp, mp) != 0)
			continue;
		for (covered = false, j = 0; j < n; j++)
			if (v[j].parent == v[i].id && strcmp(v[j].mp, mp) == 0)
				covered = true;
		if (!covered)
			return v[i].id;
	}
	return -1;
}

static bool
descends_from(const struct mnt *v, size_t n, int id, int ancestor)
{
	size_t	i, hops;

	for (hops = 0; hops < n && id != ancestor; hops++) {
		for (i = 0; i < n && v[i].id != id; i++)
			;
		if (i == n || v[i].parent == id)
			return false;
		id = v[i].parent;
	}
	return id == ancestor;
}

/* --- the executor (runs in a forked helper) ----------------------------- */

static unsigned long
flags_of(const char *path)
{
	struct statvfs	sv;
	unsigned long	f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_RDONLY)	f |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)	f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)	f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)	f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)	f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)	f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)	f |= MS_RELATIME;
	return f;
}

static int
remount(const char *path, unsigned long add, unsigned long del)
{
	unsigned long	f = (flags_of(path) | add) & ~del;

	return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | f, NULL);
}

/* Bind path onto itself (recursively) and report the new mount's id. */
static int
bind_self(int procfd, int out, const char *full, const char *path)
{
	struct mnt	*v;
	size_t		 n;
	int		 id;

	if (mount(full, full, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	v = mnts_read(procfd, &n);
	id = topmost(v, n, full);
	mnts_free(v, n);
	dprintf(out, "mount %d %s\n", id, path);
	return id;
}

/* Remount our copies of the mounts below top (MS_REC brought them). */
static void
remount_children(int procfd, int top, unsigned long add, unsigned long del)
{
	struct mnt	*v;
	size_t		 n, i;

	v = mnts_read(procfd, &n);
	for (i = 0; i < n; i++)
		if (v[i].id != top && descends_from(v, n, v[i].id, top))
			(void)remount(v[i].mp, add, del);
	mnts_free(v, n);
}

static int
apply_one(int procfd, int out, const char *prefix,
    const struct harden_action *a)
{
	struct stat	st;
	char		full[PATH_MAX], *slash;
	unsigned long	add = 0, del = 0;
	int		id;

	if (a->op == HARDEN_ROOT_RO) {
		snprintf(full, sizeof(full), "%s", prefix[0] ? prefix : "/");
		if (flags_of(full) & MS_RDONLY)
			return 0;	/* read-only already: not ours */
		if (remount(full, MS_RDONLY, 0) < 0)
			return -errno;
		dprintf(out, "root\n");
		return 0;
	}
	if ((size_t)snprintf(full, sizeof(full), "%s%s", prefix, a->path) >=
	    sizeof(full))
		return -ENAMETOOLONG;
	/* A learned write not there yet: its nearest existing directory. */
	while (lstat(full, &st) < 0 && a->op == HARDEN_KEEP_RW &&
	    (slash = strrchr(full + strlen(prefix), '/')) != NULL &&
	    slash != full + strlen(prefix))
		*slash = '\0';
	if (lstat(full, &st) < 0 || S_ISLNK(st.st_mode))
		return 0;	/* nothing there (merged /usr links) */
	switch (a->op) {
	case HARDEN_LOCK:
		add = MS_RDONLY | MS_NOSUID | MS_NODEV;
		break;
	case HARDEN_NOEXEC:
		add = MS_NOEXEC | MS_NOSUID | MS_NODEV;
		break;
	case HARDEN_KEEP_RW:
		/* Writable again; noexec unless the app runs what it writes. */
		add = MS_NOSUID | MS_NODEV | (a->exec ? 0 : MS_NOEXEC);
		del = MS_RDONLY;
		break;
	case HARDEN_ROOT_RO:
		break;
	}
	if ((id = bind_self(procfd, out, full, full + strlen(prefix))) < 0)
		return id;
	if (remount(full, add, del) < 0)
		return -errno;
	if (a->op != HARDEN_KEEP_RW)
		remount_children(procfd, id, add, del);
	return 0;
}

static int
child_apply(int procfd, int out, const char *prefix,
    const struct harden_plan *plan)
{
	size_t	i;
	int	rc;

	for (i = 0; i < plan->n; i++)
		if ((rc = apply_one(procfd, out, prefix, &plan->v[i])) < 0) {
			dprintf(out, "error %d %s\n", -rc, plan->v[i].path);
			return 1;
		}
	return 0;
}

static int
child_undo(int procfd, int out, const struct harden_state *st)
{
	struct mnt	*v;
	size_t		 n, i;
	int		 top, bad = 0;

	for (i = st->n; i-- > 0;) {
		v = mnts_read(procfd, &n);
		top = topmost(v, n, st->paths[i]);
		mnts_free(v, n);
		if (top != st->ids[i]) {
			dprintf(out, "foreign %d %s\n", top, st->paths[i]);
			continue;	/* not ours any more: never touched */
		}
		if (umount2(st->paths[i], MNT_DETACH) < 0) {
			dprintf(out, "error %d %s\n", errno, st->paths[i]);
			bad = 1;
		}
	}
	if (st->root_made_ro && remount("/", 0, MS_RDONLY) < 0) {
		dprintf(out, "error %d /\n", errno);
		bad = 1;
	}
	return bad;
}

/*
 * Fork a helper in pid's mount namespace, chrooted at its root; run fn
 * there; collect what it reports on a pipe.
 */
static int
in_namespace(pid_t pid, int (*fn)(int, int, const void *, const void *),
    const void *a1, const void *a2, char **report, struct rt_error *err)
{
	char	path[64];
	pid_t	c;
	int	nsfd, rootfd, procfd, p[2], status;

	*report = NULL;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || procfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		rt_error_sys(err, errno, "%s", path);
		goto fail;
	}
	if ((c = fork()) < 0) {
		rt_error_sys(err, errno, "fork");
		close(p[0]);
		close(p[1]);
		goto fail;
	}
	if (c == 0) {
		/* Single-threaded here, as setns(CLONE_NEWNS) requires. */
		close(p[0]);
		if (setns(nsfd, CLONE_NEWNS) < 0 || fchdir(rootfd) < 0 ||
		    chroot(".") < 0 || chdir("/") < 0) {
			dprintf(p[1], "error %d setns\n", errno);
			_exit(1);
		}
		_exit(fn(procfd, p[1], a1, a2));
	}
	close(p[1]);
	*report = read_all(p[0]);
	close(p[0]);
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			break;
	close(nsfd);
	close(rootfd);
	close(procfd);
	return 0;
fail:
	close(nsfd);
	if (rootfd >= 0)
		close(rootfd);
	if (procfd >= 0)
		close(procfd);
	return -err->code;
}

static int
apply_fn(int procfd, int out, const void *prefix, const void *plan)
{
	return child_apply(procfd, out, prefix, plan);
}

static int
undo_fn(int procfd, int out, const void *st, const void *unused)
{
	(void)unused;
	return child_undo(procfd, out, st);
}

static void
state_add(struct harden_state *st, int id, const char *path)
{
	st->ids = xreallocarray(st->ids, st->n + 1, sizeof(*st->ids));
	st->paths = xreallocarray(st->paths, st->n + 1, sizeof(*st->paths));
	st->ids[st->n] = id;
	st->paths[st->n] = xstrdup(path);
	st->n++;
}

int
harden_apply(pid_t pid, const char *prefix, const struct harden_plan *plan,
    struct harden_state *st, struct rt_error *err)
{
	char	*report, *line, *save = NULL, path[PATH_MAX];
	int	 id, e, rc = 0;

	memset(st, 0, sizeof(*st));
	if (in_namespace(pid, apply_fn, prefix, plan, &report, err) < 0)
		return -err->code;
	for (line = strtok_r(report, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "mount %d %4095[^\n]", &id, path) == 2)
			state_add(st, id, path);
		else if (strcmp(line, "root") == 0)
			st->root_made_ro = true;
		else if (sscanf(line, "error %d %4095[^\n]", &e, path) == 2 &&
		    rc == 0)
			rc = rt_error_set(err, e, "mount namespace of pid %d: "
			    "%s: %s", (int)pid, path, strerror(e));
	}
	free(report);
	if (rc == 0 && st->n == 0 && !st->root_made_ro)
		rc = rt_error_set(err, EIO, "mount namespace of pid %d: the "
		    "mount helper reported nothing", (int)pid);
	return rc;
}

int
harden_undo(pid_t pid, struct harden_state *st, struct rt_error *err)
{
	char	*report, *line, *save = NULL, path[PATH_MAX];
	int	 e, rc = 0;

	if (st->n == 0 && !st->root_made_ro)
		return 0;
	if (in_namespace(pid, undo_fn, st, NULL, &report, err) < 0)
		return -err->code;
	for (line = strtok_r(report, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "error %d %4095[^\n]", &e, path) == 2 &&
		    rc == 0)
			rc = rt_error_set(err, e, "unmounting %s in pid %d's "
			    "mount namespace: %s", path, (int)pid, strerror(e));
	free(report);
	return rc;
}

void
harden_state_free(struct harden_state *st)
{
	size_t	i;

	for (i = 0; i < st->n; i++)
		free(st->paths[i]);
	free(st->paths);
	free(st->ids);
	memset(st, 0, sizeof(*st));
}

char *
harden_state_format(const struct harden_state *st)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < st->n; i++) {
		t = xasprintf("%s%s%d", s, i ? " " : "", st->ids[i]);
		free(s);
		s = t;
	}
	t = xasprintf("%s%s", s, st->root_made_ro ? "|root" : "");
	free(s);
	return t;
}

/* --- checks from the host ----------------------------------------------- */

static bool
same_ns(pid_t pid, const char *ns)
{
	char		path[64];
	struct stat	a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	if (stat(path, &a) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev;
}

bool
harden_possible(pid_t pid, const char *prefix, char *why, size_t len)
{
	char		 path[64], *text;
	struct mnt	*v;
	size_t		 n, i;
	int		 fd;
	bool		 ok = true;

	if (same_ns(pid, "mnt")) {
		snprintf(why, len, "it shares the host's mount namespace");
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return false;
	}
	text = read_all(fd);
	close(fd);
	v = mnts_parse(text, &n);
	free(text);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].mp, prefix[0] ? prefix : "/") == 0 &&
		    v[i].shared) {
			snprintf(why, len, "its root mount propagates to the "
			    "host (shared): mounts made there would leak out");
			ok = false;
		}
	mnts_free(v, n);
	return ok;
}

int
harden_memfd_noexec(pid_t pid, struct rt_error *err)
{
	char	path[64];
	pid_t	c, g;
	int	nsfd, status;

	if (same_ns(pid, "pid"))
		return rt_error_set(err, EEXIST, "pid %d shares the host's pid "
		    "namespace: vm.memfd_noexec left alone", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	if ((c = fork()) < 0) {
		close(nsfd);
		return rt_error_sys(err, errno, "fork");
	}
	if (c == 0) {
		/* The sysctl applies to the writer's pid namespace. */
		if (setns(nsfd, CLONE_NEWPID) < 0)
			_exit(10);
		if ((g = fork()) < 0)
			_exit(11);
		if (g == 0) {
			int fd = open("/proc/sys/vm/memfd_noexec",
			    O_WRONLY | O_CLOEXEC);
			_exit(fd >= 0 && write(fd, "2\n", 2) == 2 ? 0 : 12);
		}
		while (waitpid(g, &status, 0) < 0)
			if (errno != EINTR)
				_exit(13);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 14);
	}
	close(nsfd);
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			return rt_error_sys(err, errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return rt_error_set(err, EIO, "setting vm.memfd_noexec=2 in "
		    "pid %d's pid namespace failed (step %d)", (int)pid,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
