/*
 * decide.c: the decision table (see decide.h). Pure: no I/O, no globals.
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/runpath.h"
#include "common/xmalloc.h"
#include "enforcer/decide.h"

static int
cmp_exec_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct baseline_exec *)elem)->path);
}

static int
cmp_write_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct baseline_write *)elem)->path);
}

/* The run of baseline execs with this path (sorted by path, sha256). */
static const struct baseline_exec *
find_execs(const struct baseline *b, const char *path, size_t *n)
{
	const struct baseline_exec	*e, *first;

	*n = 0;
	if (b == NULL || b->n_execs == 0)
		return NULL;
	e = bsearch(path, b->execs, b->n_execs, sizeof(*b->execs),
	    cmp_exec_path);
	if (e == NULL)
		return NULL;
	first = e;
	while (first > b->execs && strcmp(first[-1].path, path) == 0)
		first--;
	for (e = first; e < b->execs + b->n_execs &&
	    strcmp(e->path, path) == 0; e++)
		(*n)++;
	return first;
}

static void
verdict(struct decision *d, enum verdict v, bool cacheable, const char *route,
    const char *reason)
{
	d->verdict = v;
	d->cacheable = cacheable;
	d->route = route;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

bool
decide_is_loader_path(const char *path)
{
	const char	*base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return strncmp(base, "ld-linux", 8) == 0 ||
	    strncmp(base, "ld-musl-", 8) == 0 ||
	    strcmp(base, "ld.so") == 0 ||
	    (strncmp(base, "ld-", 3) == 0 && strstr(base, ".so") != NULL);
}

/* Upper-layer files: allowed only as a learned upper exec, same content. */
static void
decide_upper(const struct decide_ctx *ctx, const struct exec_query *q,
    struct decision *d)
{
	const struct baseline_exec	*e;
	size_t				 n, i;
	bool				 learned = false;

	e = find_execs(ctx->baseline, q->path, &n);
	for (i = 0; i < n; i++)
		if (!e[i].from_image && e[i].sha256[0] != '\0')
			learned = true;
	if (!learned) {
		verdict(d, VERDICT_DENY, false, "drift", "drift: written or "
		    "changed in the container after it started (upper layer)");
		return;
	}
	if (q->sha256 == NULL) {
		verdict(d, VERDICT_NEED_HASH, false, "drift", "");
		return;
	}
	for (i = 0; i < n; i++)
		if (!e[i].from_image && strcmp(e[i].sha256, q->sha256) == 0) {
			/* Never cached: the upper layer stays writable. */
			verdict(d, VERDICT_ALLOW, false, "drift", "");
			return;
		}
	verdict(d, VERDICT_DENY, false, "drift", "drift: an executable the "
	    "container wrote, with content other than learned");
}

void
decide_exec(const struct decide_ctx *ctx, const struct exec_query *q,
    struct decision *d)
{
	const struct baseline_exec	*e;
	enum policy_verdict		 pv;
	size_t				 n, i;

	if (ctx->mode == POLICY_MODE_LEARN) {
		verdict(d, VERDICT_ALLOW, false, "exec", "");
		return;
	}
	if (q->deleted) {
		verdict(d, VERDICT_DENY, false, "deleted", "drift: the file was "
		    "deleted since it was opened (not image content)");
		return;
	}
	switch (q->origin) {
	case ORIGIN_ELSEWHERE:
		verdict(d, VERDICT_DENY, false, "volume", "drift: not from the "
		    "image (a volume, tmpfs, bind mount or memfd)");
		return;
	case ORIGIN_UPPER:
		decide_upper(ctx, q, d);
		return;
	case ORIGIN_IMAGE:
		break;
	}
	pv = policy_check_exec(ctx->policy, ctx->image_ref, q->path);
	if (pv == POLICY_DENY) {
		verdict(d, VERDICT_DENY, false, "exec", "denied by a policy "
		    "deny-exec rule");
		return;
	}
	if (q->loader == LOADER_DIRECT || q->loader == LOADER_UNKNOWN) {
		if (pv == POLICY_ALLOW) {
			verdict(d, VERDICT_ALLOW, false, "loader", "");
			return;
		}
		verdict(d, VERDICT_DENY, false, "loader", q->loader ==
		    LOADER_DIRECT ? "the dynamic loader run directly (it would "
		    "map a file without an exec check)" : "the dynamic loader, "
		    "and rtguard could not tell what runs it");
		return;
	}
	e = find_execs(ctx->baseline, q->path, &n);
	if (q->loader == LOADER_INTERPRETER) {
		/*
		 * Never cached: an ignore mark would also let every direct
		 * run of the loader through without a question.
		 */
		verdict(d, VERDICT_ALLOW, false, "loader", "");
		return;
	}
	if (n == 0) {
		if (pv == POLICY_ALLOW)
			verdict(d, VERDICT_ALLOW, true, "exec", "");
		else
			verdict(d, VERDICT_DENY, false, "exec", "not in the "
			    "image's learned command whitelist");
		return;
	}
	for (i = 0; i < n; i++)
		if (e[i].sha256[0] == '\0') {
			verdict(d, VERDICT_ALLOW, true, "exec", "");
			return;
		}
	if (q->sha256 == NULL) {
		verdict(d, VERDICT_NEED_HASH, false, "exec", "");
		return;
	}
	if (q->sha256[0] == '\0') {
		verdict(d, VERDICT_DENY, false, "exec", "cannot hash the file");
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(e[i].sha256, q->sha256) == 0) {
			verdict(d, VERDICT_ALLOW, true, "exec", "");
			return;
		}
	verdict(d, VERDICT_DENY, false, "exec", "content differs from the "
	    "learned SHA-256");
	snprintf(d->reason, sizeof(d->reason), "content differs from the "
	    "learned SHA-256 (now %.12s)", q->sha256);
}

/*
 * A learned write entry matches path: its '*' stands for any run of bytes
 * within one component (fnmatch, FNM_PATHNAME), every other byte for
 * itself (a learned path may hold '?', '[' or '\\': escaped here).
 */
static bool
write_entry_matches(const char *entry, const char *path)
{
	char	 pat[2 * PATH_MAX], *q = pat;

	if (strchr(entry, '*') == NULL)
		return strcmp(entry, path) == 0;
	for (; *entry != '\0' && q < pat + sizeof(pat) - 2; entry++) {
		if (*entry == '?' || *entry == '[' || *entry == '\\')
			*q++ = '\\';
		*q++ = *entry;
	}
	if (*entry != '\0')
		return false;	/* longer than any path */
	*q = '\0';
	return fnmatch(pat, path, FNM_PATHNAME) == 0;
}

bool
decide_learned_write(const struct baseline *b, const char *path)
{
	char	 canon[PATH_MAX], entry[PATH_MAX];
	size_t	 i;

	if (b == NULL || b->n_writes == 0)
		return false;
	if (bsearch(path, b->writes, b->n_writes, sizeof(*b->writes),
	    cmp_write_path) != NULL)
		return true;
	/* The learner stores /var/run/x as /run/x (common/runpath.h). */
	if (runpath_canonical(path, canon, sizeof(canon)) &&
	    bsearch(canon, b->writes, b->n_writes, sizeof(*b->writes),
	    cmp_write_path) != NULL)
		return true;
	/* Patterns; and entries of older baselines under /var/run. */
	for (i = 0; i < b->n_writes; i++) {
		if (strchr(b->writes[i].path, '*') == NULL &&
		    runpath_alias(b->writes[i].path, NULL) == 0)
			continue;
		runpath_canonical(b->writes[i].path, entry, sizeof(entry));
		if (write_entry_matches(entry, canon))
			return true;
	}
	return false;
}

void
decide_open(const struct decide_ctx *ctx, const char *path,
    enum open_intent intent, struct decision *d)
{
	enum policy_verdict	pv;

	if (ctx->mode == POLICY_MODE_LEARN ||
	    !policy_is_protected(ctx->policy, path)) {
		verdict(d, VERDICT_ALLOW, true, "write", "");
		return;
	}
	if (intent == INTENT_READ) {
		/* Not cached: a later write-open of the inode must be seen. */
		verdict(d, VERDICT_ALLOW, false, "write", "");
		return;
	}
	pv = policy_check_write(ctx->policy, ctx->image_ref, path);
	if (pv == POLICY_DENY) {
		verdict(d, VERDICT_DENY, false, "write", "denied by a policy "
		    "deny-write rule");
		return;
	}
	if (pv == POLICY_ALLOW || decide_learned_write(ctx->baseline, path)) {
		verdict(d, VERDICT_ALLOW, false, "write", "");
		return;
	}
	verdict(d, VERDICT_DENY, false, "write", intent == INTENT_UNKNOWN ?
	    "an open whose intent cannot be read (openat2, io_uring) in a "
	    "protected directory" : "write to a protected directory, not a "
	    "learned write");
}
