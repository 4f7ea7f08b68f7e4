/*
 * imageref.h: container image references, normalised and matched as
 * Docker does.
 *
 * Owns the reference syntax ([domain/]path[:tag][@digest]), its normal
 * form ("nginx" -> "docker.io/library/nginx:latest") and the rule by which
 * a user's --image pattern selects a normalised reference. Which images of
 * the database a set of patterns selects is store_image_select()'s
 * question (store/store.h); this is the rule it applies to one name.
 */
#ifndef RTGUARD_IMAGEREF_H
#define RTGUARD_IMAGEREF_H

#include <stdbool.h>

#include "common/error.h"

/*
 * Normalise as Docker does: "nginx" -> "docker.io/library/nginx:latest",
 * "localhost/nginx:test" unchanged, digests kept. -EINVAL on bad syntax.
 */
int	imageref_normalise(const char *ref, char **out, struct rt_error *err);
/*
 * Whether a user's --image pattern selects a normalised ref: a full
 * reference, a repository without tag ("docker.io/library/nginx"), or a
 * short name ("nginx" matches "localhost/nginx:test").
 */
bool	imageref_matches(const char *pattern, const char *normalised_ref);

#endif
