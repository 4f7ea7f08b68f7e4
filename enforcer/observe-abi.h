/*
 * observe-abi.h: what enforcer/observe.bpf.c (in the kernel) and
 * enforcer/observe.c (in rtguard) share: map sizes, the per-syscall rule
 * the BPF programs read, the per-cgroup flags, the per-thread stash, the
 * ring-buffer record, and the three decisions the kernel side makes (does
 * this call's arguments make it worth stashing; does its result make it
 * worth reporting; does it kill its caller in a protect-mode cgroup).
 * Those are inline here so that the cmocka tests run the very code the
 * BPF programs run.
 *
 * Only <linux/types.h> types: this header is compiled by clang -target
 * bpf as well as by the C compiler of the rest of rtguard.
 */
#ifndef RTGUARD_OBSERVE_ABI_H
#define RTGUARD_OBSERVE_ABI_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif

#define OBSERVE_NARGS		6
#define OBSERVE_PATH_MAX	256
#define OBSERVE_MAX_RULES	128	/* rows of the syscall table */
#define OBSERVE_MAX_CGROUPS	4096	/* containers observed at once */
#define OBSERVE_MAX_INFLIGHT	8192	/* threads inside a watched call */
#define OBSERVE_RINGBUF_BYTES	(4 * 1024 * 1024)	/* ~6500 records: 0.4 s of a 15k/s storm */
#define OBSERVE_MAX_LOADERS	4096	/* (cgroup, loader inode) pairs */
/* struct observe_record rule of a loader run directly (not a table row). */
#define OBSERVE_RULE_LOADER	0xfffe
#define OBSERVE_ARG_NONE	0xff

/* struct observe_rule flags */
#define OBSERVE_RULE_COND_INDIRECT 0x01	/* value: the u64 the arg points to */
#define OBSERVE_RULE_COND_ZERO	0x02	/* a zero value matches as well */
#define OBSERVE_RULE_SUCCESS	0x04	/* ret >= 0 is reported (a change) */
#define OBSERVE_RULE_PARENT	0x08	/* ... but not 0: the child of a clone */
/* A new user or mount namespace: in an OBSERVE_CGROUP_KILL cgroup, the
 * caller (and a clone's child) is killed instead of reported. */
#define OBSERVE_RULE_KILL	0x10

/* struct observe_cgroup flags (0: observed only) */
#define OBSERVE_CGROUP_KILL	0x01	/* protect mode: OBSERVE_RULE_KILL applies */

/* struct observe_record kind */
#define OBSERVE_KIND_NONE	0
#define OBSERVE_KIND_REFUSAL	1	/* ret is -errno, errno in the rule */
#define OBSERVE_KIND_CHANGE	2	/* a namespace or mount call worked */
#define OBSERVE_KIND_KILLED	3	/* OBSERVE_RULE_KILL: the caller was killed;
					   ret 0 when killed at sys_enter */

/*
 * One per attached syscall, at index = the BPF cookie of its two
 * attachments (enter and exit), so the programs need no syscall numbers.
 */
struct observe_rule {
	__u64	cond_mask;	/* 0: every call; else value & mask != 0 */
	__u64	errnos;		/* bit e set: ret == -e is a refusal */
	__u8	cond_arg;	/* the argument the condition reads */
	__u8	flags;
	__u8	path_arg;	/* user string arguments, or OBSERVE_ARG_NONE */
	__u8	path2_arg;
	__u8	pad[4];
};

/* The cgroups map's value: a watched cgroup. */
struct observe_cgroup {
	__u32	flags;
	/* The container's own namespaces (inode numbers; 0: unknown): a
	 * clone's child outside them, and outside its parent's, was made
	 * by a clone into a new one, whatever the flags read said. */
	__u32	user_ns;
	__u32	mnt_ns;
	__u32	pad;
};

/* Saved at sys_enter for a thread of a watched cgroup, key pid_tgid
 * (the enter+exit method; the exit-only method reads the registers). */
struct observe_stash {
	__u64	args[OBSERVE_NARGS];
	__u32	rule;
	__s32	nr;
};

/* A dynamic loader of a watched container, by its overlay inode. */
struct observe_loader {
	__u64	cgroup_id;
	__u64	ino;
};

/* One ring-buffer record: a refusal or a change. */
struct observe_record {
	__u64	cgroup_id;
	__u64	pid_tgid;	/* tgid << 32 | tid, host pid namespace */
	__u64	uid_gid;	/* gid << 32 | uid, host user namespace */
	__u64	args[OBSERVE_NARGS];
	__s64	ret;
	__u32	rule;
	__s32	nr;
	__u32	kind;
	__u32	pad;
	char	comm[16];
	char	path[OBSERVE_PATH_MAX];
	char	path2[OBSERVE_PATH_MAX];
};

/* Whether a call whose condition argument is value should be stashed. */
static __always_inline int
observe_rule_matches(const struct observe_rule *r, __u64 value)
{
	if (r->cond_mask == 0)
		return 1;
	if (value & r->cond_mask)
		return 1;
	return (r->flags & OBSERVE_RULE_COND_ZERO) != 0 && value == 0;
}

/* What a stashed call's return value makes of it: OBSERVE_KIND_*. */
static __always_inline __u32
observe_rule_kind(const struct observe_rule *r, __s64 ret)
{
	if (ret < 0) {
		if (ret > -64 && (r->errnos & (1ULL << -ret)) != 0)
			return OBSERVE_KIND_REFUSAL;
		return OBSERVE_KIND_NONE;
	}
	if ((r->flags & OBSERVE_RULE_SUCCESS) == 0)
		return OBSERVE_KIND_NONE;
	/* A clone's child leaves the same call with 0: one record, not two. */
	if (ret == 0 && (r->flags & OBSERVE_RULE_PARENT) != 0)
		return OBSERVE_KIND_NONE;
	return OBSERVE_KIND_CHANGE;
}

/*
 * Whether a matching call of a protect-mode cgroup that returns ret kills
 * its caller where the exit-only method sees it, at sys_exit: any success,
 * a clone's child (0) included, for reporting stays the parent's. (The
 * enter+exit method kills at sys_enter, before the call runs; a clone3's
 * child is judged by the namespaces it got, not by flags read from memory
 * that was its parent's: observe.bpf.c, child_escaped.)
 */
static __always_inline int
observe_rule_kills(const struct observe_rule *r, __s64 ret)
{
	return (r->flags & OBSERVE_RULE_KILL) != 0 && ret >= 0;
}

#endif
