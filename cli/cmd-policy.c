/* cmd-policy.c: `rtguard policy` (TEMPORARY until policies/ lands). */
#include "cli/cmd.h"
#include "policies/policy.h"

static int
cmd_policy_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	(void)self; (void)g; (void)argc; (void)argv;
	return policy_placeholder(err);
}

const struct cmd_entry cmd_policy_entry = {
	.name = "policy",
	.args = "export|import ...",
	.summary = "move baselines between machines (not implemented yet)",
	.help = "Not implemented in this build yet.",
	.options = NULL,
	.optstring = "",
	.exec = cmd_policy_exec,
};
