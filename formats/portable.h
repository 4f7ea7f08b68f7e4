/*
 * portable.h: baselines as portable JSON files (rtguard policy export and
 * import), so that a baseline learned on one machine can be enforced on
 * another (copied by hand, or shipped in a Kubernetes ConfigMap).
 *
 * Owns the file format, version 1: one JSON object,
 *   {"format": "rtguard-baseline", "version": 1, "exported": RFC3339,
 *    ...the baseline's members, baseline-json.h...,
 *    "readiness": {...}}                               (optional)
 * and its reader. Syscalls are names on "arch" (native if absent),
 * libseccomp's spelling, turned into (arch, number) on import. Of the
 * readiness, import keeps the losses and the containers watched from
 * their start: a baseline learned with records lost stays incomplete
 * wherever it goes. Paths are arbitrary bytes, written through
 * rt_escape() and read back through rt_unescape(), so they round-trip
 * exactly. A file is validated whole (unknown keys refused) before
 * anything is written to the store, and one file is imported in one
 * transaction: a bad file leaves the store as it was.
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
	struct baseline	*b;		/* image_ref, execs, syscalls, writes */
};

/*
 * Write b (and its image's id, NULL if unknown) to out as a baseline
 * file, with its readiness r unless NULL.
 */
int	portable_export(const struct baseline *b, const char *image_id,
	    const struct image_readiness *r, FILE *out, struct rt_error *err);

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
