/*
 * fuzz_portable.c: libFuzzer target for formats/portable.c, the reader of
 * baseline files (rtguard policy import): a file from another machine is
 * hostile until validated. An accepted file holds only absolute,
 * NUL-free paths and a normalised image reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/portable.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portable_baseline	*pb;
	struct rt_error			 err;
	size_t				 i;

	if (portable_parse("fuzz.json", (const char *)data, size, &pb,
	    &err) < 0) {
		if (pb != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (pb->b->image_ref == NULL || pb->first_ms < 0 ||
	    pb->last_ms < 0)
		abort();
	for (i = 0; i < pb->b->n_execs; i++)
		if (pb->b->execs[i].path[0] != '/' ||
		    pb->b->execs[i].count < 0)
			abort();
	for (i = 0; i < pb->b->n_writes; i++)
		if (pb->b->writes[i].path[0] != '/')
			abort();
	for (i = 0; i < pb->b->n_syscalls; i++)
		if (pb->b->syscalls[i].nr < 0 || pb->b->syscalls[i].nr >= 512)
			abort();
	portable_baseline_free(pb);
	return 0;
}
