/*
 * observe.bpf.c: the kernel half of enforcer/observe.c, compiled with
 * clang -target bpf and embedded in rtguard (bpftool gen skeleton).
 *
 * Observation only, with two exceptions, both a SIGKILL of the caller
 * (bpf_send_signal) and nothing else: no bpf_override_return, nothing
 * that blocks. The same programs are attached to many syscall
 * tracepoints; the BPF cookie of an attachment is the index of its row in
 * the rules map, so nothing here knows syscall numbers or names.
 *
 *   sys_enter_*  observe_enterN: a thread of a watched cgroup (the cgroup
 *                map, filled from user space) whose arguments match the
 *                row's condition gets its arguments stashed by tid;
 *                everyone else costs one cgroup id and one hash lookup.
 *   sys_exit_*   observe_exit: a thread with a stash whose result the row
 *                reports (a refusal's errno, or success of a namespace or
 *                mount call) becomes one ring-buffer record; the path
 *                arguments are read here, after the kernel has copied
 *                them, and only for calls that are reported.
 *
 * That is the enter+exit method, which works anywhere. On x86_64 with
 * the kernel's BTF, observe_exit_regs alone does the same from sys_exit
 * by reading the caller's registers (below); observe.c picks it when it
 * loads.
 *
 * The first exception, observe_exec on sched_process_exec: a watched
 * container whose new executable is one of its dynamic loaders (the
 * loaders map) ran the loader directly (as an interpreter the loader is
 * never the executable), which would let it map any file without an exec
 * check. The process is killed there, after the exec and before its
 * first instruction, from the kernel's own view of what was exec'd: no
 * race with a thread rewriting the path, no question to user space, so
 * the loader's exec can be cached in the kernel like any other.
 *
 * The second, the rows marked OBSERVE_RULE_KILL (unshare, clone, clone3
 * with CLONE_NEWUSER or CLONE_NEWNS) in a cgroup watched in protect mode
 * (OBSERVE_CGROUP_KILL): a mount namespace of the caller's own, with a
 * user namespace to be root in, is one rtguard's mounts do not cover (a
 * fresh tmpfs there runs anything). The caller is killed before it runs
 * an instruction in the new namespace, and one record says so
 * (OBSERVE_KIND_KILLED) instead of a change:
 *   enter+exit   at sys_enter, before the call. A clone or clone3 then
 *                creates nothing: copy_process() finds the signal pending
 *                under siglock and fails (kernel/fork.c, -ERESTARTNOINTR);
 *                an unshare completes, and its task dies on the way back
 *                to user space.
 *   exit-only    at sys_exit, on success. A clone's child leaves the same
 *                call (ret 0, with the parent's registers: the flags are
 *                there) before its first instruction, and is killed there
 *                too, without a record of its own (a clone3's child: see
 *                below).
 * setns is never killed: runc and podman exec join namespaces with it.
 * clone3's flags are read from the caller's memory, like every indirect
 * condition, and that read fails for a page not faulted in yet (the
 * kernel's own copy faults it in) or races another thread; read by the
 * child, after its parent went on, they can be anything. So a clone's
 * child is also judged at its sys_exit by the namespaces it got
 * (child_escaped), a clone3's child by them alone, and killed with a
 * record of its own.
 *
 * A program may read only the fields its tracepoint has (the kernel
 * refuses to attach one whose context reads go past them, EACCES), so
 * there is one enter program per argument count.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "enforcer/observe-abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* tracepoint/syscalls/sys_enter_*: see .../sys_enter_unlink/format */
struct sys_enter_ctx {
	__u64	common;
	__s32	nr;
	__u32	pad;
	__u64	args[OBSERVE_NARGS];
};

/* tracepoint/syscalls/sys_exit_* */
struct sys_exit_ctx {
	__u64	common;
	__s32	nr;
	__u32	pad;
	__s64	ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct observe_cgroup);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBSERVE_MAX_RULES);
	__type(key, __u32);
	__type(value, struct observe_rule);
} rules SEC(".maps");

