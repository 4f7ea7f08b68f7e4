/*
 * portable.h: baselines as portable JSON files (rtguard policy export and
 * import), so that a baseline learned on one machine can be enforced on
 * another (copied by hand, or shipped in a Kubernetes ConfigMap).
 *
 * Owns the file format, version 1:
 *   {"format":"rtguard-baseline","version":1,"image":REF,"image_id":ID|null,
 *    "exported":RFC3339,
 *    "executables":[{"path":P,"sha256":HEX|null,"count":N,"from_image":B,
 *                    "first_seen_ms":N,"last_seen_ms":N}],
 *    "arch":"x86_64", "syscalls":["read",...],
 *    "syscalls_by_arch":{"x86":["read",...]},          (optional)
 *    "writes":[{"path":P,"count":N,"first_seen_ms":N,"last_seen_ms":N}],
 *    "run_as":[{"name":P,"target":P,"count":N,"first_seen_ms":N}], (optional)
 *    "readiness":{"ready":B,"reasons":[S],"containers_from_start":N,
 *                 "containers_attached_late":N,"audit_lost":N,
 *                 "events_lost":N,"last_new_fact":RFC3339|null,
 *                 "quiet_period_s":N}}                    (optional)
 * Syscalls are names on "arch" (native if absent), libseccomp's spelling,
 * turned into numbers on import. Of the readiness, import keeps the losses
 * and the containers watched from their start: a baseline learned with
 * records lost stays incomplete wherever it goes.
 * Paths are arbitrary bytes, written through rt_escape() and read back
 * through rt_unescape(), so they round-trip exactly. A file is validated
 * whole before anything is written to the store, and one file is imported
 * in one transaction: a bad file leaves the store as it was.
 */
#ifndef RTGUARD_PORTABLE_H
#define RTGUARD_PORTABLE_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "store/store.h"

#define PORTABLE_FORMAT		"rtguard-baseline"
#define PORTABLE_VERSION	1
#define PORTABLE_MAX_FILE	(64 * 1024 * 1024)

/* A validated baseline file, ready to import. */
struct portable_baseline {
	char		*file;		/* where it was read from */
	char		*image_id;	/* may be NULL */
	int64_t		 first_ms, last_ms;	/* window of its facts, 0 if none */
	int64_t		 audit_lost, events_lost, containers_from_start;
	struct baseline	 b;		/* image_ref, execs, syscalls, writes */
};

/*
 * Select the one image of the store that pattern (as --image) names: an
 * exact reference wins; otherwise exactly one image must match, and the
 * error lists the candidates when several do. *ref_out is allocated.
 */
int	portable_image_select(struct store *st, const char *pattern,
	    int64_t *key, char **ref_out, struct rt_error *err);

/* A baseline's readiness as the JSON object above (report uses it too). */
struct json_t;
struct json_t *portable_readiness_json(const struct image_readiness *r);
/*
 * A baseline's syscalls by name: those of arch as an array (returned),
 * the others in *by_arch (an object of arrays keyed by arch name), or
 * NULL when there are none.
 */
struct json_t *portable_syscalls_json(const struct baseline *b,
	    uint32_t arch, struct json_t **by_arch);
/* [{"name":P,"target":P,"count":N,"first_seen_ms":N}] */
struct json_t *portable_exec_names_json(const struct baseline *b);

/* Write the baseline of the image pattern selects to out as JSON. */
int	portable_export(struct store *st, const char *image_pattern, FILE *out,
	    struct rt_error *err);

/*
 * Read and validate one file; errors are "FILE: what is wrong". Nothing
 * touches the store.
 */
int	portable_read(const char *path, struct portable_baseline **out,
	    struct rt_error *err);
/* Same, from a buffer; name is used in messages (for tests, the fuzzer). */
int	portable_parse(const char *name, const char *text, size_t len,
	    struct portable_baseline **out, struct rt_error *err);
void	portable_baseline_free(struct portable_baseline *pb);

/*
 * Merge a validated baseline into the store in one transaction (counts
 * add, the learning window widens); rolled back whole on error.
 */
int	portable_import(struct store *st, const struct portable_baseline *pb,
	    struct rt_error *err);

/* portable_read + portable_import; *image_ref_out (allocated) may be NULL. */
int	portable_import_file(struct store *st, const char *path,
	    char **image_ref_out, struct rt_error *err);

#endif
