/*
 * internal.h: what the enforcer's files share (not a public header).
 *
 *   enforcer.c  the run: baselines, policy reload, the loop, stop
 *   attach.c    a container in: fanotify group, the mount helper, out
 *   answer.c    the permission-event answer path
 *   alerts.c    records: aggregation, the alert line queue, the store
 *   decide.c    the decision table (pure)
 *   harden.c    the mount plan (pure) and the helper's report
 *   mounts.c    the mount helper, forked into the container's namespaces
 *   procinfo.c  /proc reads about a blocked process
 *   refusals.c  the kernel's own refusals (the BPF observer) as records
 */
#ifndef RTGUARD_ENFORCER_INTERNAL_H
#define RTGUARD_ENFORCER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/imageref.h"
#include "common/sha256.h"
#include "container/container.h"
#include "container/ocihook.h"
#include "daemon/daemon.h"
#include "daemon/fangroup.h"
#include "enforcer/decide.h"
#include "enforcer/enforcer.h"
#include "enforcer/harden.h"
#include "enforcer/observe.h"
#include "enforcer/procinfo.h"
#include "policies/policy.h"
#include "store/store.h"

struct event_base;
struct event;
struct alerts;

struct enf_image {
	char			*ref;
	char			*image_id;	/* bare hex, or NULL */
	struct baseline		*b;
	/* Not ready to enforce: why (the store's readiness reasons). */
	char			*not_ready;	/* NULL: ready */
};

struct enforcer;

#define ENF_LOADERS	4

/* A dynamic loader's inode in the container (image content, immutable). */
struct enf_loader {
	dev_t	dev;
	ino_t	ino;
	bool	kernel;		/* its direct runs are killed by the kernel */
	char	path[256];
};

#define ENF_DENIALS	64

/* A refused exec of a file that cannot change, by inode (answer.c). */
struct enf_denial {
	bool		 used;
	dev_t		 dev;
	ino_t		 ino;
	char		 path[256];
	struct decision	 d;
};

enum enf_state {
	ENF_ATTACHING,		/* group on, the mount helper runs */
	ENF_PROTECTED,		/* group and mounts */
	ENF_PARTIAL,		/* execs checked; mounts failed or undoable */
	ENF_MONITORED,		/* monitor mode: no mounts */
};

struct enf_container {
	struct enforcer		*enf;
	struct container	*c;
	struct enf_image	*img;
	enum policy_mode	 mode;		/* effective for this container */
	struct decide_ctx	 ctx;
	struct fangroup		*g;
	struct harden_job	*job;		/* the mount helper, running */
	struct harden_state	 mounts;	/* what it did */
	char			**writable;	/* policy paths bound back */
	bool			 update_again;	/* a reload came mid-job */
	struct ocihook_call	*hook;		/* answered once protected */
	struct procinfo_names	*names;		/* exec names resolved */
	struct enf_loader	 loaders[ENF_LOADERS];
	size_t			 n_loaders;
	struct enf_denial	 denials[ENF_DENIALS];
	enum enf_state		 state;
	bool			 cap_sys_admin;
	bool			 started;	/* an exec seen: past runc's setup */
	uint64_t		 cgroup_id;	/* watched by the observer, or 0 */
	uint64_t		 allowed, denied, alerted;
	char			 protection[1400];	/* what state means */
};

struct enforcer {
	const struct enforce_options *o;
	struct daemon		*daemon;
	struct event_base	*base;
	struct store_writer	*writer;
	struct policy		*policy;
	struct enf_image	*images;
	size_t			 n_images;
	struct enf_container	**cs;
	size_t			 n_cs;
	struct alerts		*alerts;
	struct observe		*observe;	/* the kernel's refusals, or NULL */
	/* Mounts recorded by an earlier enforcer, by container id. */
	char			**saved_ids, **saved_mounts;
	size_t			 n_saved;
	struct sha256_cache	 hashes;
	uint64_t		 overflows, decisions, denials, alerts_n;
	int			 inotify_fd;
	struct event		*inotify_ev, *reload_timer;
};

/* attach.c */
struct enf_image *enf_image_for(struct enforcer *enf, const struct container *c,
	    bool *id_differs);
struct enf_container *enf_find(struct enforcer *enf, const char *id);
/*
 * Takes c. prefix: "" for a running container, its rootfs in a hook, whose
 * call is answered once protection is in place (or refused).
 * cap_sys_admin < 0: read it from the container's init.
 */
int	enf_attach(struct enforcer *enf, struct container *c, const char *prefix,
	    int cap_sys_admin, struct ocihook_call *hook, struct rt_error *err);
void	enf_detach_all(struct enforcer *enf);
bool	enf_tracker_select(const struct container *c, void *arg);
int	enf_tracker_attach(struct container *c, void *arg);
void	enf_tracker_detach(const char *id, void *arg);
void	enf_tracker_unresolved(const char *id, const struct rt_error *err,
	    void *arg);
void	enf_on_hook(struct ocihook_call *call, struct container *c,
	    bool cap_sys_admin, void *arg);
void	enf_context_refresh(struct enf_container *ec);
/* After a policy reload: bring the container's writable binds in line. */
void	enf_policy_changed(struct enf_container *ec);

/* refusals.c: the observer's records (an observe_cb), who it watches */
void	enf_observed(const struct refusal *r, void *arg);
void	enf_observe_container(struct enf_container *ec, bool started);
void	enf_unobserve_container(struct enf_container *ec);
/* A loader's direct runs refused in the kernel from now on (or false). */
bool	enf_observe_loader(struct enf_container *ec, ino_t ino);
/* Forget the loaders (a policy reload): they are asked about again. */
void	enf_forget_loaders(struct enf_container *ec);
/* attach.c: the container's protection line, in the store only */
void	enf_protection_record(struct enf_container *ec);

/* answer.c: a fangroup_cb */
void	enf_container_event(struct fangroup *g,
	    const struct fanotify_event_metadata *md, void *arg);

/* alerts.c */
struct alerts *alerts_new(struct event_base *base, int fd);
void	alerts_stop(struct alerts *al);		/* before the loop is freed */
void	alerts_free(struct alerts *al);		/* flushes what it can */
void	alerts_start(struct enforcer *enf);	/* once the loop exists */
void	alerts_finish(struct enforcer *enf);	/* record open windows */
/*
 * Whether a refusal or alert is a repeat of one in an open window: then
 * it is counted there, and the caller need not read who did it.
 */
bool	alerts_repeat(struct enforcer *enf, struct enf_container *ec,
	    enum event_kind kind, const char *path, bool denied,
	    const char *reason);
/* A refusal or an alert; aggregated per (container, type, path, reason). */
void	alerts_record(struct enforcer *enf, struct enf_container *ec,
	    const struct proc_identity *who, enum event_kind kind,
	    const char *path, bool denied, const char *route,
	    const char *reason);
/* A line that is not a decision (attach status, gap). */
void	alerts_status(struct enforcer *enf, const char *type,
	    const char *container_id, const char *image, const char *reason);
uint64_t alerts_shed(const struct alerts *al);

#endif