/* LRU: a thread that never reaches sys_exit cannot fill it up. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OBSERVE_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct observe_stash);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OBSERVE_RINGBUF_BYTES);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_MAX_LOADERS);
	__type(key, struct observe_loader);
	__type(value, __u8);
} loaders SEC(".maps");

/* Records the ring buffer had no room for; read by observe_lost(). */
__u64 lost = 0;
/* Entries in cgroups, kept by user space: 0 makes every program a no-op. */
__u32 watched = 0;

/*
 * The kernel's structures this reads, relocated by libbpf against the
 * running kernel's BTF (CO-RE): only the fields named here.
 */
struct inode___rt {
	unsigned long		 i_ino;
} __attribute__((preserve_access_index));
struct file___rt {
	struct inode___rt	*f_inode;
} __attribute__((preserve_access_index));
struct mm_struct___rt {
	struct file___rt	*exe_file;
} __attribute__((preserve_access_index));
struct ns_common___rt {
	unsigned int		 inum;
} __attribute__((preserve_access_index));
struct mnt_namespace___rt {
	struct ns_common___rt	 ns;
} __attribute__((preserve_access_index));
struct user_namespace___rt {
	struct ns_common___rt	 ns;
} __attribute__((preserve_access_index));
struct nsproxy___rt {
	struct mnt_namespace___rt *mnt_ns;
} __attribute__((preserve_access_index));
struct cred___rt {
	struct user_namespace___rt *user_ns;
} __attribute__((preserve_access_index));
struct task_struct___rt {
	struct mm_struct___rt	*mm;
	struct nsproxy___rt	*nsproxy;
	const struct cred___rt	*cred;
	struct task_struct___rt	*real_parent;
} __attribute__((preserve_access_index));

static __always_inline __u64
arg_at(const __u64 *args, __u32 i)
{
	switch (i) {
	case 0: return args[0];
	case 1: return args[1];
	case 2: return args[2];
	case 3: return args[3];
	case 4: return args[4];
	case 5: return args[5];
	}
	return 0;
}

static __always_inline void
read_path(char *dst, const __u64 *args, __u8 arg)
{
	__u64	p;

	dst[0] = '\0';
	if (arg >= OBSERVE_NARGS)
		return;
	if ((p = arg_at(args, arg)) == 0)
		return;
	if (bpf_probe_read_user_str(dst, OBSERVE_PATH_MAX,
	    (const void *)p) < 0)
		dst[0] = '\0';
}

/* One ring-buffer record for a reported call, or one more lost. */
static __always_inline void
emit(const struct observe_rule *r, __u32 idx, __u32 kind, __s32 nr, __s64 ret,
    __u64 cg, __u64 id, const __u64 *args)
{
	struct observe_record	*rec;
	int			 i;

	rec = bpf_ringbuf_reserve(&records, sizeof(*rec), 0);
	if (rec == NULL) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	rec->cgroup_id = cg;
	rec->pid_tgid = id;
	rec->uid_gid = bpf_get_current_uid_gid();
#pragma unroll
	for (i = 0; i < OBSERVE_NARGS; i++)
		rec->args[i] = args[i];
	rec->ret = ret;
	rec->rule = idx;
	rec->nr = nr;
	rec->kind = kind;
	rec->pad = 0;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	read_path(rec->path, args, r->path_arg);
	read_path(rec->path2, args, r->path2_arg);
	bpf_ringbuf_submit(rec, 0);
}

/*
 * A clone's child, at its sys_exit (before its first instruction), in a
 * user or mount namespace that is neither the container's nor its
 * parent's: the clone made one. This does not trust the flags read from
 * the caller (clone3's are in memory: in a page not faulted in yet, the
 * read fails where the kernel's copy does not; another thread can rewrite
 * them). Its parent's: runc's own processes (CLONE_PARENT, in the host's
 * namespaces) may reach a container's cgroup before its namespaces. The
 * container's: a child of CLONE_PARENT has its grandparent's, which may
 * be outside (conmon, for the container's init).
 */
