/*
 * policy.h: rtguard's policy files (policies.d/NAME.conf).
 *
 * Owns the policy format, its parser (errors as "file:line: what"), and
 * the questions the enforcer asks: which directories are protected, which
 * mode an image is in (learn, monitor, protect), and whether a policy
 * pattern (libpcre2) allows or denies an exec or a write. The format is
 * documented in policies/README.md; the default policy is 00-default.conf.
 */
#ifndef RTGUARD_POLICY_H
#define RTGUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum policy_mode {
	POLICY_MODE_LEARN,	/* not enforced: containers are left alone */
	POLICY_MODE_MONITOR,	/* decisions alerted, never denied */
	POLICY_MODE_PROTECT,	/* decisions enforced */
};

enum policy_verdict {
	POLICY_NONE,		/* no pattern matched: the baseline decides */
	POLICY_ALLOW,
	POLICY_DENY,		/* deny beats allow */
};

struct policy;

/* The built-in default: protect /bin /sbin /usr /lib /lib32 /lib64 /etc. */
struct policy *policy_default(void);
/*
 * Load every *.conf of dir in name order onto the default. A missing
 * directory gives the default policy; a bad file fails the whole load with
 * "file:line: message" and returns nothing.
 */
int	policy_load_dir(const char *dir, struct policy **out,
	    struct rt_error *err);
/* Parse one file's text onto p (for tests and the fuzzer). */
int	policy_parse(struct policy *p, const char *name, const char *text,
	    size_t len, struct rt_error *err);
void	policy_free(struct policy *p);

/* Protected directories (no trailing '/'), NULL-terminated. */
const char *const *policy_protected(const struct policy *p);
bool	policy_is_protected(const struct policy *p, const char *path);
/*
 * The paths under protected directories that stay writable for image_ref
 * in protect mode ("writable PATH"), NULL-terminated; *out (not the
 * strings) is the caller's to free. Returns how many.
 */
size_t	policy_writable(const struct policy *p, const char *image_ref,
	    const char ***out);
enum policy_mode policy_mode(const struct policy *p, const char *image_ref);
enum policy_verdict policy_check_exec(const struct policy *p,
	    const char *image_ref, const char *path);
enum policy_verdict policy_check_write(const struct policy *p,
	    const char *image_ref, const char *path);
const char *policy_mode_name(enum policy_mode m);

#endif
