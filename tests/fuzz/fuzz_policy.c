/*
 * fuzz_policy.c: libFuzzer target for policies/policy.c: one policy file
 * parsed onto the default policy, then the enforcer's questions asked of
 * the result, so half-applied rules are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>

#include "policies/policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ref[] = "docker.io/library/nginx:latest";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy		*p;
	struct rt_error		 err;
	const char *const	*dirs;
	size_t			 i;

	p = policy_default();
	if (policy_parse(p, "fuzz.conf", (const char *)data, size, &err) < 0 &&
	    err.msg[0] == '\0')
		abort();
	dirs = policy_protected(p);
	for (i = 0; dirs[i] != NULL; i++)
		if (dirs[i][0] != '/')
			abort();
	(void)policy_is_protected(p, "/etc/passwd");
	(void)policy_mode_name(policy_mode(p, ref));
	(void)policy_check_exec(p, ref, "/usr/bin/curl");
	(void)policy_check_write(p, "localhost/app:v2", "/etc/nginx/x.conf");
	policy_free(p);
	return 0;
}
