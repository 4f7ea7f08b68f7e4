/*
 * fuzz_auditrec.c: libFuzzer target for learner/auditrec.c, the parser of
 * kernel audit record text (file names and comm are attacker-shaped).
 * Every decoded string must be as long as it says and NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner/auditrec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	"arch", "syscall", "pid", "ppid", "uid", "auid", "a0", "a1", "exit",
	"comm", "exe", "key", "name", "nametype", "cwd", "item", "", "=", NULL
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*msg = (const char *)data, *v;
	volatile char	 sink;
	uint64_t	 n;
	size_t		 i, j, len;
	char		*s;

	(void)auditrec_serial(msg, size, &n);
	for (i = 0; keys[i] != NULL; i++) {
		if ((v = auditrec_field(msg, size, keys[i], &len)) != NULL) {
			if (v < msg || v + len > msg + size)
				abort();
			for (j = 0; j < len; j++)
				sink = v[j];
		}
		(void)auditrec_number(msg, size, keys[i], 10, &n);
		(void)auditrec_number(msg, size, keys[i], 16, &n);
		if ((s = auditrec_string(msg, size, keys[i], &len)) != NULL) {
			/* Reads every byte the caller is told it owns. */
			for (j = 0; j <= len; j++)
				sink = s[j];
			if (s[len] != '\0' || strlen(s) != len)
				abort();
			free(s);
		}
	}
	(void)sink;
	return 0;
}
