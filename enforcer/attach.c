/*
 * attach.c: taking a container under enforcement, and letting it go.
 *
 * A container comes in two ways: from the OCI createRuntime hook, before
 * its first instruction (the rootfs not yet pivoted into), or from the
 * engine's list and start events (already running: Docker, or containers
 * older than the enforcer). Either way it gets its fanotify group on its
 * overlay, then, in protect mode, the mounts of harden.c and
 * vm.memfd_noexec. A container that could undo the mounts (CAP_SYS_ADMIN)
 * or whose mounts would reach the host is said to be not fully
 * protectable, loudly: an alert line, the log, the store.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
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

static int
cmp_top(const void *a, const void *b)
{
	return strcmp(((const struct harden_top *)a)->name,
	    ((const struct harden_top *)b)->name);
}

/* The container's "/" entries, read on the host side of its overlay. */
static struct harden_top *
list_top(const char *merged, size_t *n)
{
	struct harden_top	*v = NULL;
	struct dirent		*de;
	DIR			*d;

	*n = 0;
	if ((d = opendir(merged)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[*n].name = xstrdup(de->d_name);
		v[*n].is_dir = de->d_type == DT_DIR;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_top);
	return v;
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

/* Mounts and memfd_noexec; the protection line says how it went. */
static void
protect(struct enf_container *ec, const char *prefix, bool cap_sys_admin)
{
	struct harden_plan	 plan;
	struct harden_top	*top;
	struct rt_error		 err;
	char			 why[256];
	size_t			 n_top, i;
	bool			 partial = false;

	if (!harden_possible(ec->c->init_pid, prefix, why, sizeof(why))) {
		snprintf(ec->protection, sizeof(ec->protection), "not "
		    "protectable: %s; only execs are checked", why);
		return;
	}
	top = list_top(ec->c->merged_dir, &n_top);
	harden_plan_build(policy_protected(ec->enf->policy), ec->img->b, top,
	    n_top, NULL, 0, &plan);
	if (harden_apply(ec->c->init_pid, prefix, &plan, &ec->hardened,
	    &err) < 0) {
		snprintf(ec->protection, sizeof(ec->protection), "not "
		    "protectable: %s; only execs are checked", err.msg);
		partial = true;
	}
	harden_plan_free(&plan);
	for (i = 0; i < n_top; i++)
		free((char *)top[i].name);
	free(top);
	if (partial)
		return;
	if (harden_memfd_noexec(ec->c->init_pid, &err) == 0)
		ec->memfd_noexec = true;
	else {
		snprintf(ec->protection, sizeof(ec->protection), "partly "
		    "protected: %s (memfds can be exec'd)", err.msg);
		partial = true;
	}
	if (cap_sys_admin) {
		snprintf(ec->protection, sizeof(ec->protection), "not "
		    "protectable: it has CAP_SYS_ADMIN and can unmount "
		    "rtguard's read-only and noexec mounts; only execs are "
		    "checked reliably");
		partial = true;
	}
	if (!partial)
		snprintf(ec->protection, sizeof(ec->protection), "protected: "
		    "%zu mounts, %s", ec->hardened.n, ec->memfd_noexec ?
		    "memfd exec refused" : "");
}

int
enf_attach(struct enforcer *enf, struct container *c, const char *prefix,
    int cap_sys_admin, struct rt_error *err)
{
	struct enf_container	*ec;
	struct enf_image	*img;
	uint64_t		 mask;
	bool			 id_differs;
	int			 fd;

	img = enf_image_for(enf, c, &id_differs);
	if (img == NULL || !container_root_is_overlay(c)) {
		/* Never put a permission mark on anything but its overlay. */
		rt_error_set(err, ENOTSUP, "container %.12s: %s", c->id,
		    img == NULL ? "no baseline" : "root is not a mounted "
		    "overlay; not enforced");
		container_free(c);
		return -err->code;
	}
	fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
	    FAN_REPORT_TID, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0) {
		rt_error_sys(err, errno, "container %.12s: fanotify_init",
		    c->id);
		container_free(c);
		return -err->code;
	}
	ec = xcalloc(1, sizeof(*ec));
	ec->enf = enf;
	ec->c = c;
	ec->img = img;
	ec->fd = fd;
	ec->mode = enf->o->monitor ? POLICY_MODE_MONITOR :
	    policy_mode(enf->policy, img->ref);
	if (id_differs && ec->mode == POLICY_MODE_PROTECT)
		ec->mode = POLICY_MODE_MONITOR;
	enf_context_refresh(ec);
	/*
	 * Protect mode: execs only; writes are refused by the mounts, so a
	 * warm exec or any open never leaves the kernel. Monitor mode makes
	 * no mounts and sees writes as open events instead.
	 */
	mask = FAN_OPEN_EXEC_PERM |
	    (ec->mode == POLICY_MODE_PROTECT ? 0 : FAN_OPEN_PERM);
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask,
	    AT_FDCWD, c->merged_dir) < 0) {
		rt_error_sys(err, errno, "container %.12s: fanotify_mark %s",
		    c->id, c->merged_dir);
		close(fd);
		container_free(c);
		free(ec);
		return -err->code;
	}
	if (cap_sys_admin < 0)
		cap_sys_admin = has_cap_sys_admin(c->init_pid);
	if (ec->mode == POLICY_MODE_PROTECT)
		protect(ec, prefix, cap_sys_admin);
	else
		snprintf(ec->protection, sizeof(ec->protection), "%s",
		    id_differs ? "monitored, not protected: its image id differs "
		    "from the baseline's (a new version under the same tag?)" :
		    "monitored");
	ec->ev = event_new(enf->base, fd, EV_READ | EV_PERSIST,
	    enf_container_readable, ec);
	event_add(ec->ev, NULL);
	enf->cs = xreallocarray(enf->cs, enf->n_cs + 1, sizeof(*enf->cs));
	enf->cs[enf->n_cs++] = ec;
	if (strncmp(ec->protection, "protected", 9) == 0 ||
	    strcmp(ec->protection, "monitored") == 0)
		log_info("enforcing container %.12s (%s, %s): %s", c->id,
		    c->image_ref, policy_mode_name(ec->mode), ec->protection);
	else {
		log_warnx("enforcing container %.12s (%s, %s): %s", c->id,
		    c->image_ref, policy_mode_name(ec->mode), ec->protection);
		alerts_status(enf, "attach", c->id, c->image_ref,
		    ec->protection);
	}
	{
		char	key[128];

		snprintf(key, sizeof(key), "protection.%s", c->id);
		store_writer_meta(enf->writer, key, ec->protection);
	}
	return 0;
}

