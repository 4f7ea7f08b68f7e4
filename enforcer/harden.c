/*
 * harden.c: the mount plan, and what the helper reports it did (pure; see
 * harden.h). The helper itself is in mounts.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/escape.h"
#include "common/xmalloc.h"
#include "enforcer/harden.h"

/* Neither holds files a process could run or change: left as they are. */
static const char *const untouched[] = { "proc", "sys", NULL };

const char *
harden_op_name(enum harden_op op)
{
	switch (op) {
	case HARDEN_LOCK:	return "read-only";
	case HARDEN_NOEXEC:	return "noexec";
	case HARDEN_KEEP_RW:	return "writable";
	case HARDEN_ROOT:	return "root";
	}
	return "?";
}

static bool
path_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
plan_add(struct harden_plan *p, enum harden_op op, const char *path,
    bool exec)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n].op = op;
	p->v[p->n].path = xstrdup(path);
	p->v[p->n].exec = exec;
	p->n++;
}

/* Learned executables under dir: from the image, or written (upper). */
static bool
has_exec_under(const struct baseline *b, const char *dir, bool from_image)
{
	size_t	i;

	for (i = 0; b != NULL && i < b->n_execs; i++)
		if (b->execs[i].from_image == from_image &&
		    path_under(b->execs[i].path, dir))
			return true;
	return false;
}

static bool
listed(const char *const *list, const char *s)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * The place a learned write entry makes writable: the path itself, or for
 * a pattern the directory above its first component that holds a '*'
 * ("d/ *" -> d, "/dev/shm/PostgreSQL.*" -> /dev/shm,
 * "/var/lib/postgresql/data/base/ * / *" -> .../data/base); "" when that is
 * the root (nothing to bind back).
 */
static char *
write_target(const char *entry)
{
	const char	*star = strchr(entry, '*'), *slash;

	if (star == NULL)
		return xstrdup(entry);
	for (slash = star; slash > entry && *slash != '/'; slash--)
		;
	return xasprintf("%.*s", (int)(slash - entry), entry);
}

/*
 * The innermost LOCK or NOEXEC action path is below (or, with same, is),
 * or NULL.
 */
static const struct harden_action *
covered_by(const struct harden_plan *p, const char *path, bool same)
{
	const struct harden_action	*best = NULL;
	size_t				 i;

	for (i = 0; i < p->n; i++)
		if ((p->v[i].op == HARDEN_LOCK || p->v[i].op == HARDEN_NOEXEC) &&
		    path_under(path, p->v[i].path) &&
		    (same || strcmp(path, p->v[i].path) != 0) && (best == NULL ||
		    strlen(p->v[i].path) > strlen(best->path)))
			best = &p->v[i];
	return best;
}

static bool
planned(const struct harden_plan *p, const char *path)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].op == HARDEN_KEEP_RW &&
		    strcmp(p->v[i].path, path) == 0)
			return true;
	return false;
}

/*
 * A place to write again (inside a read-only tree) or to run from again
 * (the app runs what it writes there, inside a noexec tree).
 */
static void
plan_keep(struct harden_plan *p, const struct baseline *b, const char *t,
    bool policy)
{
	const struct harden_action	*in = covered_by(p, t, policy);
	bool				 exec = !policy &&
					     has_exec_under(b, t, false);

	if (in == NULL || planned(p, t))
		return;
	if (in->op == HARDEN_LOCK || exec)
		plan_add(p, HARDEN_KEEP_RW, t, exec);
}

void
harden_plan_build(const char *const *protected, const char *const *writable,
    const struct baseline *b, const struct harden_top *top, size_t n_top,
    struct harden_plan *out)
{
	char	*path, *t;
	size_t	 i, j, n_top_actions;
	bool	 covered;

