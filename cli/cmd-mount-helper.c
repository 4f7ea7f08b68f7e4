/*
 * cmd-mount-helper.c: `rtguard __mount-helper`, the process 'rtguard
 * enforce' execs to make its mounts in a container's namespaces
 * (enforcer/mounts.c). Hidden: it takes its request on descriptor 0 and
 * the namespaces on descriptors 4 and 5, from the enforcer only.
 */
#include <unistd.h>

#include "cli/cmd.h"
#include "enforcer/harden.h"

static int
cmd_mount_helper_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	(void)self; (void)g; (void)argc; (void)argv; (void)err;
	/*
	 * _exit: the helper lives inside the container's namespaces, where
	 * a sanitizer's exit-time leak check (which stops the world with a
	 * helper thread of its own) hangs; it does one request and owns
	 * nothing that needs flushing.
	 */
	_exit(harden_helper_main());
}

const struct cmd_entry cmd_mount_helper_entry = {
	.name = "__mount-helper",
	.args = "",
	.summary = "(internal) the enforcer's mount helper",
	.help = "Run by 'rtguard enforce' only.",
	.needs_root = true,
	.hidden = true,
	.exec = cmd_mount_helper_exec,
};
