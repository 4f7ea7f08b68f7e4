/*
 * portable.c: export a baseline to a portable JSON file and import such
 * files, merging them into the store.
 *
 * The JSON is built and parsed with jansson only. An imported file is
 * hostile input until proven otherwise: every field is type-checked and
 * range-checked into a struct portable_baseline before the first SQL
 * statement runs, and the writes of one file share one transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/imageref.h"
#include "common/json.h"
#include "common/syscallname.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "formats/baseline-json.h"
#include "formats/portable.h"

#define SYSCALL_NAME_MAX	64
#define IMAGE_ID_MAX		256
#define IMPORTED_STARTS_MAX	64	/* from-start containers carried */

/* --- export ------------------------------------------------------------ */

int
portable_export(const struct baseline *b, const char *image_id,
    const struct image_readiness *r, FILE *out, struct rt_error *err)
{
	json_t		*root;
	int		 rc = 0;

	root = json_object();
	json_object_set_new(root, "format", json_string(PORTABLE_FORMAT));
	json_object_set_new(root, "version", json_integer(PORTABLE_VERSION));
	json_object_set_new(root, "exported", rt_json_time(time_now_ms()));
	baseline_json_add(root, b, image_id);
	if (r != NULL)
		json_object_set_new(root, "readiness", baseline_json_readiness(r));

	if (json_dumpf(root, out, JSON_INDENT(2)) < 0 || fputc('\n', out) == EOF
	    || fflush(out) == EOF || ferror(out))
		rc = rt_error_sys(err, errno != 0 ? errno : EIO,
		    "writing the baseline of %s", b->image_ref);
	json_decref(root);
	return rc;
}

/* --- import: validation ------------------------------------------------ */

/* "FILE: WHERE: what is wrong", always EINVAL. */
static int __attribute__((format(printf, 3, 4)))
invalid(struct rt_error *err, const char *file, const char *fmt, ...)
{
	char	msg[768];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rt_error_set(err, EINVAL, "%s: %s", file, msg);
}

/* Reject keys this version does not define: a typo must not pass. */
static int
check_keys(json_t *o, const char *const *allowed, const char *file,
    const char *where, struct rt_error *err)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	json_object_foreach(o, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return invalid(err, file, "%s: unknown key '%s'", where,
			    k);
	}
	return 0;
}

static int
get_count(json_t *o, const char *key, int64_t *out, const char *file,
    const char *where, struct rt_error *err)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return invalid(err, file, "%s: missing '%s'", where, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return invalid(err, file, "%s: '%s' must be an integer >= 0",
		    where, key);
	*out = json_integer_value(v);
	return 0;
}

/* An escaped container path back to its bytes: absolute, no NUL. */
static int
get_path(json_t *o, char **out, const char *file, const char *where,
    struct rt_error *err)
{
	json_t	*v = json_object_get(o, "path");
	char	*p;
	size_t	 len;

	*out = NULL;
	if (!json_is_string(v))
		return invalid(err, file, "%s: 'path' must be a string", where);
	if ((p = rt_unescape(json_string_value(v), &len)) == NULL)
		return invalid(err, file, "%s: 'path' has a malformed escape "
		    "(only \\\\, \\n, \\t and \\xNN)", where);
	if (len == 0 || p[0] != '/' || len >= PATH_MAX ||
	    memchr(p, '\0', len) != NULL) {
		free(p);
		return invalid(err, file, "%s: 'path' must be an absolute path "
		    "without NUL bytes, under %d bytes", where, PATH_MAX);
	}
	*out = p;
	return 0;
}

