/*
 * fuzz_intent.c: libFuzzer target for enforcer/intent.c, the parser of
 * /proc/<tid>/syscall text of a thread blocked in an open.
 */
#include <stdint.h>
#include <stdlib.h>

#include "enforcer/intent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum open_intent	i;

	i = intent_parse((const char *)data, size);
	if (i != INTENT_READ && i != INTENT_WRITE && i != INTENT_UNKNOWN)
		abort();
	return 0;
}
