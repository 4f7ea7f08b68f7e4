/*
 * intent.h: what a thread blocked in an open wants to do.
 *
 * FAN_OPEN_PERM does not carry the open flags; with FAN_REPORT_TID the
 * blocked thread's /proc/<tid>/syscall names the syscall and its
 * arguments. This module parses that text (pure, unit-tested) and says
 * whether the open may write, create or truncate.
 */
#ifndef RTGUARD_INTENT_H
#define RTGUARD_INTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum open_intent {
	INTENT_READ,		/* O_RDONLY without O_TRUNC / O_CREAT */
	INTENT_WRITE,		/* write, create or truncate */
	INTENT_UNKNOWN,		/* not an open(2) family call we can read */
};

/* Parse "257 0xffffff9c 0x7ffd... 0x241 0x1b6 ..." (x86_64 numbers). */
enum open_intent intent_parse(const char *text, size_t len);
/* Read /proc/<tid>/syscall and parse it. */
enum open_intent intent_of_tid(pid_t tid);

#endif