static bool
is_sha256_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static bool
is_syscall_name(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > SYSCALL_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The names of array a, on arch, appended to b's syscalls. */
static int
parse_syscalls(json_t *a, uint32_t arch, struct baseline *b,
    const char *file, const char *where, struct rt_error *err)
{
	json_t	*v;
	size_t	 i;
	int	 nr;

	if (!json_is_array(a))
		return invalid(err, file, "'%s' must be an array", where);
	b->syscalls = xreallocarray(b->syscalls, b->n_syscalls +
	    json_array_size(a) + 1, sizeof(*b->syscalls));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !is_syscall_name(json_string_value(v)))
			return invalid(err, file, "%s[%zu]: must be a syscall "
			    "name ([a-z0-9_]+)", where, i);
		if ((nr = syscall_number(arch, json_string_value(v))) < 0)
			return invalid(err, file, "%s[%zu]: '%s' is no syscall "
			    "libseccomp knows on %s", where, i,
			    json_string_value(v), syscall_arch_name(arch));
		b->syscalls[b->n_syscalls].arch = arch;
		b->syscalls[b->n_syscalls].nr = nr;
		b->syscalls[b->n_syscalls++].first_ms = 0;
	}
	return 0;
}

/* An escaped path under key, back to its bytes (as get_path does). */
static int
get_named_path(json_t *o, const char *key, char **out, const char *file,
    const char *where, struct rt_error *err)
{
	json_t	*tmp = json_object(), *v = json_object_get(o, key);
	int	 rc;

	if (v != NULL)
		json_object_set(tmp, "path", v);
	rc = get_path(tmp, out, file, where, err);
	json_decref(tmp);
	return rc;
}

