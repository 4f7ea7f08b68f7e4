/*
 * facts.c: what the learner saw, as baseline facts for the store writer.
 *
 * An executable is hashed from the descriptor fanotify (or the container's
 * root, for one run before the container was attached) handed us, never
 * reopened by a path the container controls. A written path is recorded
 * in a form that stays the same from one run to the next: the kernel's
 * /var/run and /run are one directory; pids, WAL segments and mkstemp's
 * random suffixes become "*"; past DIR_COLLAPSE distinct names in one
 * directory, "dir/" "*". Syscalls are (arch, number). Each fact is counted as
 * new only when the store did not have it already (facts_known_*), so the
 * counts the user sees are of what this run added.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/runpath.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "learner/internal.h"

#define DIR_COLLAPSE	32	/* distinct names per dir before collapsing */

struct strcount {
	char	*key;
	int	 n;
};

struct facts {
	struct learner	*l;
	struct strcount	*seen;
	size_t		 cap, n;
};

struct facts *
facts_new(struct learner *l)
{
	struct facts	*f = xcalloc(1, sizeof(*f));

	f->l = l;
	return f;
}

void
facts_free(struct facts *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->cap; i++)
		free(f->seen[i].key);
	free(f->seen);
	free(f);
}

/* The slot of key (n counts hits), added if missing. */
static struct strcount *
seen_add(struct facts *f, const char *key)
{
	struct strcount	*old, *s;
	size_t		 i, cap;

	if (f->n * 2 >= f->cap) {
		old = f->seen;
		cap = f->cap;
		f->cap = cap ? cap * 2 : 1024;
		f->seen = xcalloc(f->cap, sizeof(*f->seen));
		f->n = 0;
		for (i = 0; i < cap; i++)
			if (old[i].key != NULL) {
				s = seen_add(f, old[i].key);
				s->n = old[i].n;
				free(old[i].key);
			}
		free(old);
	}
	i = rt_hash_str(key) % f->cap;
	while (f->seen[i].key != NULL && strcmp(f->seen[i].key, key) != 0)
		i = (i + 1) % f->cap;
	if (f->seen[i].key == NULL) {
		f->seen[i].key = xstrdup(key);
		f->n++;
	}
	return &f->seen[i];
}

static void
new_fact(struct limage *img)
{
	img->last_new_ms = time_now_ms();
}

/* --- executables ------------------------------------------------------------ */

void
facts_known_exec(struct facts *f, struct limage *img, const char *path,
    const char *sha256)
{
	char	*key = xasprintf("%s\1X\1%s\1%s", img->ref, path, sha256);

	seen_add(f, key)->n++;
	free(key);
}

void
facts_exec(struct facts *f, struct lcontainer *lc, int fd, const char *path)
{
	struct baseline_exec	 e;
	struct rt_error		 err;
	struct strcount		*s;
	char			*key;

	memset(&e, 0, sizeof(e));
	e.path = (char *)path;
	if (sha256_fd_cached(&f->l->hashes, fd, e.sha256, &err) < 0) {
		log_warnx("container %.12s: hashing %s: %s", lc->c->id, path,
		    err.msg);
		e.sha256[0] = '\0';
	}
	e.from_image = container_file_origin(lc->c, fd, path) == ORIGIN_IMAGE;
	e.count = 1;
	e.first_ms = e.last_ms = time_now_ms();
	store_writer_exec(f->l->writer, lc->img->ref, &e);
	key = xasprintf("%s\1X\1%s\1%s", lc->img->ref, path, e.sha256);
	s = seen_add(f, key);
	free(key);
	if (s->n++ == 0) {
		lc->img->new_execs++;
		new_fact(lc->img);
		log_info("%s: new executable %s%s", lc->img->ref, path,
		    e.from_image ? "" : " (not from the image layers)");
	}
}

