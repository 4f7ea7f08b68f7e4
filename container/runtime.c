/*
 * runtime.c: rtguard-runc, the runtime wrapper (see runtime.h).
 *
 * It runs in front of every runc call an engine makes (create, start,
 * state, kill, delete, exec...), so it does nothing but look at its
 * arguments unless they create a container, and links only jansson.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "container/ocihook.h"
#include "container/runtime.h"

/* --- runc's command line ------------------------------------------------- */

/*
 * runc parses with Go's flag package (urfave/cli): "-name" or "--name",
 * a value as "-name=V" or as the next argument for non-boolean flags, and
 * flags may follow the container id. These are runc 1.1's flags that take
 * a value, global and of create, run and restore; any other is boolean.
 */
static const char *const global_value_flags[] = {
	"log", "log-format", "root", "criu", "rootless", NULL
};
static const char *const create_value_flags[] = {
	"bundle", "b", "console-socket", "pid-file", "preserve-fds",
	"image-path", "work-dir", "parent-path", "manage-cgroups-mode",
	"empty-ns", "lsm-profile", "lsm-mount-context", NULL
};

/* The flag's name in arg ("--root=x" -> "root", length 4), or NULL. */
static const char *
flag_name(const char *arg, size_t *len, const char **value)
{
	const char	*eq;

	if (arg[0] != '-' || arg[1] == '\0')
		return NULL;	/* an operand, or "-" */
	arg += arg[1] == '-' ? 2 : 1;
	if ((eq = strchr(arg, '=')) != NULL) {
		*len = (size_t)(eq - arg);
		*value = eq + 1;
	} else {
		*len = strlen(arg);
		*value = NULL;
	}
	return arg;
}

static bool
flag_in(const char *name, size_t len, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strlen(*set) == len && strncmp(*set, name, len) == 0)
			return true;
	return false;
}

const char *
runtime_create_bundle(char *const *args)
{
	const char	*name, *value, *bundle = ".";
	size_t		 i, len;

	/* Global flags, up to the command. */
	for (i = 0; args[i] != NULL; i++) {
		if (strcmp(args[i], "--") == 0) {
			i++;
			break;
		}
		if ((name = flag_name(args[i], &len, &value)) == NULL)
			break;
		if (value == NULL && flag_in(name, len, global_value_flags) &&
		    args[i + 1] != NULL)
			i++;
	}
	if (args[i] == NULL || (strcmp(args[i], "create") != 0 &&
	    strcmp(args[i], "run") != 0 && strcmp(args[i], "restore") != 0))
		return NULL;
	/* The command's flags, before or after the container id. */
	for (i++; args[i] != NULL && strcmp(args[i], "--") != 0; i++) {
		if ((name = flag_name(args[i], &len, &value)) == NULL)
			continue;
		if (value == NULL && flag_in(name, len, create_value_flags)) {
			if (args[i + 1] == NULL)
				break;
			value = args[++i];
		}
		if (value != NULL && ((len == 6 && strncmp(name, "bundle",
		    6) == 0) || (len == 1 && name[0] == 'b')))
			bundle = value;	/* the last one counts, as in Go */
	}
	return bundle[0] != '\0' ? bundle : ".";
}

/* --- the bundle's config.json -------------------------------------------- */

/* An rtguard hook: args "rtguard" "hook", whoever installed it. */
static bool
is_rtguard_hook(json_t *h)
{
	json_t	*args = json_object_get(h, "args");
	const char *a0, *a1;

	a0 = json_string_value(json_array_get(args, 0));
	a1 = json_string_value(json_array_get(args, 1));
	return a0 != NULL && a1 != NULL && strcmp(a0, "rtguard") == 0 &&
	    strcmp(a1, "hook") == 0;
}

/* Whether text has a line break before its last token: indented JSON. */
static bool
is_indented(const char *text, size_t len)
{
	const char	*nl;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	    text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	nl = memchr(text, '\n', len);
	return nl != NULL;
}

int
runtime_config_add_hook(const char *config, size_t len, const char *hook_path,
    const char *sockets, char **out, struct rt_error *err)
{
	json_error_t	 je;
	json_t		*cfg, *hooks, *cr, *h;
	char		*env, *s;
	size_t		 i, flags;

	*out = NULL;
	/*
	 * JSON_ALLOW_NUL keeps "\u0000" in strings as it was. Integers
	 * beyond int64 (a seccomp argument of 2^64-1) do not parse: then
	 * the file is left alone rather than rewritten differently.
	 */
	if ((cfg = json_loadb(config, len, JSON_ALLOW_NUL, &je)) == NULL)
		return rt_error_set(err, EPROTO, "config.json: line %d: %s",
		    je.line, je.text);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return rt_error_set(err, EPROTO, "config.json: not an object");
	}
	hooks = json_object_get(cfg, "hooks");
	if (hooks == NULL || json_is_null(hooks)) {
		hooks = json_object();
		json_object_set_new(cfg, "hooks", hooks);
	}
	cr = json_object_get(hooks, "createRuntime");
	if (json_is_object(hooks) && (cr == NULL || json_is_null(cr))) {
		cr = json_array();
		json_object_set_new(hooks, "createRuntime", cr);
	}
	if (!json_is_array(cr)) {
		json_decref(cfg);
		return rt_error_set(err, EPROTO, "config.json: \"hooks\" or "
		    "\"hooks.createRuntime\" has an unexpected type");
	}
	json_array_foreach(cr, i, h)
		if (is_rtguard_hook(h)) {
			json_decref(cfg);
			return 1;
		}
	/*
	 * Last of the createRuntime hooks: another hook (a GPU's) may still
	 * add mounts, and rtguard's mount helper should see them all.
	 */
	h = json_pack("{s:s, s:[s,s], s:i}", "path", hook_path, "args",
	    "rtguard", "hook", "timeout", OCIHOOK_TIMEOUT_S + 5);
	if (sockets != NULL) {
		env = xasprintf("RTGUARD_HOOK_SOCKETS=%s", sockets);
		json_object_set_new(h, "env", json_pack("[s]", env));
		free(env);
	}
	json_array_append_new(cr, h);
	flags = JSON_PRESERVE_ORDER;
	flags |= is_indented(config, len) ? JSON_INDENT(2) : JSON_COMPACT;
	s = json_dumps(cfg, flags);
	json_decref(cfg);
	if (s == NULL)
		return rt_error_set(err, EPROTO, "config.json: cannot be "
		    "written back");
	*out = s;
	return 0;
}

