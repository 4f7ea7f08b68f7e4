/*
 * policy.c: parse policy files and answer the enforcer's questions.
 *
 * A file is lines of "keyword arguments"; '#' starts a comment. Rules
 * before any "[image PATTERN]" header are global; rules after one apply to
 * the images that PATTERN selects (as --image does). Keywords:
 *   protect DIR...        the protected directories (global; replaces them)
 *   mode learn|monitor|protect
 *   allow-exec REGEX      deny-exec REGEX
 *   allow-write REGEX     deny-write REGEX
 *   writable PATH...      bound back writable in protect mode
 * Regexes are libpcre2, matched against the path inside the container.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/imageref.h"
#include "common/xmalloc.h"
#include "policies/policy.h"

#define POLICY_MAX_FILE		(1024 * 1024)
#define POLICY_MAX_DIRS		64

enum rule_kind { R_ALLOW_EXEC, R_DENY_EXEC, R_ALLOW_WRITE, R_DENY_WRITE };

struct rule {
	enum rule_kind	 kind;
	char		*image;		/* NULL: every image */
	pcre2_code	*re;
};

struct mode_rule {
	char		*image;		/* NULL: the default mode */
	enum policy_mode mode;
};

struct writable {
	char		*image;		/* NULL: every image */
	char		*path;
};

struct policy {
	char		*protected[POLICY_MAX_DIRS + 1];
	struct writable	*writable;
	size_t		 n_writable;
	struct rule	*rules;
	size_t		 n_rules;
	struct mode_rule *modes;
	size_t		 n_modes;
};

static const char *default_protected[] = {
	"/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc", NULL
};

struct policy *
policy_default(void)
{
	struct policy	*p = xcalloc(1, sizeof(*p));
	size_t		 i;

	for (i = 0; default_protected[i] != NULL; i++)
		p->protected[i] = xstrdup(default_protected[i]);
	p->modes = xcalloc(1, sizeof(*p->modes));
	p->modes[0].mode = POLICY_MODE_PROTECT;
	p->n_modes = 1;
	return p;
}

void
policy_free(struct policy *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; p->protected[i] != NULL; i++)
		free(p->protected[i]);
	for (i = 0; i < p->n_rules; i++) {
		free(p->rules[i].image);
		pcre2_code_free(p->rules[i].re);
	}
	for (i = 0; i < p->n_modes; i++)
		free(p->modes[i].image);
	for (i = 0; i < p->n_writable; i++) {
		free(p->writable[i].image);
		free(p->writable[i].path);
	}
	free(p->writable);
	free(p->rules);
	free(p->modes);
	free(p);
}

const char *
policy_mode_name(enum policy_mode m)
{
	switch (m) {
	case POLICY_MODE_LEARN:
		return "learn";
	case POLICY_MODE_MONITOR:
		return "monitor";
	default:
		return "protect";
	}
}

/* Split off the next whitespace-separated word of *s; NULL at the end. */
static char *
next_word(char **s)
{
	char	*w;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	if (**s == '\0')
		return NULL;
	w = *s;
	while (**s != '\0' && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s != '\0')
		*(*s)++ = '\0';
	return w;
}

static int
parse_line(struct policy *p, char *line, char **section, const char *where,
    struct rt_error *err)
{
	char		*kw, *arg, *rest, *end;
	struct rule	 r;
	int		 errcode;
	PCRE2_SIZE	 erroff;
	PCRE2_UCHAR	 emsg[256];
	size_t		 n;

