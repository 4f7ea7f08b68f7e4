/*
 * attach.c: taking a container under enforcement, and letting it go.
 *
 * A container comes in two ways: from the OCI createRuntime hook, before
 * its first instruction (its rootfs not yet pivoted into), or from the
 * engine's list and start events (already running: Docker, or containers
 * older than the enforcer). Either way it first gets its fanotify group on
 * its overlay (from then on every exec is asked about), then, in protect
 * mode, the mount helper of harden.h runs while the loop goes on. A hook
 * is answered when the helper is done, so the entrypoint starts fully
 * protected, or not at all when protection failed. A container that could
 * undo the mounts (CAP_SYS_ADMIN) or whose mounts would reach the host is
 * reported as not fully protectable, loudly: an alert line, the log, the
 * store (rtguard containers shows it).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "enforcer/internal.h"

#define CAP_SYS_ADMIN_BIT	21

static const char *
bare_id(const char *id)
{
	if (id != NULL && strncmp(id, "sha256:", 7) == 0)
		return id + 7;
	return id;
}

/*
 * The baseline for c: by image id first (any tag of the same image), then
 * by reference. *id_differs: the reference matches but the image is
 * another (a new version pushed under the same tag).
 */
struct enf_image *
enf_image_for(struct enforcer *enf, const struct container *c, bool *id_differs)
{
	size_t	i;

	*id_differs = false;
	for (i = 0; c->image_id != NULL && i < enf->n_images; i++)
		if (enf->images[i].image_id != NULL &&
		    strcmp(enf->images[i].image_id, bare_id(c->image_id)) == 0)
			return &enf->images[i];
	for (i = 0; c->image_ref != NULL && i < enf->n_images; i++)
		if (strcmp(enf->images[i].ref, c->image_ref) == 0) {
			*id_differs = enf->images[i].image_id != NULL &&
			    c->image_id != NULL && strcmp(enf->images[i].image_id,
			    bare_id(c->image_id)) != 0;
			return &enf->images[i];
		}
	return NULL;
}

struct enf_container *
enf_find(struct enforcer *enf, const char *id)
{
	size_t	i;

	for (i = 0; i < enf->n_cs; i++)
		if (strcmp(enf->cs[i]->c->id, id) == 0)
			return enf->cs[i];
	return NULL;
}

void
enf_context_refresh(struct enf_container *ec)
{
	ec->ctx.baseline = ec->img->b;
	ec->ctx.policy = ec->enf->policy;
	ec->ctx.image_ref = ec->img->ref;
	ec->ctx.mode = ec->mode;
}