static int
read_all(int fd, size_t size, char **out, struct rt_error *err)
{
	char	*buf;
	size_t	 got = 0;
	ssize_t	 r;

	buf = xmalloc(size + 1);
	while (got < size) {
		if ((r = read(fd, buf + got, size - got)) < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return rt_error_sys(err, errno, "config.json");
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (got != size) {
		free(buf);
		return rt_error_set(err, EAGAIN, "config.json changed while "
		    "it was read");
	}
	*out = buf;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Write text (and a final newline if nl) to a new file in the bundle with
 * st's mode and owner, and rename it over config.json.
 */
static int
replace_config(int dfd, const char *bundle, const char *text, bool nl,
    const struct stat *st, struct rt_error *err)
{
	char	tmp[64];
	int	fd, rc = 0;

	snprintf(tmp, sizeof(tmp), ".config.json.rtguard-%d", (int)getpid());
	(void)unlinkat(dfd, tmp, 0);	/* a crashed run of this pid's */
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return rt_error_sys(err, errno, "%s/%s", bundle, tmp);
	if ((rc = write_all(fd, text, strlen(text))) == 0 && nl)
		rc = write_all(fd, "\n", 1);
	if (rc == 0 && fchmod(fd, st->st_mode & 07777) < 0)
		rc = -errno;
	if (rc == 0 && fchown(fd, st->st_uid, st->st_gid) < 0 &&
	    errno != EPERM)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dfd, tmp, dfd, "config.json") < 0)
		rc = -errno;
	if (rc < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return rt_error_sys(err, -rc, "%s/config.json: replacing it",
		    bundle);
	}
	return 0;
}

int
runtime_bundle_add_hook(const char *bundle, const char *hook_path,
    const char *sockets, struct rt_error *err)
{
	cleanup_close int	 dfd = -1, fd = -1;
	cleanup_free char	*old = NULL, *new = NULL;
	struct stat		 st;
	size_t			 len;
	int			 rc;

	if ((dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rt_error_sys(err, errno, "bundle %s", bundle);
	if ((fd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return rt_error_sys(err, errno, "%s/config.json", bundle);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > RUNTIME_CONFIG_MAX)
		return rt_error_set(err, EINVAL, "%s/config.json: not a "
		    "regular file of 1 to %d bytes", bundle, RUNTIME_CONFIG_MAX);
	len = (size_t)st.st_size;
	if (read_all(fd, len, &old, err) < 0 ||
	    (rc = runtime_config_add_hook(old, len, hook_path, sockets, &new,
	    err)) < 0)
		return rt_error_wrap(err, "%s", bundle);
	if (rc == 1)
		return 0;	/* there already */
	return replace_config(dfd, bundle, new, old[len - 1] == '\n', &st,
	    err);
}

/* --- becoming runc --------------------------------------------------------- */

static bool
same_file(const char *a, const char *b)
{
	struct stat	sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
runtime_find_runc(const char *path, char *out, size_t size,
    struct rt_error *err)
{
	static const char *const defaults[] = {
		"/usr/bin/runc", "/usr/sbin/runc", NULL
	};
	const char *const	*p;

	if (path != NULL) {
		if (path[0] != '/' || access(path, X_OK) < 0)
			return rt_error_set(err, ENOENT, "runtime %s: not an "
			    "absolute path to an executable", path);
		if (same_file(path, "/proc/self/exe"))
			return rt_error_set(err, ELOOP, "runtime %s: that is "
			    "%s itself", path, RUNTIME_WRAPPER_NAME);
		snprintf(out, size, "%s", path);
		return 0;
	}
	for (p = defaults; *p != NULL; p++)
		if (access(*p, X_OK) == 0 && !same_file(*p, "/proc/self/exe")) {
			snprintf(out, size, "%s", *p);
			return 0;
		}
	return rt_error_set(err, ENOENT, "no runc in /usr/bin or /usr/sbin "
	    "(not counting %s itself): name one with $RTGUARD_RUNC or "
	    "--runtime", RUNTIME_WRAPPER_NAME);
}

int
runtime_exec(const char *runc, char *const *args, const char *hook_path,
    const char *sockets, struct rt_error *err)
{
	struct rt_error	 e2;
	const char	*bundle;
	char		**argv;
	size_t		 n;

	if (hook_path != NULL && (bundle = runtime_create_bundle(args)) !=
	    NULL && runtime_bundle_add_hook(bundle, hook_path, sockets,
	    &e2) < 0)
		log_warnx("%s; the container starts without rtguard's hook "
		    "(rtguard attaches when the engine reports it started)",
		    e2.msg);
	for (n = 0; args[n] != NULL; n++)
		;
	argv = xcalloc(n + 2, sizeof(*argv));
	argv[0] = (char *)runc;
	memcpy(argv + 1, args, n * sizeof(*argv));
	execv(runc, argv);
	free(argv);
	return rt_error_sys(err, errno, "exec %s", runc);
}
