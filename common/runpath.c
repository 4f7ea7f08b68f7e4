/*
 * runpath.c: /var/run and /run as one directory (see runpath.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/runpath.h"

size_t
runpath_alias(const char *path, const char **to)
{
	static const struct {
		const char	*from, *to;
		size_t		 len;
	} aliases[] = {
		{ "/var/run", "/run", 8 },
		{ "/var/lock", "/run/lock", 9 },
	};
	size_t	i, n;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		n = aliases[i].len;
		if (strncmp(path, aliases[i].from, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0')) {
			if (to != NULL)
				*to = aliases[i].to;
			return n;
		}
	}
	return 0;
}

bool
runpath_canonical(const char *path, char *out, size_t len)
{
	const char	*to;
	size_t		 n = runpath_alias(path, &to);

	if (n == 0)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%s%s", to, path + n);
	return n != 0;
}