	if (line[0] == '[') {
		end = strrchr(line, ']');
		if (end == NULL || end[1] != '\0')
			return rt_error_set(err, EINVAL, "%s: section header "
			    "needs a closing ']'", where);
		*end = '\0';
		rest = line + 1;
		kw = next_word(&rest);
		if (kw != NULL && strcmp(kw, "global") == 0 &&
		    next_word(&rest) == NULL) {
			free(*section);
			*section = NULL;
			return 0;
		}
		if (kw == NULL || strcmp(kw, "image") != 0 ||
		    (arg = next_word(&rest)) == NULL || next_word(&rest) != NULL)
			return rt_error_set(err, EINVAL, "%s: expected "
			    "'[image PATTERN]' or '[global]'", where);
		free(*section);
		*section = xstrdup(arg);
		return 0;
	}
	rest = line;
	kw = next_word(&rest);
	if (strcmp(kw, "protect") == 0) {
		if (*section != NULL)
			return rt_error_set(err, EINVAL, "%s: 'protect' is "
			    "global; move it before any [image] section", where);
		for (n = 0; p->protected[n] != NULL; n++)
			free(p->protected[n]);
		memset(p->protected, 0, sizeof(p->protected));
		n = 0;
		while ((arg = next_word(&rest)) != NULL) {
			if (arg[0] != '/' || strstr(arg, "/../") != NULL)
				return rt_error_set(err, EINVAL, "%s: '%s' is "
				    "not an absolute directory", where, arg);
			if (n == POLICY_MAX_DIRS)
				return rt_error_set(err, E2BIG, "%s: more than "
				    "%d protected directories", where,
				    POLICY_MAX_DIRS);
			end = arg + strlen(arg);
			while (end > arg + 1 && end[-1] == '/')
				*--end = '\0';
			p->protected[n++] = xstrdup(arg);
		}
		return 0;
	}
	if (strcmp(kw, "writable") == 0) {
		n = 0;
		while ((arg = next_word(&rest)) != NULL) {
			if (arg[0] != '/' || strstr(arg, "/../") != NULL ||
			    strcmp(arg, "/") == 0)
				return rt_error_set(err, EINVAL, "%s: '%s' is "
				    "not an absolute path below /", where, arg);
			end = arg + strlen(arg);
			while (end > arg + 1 && end[-1] == '/')
				*--end = '\0';
			p->writable = xreallocarray(p->writable,
			    p->n_writable + 1, sizeof(*p->writable));
			p->writable[p->n_writable].image = *section ?
			    xstrdup(*section) : NULL;
			p->writable[p->n_writable++].path = xstrdup(arg);
			n++;
		}
		if (n == 0)
			return rt_error_set(err, EINVAL, "%s: 'writable' needs "
			    "at least one path", where);
		return 0;
	}
	if (strcmp(kw, "mode") == 0) {
		enum policy_mode m;

		arg = next_word(&rest);
		if (arg == NULL || next_word(&rest) != NULL)
			return rt_error_set(err, EINVAL, "%s: 'mode' takes "
			    "one of learn, monitor, protect", where);
		if (strcmp(arg, "learn") == 0)
			m = POLICY_MODE_LEARN;
		else if (strcmp(arg, "monitor") == 0)
			m = POLICY_MODE_MONITOR;
		else if (strcmp(arg, "protect") == 0)
			m = POLICY_MODE_PROTECT;
		else
			return rt_error_set(err, EINVAL, "%s: unknown mode "
			    "'%s' (learn, monitor or protect)", where, arg);
		p->modes = xreallocarray(p->modes, p->n_modes + 1,
		    sizeof(*p->modes));
		p->modes[p->n_modes].image = *section ? xstrdup(*section) : NULL;
		p->modes[p->n_modes++].mode = m;
		return 0;
	}
	if (strcmp(kw, "allow-exec") == 0)
		r.kind = R_ALLOW_EXEC;
	else if (strcmp(kw, "deny-exec") == 0)
		r.kind = R_DENY_EXEC;
	else if (strcmp(kw, "allow-write") == 0)
		r.kind = R_ALLOW_WRITE;
	else if (strcmp(kw, "deny-write") == 0)
		r.kind = R_DENY_WRITE;
	else
		return rt_error_set(err, EINVAL, "%s: unknown keyword '%s' "
		    "(protect, writable, mode, allow-exec, deny-exec, "
		    "allow-write, deny-write, [image PATTERN])", where, kw);
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '\0')
		return rt_error_set(err, EINVAL, "%s: '%s' needs a regular "
		    "expression", where, kw);
	r.re = pcre2_compile((PCRE2_SPTR)rest, PCRE2_ZERO_TERMINATED,
	    PCRE2_NEVER_UTF, &errcode, &erroff, NULL);
	if (r.re == NULL) {
		pcre2_get_error_message(errcode, emsg, sizeof(emsg));
		return rt_error_set(err, EINVAL, "%s: bad regular expression "
		    "at offset %zu: %s", where, (size_t)erroff, (char *)emsg);
	}
	(void)pcre2_jit_compile(r.re, PCRE2_JIT_COMPLETE);
	r.image = *section ? xstrdup(*section) : NULL;
	p->rules = xreallocarray(p->rules, p->n_rules + 1, sizeof(*p->rules));
	p->rules[p->n_rules++] = r;
	return 0;
}