	memset(out, 0, sizeof(*out));
	/*
	 * Every top-level directory: the ones holding what may run are
	 * locked, all others are noexec. Symlinks (/bin -> usr/bin) point
	 * into the others; files directly in "/" are covered by the root.
	 */
	for (i = 0; i < n_top; i++) {
		if (!top[i].is_dir || listed(untouched, top[i].name) ||
		    strchr(top[i].name, '/') != NULL)
			continue;
		path = xasprintf("/%s", top[i].name);
		plan_add(out, listed(protected, path) ||
		    has_exec_under(b, path, true) ? HARDEN_LOCK : HARDEN_NOEXEC,
		    path, false);
		free(path);
	}
	n_top_actions = out->n;
	/* Protected directories below the top level (/opt/app). */
	for (i = 0; protected[i] != NULL; i++) {
		if (protected[i][0] != '/' || strchr(protected[i] + 1, '/') ==
		    NULL)
			continue;
		for (covered = false, j = 0; j < n_top_actions; j++)
			if (out->v[j].op == HARDEN_LOCK &&
			    path_under(protected[i], out->v[j].path))
				covered = true;
		if (!covered)
			plan_add(out, HARDEN_LOCK, protected[i], false);
	}
	/*
	 * Learned writes inside a read-only tree are bound back writable;
	 * where the app also runs what it wrote (learned executables of the
	 * upper layer), the place keeps exec, and fanotify checks each exec
	 * against its learned SHA-256.
	 */
	for (i = 0; b != NULL && i < b->n_writes; i++) {
		t = write_target(b->writes[i].path);
		if (t[0] == '/')
			plan_keep(out, b, t, false);
		free(t);
	}
	/* What the policy says stays writable ("writable PATH"). */
	for (i = 0; writable != NULL && writable[i] != NULL; i++)
		if (writable[i][0] == '/')
			plan_keep(out, b, writable[i], true);
	for (i = 0; b != NULL && i < b->n_execs; i++) {
		if (b->execs[i].from_image || b->execs[i].path[0] != '/')
			continue;
		t = xstrdup(b->execs[i].path);
		*strrchr(t, '/') = '\0';
		if (t[0] != '\0')
			plan_keep(out, b, t, false);
		free(t);
	}
	plan_add(out, HARDEN_ROOT, "/", false);
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

void
harden_state_free(struct harden_state *st)
{
	size_t	i;

	for (i = 0; i < st->n; i++)
		free(st->v[i].path);
	free(st->v);
	free(st->removed);
	memset(st, 0, sizeof(*st));
}

char *
harden_state_format(const struct harden_state *st)
{
	char	*s = xstrdup(""), *t, *e;
	size_t	 i;

	for (i = 0; i < st->n; i++) {
		e = rt_escape_str(st->v[i].path);
		t = xasprintf("%s%s%" PRIu64 " %s", s, i ? "\n" : "",
		    st->v[i].id, e);
		free(e);
		free(s);
		s = t;
	}
	t = xasprintf("%s%sroot%s%s%s", s, st->n ? "\n" : "",
	    st->root_set & MOUNT_ATTR_NOEXEC ? " noexec" : "",
	    st->root_set & MOUNT_ATTR_RDONLY ? " read-only" : "",
	    st->memfd_noexec ? "\nmemfd_noexec 2" : "");
	free(s);
	return t;
}

/*
 * Copy the line at *text into buf (NUL-terminated, its length in *len)
 * and step *text past it. 1: a line; -1: one too long for buf (stepped
 * over); 0: no more.
 */
static int
next_line(const char **text, char *buf, size_t size, size_t *len)
{
	const char	*line = *text, *nl;

	if (line == NULL || *line == '\0')
		return 0;
	nl = strchr(line, '\n');
	*len = nl != NULL ? (size_t)(nl - line) : strlen(line);
	*text = nl != NULL ? nl + 1 : NULL;
	if (*len >= size)
		return -1;
	memcpy(buf, line, *len);
	buf[*len] = '\0';
	return 1;
}

void
harden_state_add(struct harden_state *st, uint64_t id, char *path)
{
	st->v = xreallocarray(st->v, st->n + 1, sizeof(*st->v));
	st->v[st->n].id = id;
	st->v[st->n++].path = path;
}

/*
 * The helper writes one record per line:
 *   mount ID PATH        a mount it made (PATH escaped)
 *   root FLAGS           MOUNT_ATTR_* it added to the root mount
 *   memfd                vm.memfd_noexec is 2
 *   unmount ID           an update undid that mount
 *   skip PATH            nothing there to mount (escaped)
 *   error ERRNO TEXT     it stopped here
 */
int
harden_report_parse(const char *text, struct harden_state *st,
    struct rt_error *err)
{
	char		 buf[8192], *path, *sp;
	uint64_t	 id;
	unsigned int	 flags;
	size_t		 len, plen;
	int		 e, rc = 0, off, got;

	memset(st, 0, sizeof(*st));
	while ((got = next_line(&text, buf, sizeof(buf), &len)) != 0) {
		if (got < 0)
			continue;
		if (sscanf(buf, "mount %" SCNu64 " %n", &id, &off) == 1 &&
		    off > 0 && (size_t)off <= len) {
			if ((path = rt_unescape(buf + off, &plen)) == NULL)
				continue;
			if (strlen(path) != plen) {
				free(path);
				continue;
			}
			harden_state_add(st, id, path);
		} else if (sscanf(buf, "unmount %" SCNu64, &id) == 1) {
			st->removed = xreallocarray(st->removed,
			    st->n_removed + 1, sizeof(*st->removed));
			st->removed[st->n_removed++] = id;
		} else if (sscanf(buf, "root %u", &flags) == 1)
			st->root_set = flags;
		else if (strcmp(buf, "memfd") == 0)
			st->memfd_noexec = true;
		else if (strcmp(buf, "adopted") == 0)
			st->adopted = true;
		else if (strncmp(buf, "skip ", 5) == 0)
			st->skipped++;
		else if (sscanf(buf, "error %d %n", &e, &off) == 1 && rc == 0) {
			sp = buf + off;
			rc = rt_error_set(err, e > 0 ? e : EIO, "%s%s%s", sp,
			    e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
		}
	}
	return rc;
}

int
harden_state_parse(const char *text, struct harden_state *st)
{
	char		 buf[8192], *path;
	uint64_t	 id;
	size_t		 len, plen;
	int		 off, got;

	memset(st, 0, sizeof(*st));
	while ((got = next_line(&text, buf, sizeof(buf), &len)) != 0) {
		if (got < 0)
			goto bad;
		if (strncmp(buf, "root", 4) == 0 && (buf[4] == '\0' ||
		    buf[4] == ' ')) {
			if (strstr(buf, " noexec") != NULL)
				st->root_set |= MOUNT_ATTR_NOEXEC;
			if (strstr(buf, " read-only") != NULL)
				st->root_set |= MOUNT_ATTR_RDONLY;
		} else if (strcmp(buf, "memfd_noexec 2") == 0)
			st->memfd_noexec = true;
		else if (sscanf(buf, "%" SCNu64 " %n", &id, &off) == 1 &&
		    off > 0 && (size_t)off < len) {
			if ((path = rt_unescape(buf + off, &plen)) == NULL ||
			    strlen(path) != plen || path[0] != '/') {
				free(path);
				goto bad;
			}
			harden_state_add(st, id, path);
		} else
			goto bad;
	}
	return 0;
bad:
	harden_state_free(st);
	return -EINVAL;
}