static bool
has_cap_sys_admin(pid_t pid)
{
	char			 path[64], line[256];
	unsigned long long	 caps = 0;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapBnd: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

/* Say how it went: the log, the store, and an alert line when partial. */
static void
announce(struct enf_container *ec)
{
	bool	full = ec->state == ENF_PROTECTED || ec->state == ENF_MONITORED;

	if (full)
		log_notice("container %.12s (%s, %s): %s", ec->c->id,
		    ec->c->image_ref, policy_mode_name(ec->mode), ec->protection);
	else {
		log_warnx("container %.12s (%s, %s): %s", ec->c->id,
		    ec->c->image_ref, policy_mode_name(ec->mode), ec->protection);
		alerts_status(ec->enf, "attach", ec->c->id, ec->c->image_ref,
		    ec->protection);
	}
	enf_protection_record(ec);
}

void
enf_protection_record(struct enf_container *ec)
{
	char	key[128];

	snprintf(key, sizeof(key), "protection.%s", ec->c->id);
	store_writer_meta(ec->enf->writer, key, ec->protection);
}

static void
hook_answer(struct enf_container *ec, bool ok)
{
	if (ec->hook == NULL)
		return;
	ocihook_reply(ec->hook, ok, ec->protection);
	ec->hook = NULL;
}

static void	mounts_record(struct enf_container *ec, bool gone);

/* The mount helper is done (on the loop). */
static void
hardened(int rc, const struct rt_error *err, struct harden_state *st,
    void *arg)
{
	struct enf_container	*ec = arg;

	ec->job = NULL;
	ec->mounts = *st;
	mounts_record(ec, false);
	if (rc < 0) {
		ec->state = ENF_PARTIAL;
		snprintf(ec->protection, sizeof(ec->protection), "not "
		    "protected: %s; execs are still checked, but writes and "
		    "memory maps are not refused", err->msg);
		announce(ec);
		/* A hook's container does not start half protected. */
		hook_answer(ec, false);
		return;
	}
	if (ec->cap_sys_admin) {
		ec->state = ENF_PARTIAL;
		snprintf(ec->protection, sizeof(ec->protection), "not fully "
		    "protectable: it has CAP_SYS_ADMIN and can unmount "
		    "rtguard's read-only and noexec mounts (%zu made); only "
		    "execs are checked reliably", st->n);
	} else if (!st->memfd_noexec) {
		ec->state = ENF_PARTIAL;
		snprintf(ec->protection, sizeof(ec->protection), "partly "
		    "protected: %zu mounts, but vm.memfd_noexec could not be "
		    "set (it shares the host's pid namespace?): memfds can be "
		    "exec'd", st->n);
	} else {
		ec->state = ENF_PROTECTED;
		snprintf(ec->protection, sizeof(ec->protection), "protected: "
		    "%zu mounts%s (writable places noexec, executables "
		    "read-only), root mount%s%s, memfd exec refused", st->n,
		    st->adopted ? " taken over from the previous enforcer" : "",
		    st->root_set & MOUNT_ATTR_NOEXEC ? " noexec" : " as it was",
		    st->root_set & MOUNT_ATTR_RDONLY ? " and read-only" : "");
	}
	announce(ec);
	hook_answer(ec, true);
}

static void
strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char **
strv_dup(const char *const *v)
{
	char	**d;
	size_t	  n, i;

	for (n = 0; v[n] != NULL; n++)
		;
	d = xcalloc(n + 1, sizeof(*d));
	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static bool
strv_has(char *const *v, const char *s)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Keep what the helper did where a restarted enforcer will find it. */
static void
mounts_record(struct enf_container *ec, bool gone)
{
	char	key[128], *v;

	snprintf(key, sizeof(key), "mounts.%s", ec->c->id);
	v = gone ? xstrdup("") : harden_state_format(&ec->mounts);
	store_writer_meta(ec->enf->writer, key, v);
	free(v);
}

static bool
saved_mounts(struct enforcer *enf, const char *id, struct harden_state *st)
{
	char	key[128];
	size_t	i;

	snprintf(key, sizeof(key), "mounts.%s", id);
	for (i = 0; i < enf->n_saved; i++)
		if (strcmp(enf->saved_ids[i], key) == 0)
			return harden_state_parse(enf->saved_mounts[i], st) == 0;
	return false;
}

static int
protect(struct enf_container *ec, const char *prefix, struct rt_error *err)
{
	struct harden_request	  rq;
	struct harden_state	  saved;
	const char		**writable;
	bool			  have_saved;
	int			  rc;

	policy_writable(ec->enf->policy, ec->img->ref, &writable);
	have_saved = prefix[0] == '\0' && saved_mounts(ec->enf, ec->c->id,
	    &saved);
	memset(&rq, 0, sizeof(rq));
	rq.pid = ec->c->init_pid;
	rq.prefix = prefix;
	rq.protected = policy_protected(ec->enf->policy);
	rq.writable = writable;
	rq.baseline = ec->img->b;
	rq.memfd_noexec = true;
	rq.saved = have_saved ? &saved : NULL;
	ec->state = ENF_ATTACHING;
	snprintf(ec->protection, sizeof(ec->protection), "being protected");
	rc = harden_start(ec->enf->base, &rq, hardened, ec, &ec->job, err);
	if (have_saved)
		harden_state_free(&saved);
	strv_free(ec->writable);
	ec->writable = strv_dup(writable);
	free(writable);
	return rc;
}

/* The update helper is done: forget what it undid, keep what it made. */
static void
updated(int rc, const struct rt_error *err, struct harden_state *st,
    void *arg)
{
	struct enf_container	*ec = arg;
	struct harden_state	*m = &ec->mounts;
	size_t			 i, j, k;

	ec->job = NULL;
	for (k = 0; k < st->n_removed; k++)
		for (i = 0; i < m->n; i++)
			if (m->v[i].id == st->removed[k]) {
				free(m->v[i].path);
				for (j = i + 1; j < m->n; j++)
					m->v[j - 1] = m->v[j];
				m->n--;
				break;
			}
	for (i = 0; i < st->n; i++) {
		harden_state_add(m, st->v[i].id, st->v[i].path);
		st->v[i].path = NULL;
	}
	mounts_record(ec, false);
	if (rc < 0)
		log_warnx("container %.12s: applying the reloaded policy's "
		    "writable paths: %s", ec->c->id, err->msg);
	else
		log_notice("container %.12s: writable paths follow the "
		    "reloaded policy (%zu bound, %zu unbound)", ec->c->id,
		    st->n, st->n_removed);
	harden_state_free(st);
	if (ec->update_again) {
		ec->update_again = false;
		enf_policy_changed(ec);
	}
}

void
enf_policy_changed(struct enf_container *ec)
{
	struct harden_request	  rq;
	struct harden_state	  gone;
	struct rt_error		  err;
	const char		**now, **add;
	size_t			  n, i, n_add = 0;

	if (ec->mode != POLICY_MODE_PROTECT || ec->mounts.n == 0)
		return;
	if (ec->job != NULL) {
		ec->update_again = true;	/* after this one */
		return;
	}
	n = policy_writable(ec->enf->policy, ec->img->ref, &now);
	add = xcalloc(n + 1, sizeof(*add));
	for (i = 0; i < n; i++)
		if (!strv_has(ec->writable, now[i]))
			add[n_add++] = now[i];
	memset(&gone, 0, sizeof(gone));
	for (i = 0; i < ec->mounts.n; i++)
		if (strv_has(ec->writable, ec->mounts.v[i].path) &&
		    !strv_has((char *const *)now, ec->mounts.v[i].path)) {
			gone.v = xreallocarray(gone.v, gone.n + 1,
			    sizeof(*gone.v));
			gone.v[gone.n++] = ec->mounts.v[i];
		}
	if (n_add > 0 || gone.n > 0) {
		memset(&rq, 0, sizeof(rq));
		rq.pid = ec->c->init_pid;
		rq.prefix = "";
		rq.update = true;
		rq.remove = &gone;
		rq.add = add;
		if (harden_start(ec->enf->base, &rq, updated, ec, &ec->job,
		    &err) < 0)
			log_warnx("container %.12s: %s", ec->c->id, err.msg);
	}
	strv_free(ec->writable);
	ec->writable = strv_dup(now);
	free(gone.v);	/* the paths stay ec->mounts' */
	free(add);
	free(now);
}

int
enf_attach(struct enforcer *enf, struct container *c, const char *prefix,
    int cap_sys_admin, struct ocihook_call *hook, struct rt_error *err)
{
	struct enf_container	*ec;
	struct enf_image	*img;
	uint64_t		 mask;
	bool			 id_differs, not_ready;
	int			 rc;

	if ((img = enf_image_for(enf, c, &id_differs)) == NULL) {
		rt_error_set(err, ENOENT, "container %.12s: no baseline for %s",
		    c->id, c->image_ref);
		container_free(c);
		return -err->code;
	}
	ec = xcalloc(1, sizeof(*ec));
	ec->enf = enf;
	ec->c = c;
	ec->img = img;
	ec->mode = enf->o->monitor ? POLICY_MODE_MONITOR :
	    policy_mode(enf->policy, img->ref);
	if (id_differs && ec->mode == POLICY_MODE_PROTECT)
		ec->mode = POLICY_MODE_MONITOR;
	/* A baseline not ready to enforce protects only with --force. */
	not_ready = !id_differs && img->not_ready != NULL &&
	    !enf->o->force && ec->mode == POLICY_MODE_PROTECT;
	if (not_ready)
		ec->mode = POLICY_MODE_MONITOR;
	enf_context_refresh(ec);
	ec->names = procinfo_names_new();
	ec->cap_sys_admin = cap_sys_admin < 0 ?
	    has_cap_sys_admin(c->init_pid) : cap_sys_admin;
	/*
	 * Protect mode asks only about execs: writes and maps are refused
	 * by the mounts, so a warm exec or any open never leaves the
	 * kernel. Monitor mode makes no mounts: it hears of content writes
	 * (notifications, never blocking) instead.
	 */
	mask = FAN_OPEN_EXEC_PERM;
	if (ec->mode != POLICY_MODE_PROTECT)
		mask |= FAN_CLOSE_WRITE | FAN_MODIFY;
	if ((rc = fangroup_open(enf->base, c, FAN_CLASS_CONTENT |
	    FAN_REPORT_TID, mask, enf_container_event, ec, &ec->g, err)) < 0) {
		container_free(c);
		procinfo_names_free(ec->names);
		free(ec);
		return rc;
	}
	enf->cs = xreallocarray(enf->cs, enf->n_cs + 1, sizeof(*enf->cs));
	enf->cs[enf->n_cs++] = ec;
	ec->hook = hook;
	if (ec->mode == POLICY_MODE_PROTECT) {
		/* Before the mounts: the kernel refuses from then on. */
		enf_observe_container(ec, prefix[0] == '\0');
		if (protect(ec, prefix, err) < 0) {
			ec->state = ENF_PARTIAL;
			snprintf(ec->protection, sizeof(ec->protection), "not "
			    "protected: %s; execs are still checked", err->msg);
			announce(ec);
			ec->hook = NULL;	/* the caller refuses it */
			return -err->code;
		}
		return 0;
	}
	ec->state = ENF_MONITORED;
	if (id_differs)
		snprintf(ec->protection, sizeof(ec->protection), "monitored, "
		    "not protected: its image id differs from the baseline's "
		    "(a new version under the same tag?)");
	else if (not_ready)
		snprintf(ec->protection, sizeof(ec->protection), "monitored, "
		    "not protected: its baseline is not ready to enforce (%s); "
		    "learn until it is (rtguard report), or protect it with "
		    "'rtguard enforce --force'", img->not_ready);
	else
		snprintf(ec->protection, sizeof(ec->protection), "monitored");
	if (id_differs || not_ready)
		alerts_status(enf, "attach", c->id, c->image_ref,
		    ec->protection);
	announce(ec);
	hook_answer(ec, true);
	return 0;
}

static void
enf_container_free(struct enf_container *ec, bool undo)
{
	struct harden_state	 partial;
	struct rt_error		 err;

	memset(&partial, 0, sizeof(partial));
	if (ec->job != NULL)
		harden_cancel(ec->job, &partial);
	enf_unobserve_container(ec);
	ec->enf->overflows += fangroup_overflows(ec->g);
	fangroup_free(ec->g);	/* drops every mark; pending events pass */
	if (ec->hook != NULL)
		ocihook_reply(ec->hook, true, "rtguard enforce is stopping");
	if (undo && harden_undo(ec->c->init_pid, &ec->mounts, &err) < 0)
		log_warnx("container %.12s: %s", ec->c->id, err.msg);
	/* Undone, or the container is gone: nothing for a restart to find. */
	if (ec->enf->writer != NULL)
		mounts_record(ec, true);
	if (undo && harden_undo(ec->c->init_pid, &partial, &err) < 0)
		log_warnx("container %.12s: %s", ec->c->id, err.msg);
	harden_state_free(&partial);
	harden_state_free(&ec->mounts);
	strv_free(ec->writable);
	procinfo_names_free(ec->names);
	container_free(ec->c);
	free(ec);
}

void
enf_detach_all(struct enforcer *enf)
{
	size_t	i;

	for (i = 0; i < enf->n_cs; i++)
		enf_container_free(enf->cs[i], true);
	free(enf->cs);
	enf->cs = NULL;
	enf->n_cs = 0;
}

bool
enf_tracker_select(const struct container *c, void *arg)
{
	struct enforcer	*enf = arg;
	bool		 differs;

	if (enf_find(enf, c->id) != NULL)
		return false;	/* attached by the OCI hook already */
	if (enf_image_for(enf, c, &differs) == NULL) {
		log_info("container %.12s (%s): no baseline for its image; "
		    "left alone", c->id, c->image_ref);
		return false;
	}
	if (!enf->o->monitor &&
	    policy_mode(enf->policy, c->image_ref) == POLICY_MODE_LEARN) {
		log_info("container %.12s (%s): policy mode learn; left alone",
		    c->id, c->image_ref);
		return false;
	}
	return true;
}

int
enf_tracker_attach(struct container *c, void *arg)
{
	struct rt_error	err;
	char		id[CONTAINER_ID_LEN + 1];

	memcpy(id, c->id, sizeof(id));
	if (enf_attach(arg, c, "", -1, NULL, &err) < 0) {
		if (enf_find(arg, id) == NULL) {
			log_warnx("%s", err.msg);
			alerts_status(arg, "attach", id, NULL, err.msg);
			return -1;
		}
	}
	return 0;
}

void
enf_tracker_detach(const char *id, void *arg)
{
	struct enforcer	*enf = arg;
	size_t		 i;

	for (i = 0; i < enf->n_cs; i++) {
		if (strcmp(enf->cs[i]->c->id, id) != 0)
			continue;
		log_info("container %.12s stopped: %llu allowed, %llu denied, "
		    "%llu alerted", id, (unsigned long long)enf->cs[i]->allowed,
		    (unsigned long long)enf->cs[i]->denied,
		    (unsigned long long)enf->cs[i]->alerted);
		/* Its mount namespace is gone: nothing to unmount. */
		enf_container_free(enf->cs[i], false);
		enf->cs[i] = enf->cs[--enf->n_cs];
		return;
	}
}

void
enf_tracker_unresolved(const char *id, const struct rt_error *err, void *arg)
{
	char	reason[1200];

	snprintf(reason, sizeof(reason), "started but not yet protected: the "
	    "engine cannot describe it (%s); retrying", err->msg);
	alerts_status(arg, "attach", id, NULL, reason);
}

/* The OCI hook: attach before the container's first instruction. */
void
enf_on_hook(struct ocihook_call *call, struct container *c, bool cap,
    void *arg)
{
	struct enforcer		*enf = arg;
	struct rt_error		 err;
	char			 prefix[4096], id[CONTAINER_ID_LEN + 1];
	bool			 differs;

	memcpy(id, c->id, sizeof(id));
	if (enf_find(enf, id) != NULL) {
		container_free(c);
		ocihook_reply(call, true, "attached already");
		return;
	}
	if (enf_image_for(enf, c, &differs) == NULL || (!enf->o->monitor &&
	    policy_mode(enf->policy, c->image_ref) == POLICY_MODE_LEARN)) {
		container_free(c);
		ocihook_reply(call, true, "no baseline");
		return;
	}
	snprintf(prefix, sizeof(prefix), "%s", c->merged_dir);
	if (enf_attach(enf, c, prefix, cap, call, &err) < 0) {
		log_warnx("OCI hook: %s", err.msg);
		if (enf_find(enf, id) == NULL)
			alerts_status(enf, "attach", id, NULL, err.msg);
		ocihook_reply(call, false, err.msg);
		return;
	}
	daemon_adopt(enf->daemon, id);
}
