/* policy.c: TEMPORARY placeholder until the policy module lands. */
#include <errno.h>
#include "policies/policy.h"

int
policy_placeholder(struct rt_error *err)
{
	return rt_error_set(err, ENOSYS, "policy files and export/import are "
	    "not implemented in this build yet (see README, feature state)");
}