static __always_inline int
child_escaped(const struct observe_cgroup *c)
{
	struct task_struct___rt	*t, *p;
	__u32			 u, m;

	t = (struct task_struct___rt *)bpf_get_current_task();
	u = BPF_CORE_READ(t, cred, user_ns, ns.inum);
	m = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
	/* The container's, when known (0: its parent's alone decide). */
	if (c->user_ns != 0 && c->mnt_ns != 0 && u == c->user_ns &&
	    m == c->mnt_ns)
		return 0;
	p = BPF_CORE_READ(t, real_parent);
	/* A parent exiting already has no nsproxy: 0, which differs. */
	return u != BPF_CORE_READ(p, cred, user_ns, ns.inum) ||
	    m != BPF_CORE_READ(p, nsproxy, mnt_ns, ns.inum);
}

/* A clone's child that escaped (child_escaped) in protect mode: killed. */
static __always_inline void
kill_escaped_child(const struct observe_rule *r, __u32 idx,
    const struct observe_cgroup *c, __s32 nr, __s64 ret, __u64 cg,
    const __u64 *args)
{
	if (ret != 0 || !(r->flags & OBSERVE_RULE_PARENT) ||
	    !observe_rule_kills(r, ret) || !(c->flags & OBSERVE_CGROUP_KILL))
		return;
	if (child_escaped(c) && bpf_send_signal(9) == 0)
		emit(r, idx, OBSERVE_KIND_KILLED, nr, ret, cg,
		    bpf_get_current_pid_tgid(), args);
}

/*
 * Cheapest test first: these run on every watched syscall of the whole
 * host. An argument condition that fails (an mmap without PROT_EXEC, a
 * fork, a read-only open) costs an inlined array lookup and no hashing;
 * the cgroup lookup comes next, and a read of user memory (clone3,
 * openat2) only for a thread of a watched cgroup.
 */
static __always_inline int
enter(struct sys_enter_ctx *ctx, const int nargs)
{
	struct observe_stash	 s = {};
	struct observe_rule	*r;
	struct observe_cgroup	*cgf;
	__u64			 cg, id, v;
	__u32			 idx;
	int			 i;

	if (watched == 0)
		return 0;
	idx = (__u32)bpf_get_attach_cookie(ctx);
	if ((r = bpf_map_lookup_elem(&rules, &idx)) == NULL)
		return 0;
#pragma unroll
	for (i = 0; i < OBSERVE_NARGS; i++)
		if (i < nargs)
			s.args[i] = ctx->args[i];
	v = arg_at(s.args, r->cond_arg);
	if (!(r->flags & OBSERVE_RULE_COND_INDIRECT) &&
	    !observe_rule_matches(r, v))
		return 0;
	cg = bpf_get_current_cgroup_id();
	if ((cgf = bpf_map_lookup_elem(&cgroups, &cg)) == NULL)
		return 0;
	if (r->flags & OBSERVE_RULE_COND_INDIRECT) {
		/* clone3's clone_args.flags, openat2's open_how.flags */
		if (bpf_probe_read_user(&v, sizeof(v), (const void *)v) != 0)
			return 0;
		if (!observe_rule_matches(r, v))
			return 0;
	}
	id = bpf_get_current_pid_tgid();
	/* Before the call: nothing stashed, so no change reported either. */
	if ((r->flags & OBSERVE_RULE_KILL) && (cgf->flags & OBSERVE_CGROUP_KILL) &&
	    bpf_send_signal(9) == 0) {
		emit(r, idx, OBSERVE_KIND_KILLED, ctx->nr, 0, cg, id, s.args);
		return 0;
	}
	s.rule = idx;
	s.nr = ctx->nr;
	bpf_map_update_elem(&inflight, &id, &s, BPF_ANY);
	return 0;
}

