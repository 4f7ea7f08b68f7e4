/*
 * auditrec.h: the text of kernel audit records, parsed.
 *
 * The kernel writes "audit(SECONDS.MS:SERIAL): key=value key=value ...".
 * Values are bare numbers, "quoted" strings, or hex-encoded bytes (the
 * kernel hex-encodes any string holding a space, a quote, a control byte
 * or a byte above 0x7e), so a value never holds a blank. These functions
 * are pure, bounded and total: any input gives an answer or -EINVAL, never
 * a crash (they are fuzzed in tests/fuzz/).
 */
#ifndef RTGUARD_AUDITREC_H
#define RTGUARD_AUDITREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The serial number of "audit(...:SERIAL): ...". */
int	auditrec_serial(const char *msg, size_t len, uint64_t *serial);
/* The raw value of key (pointer into msg), or NULL. */
const char *auditrec_field(const char *msg, size_t len, const char *key,
	    size_t *vlen);
/* A numeric field (decimal, or hex when base is 16). */
int	auditrec_number(const char *msg, size_t len, const char *key, int base,
	    uint64_t *out);
/*
 * A string field decoded to its bytes: "quoted" or HEX. Returns a new
 * NUL-terminated buffer and its length, or NULL if absent, "(null)" or
 * malformed.
 */
char	*auditrec_string(const char *msg, size_t len, const char *key,
	    size_t *outlen);

#endif
