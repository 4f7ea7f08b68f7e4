/*
 * test_observe.c: the observer's syscall table (enforcer/observe-table.c)
 * and the two decisions its BPF programs make (enforcer/observe-abi.h,
 * the same inline code the kernel runs): which calls are stashed, which
 * results are reported as a refusal or a change. Also the cgroup v2 text
 * parsers of container/cgroup.c that give the observer its cgroup ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/container.h"
#include "enforcer/observe-abi.h"
#include "enforcer/observe.h"

static const struct observe_syscall *
row(const char *name)
{
	const struct observe_syscall *s = observe_syscall_find(name);

	if (s == NULL)
		fail_msg("no row for %s", name);
	return s;
}

static void
test_table_rows_are_well_formed(void **state)
{
	const struct observe_syscall	*s;
	size_t				 i, j;

	assert_true(observe_n_syscalls <= OBSERVE_MAX_RULES);
	for (i = 0; i < observe_n_syscalls; i++) {
		s = &observe_syscalls[i];
		assert_non_null(s->name);
		assert_non_null(s->route);
		assert_in_range(s->nargs, 1, OBSERVE_NARGS);
		assert_true(s->path_arg == OBSERVE_NONE ||
		    s->path_arg < s->nargs);
		assert_true(s->path2_arg == OBSERVE_NONE ||
		    s->path2_arg < s->nargs);
		assert_true(s->fd_arg == OBSERVE_NONE || s->fd_arg < s->nargs);
		if (s->cond_mask != 0)
			assert_in_range(s->cond_arg, 0, s->nargs - 1);
		assert_true(!s->cond_indirect || s->cond_mask != 0);
		assert_true(s->errnos != 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s->name,
			    observe_syscalls[j].name);
	}
}

static void
test_openat_is_only_observed_on_request(void **state)
{
	size_t	i;

	assert_false(observe_syscall_wanted(row("openat"), 0));
	assert_true(observe_syscall_wanted(row("openat"), OBSERVE_OPENAT));
	for (i = 0; i < observe_n_syscalls; i++)
		if (strcmp(observe_syscalls[i].name, "openat") != 0)
			assert_true(observe_syscall_wanted(&observe_syscalls[i],
			    0));
}

static void
test_default_set_names_every_route(void **state)
{
	static const char *const want[] = {
		"execve", "execveat", "mmap", "mprotect", "pkey_mprotect",
		"memfd_create", "unlink", "unlinkat", "rename", "renameat",
		"renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat",
		"symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
		"fchmodat2", "chown", "fchown", "fchownat", "lchown",
		"truncate", "ftruncate", "setxattr", "lsetxattr", "fsetxattr",
		"removexattr", "lremovexattr", "fremovexattr", "mknod",
		"mknodat", "utimensat", "open", "creat", "openat2", "unshare",
		"clone", "clone3", "setns", "mount", "fsmount", "move_mount",
		"mount_setattr", "umount2", NULL,
	};
	size_t	i;

	for (i = 0; want[i] != NULL; i++)
		assert_non_null(observe_syscall_find(want[i]));
	assert_null(observe_syscall_find("read"));
	assert_null(observe_syscall_find("write"));
}

static void
test_umount2_uses_the_umount_tracepoint(void **state)
{
	/* SYSCALL_DEFINE2(umount, ...): the tracepoint is sys_enter_umount */
	assert_string_equal(observe_syscall_tracepoint(row("umount2")),
	    "umount");
	assert_string_equal(observe_syscall_tracepoint(row("execve")),
	    "execve");
}

static void
test_exec_refused_by_noexec_is_a_refusal(void **state)
{
	const char	*names[] = { "execve", "execveat" };
	size_t		 i;

	for (i = 0; i < 2; i++) {
		assert_true(observe_syscall_stashes(row(names[i]), 0));
		assert_int_equal(observe_syscall_kind(row(names[i]), -EACCES),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -EPERM),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -ENOENT),
		    0);
		assert_int_equal(observe_syscall_kind(row(names[i]), 0), 0);
	}
	assert_string_equal(row("execve")->route, "exec");
	assert_int_equal(row("execve")->path_arg, 0);
	assert_int_equal(row("execveat")->path_arg, 1);
	assert_int_equal(row("execveat")->fd_arg, 0);
}