/* name opened inside the container's root (never outside it), or -1. */
static int
open_in_root(const struct container *c, const char *name)
{
	struct open_how	how;
	int		root, fd;

	if ((root = open(c->merged_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, root, name, &how, sizeof(how));
	close(root);
	return fd;
}

void
facts_exec_name(struct facts *f, struct lcontainer *lc, const char *name,
    bool also_exec)
{
	struct baseline_exec_name	 en;
	struct strcount			*s;
	char				 link[64], target[PATH_MAX], *key;
	ssize_t				 n;
	int				 fd;

	key = xasprintf("%s\1N\1%s", lc->img->ref, name);
	s = seen_add(f, key);
	free(key);
	if (s->n++ > 0 && !also_exec)
		return;
	if ((fd = open_in_root(lc->c, name)) < 0) {
		log_debug("container %.12s: %s (run as) cannot be opened: %s",
		    lc->c->id, name, strerror(errno));
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0) {
		close(fd);
		return;
	}
	target[n] = '\0';
	container_path(lc->c, target);
	if (also_exec)
		facts_exec(f, lc, fd, target);
	close(fd);
	if (strcmp(name, target) == 0 || s->n > 1)
		return;
	memset(&en, 0, sizeof(en));
	en.name = (char *)name;
	en.target = target;
	en.count = 1;
	en.first_ms = time_now_ms();
	store_writer_exec_name(f->l->writer, lc->img->ref, &en);
	log_info("%s: %s runs %s", lc->img->ref, name, target);
}

/* --- written paths ------------------------------------------------------------ */

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * A random suffix of a component: after its last '.', '-' or '_', 6 to 32
 * letters and digits, either mixed-case with a digit or two case changes
 * (mkstemp's "tHgvsj"), or 8+ hex digits with both digits and letters.
 * Returns where it starts, or NULL.
 */
static const char *
random_suffix(const char *comp, size_t len)
{
	const char	*s = NULL;
	size_t		 i, n, digits = 0, upper = 0, lower = 0, hex = 0;
	size_t		 changes = 0;
	int		 cased = 0, c;

	for (i = len; i > 0; i--)
		if (comp[i - 1] == '.' || comp[i - 1] == '-' ||
		    comp[i - 1] == '_') {
			s = comp + i;
			break;
		}
	if (s == NULL || s == comp + 1)
		return NULL;
	n = len - (size_t)(s - comp);
	if (n < 6 || n > 32)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] >= 'a' && s[i] <= 'z')
			lower++;
		else if (s[i] >= 'A' && s[i] <= 'Z')
			upper++;
		else
			return NULL;
		if (is_hex(s[i]))
			hex++;
		c = s[i] >= 'A' && s[i] <= 'Z' ? 1 : s[i] >= 'a' &&
		    s[i] <= 'z' ? 2 : 0;
		if (c != 0 && cased != 0 && c != cased)
			changes++;
		if (c != 0)
			cased = c;
	}
	if (upper > 0 && lower > 0 && (digits > 0 || changes >= 2))
		return s;
	if (hex == n && n >= 8 && digits > 0 && digits < n)
		return s;
	return NULL;
}

/* Append c to out unless it would double a '*'. */
static void
put(char *out, size_t len, size_t *o, char c)
{
	if (c == '*' && *o > 0 && out[*o - 1] == '*')
		return;
	if (*o + 1 < len)
		out[(*o)++] = c;
}

/* One component: runs of 3+ digits and of 16+ hex digits become "*". */
static void
put_component(char *out, size_t len, size_t *o, const char *c, size_t n)
{
	const char	*rnd = random_suffix(c, n);
	size_t		 i = 0, j, digits;

	if (rnd != NULL)
		n = (size_t)(rnd - c);
	while (i < n) {
		for (j = i, digits = 0; j < n && is_hex(c[j]); j++)
			if (c[j] <= '9')
				digits++;
		if (j - i >= 16 && digits > 0) {
			put(out, len, o, '*');
			i = j;
			continue;
		}
		for (j = i; j < n && c[j] >= '0' && c[j] <= '9'; j++)
			;
		if (j - i >= 3) {
			put(out, len, o, '*');
			i = j;
			continue;
		}
		put(out, len, o, c[i++]);
	}
	if (rnd != NULL)
		put(out, len, o, '*');
}

