/* policy.h: TEMPORARY until the policy module lands. */
#ifndef RTGUARD_POLICY_H
#define RTGUARD_POLICY_H
#include "common/error.h"
int	policy_placeholder(struct rt_error *err);
#endif