static void
test_only_prot_exec_maps_are_stashed(void **state)
{
	const char	*names[] = { "mmap", "mprotect", "pkey_mprotect" };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(row(names[i])->cond_arg, 2);
		assert_false(observe_syscall_stashes(row(names[i]), PROT_READ));
		assert_false(observe_syscall_stashes(row(names[i]),
		    PROT_READ | PROT_WRITE));
		assert_true(observe_syscall_stashes(row(names[i]),
		    PROT_READ | PROT_EXEC));
		assert_int_equal(observe_syscall_kind(row(names[i]), -EPERM),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -EACCES),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -ENOMEM),
		    0);
		assert_int_equal(observe_syscall_kind(row(names[i]), 0), 0);
	}
	assert_int_equal(row("mmap")->fd_arg, 4);
	assert_int_equal(row("mmap")->path_arg, OBSERVE_NONE);
}

static void
test_memfd_create_with_mfd_exec_is_stashed(void **state)
{
	const struct observe_syscall *s = row("memfd_create");

	assert_false(observe_syscall_stashes(s, 0x0001U));	/* MFD_CLOEXEC */
	assert_false(observe_syscall_stashes(s, 0x0008U));	/* NOEXEC_SEAL */
	assert_true(observe_syscall_stashes(s, 0x0010U));	/* MFD_EXEC */
	assert_int_equal(observe_syscall_kind(s, -EACCES), OBSERVE_REFUSAL);
	assert_int_equal(observe_syscall_kind(s, -EINVAL), OBSERVE_REFUSAL);
	assert_int_equal(observe_syscall_kind(s, 3), 0);
}

static void
test_writes_refused_by_read_only_mounts_are_refusals(void **state)
{
	const struct observe_syscall	*s;
	size_t				 i, n = 0;

	for (i = 0; i < observe_n_syscalls; i++) {
		s = &observe_syscalls[i];
		if (strcmp(s->route, "write") != 0)
			continue;
		n++;
		assert_int_equal(observe_syscall_kind(s, -EROFS),
		    OBSERVE_REFUSAL);
		/* mode bits and missing files are not protect mode's doing */
		assert_int_equal(observe_syscall_kind(s, -EACCES), 0);
		assert_int_equal(observe_syscall_kind(s, -ENOENT), 0);
		assert_int_equal(observe_syscall_kind(s, 0), 0);
		assert_false(s->success);
	}
	assert_true(n >= 30);
}

static void
test_removing_a_bind_mounted_file_is_a_refusal(void **state)
{
	const char	*names[] = { "unlink", "unlinkat", "rename",
			    "renameat", "renameat2", "rmdir" };
	size_t		 i;

	for (i = 0; i < 6; i++)
		assert_int_equal(observe_syscall_kind(row(names[i]), -EBUSY),
		    OBSERVE_REFUSAL);
	assert_int_equal(observe_syscall_kind(row("mkdir"), -EBUSY), 0);
}

static void
test_path_arguments_follow_the_syscall(void **state)
{
	assert_int_equal(row("unlink")->path_arg, 0);
	assert_int_equal(row("unlinkat")->path_arg, 1);
	assert_int_equal(row("rename")->path_arg, 0);
	assert_int_equal(row("rename")->path2_arg, 1);
	assert_int_equal(row("renameat2")->path_arg, 1);
	assert_int_equal(row("renameat2")->path2_arg, 3);
	assert_int_equal(row("symlinkat")->path_arg, 0);
	assert_int_equal(row("symlinkat")->path2_arg, 2);
	assert_int_equal(row("linkat")->path2_arg, 3);
	assert_int_equal(row("fchmod")->path_arg, OBSERVE_NONE);
	assert_int_equal(row("fchmod")->fd_arg, 0);
	assert_int_equal(row("mount")->path_arg, 1);	/* the target */
	assert_int_equal(row("mount")->path2_arg, 0);	/* the source */
	assert_int_equal(row("move_mount")->path_arg, 3);
}