int
policy_parse(struct policy *p, const char *name, const char *text,
    size_t len, struct rt_error *err)
{
	char		*buf, *line, *nl, *hash, *end, where[512];
	char		*section = NULL;
	unsigned	 lineno = 0;
	int		 rc = 0;

	if (memchr(text, '\0', len) != NULL)
		return rt_error_set(err, EINVAL, "%s: holds a NUL byte; not a "
		    "policy file", name);
	buf = xstrndup(text, len);
	for (line = buf; line != NULL && rc == 0; line = nl) {
		lineno++;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		/* '#' comments only at the start of a line or after a blank:
		 * a regex may hold '#'. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
				*hash = '\0';
				break;
			}
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		rc = parse_line(p, line, &section, where, err);
	}
	free(section);
	free(buf);
	return rc;
}

static int
conf_filter(const struct dirent *d)
{
	size_t	n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".conf") == 0;
}

int
policy_load_dir(const char *dir, struct policy **out, struct rt_error *err)
{
	struct dirent	**names;
	struct policy	 *p;
	struct stat	  st;
	char		 *path, *text;
	int		  n, i, fd, rc = 0;
	ssize_t		  got;

	*out = NULL;
	p = policy_default();
	n = scandir(dir, &names, conf_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT) {
			*out = p;
			return 0;
		}
		policy_free(p);
		return rt_error_sys(err, errno, "policy directory %s", dir);
	}
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]->d_name);
		fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		if (rc == 0 && fd < 0)
			rc = rt_error_sys(err, errno, "%s", path);
		else if (rc == 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)
		    || st.st_size > POLICY_MAX_FILE))
			rc = rt_error_set(err, EINVAL, "%s: not a regular file "
			    "under 1 MiB", path);
		else if (rc == 0) {
			text = xmalloc(st.st_size + 1);
			got = read(fd, text, st.st_size);
			if (got < 0)
				rc = rt_error_sys(err, errno, "%s", path);
			else
				rc = policy_parse(p, path, text, got, err);
			free(text);
		}
		if (fd >= 0)
			close(fd);
		free(path);
		free(names[i]);
	}
	free(names);
	if (rc < 0) {
		policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

const char *const *
policy_protected(const struct policy *p)
{
	return (const char *const *)p->protected;
}

bool
policy_is_protected(const struct policy *p, const char *path)
{
	size_t	i, n;

	for (i = 0; p->protected[i] != NULL; i++) {
		n = strlen(p->protected[i]);
		if (strncmp(path, p->protected[i], n) == 0 &&
		    (path[n] == '/' || path[n] == '\0' || n == 1))
			return true;
	}
	return false;
}

size_t
policy_writable(const struct policy *p, const char *image_ref,
    const char ***out)
{
	const char	**v;
	size_t		  i, n = 0;

	v = xcalloc(p->n_writable + 1, sizeof(*v));
	for (i = 0; i < p->n_writable; i++)
		if (p->writable[i].image == NULL ||
		    imageref_matches(p->writable[i].image, image_ref))
			v[n++] = p->writable[i].path;
	*out = v;
	return n;
}

enum policy_mode
policy_mode(const struct policy *p, const char *image_ref)
{
	enum policy_mode	m = POLICY_MODE_PROTECT;
	size_t			i;

	/* The last matching line wins, files read in name order. */
	for (i = 0; i < p->n_modes; i++)
		if (p->modes[i].image == NULL ||
		    imageref_matches(p->modes[i].image, image_ref))
			m = p->modes[i].mode;
	return m;
}

static enum policy_verdict
check(const struct policy *p, const char *image_ref, const char *path,
    enum rule_kind allow, enum rule_kind deny)
{
	enum policy_verdict	 v = POLICY_NONE;
	pcre2_match_data	*md;
	size_t			 i;

	md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return POLICY_NONE;
	for (i = 0; i < p->n_rules && v != POLICY_DENY; i++) {
		if (p->rules[i].kind != allow && p->rules[i].kind != deny)
			continue;
		if (p->rules[i].image != NULL &&
		    !imageref_matches(p->rules[i].image, image_ref))
			continue;
		if (pcre2_match(p->rules[i].re, (PCRE2_SPTR)path,
		    PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) >= 0)
			v = p->rules[i].kind == deny ? POLICY_DENY : POLICY_ALLOW;
	}
	pcre2_match_data_free(md);
	return v;
}

enum policy_verdict
policy_check_exec(const struct policy *p, const char *image_ref,
    const char *path)
{
	return check(p, image_ref, path, R_ALLOW_EXEC, R_DENY_EXEC);
}

enum policy_verdict
policy_check_write(const struct policy *p, const char *image_ref,
    const char *path)
{
	return check(p, image_ref, path, R_ALLOW_WRITE, R_DENY_WRITE);
}
