/*
 * decide.h: the enforcer's decision table, as a pure function.
 *
 * Owns the answer to "may this exec happen?" and "may this open happen?"
 * given a per-container context resolved at attach or reload (baseline,
 * policy, mode) and the facts the caller read from the kernel (the file's
 * path inside the container, where the file comes from, how the dynamic
 * loader was invoked, the file's SHA-256). It reads nothing itself: every
 * row of README's decision table is one cmocka case in
 * tests/unit/test_decide.c.
 */
#ifndef RTGUARD_DECIDE_H
#define RTGUARD_DECIDE_H

#include <stdbool.h>

#include "container/container.h"
#include "enforcer/intent.h"
#include "policies/policy.h"
#include "store/store.h"

struct decide_ctx {
	const struct baseline	*baseline;	/* execs sorted by path, sha256 */
	const struct policy	*policy;
	const char		*image_ref;
	enum policy_mode	 mode;		/* effective: --monitor applied */
};

/* How the kernel came to open a dynamic loader with exec intent. */
enum loader_use {
	LOADER_NOT_A_LOADER,	/* the file is not a dynamic loader */
	LOADER_INTERPRETER,	/* PT_INTERP of the binary being exec'd */
	LOADER_DIRECT,		/* exec'd itself: it would map any file */
	LOADER_UNKNOWN,		/* could not tell: treated as direct */
};

struct exec_query {
	const char		*path;		/* inside the container */
	enum file_origin	 origin;
	bool			 deleted;	/* unlinked since it was opened */
	enum loader_use		 loader;
	const char		*sha256;	/* NULL until the caller hashes */
};

enum verdict {
	VERDICT_ALLOW,
	VERDICT_DENY,
	VERDICT_NEED_HASH,	/* hash the file, set sha256, decide again */
};

struct decision {
	enum verdict	 verdict;
	bool		 cacheable;	/* an in-kernel ignore mark is safe */
	const char	*route;		/* short tag: "exec", "loader", ... */
	char		 reason[256];
};

void	decide_exec(const struct decide_ctx *ctx, const struct exec_query *q,
	    struct decision *d);
/* Only in monitor mode: protect mode refuses writes by read-only mounts. */
void	decide_open(const struct decide_ctx *ctx, const char *path,
	    enum open_intent intent, struct decision *d);
/*
 * A learned write: the exact path, or a learned pattern whose '*' matches
 * within one component ("d/ *", "/dev/shm/PostgreSQL.*", "base/ * / *");
 * /var/run and /var/lock are /run and /run/lock, as the learner stores them.
 */
bool	decide_learned_write(const struct baseline *b, const char *path);
/* Whether path names a dynamic loader (ld-linux*.so*, ld-musl-*, ld.so). */
bool	decide_is_loader_path(const char *path);

#endif
