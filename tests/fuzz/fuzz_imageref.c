/*
 * fuzz_imageref.c: libFuzzer target for common/imageref.c (image
 * references come from the engine and from baseline files). The input is
 * "PATTERN\nREF". Normalising is idempotent, and a pattern always selects
 * its own normalised form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/imageref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_error	 err;
	char		*buf, *ref, *nl, *norm, *again;

	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	ref = buf;
	if ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		ref = nl + 1;
	}
	(void)imageref_matches(buf, ref);
	if (imageref_normalise(buf, &norm, &err) == 0) {
		if (imageref_normalise(norm, &again, &err) != 0 ||
		    strcmp(norm, again) != 0)
			abort();
		if (!imageref_matches(buf, norm) ||
		    !imageref_matches(norm, norm))
			abort();
		(void)imageref_matches(ref, norm);
		free(again);
		free(norm);
	} else if (norm != NULL)
		abort();
	free(buf);
	return 0;
}
