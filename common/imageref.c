/*
 * imageref.c: image references, normalised and matched as Docker does.
 *
 * A reference is [domain/]path[:tag][@digest]. The domain is the first
 * component when it holds a '.' or ':' or is "localhost"; otherwise it is
 * docker.io, and a one-component path gets "library/". A reference with
 * neither tag nor digest gets ":latest".
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/imageref.h"
#include "common/xmalloc.h"

static bool
valid_path_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-' || c == '/';
}

static bool
valid_tag(const char *t)
{
	size_t	n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (; *t != '\0'; t++)
		if (!isalnum((unsigned char)*t) && *t != '_' && *t != '.' &&
		    *t != '-')
			return false;
	return true;
}

/* A registry host: ASCII letters, digits, '.', '-', and an optional :port. */
static bool
valid_domain(const char *d)
{
	const char	*colon = strchr(d, ':'), *p;

	if (*d == '\0' || *d == ':')
		return false;
	for (p = d; *p != '\0' && p != colon; p++)
		if (!isascii((unsigned char)*p) ||
		    !(isalnum((unsigned char)*p) || *p == '.' || *p == '-'))
			return false;
	if (colon == NULL)
		return true;
	for (p = colon + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return colon[1] != '\0';
}

static bool
is_domain(const char *first, size_t len)
{
	return memchr(first, '.', len) != NULL ||
	    memchr(first, ':', len) != NULL ||
	    (len == 9 && memcmp(first, "localhost", 9) == 0);
}

int
imageref_normalise(const char *ref, char **out, struct rt_error *err)
{
	char		*s, *digest, *tag, *slash, *colon, *path;
	const char	*domain;
	size_t		 i;
	int		 rc;

	*out = NULL;
	if (ref == NULL || *ref == '\0' || strlen(ref) > 1024)
		return rt_error_set(err, EINVAL, "empty or overlong image reference");
	s = xstrdup(ref);
	if ((digest = strchr(s, '@')) != NULL)
		*digest++ = '\0';
	slash = strchr(s, '/');
	colon = strrchr(s, ':');
	tag = NULL;
	if (colon != NULL && (slash == NULL || colon > strrchr(s, '/'))) {
		*colon = '\0';
		tag = colon + 1;
	}
	slash = strchr(s, '/');
	if (slash != NULL && is_domain(s, slash - s)) {
		*slash = '\0';
		domain = s;
		path = slash + 1;
	} else {
		domain = "docker.io";
		path = s;
	}
	if (*path == '\0' || path[0] == '/' || path[strlen(path) - 1] == '/' ||
	    !valid_domain(domain))
		goto bad;
	for (i = 0; path[i] != '\0'; i++)
		if (!valid_path_char((unsigned char)path[i]))
			goto bad;
	if (tag != NULL && !valid_tag(tag))
		goto bad;
	if (digest != NULL && strncmp(digest, "sha256:", 7) != 0)
		goto bad;
	*out = xasprintf("%s/%s%s%s%s%s%s", domain,
	    strcmp(domain, "docker.io") == 0 && strchr(path, '/') == NULL ?
	    "library/" : "", path,
	    tag != NULL || digest == NULL ? ":" : "",
	    tag != NULL ? tag : (digest == NULL ? "latest" : ""),
	    digest != NULL ? "@" : "", digest != NULL ? digest : "");
	free(s);
	/* The normalised form must itself be a valid reference. */
	if (strlen(*out) > 1024) {
		free(*out);
		*out = NULL;
		return rt_error_set(err, EINVAL, "image reference too long "
		    "once normalised");
	}
	return 0;
bad:
	free(s);
	s = rt_escape_str(ref);	/* it may hold any bytes */
	rc = rt_error_set(err, EINVAL, "'%s' is not a valid image reference "
	    "(expected [registry/]name[:tag], lower case)", s);
	free(s);
	return rc;
}

/* Length of the repository part of a normalised ref (before ":tag" / "@"). */
static size_t
repo_len(const char *ref)
{
	const char	*at = strchr(ref, '@'), *slash, *colon;
	size_t		 n = at != NULL ? (size_t)(at - ref) : strlen(ref);

	slash = memrchr(ref, '/', n);
	colon = memrchr(ref, ':', n);
	if (colon != NULL && (slash == NULL || colon > slash))
		n = colon - ref;
	return n;
}

bool
imageref_matches(const char *pattern, const char *ref)
{
	struct rt_error	 err;
	char		*norm = NULL;
	const char	*last, *tag;
	size_t		 rlen, plen;
	bool		 m = false;

	if (pattern == NULL || ref == NULL)
		return false;
	if (strcmp(pattern, ref) == 0)
		return true;
	rlen = repo_len(ref);
	plen = strlen(pattern);
	/* A repository without tag, as given or once normalised. */
	if (plen == rlen && memcmp(pattern, ref, rlen) == 0)
		return true;
	if (imageref_normalise(pattern, &norm, &err) == 0) {
		if (strcmp(norm, ref) == 0)
			m = true;
		else if (strchr(pattern, ':') == NULL &&
		    strchr(pattern, '@') == NULL &&
		    repo_len(norm) == rlen && memcmp(norm, ref, rlen) == 0)
			m = true;
		free(norm);
		if (m)
			return true;
	}
	/* A short name: "nginx" or "nginx:test" against the last component. */
	if (strchr(pattern, '/') != NULL)
		return false;
	last = memrchr(ref, '/', rlen);
	last = last != NULL ? last + 1 : ref;
	tag = strchr(pattern, ':');
	if (tag == NULL)
		return (size_t)(ref + rlen - last) == plen &&
		    memcmp(last, pattern, plen) == 0;
	return strncmp(last, pattern, plen) == 0 &&
	    (last[plen] == '\0' || last[plen] == '@');
}