bool
facts_write_pattern(const char *path, char *out, size_t len)
{
	const char	*p = path, *e, *to;
	size_t		 o = 0, n;

	if (len == 0)
		return false;
	/* /var/run and /var/lock are /run (common/runpath.h). */
	if ((n = runpath_alias(p, &to)) > 0) {
		o = (size_t)snprintf(out, len, "%s", to);
		p += n;
	}
	if (o >= len)
		o = len - 1;
	while (*p != '\0') {
		if (*p == '/') {
			put(out, len, &o, *p++);
			continue;
		}
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		put_component(out, len, &o, p, (size_t)(e - p));
		p = e;
	}
	out[o] = '\0';
	return strcmp(out, path) != 0;
}

void
facts_known_write(struct facts *f, struct limage *img, const char *pattern)
{
	const char	*slash = strrchr(pattern, '/');
	char		*key;

	if (slash == NULL)
		return;
	key = xasprintf("%s\1F\1%s", img->ref, pattern);
	seen_add(f, key)->n++;
	free(key);
	key = xasprintf("%s\1D\1%.*s", img->ref, (int)(slash - pattern),
	    pattern);
	seen_add(f, key)->n++;
	free(key);
}

void
facts_write(struct facts *f, struct limage *img, const char *path)
{
	struct baseline_write	 w;
	struct strcount		*dir, *exact;
	char			 stable[PATH_MAX], *key, *slash, *pattern = NULL;
	const char		*p = stable;
	int64_t			 now = time_now_ms();

	if (path[0] != '/')
		return;
	facts_write_pattern(path, stable, sizeof(stable));
	/* Per directory, past DIR_COLLAPSE distinct names: "dir" + "/" "*". */
	slash = strrchr(stable, '/');
	key = xasprintf("%s\1D\1%.*s", img->ref, (int)(slash - stable), stable);
	dir = seen_add(f, key);
	free(key);
	key = xasprintf("%s\1F\1%s", img->ref, stable);
	exact = seen_add(f, key);
	free(key);
	if (exact->n++ == 0)
		dir->n++;
	if (dir->n > DIR_COLLAPSE) {
		p = pattern = xasprintf("%.*s/*", (int)(slash - stable), stable);
		key = xasprintf("%s\1F\1%s", img->ref, pattern);
		exact = seen_add(f, key);
		exact->n++;
		free(key);
	}
	memset(&w, 0, sizeof(w));
	w.path = (char *)p;
	w.count = 1;
	w.first_ms = w.last_ms = now;
	store_writer_write(f->l->writer, img->ref, &w);
	if (exact->n == 1) {
		img->new_writes++;
		new_fact(img);
		log_info("%s: new written path %s", img->ref, p);
	}
	free(pattern);
}

/* --- syscalls ------------------------------------------------------------------ */

void
facts_syscall(struct facts *f, struct limage *img, int a, int nr,
    int64_t when_ms)
{
	struct learner	*l = f->l;
	char		 name[64];

	if ((img->learned[a][nr / 8] >> (nr % 8)) & 1)
		return;
	img->learned[a][nr / 8] |= 1 << (nr % 8);
	store_writer_syscall(l->writer, img->ref, l->arches[a], nr, when_ms);
	img->new_syscalls++;
	new_fact(img);
	log_debug("%s: new syscall %s", img->ref,
	    syscall_name(l->arches[a], nr, name, sizeof(name)));
	/* Learned by every image: the rule no longer needs it. */
	if (learner_learned_by_all(l, a, nr))
		l->audit.dirty = true;
}