SEC("tracepoint")
int observe_enter1(struct sys_enter_ctx *ctx) { return enter(ctx, 1); }
SEC("tracepoint")
int observe_enter2(struct sys_enter_ctx *ctx) { return enter(ctx, 2); }
SEC("tracepoint")
int observe_enter3(struct sys_enter_ctx *ctx) { return enter(ctx, 3); }
SEC("tracepoint")
int observe_enter4(struct sys_enter_ctx *ctx) { return enter(ctx, 4); }
SEC("tracepoint")
int observe_enter5(struct sys_enter_ctx *ctx) { return enter(ctx, 5); }
SEC("tracepoint")
int observe_enter6(struct sys_enter_ctx *ctx) { return enter(ctx, 6); }

/* The enter+exit method: the arguments come from the stash. */
SEC("tracepoint")
int
observe_exit(struct sys_exit_ctx *ctx)
{
	__u64			 none[OBSERVE_NARGS] = {};
	struct observe_cgroup	*cgf;
	struct observe_stash	*s;
	struct observe_rule	*r;
	__u64			 cg, id;
	__u32			 idx, kind;

	if (watched == 0)
		return 0;
	/* The small cgroups map stays in cache; the stash map would not. */
	cg = bpf_get_current_cgroup_id();
	if ((cgf = bpf_map_lookup_elem(&cgroups, &cg)) == NULL)
		return 0;
	id = bpf_get_current_pid_tgid();
	idx = (__u32)bpf_get_attach_cookie(ctx);
	s = bpf_map_lookup_elem(&inflight, &id);
	/* A stash left by a call whose exit we missed is not this call's. */
	if (s == NULL || s->rule != idx || s->nr != ctx->nr) {
		/* A clone's child has none (its parent was not killed). */
		if (ctx->ret == 0 && (cgf->flags & OBSERVE_CGROUP_KILL) &&
		    (r = bpf_map_lookup_elem(&rules, &idx)) != NULL)
			kill_escaped_child(r, idx, cgf, ctx->nr, ctx->ret, cg,
			    none);
		if (s == NULL)
			return 0;
		goto done;
	}
	if ((r = bpf_map_lookup_elem(&rules, &idx)) == NULL)
		goto done;
	if ((kind = observe_rule_kind(r, ctx->ret)) != OBSERVE_KIND_NONE)
		emit(r, idx, kind, ctx->nr, ctx->ret, cg, id, s->args);
done:
	bpf_map_delete_elem(&inflight, &id);
	return 0;
}

#ifdef OBSERVE_REGS_X86_64
/*
 * The exit-only method: no sys_enter program at all. At sys_exit the
 * caller's saved user registers still hold the call's arguments (the
 * kernel writes only the return value, rax), so a call whose result is
 * reported reads them there, through bpf_task_pt_regs (Linux 5.15, needs
 * the kernel's BTF). Almost every call is decided by its return value
 * and the row alone: no hashing, nothing stashed.
 */
