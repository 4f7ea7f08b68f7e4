/*
 * syscallname.c: (arch, number) <-> name through libseccomp (see
 * syscallname.h).
 */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/syscallname.h"

static const struct {
	const char	*name;
	uint32_t	 arch;
} arches[] = {
	{ "x86_64",	SCMP_ARCH_X86_64 },
	{ "x86",	SCMP_ARCH_X86 },
	{ "x32",	SCMP_ARCH_X32 },
	{ "aarch64",	SCMP_ARCH_AARCH64 },
	{ "arm",	SCMP_ARCH_ARM },
	{ "riscv64",	SCMP_ARCH_RISCV64 },
	{ "ppc64le",	SCMP_ARCH_PPC64LE },
	{ "s390x",	SCMP_ARCH_S390X },
};

/* libaudit's names where libseccomp (and the kernel) spell another. */
static const struct {
	const char	*audit, *seccomp;
} aliases[] = {
	{ "pread",			"pread64" },
	{ "pwrite",			"pwrite64" },
	{ "sys_kexec_load",		"kexec_load" },
	{ "sched_rr_get_interval64",	"sched_rr_get_interval_time64" },
};

uint32_t
syscall_arch_native(void)
{
	return seccomp_arch_native();
}

uint32_t
syscall_arch_compat(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return SCMP_ARCH_X86;
	case SCMP_ARCH_AARCH64:
		return SCMP_ARCH_ARM;
	default:
		return 0;
	}
}

const char *
syscall_arch_name(uint32_t arch)
{
	size_t	i;

	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].arch == arch)
			return arches[i].name;
	return NULL;
}

uint32_t
syscall_arch_by_name(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(arches[i].name, name) == 0)
			return arches[i].arch;
	return 0;
}

const char *
syscall_name(uint32_t arch, int nr, char *buf, size_t len)
{
	char	*s;

	if ((s = seccomp_syscall_resolve_num_arch(arch, nr)) != NULL) {
		snprintf(buf, len, "%s", s);
		free(s);
	} else
		snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

int
syscall_number(uint32_t arch, const char *name)
{
	size_t	i;
	int	nr;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].audit, name) == 0)
			name = aliases[i].seccomp;
	if (strncmp(name, "syscall_", 8) == 0 && name[8] >= '0' &&
	    name[8] <= '9') {
		nr = atoi(name + 8);
		return nr < SYSCALL_NR_MAX ? nr : -1;
	}
	nr = seccomp_syscall_resolve_name_arch(arch, name);
	/* Negative: unknown, or a pseudo-number libseccomp multiplexes. */
	return nr >= 0 && nr < SYSCALL_NR_MAX ? nr : -1;
}
