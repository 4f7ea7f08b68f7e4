/*
 * seccomp.h: a learned baseline as an OCI seccomp profile.
 *
 * Owns the translation from a baseline's syscall names to the JSON profile
 * Podman, Docker and Kubernetes accept (--security-opt seccomp=FILE,
 * securityContext.seccompProfile localhost): deny by default with EPERM,
 * allow the learned syscalls plus those the OCI runtime itself needs
 * between applying the filter and exec'ing the container's process.
 */
#ifndef RTGUARD_SECCOMP_H
#define RTGUARD_SECCOMP_H

#include <stdio.h>

#include "common/error.h"
#include "store/store.h"

/*
 * Write the profile for b to out. Names libseccomp does not know for the
 * native architecture are left out with a warning on stderr; returns how
 * many were left out (>= 0), or a negative errno with err set.
 */
int	seccomp_export(const struct baseline *b, FILE *out,
	    struct rt_error *err);

#endif