static void
test_only_write_opens_are_stashed(void **state)
{
	const char	*names[] = { "open", "openat", "openat2" };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		assert_false(observe_syscall_stashes(row(names[i]), O_RDONLY));
		assert_false(observe_syscall_stashes(row(names[i]),
		    O_RDONLY | O_CLOEXEC | O_DIRECTORY));
		assert_true(observe_syscall_stashes(row(names[i]), O_WRONLY));
		assert_true(observe_syscall_stashes(row(names[i]), O_RDWR));
		assert_true(observe_syscall_stashes(row(names[i]),
		    O_RDONLY | O_CREAT));
		assert_true(observe_syscall_stashes(row(names[i]),
		    O_RDONLY | O_TRUNC));
		assert_int_equal(observe_syscall_kind(row(names[i]), -EROFS),
		    OBSERVE_REFUSAL);
	}
	/* openat2: the flags are in struct open_how, read by pointer */
	assert_true(row("openat2")->cond_indirect);
	assert_false(row("open")->cond_indirect);
	assert_true(observe_syscall_stashes(row("creat"), 0));
}

static void
test_new_user_or_mount_namespaces_are_changes(void **state)
{
	const char	*names[] = { "unshare", "clone", "clone3" };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		assert_true(observe_syscall_stashes(row(names[i]),
		    CLONE_NEWUSER));
		assert_true(observe_syscall_stashes(row(names[i]), CLONE_NEWNS));
		assert_false(observe_syscall_stashes(row(names[i]),
		    CLONE_NEWNET | CLONE_NEWUTS));
		assert_int_equal(observe_syscall_kind(row(names[i]), 77),
		    OBSERVE_CHANGE);
		assert_int_equal(observe_syscall_kind(row(names[i]), -EPERM),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -EINVAL),
		    0);
	}
	/* fork() is clone(SIGCHLD | CLONE_CHILD_*): never stashed */
	assert_false(observe_syscall_stashes(row("clone"), SIGCHLD |
	    CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID));
	/* the parent's return value is the child's pid; the child's 0 is
	 * the same clone seen again (the exit-only method sees both) */
	assert_int_equal(observe_syscall_kind(row("clone"), 4242),
	    OBSERVE_CHANGE);
	assert_int_equal(observe_syscall_kind(row("clone"), 0), 0);
	assert_int_equal(observe_syscall_kind(row("clone3"), 0), 0);
	assert_true(row("clone3")->cond_indirect);
	assert_string_equal(row("unshare")->route, "namespace");
	assert_int_equal(observe_syscall_kind(row("unshare"), 0),
	    OBSERVE_CHANGE);
}

static void
test_new_user_or_mount_namespaces_kill_in_protect_mode(void **state)
{
	const char	*names[] = { "unshare", "clone", "clone3" };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		assert_true(row(names[i])->kills);
		/* a refused call made nothing: reported, never killed */
		assert_false(observe_syscall_kills(row(names[i]), -EPERM));
		assert_false(observe_syscall_kills(row(names[i]), -EINVAL));
	}
	assert_true(observe_syscall_kills(row("unshare"), 0));
	/* the parent (a pid) and the child (0): both die at sys_exit,
	 * though only the parent's is reported */
	assert_true(observe_syscall_kills(row("clone"), 4242));
	assert_true(observe_syscall_kills(row("clone"), 0));
	assert_int_equal(observe_syscall_kind(row("clone"), 0), 0);
	assert_true(observe_syscall_kills(row("clone3"), 0));
	/* joining a namespace is what runc and podman exec do */
	assert_false(row("setns")->kills);
	assert_false(observe_syscall_kills(row("setns"), 0));
	/* nor does anything else kill */
	assert_false(row("mount")->kills);
	assert_false(observe_syscall_kills(row("mount"), 0));
	assert_false(observe_syscall_kills(row("execve"), 0));
}

static void
test_setns_of_any_type_is_a_change(void **state)
{
	const struct observe_syscall *s = row("setns");

	assert_true(observe_syscall_stashes(s, 0));	/* whatever fd is */
	assert_true(observe_syscall_stashes(s, CLONE_NEWNS));
	assert_true(observe_syscall_stashes(s, CLONE_NEWUSER));
	assert_false(observe_syscall_stashes(s, CLONE_NEWNET));
	assert_int_equal(observe_syscall_kind(s, 0), OBSERVE_CHANGE);
	assert_int_equal(s->fd_arg, 0);
}

