/*
 * syscallname.h: syscalls as the kernel numbers them, and their names.
 *
 * rtguard stores a syscall as (arch, number): arch is the AUDIT_ARCH_*
 * value the kernel writes in an audit record's "arch" field, which is
 * also libseccomp's SCMP_ARCH_* value, so one number space serves audit
 * records, the store and seccomp profiles. Names are made from it only
 * for display and export, by libseccomp (the spelling runc and Docker
 * read in a profile); the few names libaudit spells differently
 * ("pread" for pread64) are accepted on input so that baselines written
 * by older rtguard versions convert without loss.
 */
#ifndef RTGUARD_SYSCALLNAME_H
#define RTGUARD_SYSCALLNAME_H

#include <stddef.h>
#include <stdint.h>

#define SYSCALL_NR_MAX	512	/* numbers learned per arch: 0 .. MAX-1 */

/* The running kernel's own arch (AUDIT_ARCH_X86_64 on x86_64). */
uint32_t syscall_arch_native(void);
/*
 * The compat arch whose syscalls a native kernel also runs (i386 on
 * x86_64), or 0.
 */
uint32_t syscall_arch_compat(void);
/* "x86_64", "x86", ...: libseccomp's short spelling, or NULL if unknown. */
const char *syscall_arch_name(uint32_t arch);
/* The arch of a short name (as syscall_arch_name spells it), or 0. */
uint32_t syscall_arch_by_name(const char *name);
/*
 * The name of (arch, nr) into buf: libseccomp's, or "syscall_<nr>" when
 * it knows no name. Returns buf.
 */
const char *syscall_name(uint32_t arch, int nr, char *buf, size_t len);
/* The number of name on arch (libaudit spellings too), or -1. */
int	syscall_number(uint32_t arch, const char *name);

#endif
