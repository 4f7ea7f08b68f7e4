/* enforcer.c: TEMPORARY placeholder until the learning engine lands. */
#include <errno.h>
#include "enforcer/enforcer.h"

int
enforcer_run(const struct enforce_options *opts, struct rt_error *err)
{
	(void)opts;
	return rt_error_set(err, ENOSYS, "enforcement is not implemented in this "
	    "build yet (see README, feature state)");
}