static int
parse_exec_names(json_t *a, struct baseline *b, const char *file,
    struct rt_error *err)
{
	static const char *const keys[] = { "name", "target", "count",
	    "first_seen_ms", NULL };
	struct baseline_exec_name	*en;
	json_t				*v;
	char				 where[64];
	size_t				 i;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return invalid(err, file, "'run_as' must be an array");
	b->exec_names = xcalloc(json_array_size(a) + 1, sizeof(*b->exec_names));
	json_array_foreach(a, i, v) {
		snprintf(where, sizeof(where), "run_as[%zu]", i);
		en = &b->exec_names[i];
		b->n_exec_names = i + 1;	/* so baseline_free frees it */
		if (!json_is_object(v))
			return invalid(err, file, "%s: must be an object", where);
		if (check_keys(v, keys, file, where, err) < 0 ||
		    get_named_path(v, "name", &en->name, file, where, err) < 0 ||
		    get_named_path(v, "target", &en->target, file, where,
		    err) < 0 ||
		    get_count(v, "count", &en->count, file, where, err) < 0 ||
		    get_count(v, "first_seen_ms", &en->first_ms, file, where,
		    err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Only what import keeps of the exporter's readiness: its losses. */
static int
parse_readiness(json_t *o, struct portable_baseline *pb, const char *file,
    struct rt_error *err)
{
	static const char *const keys[] = { "ready", "reasons",
	    "containers_from_start", "containers_attached_late", "audit_lost",
	    "events_lost", "last_new_fact", "quiet_period_s", NULL };

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return invalid(err, file, "'readiness' must be an object");
	if (check_keys(o, keys, file, "readiness", err) < 0 ||
	    get_count(o, "audit_lost", &pb->audit_lost, file, "readiness",
	    err) < 0 ||
	    get_count(o, "containers_from_start", &pb->containers_from_start,
	    file, "readiness", err) < 0)
		return -EINVAL;
	if (json_object_get(o, "events_lost") != NULL &&
	    get_count(o, "events_lost", &pb->events_lost, file, "readiness",
	    err) < 0)
		return -EINVAL;
	return 0;
}

static bool
is_image_id(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > IMAGE_ID_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-") == n;
}

static void
widen(struct portable_baseline *pb, int64_t first, int64_t last)
{
	if (first > 0 && (pb->first_ms == 0 || first < pb->first_ms))
		pb->first_ms = first;
	if (last > pb->last_ms)
		pb->last_ms = last;
}

static int
parse_exec(json_t *o, struct baseline_exec *e, const char *file,
    const char *where, struct rt_error *err)
{
	static const char *const keys[] = { "path", "sha256", "count",
	    "from_image", "first_seen_ms", "last_seen_ms", NULL };
	json_t	*v;

	if (!json_is_object(o))
		return invalid(err, file, "%s: must be an object", where);
	if (check_keys(o, keys, file, where, err) < 0 ||
	    get_path(o, &e->path, file, where, err) < 0 ||
	    get_count(o, "count", &e->count, file, where, err) < 0 ||
	    get_count(o, "first_seen_ms", &e->first_ms, file, where, err) < 0 ||
	    get_count(o, "last_seen_ms", &e->last_ms, file, where, err) < 0)
		return -EINVAL;
	v = json_object_get(o, "sha256");
	if (json_is_string(v) && is_sha256_hex(json_string_value(v)))
		memcpy(e->sha256, json_string_value(v), 65);
	else if (json_is_null(v))
		e->sha256[0] = '\0';
	else
		return invalid(err, file, "%s: 'sha256' must be 64 lowercase "
		    "hex digits or null", where);
	v = json_object_get(o, "from_image");
	if (!json_is_boolean(v))
		return invalid(err, file, "%s: 'from_image' must be true or "
		    "false", where);
	e->from_image = json_is_true(v);
	return 0;
}

static int
parse_write(json_t *o, struct baseline_write *w, const char *file,
    const char *where, struct rt_error *err)
{
	static const char *const keys[] = { "path", "count", "first_seen_ms",
	    "last_seen_ms", NULL };

	if (!json_is_object(o))
		return invalid(err, file, "%s: must be an object", where);
	if (check_keys(o, keys, file, where, err) < 0 ||
	    get_path(o, &w->path, file, where, err) < 0 ||
	    get_count(o, "count", &w->count, file, where, err) < 0 ||
	    get_count(o, "first_seen_ms", &w->first_ms, file, where, err) < 0 ||
	    get_count(o, "last_seen_ms", &w->last_ms, file, where, err) < 0)
		return -EINVAL;
	return 0;
}

static json_t *
get_array(json_t *root, const char *key, const char *file,
    struct rt_error *err)
{
	json_t	*a = json_object_get(root, key);

	if (!json_is_array(a)) {
		invalid(err, file, "'%s' must be an array", key);
		return NULL;
	}
	return a;
}

static int
parse_header(json_t *root, struct portable_baseline *pb, const char *file,
    struct rt_error *err)
{
	static const char *const keys[] = { "format", "version", "image",
	    "image_id", "exported", "executables", "arch", "syscalls",
	    "syscalls_by_arch", "writes", "run_as", "readiness", NULL };
	json_t	*v;
	char	*norm;

	if (!json_is_object(root))
		return invalid(err, file, "not an rtguard baseline (the top "
		    "level is not a JSON object)");
	v = json_object_get(root, "format");
	if (!json_is_string(v) ||
	    strcmp(json_string_value(v), PORTABLE_FORMAT) != 0)
		return invalid(err, file, "not an rtguard baseline ('format' is "
		    "not \"%s\")", PORTABLE_FORMAT);
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != PORTABLE_VERSION)
		return invalid(err, file, "unsupported baseline version (this "
		    "rtguard reads version %d)", PORTABLE_VERSION);
	if (check_keys(root, keys, file, "top level", err) < 0)
		return -EINVAL;
	v = json_object_get(root, "image");
	if (!json_is_string(v) ||
	    imageref_normalise(json_string_value(v), &norm, err) < 0)
		return invalid(err, file, "'image' must be an image reference");
	pb->b->image_ref = norm;
	v = json_object_get(root, "image_id");
	if (json_is_string(v) && is_image_id(json_string_value(v)))
		pb->image_id = xstrdup(json_string_value(v));
	else if (v != NULL && !json_is_null(v))
		return invalid(err, file, "'image_id' must be an image id "
		    "or null");
	v = json_object_get(root, "exported");
	if (v != NULL && !json_is_string(v))
		return invalid(err, file, "'exported' must be a time string");
	return 0;
}

static int
parse_root(json_t *root, struct portable_baseline *pb, const char *file,
    struct rt_error *err)
{
	struct baseline	*b = pb->b;
	json_t		*a, *v;
	const char	*an;
	char		 where[96];
	size_t		 i;
	uint32_t	 arch;

	if (parse_header(root, pb, file, err) < 0)
		return -EINVAL;
	/* Files without "arch" (older rtguard) were learned natively. */
	arch = syscall_arch_native();
	if ((v = json_object_get(root, "arch")) != NULL &&
	    (!json_is_string(v) ||
	    (arch = syscall_arch_by_name(json_string_value(v))) == 0))
		return invalid(err, file, "'arch' must be an architecture "
		    "name (x86_64, x86, aarch64, ...)");

	if ((a = get_array(root, "executables", file, err)) == NULL)
		return -EINVAL;
	b->execs = xcalloc(json_array_size(a) + 1, sizeof(*b->execs));
	json_array_foreach(a, i, v) {
		snprintf(where, sizeof(where), "executables[%zu]", i);
		b->n_execs = i + 1;	/* so baseline_free frees the path */
		if (parse_exec(v, &b->execs[i], file, where, err) < 0)
			return -EINVAL;
		widen(pb, b->execs[i].first_ms, b->execs[i].last_ms);
	}

	if (parse_syscalls(json_object_get(root, "syscalls"), arch, b, file,
	    "syscalls", err) < 0)
		return -EINVAL;
	if ((a = json_object_get(root, "syscalls_by_arch")) != NULL) {
		if (!json_is_object(a))
			return invalid(err, file, "'syscalls_by_arch' must be "
			    "an object");
		json_object_foreach(a, an, v) {
			snprintf(where, sizeof(where), "syscalls_by_arch.%.40s",
			    an);
			if ((arch = syscall_arch_by_name(an)) == 0)
				return invalid(err, file, "%s: unknown "
				    "architecture", where);
			if (parse_syscalls(v, arch, b, file, where, err) < 0)
				return -EINVAL;
		}
	}
	if (parse_readiness(json_object_get(root, "readiness"), pb, file,
	    err) < 0 || parse_exec_names(json_object_get(root, "run_as"), b,
	    file, err) < 0)
		return -EINVAL;

	if ((a = get_array(root, "writes", file, err)) == NULL)
		return -EINVAL;
	b->writes = xcalloc(json_array_size(a) + 1, sizeof(*b->writes));
	json_array_foreach(a, i, v) {
		snprintf(where, sizeof(where), "writes[%zu]", i);
		b->n_writes = i + 1;
		if (parse_write(v, &b->writes[i], file, where, err) < 0)
			return -EINVAL;
		widen(pb, b->writes[i].first_ms, b->writes[i].last_ms);
	}
	return 0;
}

void
portable_baseline_free(struct portable_baseline *pb)
{
	if (pb == NULL)
		return;
	baseline_free(pb->b);
	free(pb->image_id);
	free(pb->file);
	free(pb);
}

int
portable_parse(const char *name, const char *text, size_t len,
    struct portable_baseline **out, struct rt_error *err)
{
	struct portable_baseline	*pb;
	json_error_t			 jerr;
	json_t				*root;
	int				 rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return invalid(err, name, "not valid JSON (line %d, column %d: "
		    "%s); truncated or not an rtguard baseline?", jerr.line,
		    jerr.column, jerr.text);
	pb = xcalloc(1, sizeof(*pb));
	pb->file = xstrdup(name);
	pb->b = xcalloc(1, sizeof(*pb->b));
	rc = parse_root(root, pb, name, err);
	json_decref(root);
	if (rc < 0) {
		portable_baseline_free(pb);
		return rc;
	}
	*out = pb;
	return 0;
}

int
portable_read(const char *path, struct portable_baseline **out,
    struct rt_error *err)
{
	cleanup_close int	 fd = -1;
	cleanup_free char	*text = NULL;
	struct stat		 sb;
	size_t			 have = 0;
	ssize_t			 got;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return rt_error_sys(err, errno, "%s", path);
	if (fstat(fd, &sb) < 0)
		return rt_error_sys(err, errno, "%s", path);
	if (!S_ISREG(sb.st_mode) || sb.st_size > PORTABLE_MAX_FILE)
		return rt_error_set(err, EINVAL, "%s: not a regular file under "
		    "%d MiB", path, PORTABLE_MAX_FILE / (1024 * 1024));
	text = xmalloc((size_t)sb.st_size + 1);
	while (have < (size_t)sb.st_size) {
		got = read(fd, text + have, (size_t)sb.st_size - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return rt_error_sys(err, errno, "%s", path);
		if (got == 0)
			break;
		have += (size_t)got;
	}
	return portable_parse(path, text, have, out, err);
}

/* --- import: writing --------------------------------------------------- */

static int
import_facts(struct store *st, const struct portable_baseline *pb,
    struct rt_error *err)
{
	const struct baseline	*b = pb->b;
	int64_t			 key, seen, now;
	char			 id[96];
	size_t			 i;

	if (store_image_add(st, b->image_ref, pb->image_id, &key, err) < 0)
		return -EIO;
	for (i = 0; i < b->n_execs; i++)
		if (store_exec_record(st, key, &b->execs[i], err) < 0)
			return -EIO;
	/* The file keeps no time per syscall: they date from the window. */
	seen = pb->first_ms > 0 ? pb->first_ms : time_now_ms();
	for (i = 0; i < b->n_syscalls; i++)
		if (store_syscall_record(st, key, b->syscalls[i].arch,
		    b->syscalls[i].nr, seen, err) < 0)
			return -EIO;
	for (i = 0; i < b->n_writes; i++)
		if (store_write_record(st, key, &b->writes[i], err) < 0)
			return -EIO;
	for (i = 0; i < b->n_exec_names; i++)
		if (store_exec_name_record(st, key, &b->exec_names[i], err) < 0)
			return -EIO;
	if (pb->first_ms > 0 && store_image_learned(st, key, pb->first_ms,
	    pb->last_ms > pb->first_ms ? pb->last_ms : pb->first_ms,
	    pb->audit_lost, pb->events_lost, err) < 0)
		return -EIO;
	/*
	 * The exporter watched containers from their start: so did this
	 * baseline, wherever it is enforced (the readiness says so).
	 */
	now = time_now_ms();
	for (i = 0; i < (size_t)pb->containers_from_start &&
	    i < IMPORTED_STARTS_MAX; i++) {
		snprintf(id, sizeof(id), "imported:%lld:%zu",
		    (long long)pb->last_ms, i);
		if (store_container_seen(st, id, key, true, now, err) < 0)
			return -EIO;
	}
	return 0;
}

int
portable_import(struct store *st, const struct portable_baseline *pb,
    struct rt_error *err)
{
	if (store_begin(st, err) < 0)
		return rt_error_wrap(err, "%s", pb->file);
	if (import_facts(st, pb, err) < 0) {
		store_rollback(st);
		return rt_error_wrap(err, "%s", pb->file);
	}
	if (store_commit(st, err) < 0) {
		store_rollback(st);
		return rt_error_wrap(err, "%s", pb->file);
	}
	return 0;
}

int
portable_import_file(struct store *st, const char *path,
    char **image_ref_out, struct rt_error *err)
{
	struct portable_baseline	*pb;
	int				 rc;

	if (image_ref_out != NULL)
		*image_ref_out = NULL;
	if ((rc = portable_read(path, &pb, err)) < 0)
		return rc;
	rc = portable_import(st, pb, err);
	if (rc == 0 && image_ref_out != NULL)
		*image_ref_out = xstrdup(pb->b->image_ref);
	portable_baseline_free(pb);
	return rc;
}