static void
test_mount_calls_that_work_are_changes(void **state)
{
	const char	*names[] = { "mount", "umount2", "fsmount",
			    "move_mount", "mount_setattr", "fspick",
			    "pivot_root" };
	size_t		 i;

	for (i = 0; i < 7; i++) {
		assert_string_equal(row(names[i])->route, "mount");
		assert_true(observe_syscall_stashes(row(names[i]), 0));
		assert_int_equal(observe_syscall_kind(row(names[i]), 0),
		    OBSERVE_CHANGE);
		assert_int_equal(observe_syscall_kind(row(names[i]), -EPERM),
		    OBSERVE_REFUSAL);
		assert_int_equal(observe_syscall_kind(row(names[i]), -ENOENT),
		    0);
	}
	/* fsmount returns a descriptor */
	assert_int_equal(observe_syscall_kind(row("fsmount"), 5),
	    OBSERVE_CHANGE);
	/* open_tree without OPEN_TREE_CLONE only opens a path */
	assert_false(observe_syscall_stashes(row("open_tree"), 0));
	assert_true(observe_syscall_stashes(row("open_tree"), 1));
}

static void
test_rule_is_what_the_kernel_reads(void **state)
{
	struct observe_rule	r;

	observe_syscall_rule(row("rename"), &r);
	assert_int_equal(r.path_arg, 0);
	assert_int_equal(r.path2_arg, 1);
	assert_int_equal(r.cond_mask, 0);
	assert_int_equal(r.cond_arg, OBSERVE_ARG_NONE);
	assert_int_equal(r.flags, 0);
	assert_true(r.errnos & (1ULL << EROFS));

	observe_syscall_rule(row("clone3"), &r);
	assert_int_equal(r.flags, OBSERVE_RULE_COND_INDIRECT |
	    OBSERVE_RULE_SUCCESS | OBSERVE_RULE_PARENT | OBSERVE_RULE_KILL);

	observe_syscall_rule(row("unshare"), &r);
	assert_int_equal(r.flags, OBSERVE_RULE_SUCCESS | OBSERVE_RULE_KILL);
	assert_int_equal(r.path_arg, OBSERVE_ARG_NONE);

	observe_syscall_rule(row("setns"), &r);
	assert_int_equal(r.flags, OBSERVE_RULE_COND_ZERO |
	    OBSERVE_RULE_SUCCESS);
	assert_int_equal(r.cond_arg, 1);

	/* errnos past the mask never index out of it */
	assert_int_equal(observe_rule_kind(&r, -64), OBSERVE_KIND_NONE);
	assert_int_equal(observe_rule_kind(&r, -4095), OBSERVE_KIND_NONE);
	assert_int_equal(observe_rule_kind(&r, INT64_MIN), OBSERVE_KIND_NONE);
}

/* --- cgroup v2 ids ------------------------------------------------------ */

/* /proc/<pid>/cgroup of a Podman container on these hybrid hosts */
static const char hybrid_cgroup[] =
    "9:name=systemd:/libpod_parent/libpod-0d4e84992b0389e6ed4146a975e161d6"
    "74590041a3d28d5c42bd90de4cace5eb\n"
    "1:cpu:/libpod_parent/libpod-0d4e84992b0389e6ed4146a975e161d674590041"
    "a3d28d5c42bd90de4cace5eb\n"
    "0::/libpod_parent/libpod-0d4e84992b0389e6ed4146a975e161d674590041a3d"
    "28d5c42bd90de4cace5eb\n";

