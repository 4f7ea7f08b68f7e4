/*
 * seccomp.c: write an OCI seccomp profile from a baseline.
 *
 * The filter is installed by the runtime (runc, crun) before it execs the
 * container's entrypoint, so the profile must also allow what the runtime
 * does after that point, and what the dynamic loader and libc do before
 * main(); runtime_syscalls lists those. The baseline's syscalls are
 * (arch, number) pairs, named here by libseccomp; a name it cannot
 * resolve would make the runtime refuse the whole profile.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/syscallname.h"
#include "common/xmalloc.h"
#include "formats/seccomp.h"

/*
 * What runc (a Go program) still does after it installs the profile and
 * before it execs the container's process: close the inherited fds (it
 * checks /proc/self/fd with fstatfs and walks it with getdents64), finish
 * its Go runtime work (epoll, futex, signals, threads), and exec.
 */
static const char *const runtime_syscalls[] = {
	"access", "arch_prctl", "brk", "capget", "capset", "chdir", "clone",
	"clone3", "close", "close_range", "dup", "dup2", "dup3",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "execve",
	"execveat", "exit", "exit_group", "faccessat2", "fchdir", "fcntl",
	"fstat", "fstatfs", "futex", "getcwd", "getdents64", "getegid",
	"geteuid", "getgid", "getpid", "getppid", "getrandom", "gettid",
	"getuid", "ioctl", "kill", "lseek", "madvise", "mmap", "mprotect",
	"mremap", "munmap", "nanosleep", "newfstatat", "openat", "pipe2",
	"poll", "ppoll", "prctl", "pread64", "prlimit64", "pselect6", "read",
	"readlinkat", "rseq", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",
	"set_tid_address", "setgid", "setgroups", "setresgid", "setresuid",
	"setsid", "setuid", "sigaltstack", "statfs", "statx", "tgkill",
	"uname", "wait4", "waitid", "write",
};

static const char *const architectures[] = {
	"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
};

/* Whether a runtime resolves name on at least one of the profile's arches. */
static bool
name_known(const char *name)
{
	static const uint32_t	arch[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,
	    SCMP_ARCH_X32 };
	size_t			i;

	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return true;
	for (i = 0; i < sizeof(arch) / sizeof(arch[0]); i++)
		if (seccomp_syscall_resolve_name_arch(arch[i], name) !=
		    __NR_SCMP_ERROR)
			return true;
	return false;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
seccomp_export(const struct baseline *b, FILE *out, struct rt_error *err)
{
	const char	**names;
	char		**owned, buf[64];
	json_t		 *root, *a, *rule, *list;
	size_t		  n_rt, n, i;
	int		  skipped = 0, rc = 0;

	/*
	 * One list of names for every arch of the profile: runc resolves
	 * each name per arch. The baseline holds (arch, number); libseccomp
	 * names them in the spelling it will read back.
	 */
	n_rt = sizeof(runtime_syscalls) / sizeof(runtime_syscalls[0]);
	owned = xcalloc(b->n_syscalls + 1, sizeof(*owned));
	names = xcalloc(b->n_syscalls + n_rt, sizeof(*names));
	for (n = 0; n < b->n_syscalls; n++)
		names[n] = owned[n] = xstrdup(syscall_name(b->syscalls[n].arch,
		    b->syscalls[n].nr, buf, sizeof(buf)));
	for (i = 0; i < n_rt; i++)
		names[n++] = runtime_syscalls[i];
	qsort(names, n, sizeof(*names), name_cmp);

	list = json_array();
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (!name_known(names[i])) {
			log_warnx("seccomp profile for %s: leaving out '%s', "
			    "a syscall libseccomp does not know", b->image_ref,
			    names[i]);
			skipped++;
			continue;
		}
		json_array_append_new(list, json_string(names[i]));
	}
	free(names);
	for (i = 0; i < b->n_syscalls; i++)
		free(owned[i]);
	free(owned);

	root = json_object();
	json_object_set_new(root, "defaultAction",
	    json_string("SCMP_ACT_ERRNO"));
	json_object_set_new(root, "defaultErrnoRet", json_integer(EPERM));
	a = json_array();
	for (i = 0; i < sizeof(architectures) / sizeof(architectures[0]); i++)
		json_array_append_new(a, json_string(architectures[i]));
	json_object_set_new(root, "architectures", a);
	rule = json_object();
	json_object_set_new(rule, "names", list);
	json_object_set_new(rule, "action", json_string("SCMP_ACT_ALLOW"));
	a = json_array();
	json_array_append_new(a, rule);
	json_object_set_new(root, "syscalls", a);

	if (json_dumpf(root, out, JSON_INDENT(2)) < 0 || fputc('\n', out) == EOF
	    || fflush(out) == EOF || ferror(out))
		rc = rt_error_sys(err, errno != 0 ? errno : EIO,
		    "writing the seccomp profile of %s", b->image_ref);
	json_decref(root);
	return rc < 0 ? rc : skipped;
}
