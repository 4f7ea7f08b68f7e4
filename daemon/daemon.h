/*
 * daemon.h: the skeleton `rtguard learn` and `rtguard enforce` share.
 *
 * Owns the event loop and what every rtguard daemon needs around it:
 * SIGINT and SIGTERM stop the loop, SIGHUP calls the role's reload; an
 * optional duration; the store writer thread; the engine tracker (running
 * containers, start and stop events); the OCI hook listener (containers
 * before their first instruction); and the cleanup that must run however
 * the daemon ends, fatal errors included (mounts undone, audit rules
 * removed). A role (learner, enforcer) fills struct daemon_role with
 * callbacks that run on the loop; it never runs a loop of its own.
 * fangroup.h, beside this file, is the per-container fanotify group both
 * roles attach.
 */
#ifndef RTGUARD_DAEMON_H
#define RTGUARD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "container/container.h"
#include "container/ocihook.h"
#include "store/store.h"

struct event_base;
struct daemon;

struct daemon_role {
	const char	*name;		/* "learn", "enforce" */
	void		*arg;		/* passed to every callback */
	/* The tracker's: a running container the engine reports. */
	bool	(*select)(const struct container *c, void *arg);
	int	(*attach)(struct container *c, void *arg);	/* takes c */
	void	(*detach)(const char *id, void *arg);
	/* Optional: the engine cannot describe id yet (retried). */
	void	(*unresolved)(const char *id, const struct rt_error *err,
		    void *arg);
	/*
	 * Optional: the OCI hook, before c's first instruction. Takes c;
	 * must answer with ocihook_reply(call, ...), now or later. A
	 * container attached here should be passed to daemon_adopt().
	 */
	void	(*hook)(struct ocihook_call *call, struct container *c,
		    bool cap_sys_admin, void *arg);
	void	(*reload)(void *arg);		/* optional: SIGHUP */
	/* Optional: up, and every container running at start considered. */
	void	(*running)(void *arg);
	/*
	 * Optional: undo what must not outlive rtguard (mounts, audit
	 * rules). Runs once: after the loop, or from fatal().
	 */
	void	(*cleanup)(void *arg);
};

struct daemon_config {
	const char	*runtime_socket;	/* NULL: the default sockets */
	size_t		 store_queue;		/* records before shedding */
	int64_t		 duration_s;		/* 0: until a signal */
	bool		 hooks;			/* listen for the OCI hook */
};

/*
 * Connect to the engine, take st (the writer thread owns it from here),
 * make the loop. Nothing runs until daemon_run(). On failure st is freed.
 */
int	daemon_open(const struct daemon_config *cfg,
	    const struct daemon_role *role, struct store *st,
	    struct daemon **out, struct rt_error *err);
struct event_base *daemon_base(struct daemon *d);
struct store_writer *daemon_writer(struct daemon *d);
/* Start the tracker and the hook listener, run until stopped. */
int	daemon_run(struct daemon *d, struct rt_error *err);
void	daemon_stop(struct daemon *d);
/* A container the role attached from the hook: the tracker skips it. */
void	daemon_adopt(struct daemon *d, const char *id);
/*
 * Run the role's cleanup (if not yet run), stop the writer (its errors
 * are returned: records not saved), free everything. *st_out, if not
 * NULL, receives the store back.
 */
int	daemon_close(struct daemon *d, struct store **st_out,
	    struct rt_error *err);

#endif