static void
test_cgroup_v2_path_is_the_0_line(void **state)
{
	char	path[256];

	assert_int_equal(cgroup_v2_path_parse(hybrid_cgroup,
	    strlen(hybrid_cgroup), path, sizeof(path)), 0);
	assert_string_equal(path, "/libpod_parent/libpod-0d4e84992b0389e6ed41"
	    "46a975e161d674590041a3d28d5c42bd90de4cace5eb");
	assert_int_equal(cgroup_v2_path_parse("0::/\n", 5, path,
	    sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(cgroup_v2_path_parse(hybrid_cgroup,
	    strlen(hybrid_cgroup), path, 10), -ENAMETOOLONG);
}

static void
test_cgroup_v1_only_has_no_v2_path(void **state)
{
	const char	v1[] = "4:memory:/docker/abc\n1:cpu:/docker/abc\n";
	char		path[256];

	assert_int_equal(cgroup_v2_path_parse(v1, strlen(v1), path,
	    sizeof(path)), -ENOENT);
	/* a controller named on hierarchy 10 is not the unified one */
	assert_int_equal(cgroup_v2_path_parse("10::/x\n", 7, path,
	    sizeof(path)), -ENOENT);
}

static void
test_cgroup2_mount_is_found_in_mountinfo(void **state)
{
	const char	mi[] =
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - "
	    "cgroup2 cgroup2 rw\n";
	char		mnt[256], root[256];

	assert_int_equal(cgroup_v2_mount_parse(mi, strlen(mi), mnt,
	    sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");
	assert_string_equal(root, "/");
}

static void
test_cgroup2_mount_prefers_the_whole_hierarchy(void **state)
{
	/* a bind of a sub-tree first, then the real one, with a blank */
	const char	mi[] =
	    "50 23 0:38 /libpod_parent /mnt/cg rw - cgroup2 cgroup2 rw\n"
	    "51 23 0:38 / /run/my\\040cgroup rw - cgroup2 cgroup2 rw\n";
	const char	sub[] =
	    "50 23 0:38 /libpod_parent /mnt/cg rw - cgroup2 cgroup2 rw\n";
	char		mnt[256], root[256];

	assert_int_equal(cgroup_v2_mount_parse(mi, strlen(mi), mnt,
	    sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/run/my cgroup");
	assert_string_equal(root, "/");
	assert_int_equal(cgroup_v2_mount_parse(sub, strlen(sub), mnt,
	    sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/mnt/cg");
	assert_string_equal(root, "/libpod_parent");
}

static void
test_no_cgroup2_mount_is_enoent(void **state)
{
	const char	mi[] =
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
	    "60 23 0:50 / /cgroup2 rw - tmpfs cgroup2 rw\n"	/* source */
	    "61 23 0:51 / /x rw\n";				/* truncated */
	char		mnt[256], root[256];

	assert_int_equal(cgroup_v2_mount_parse(mi, strlen(mi), mnt,
	    sizeof(mnt), root, sizeof(root)), -ENOENT);
	assert_int_equal(cgroup_v2_mount_parse("", 0, mnt, sizeof(mnt), root,
	    sizeof(root)), -ENOENT);
}

static void
test_cgroup_v2_id_of_self_matches_the_directory(void **state)
{
	struct rt_error	err;
	uint64_t	id = 0;
	int		rc;

	/* On a host without cgroup2 mounted, -ENOENT is the answer. */
	rc = cgroup_v2_id_of_pid(getpid(), &id, &err);
	if (rc == -ENOENT)
		skip();
	assert_int_equal(rc, 0);
	assert_true(id != 0);
	assert_int_equal(cgroup_v2_id_of_pid(-5, &id, &err), -ESRCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows_are_well_formed),
		cmocka_unit_test(test_openat_is_only_observed_on_request),
		cmocka_unit_test(test_default_set_names_every_route),
		cmocka_unit_test(test_umount2_uses_the_umount_tracepoint),
		cmocka_unit_test(test_exec_refused_by_noexec_is_a_refusal),
		cmocka_unit_test(test_only_prot_exec_maps_are_stashed),
		cmocka_unit_test(test_memfd_create_with_mfd_exec_is_stashed),
		cmocka_unit_test(
		    test_writes_refused_by_read_only_mounts_are_refusals),
		cmocka_unit_test(test_removing_a_bind_mounted_file_is_a_refusal),
		cmocka_unit_test(test_path_arguments_follow_the_syscall),
		cmocka_unit_test(test_only_write_opens_are_stashed),
		cmocka_unit_test(test_new_user_or_mount_namespaces_are_changes),
		cmocka_unit_test(
		    test_new_user_or_mount_namespaces_kill_in_protect_mode),
		cmocka_unit_test(test_setns_of_any_type_is_a_change),
		cmocka_unit_test(test_mount_calls_that_work_are_changes),
		cmocka_unit_test(test_rule_is_what_the_kernel_reads),
		cmocka_unit_test(test_cgroup_v2_path_is_the_0_line),
		cmocka_unit_test(test_cgroup_v1_only_has_no_v2_path),
		cmocka_unit_test(test_cgroup2_mount_is_found_in_mountinfo),
		cmocka_unit_test(test_cgroup2_mount_prefers_the_whole_hierarchy),
		cmocka_unit_test(test_no_cgroup2_mount_is_enoent),
		cmocka_unit_test(test_cgroup_v2_id_of_self_matches_the_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