struct x86_64_regs {		/* struct pt_regs, arch/x86/include/asm/ptrace.h */
	__u64	r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__u64	ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

SEC("tracepoint")
int
observe_exit_regs(struct sys_exit_ctx *ctx)
{
	struct x86_64_regs	 regs;
	struct observe_rule	*r;
	struct observe_cgroup	*cgf;
	__u64			 args[OBSERVE_NARGS], cg, id, v;
	__u32			 idx, kind;
	int			 kills;

	if (watched == 0)
		return 0;
	idx = (__u32)bpf_get_attach_cookie(ctx);
	if ((r = bpf_map_lookup_elem(&rules, &idx)) == NULL)
		return 0;
	kind = observe_rule_kind(r, ctx->ret);
	kills = observe_rule_kills(r, ctx->ret);
	if (kind == OBSERVE_KIND_NONE && !kills)
		return 0;
	cg = bpf_get_current_cgroup_id();
	if ((cgf = bpf_map_lookup_elem(&cgroups, &cg)) == NULL)
		return 0;
	if (kind == OBSERVE_KIND_NONE && !(cgf->flags & OBSERVE_CGROUP_KILL))
		return 0;	/* a clone's child, observed only */
	if (bpf_probe_read_kernel(&regs, sizeof(regs),
	    (const void *)bpf_task_pt_regs(bpf_get_current_task_btf())) != 0)
		return 0;
	/* The x86_64 syscall ABI: rdi, rsi, rdx, r10, r8, r9. */
	args[0] = regs.di;
	args[1] = regs.si;
	args[2] = regs.dx;
	args[3] = regs.r10;
	args[4] = regs.r8;
	args[5] = regs.r9;
	/*
	 * A clone3's child: its clone_args were its parent's memory, which
	 * may hold anything by now (a new thread's parent has returned and
	 * reused its stack: glibc's pthread_create in runc's init read as
	 * CLONE_NEWUSER). Judged by the namespaces it got, never by them.
	 */
	if (ctx->ret == 0 && (r->flags & OBSERVE_RULE_PARENT) &&
	    (r->flags & OBSERVE_RULE_COND_INDIRECT)) {
		if (kills)
			kill_escaped_child(r, idx, cgf, ctx->nr, ctx->ret, cg,
			    args);
		return 0;
	}
	v = arg_at(args, r->cond_arg);
	if ((r->cond_mask != 0 && (r->flags & OBSERVE_RULE_COND_INDIRECT) &&
	    bpf_probe_read_user(&v, sizeof(v), (const void *)v) != 0) ||
	    !observe_rule_matches(r, v)) {
		/* The flags say nothing: a clone's child says what it got. */
		if (kills)
			kill_escaped_child(r, idx, cgf, ctx->nr, ctx->ret, cg,
			    args);
		return 0;
	}
	if (kills && (cgf->flags & OBSERVE_CGROUP_KILL) &&
	    bpf_send_signal(9) == 0) {
		/* A clone's child dies silently: the parent's is the record. */
		if (kind == OBSERVE_KIND_NONE)
			return 0;
		kind = OBSERVE_KIND_KILLED;
	}
	if (kind == OBSERVE_KIND_NONE)
		return 0;
	id = bpf_get_current_pid_tgid();
	emit(r, idx, kind, ctx->nr, ctx->ret, cg, id, args);
	return 0;
}
#endif

/* tracepoint/sched/sched_process_exec: see its format file. */
struct sched_process_exec_ctx {
	__u64	common;
	__u32	filename_loc;	/* __data_loc: length << 16 | offset */
	__s32	pid;
	__s32	old_pid;
};

SEC("tracepoint")
int
observe_exec(struct sched_process_exec_ctx *ctx)
{
	struct task_struct___rt	*task;
	struct observe_loader	 key;
	struct observe_record	*rec;
	__u64			 cg;

	if (watched == 0)
		return 0;
	cg = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&cgroups, &cg) == NULL)
		return 0;
	task = (struct task_struct___rt *)bpf_get_current_task();
	key.cgroup_id = cg;
	key.ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	if (bpf_map_lookup_elem(&loaders, &key) == NULL)
		return 0;
	bpf_send_signal(9);	/* SIGKILL: it never runs an instruction */
	rec = bpf_ringbuf_reserve(&records, sizeof(*rec), 0);
	if (rec == NULL) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->cgroup_id = cg;
	rec->pid_tgid = bpf_get_current_pid_tgid();
	rec->uid_gid = bpf_get_current_uid_gid();
	rec->ret = -1;		/* EPERM */
	rec->rule = OBSERVE_RULE_LOADER;
	rec->kind = OBSERVE_KIND_REFUSAL;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	/* The kernel's own copy of the exec'd name, not the caller's. */
	bpf_probe_read_kernel_str(rec->path, OBSERVE_PATH_MAX,
	    (const char *)ctx + (ctx->filename_loc & 0xffff));
	bpf_ringbuf_submit(rec, 0);
	return 0;
}
