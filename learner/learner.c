/* learner.c: TEMPORARY placeholder until the learning engine lands. */
#include <errno.h>
#include "learner/learner.h"

int
learner_run(const struct learn_options *opts, struct rt_error *err)
{
	(void)opts;
	return rt_error_set(err, ENOSYS, "learning is not implemented in this "
	    "build yet (see README, feature state)");
}