static void
enf_container_free(struct enf_container *ec, bool undo)
{
	struct rt_error	err;

	event_free(ec->ev);
	close(ec->fd);	/* drops every mark; pending events are allowed */
	if (undo && harden_undo(ec->c->init_pid, &ec->hardened, &err) < 0)
		log_warnx("container %.12s: %s", ec->c->id, err.msg);
	harden_state_free(&ec->hardened);
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
	if (enf_attach(arg, c, "", -1, &err) < 0) {
		log_warnx("%s", err.msg);
		alerts_status(arg, "attach", id, NULL, err.msg);
		return -1;
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

/* The OCI hook: attach before the container's first instruction. */
void
enf_on_hook(struct ocihook_call *call, struct container *c, bool cap,
    void *arg)
{
	struct enforcer		*enf = arg;
	struct rt_error		 err;
	struct enf_container	*ec;
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
	if (enf_attach(enf, c, prefix, cap, &err) < 0) {
		log_warnx("OCI hook: %s", err.msg);
		alerts_status(enf, "attach", id, NULL, err.msg);
		ocihook_reply(call, false, err.msg);
		return;
	}
	daemon_adopt(enf->daemon, id);
	ec = enf_find(enf, id);
	ocihook_reply(call, true, ec != NULL ? ec->protection : "");
}
