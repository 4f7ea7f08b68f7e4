/*
 * intent.c: open flags of a blocked thread, from /proc/<tid>/syscall.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "enforcer/intent.h"

static enum open_intent
flags_intent(unsigned long flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
		return INTENT_WRITE;
	return INTENT_READ;
}

enum open_intent
intent_parse(const char *text, size_t len)
{
	char		buf[256], *p, *end;
	unsigned long	arg[4];
	long		nr;
	int		i;

	if (len == 0 || len >= sizeof(buf))
		return INTENT_UNKNOWN;
	memcpy(buf, text, len);
	buf[len] = '\0';
	nr = strtol(buf, &end, 10);
	if (end == buf || *end != ' ')
		return INTENT_UNKNOWN;	/* "running", "-1 ..." */
	p = end;
	for (i = 0; i < 4; i++) {
		arg[i] = strtoul(p, &end, 16);
		if (end == p)
			return INTENT_UNKNOWN;
		p = end;
	}
	switch (nr) {
#ifdef SYS_open
	case SYS_open:
		return flags_intent(arg[1]);
#endif
#ifdef SYS_creat
	case SYS_creat:
		return INTENT_WRITE;
#endif
	case SYS_openat:
		return flags_intent(arg[2]);
	default:
		/* openat2 keeps its flags in user memory; io_uring elsewhere. */
		return INTENT_UNKNOWN;
	}
}

enum open_intent
intent_of_tid(pid_t tid)
{
	char	path[64], buf[256];
	FILE	*f;
	size_t	n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	if ((f = fopen(path, "re")) == NULL)
		return INTENT_UNKNOWN;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	return intent_parse(buf, n);
}
