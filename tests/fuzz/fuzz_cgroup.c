/*
 * fuzz_cgroup.c: libFuzzer target for container/cgroup.c, the parser of
 * /proc/<pid>/cgroup text (a container names its own cgroup paths in
 * nested setups). A found id is always 64 lower-case hex digits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	id[CONTAINER_ID_LEN + 1];
	int	rc;

	memset(id, 'X', sizeof(id));
	rc = cgroup_parse_container_id((const char *)data, size, id);
	if (rc == 0) {
		if (strlen(id) != CONTAINER_ID_LEN ||
		    strspn(id, "0123456789abcdef") != CONTAINER_ID_LEN)
			abort();
	} else if (rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM)
		abort();
	return 0;
}
