/*
 * cmd-policy.c: `rtguard policy export|import`, baselines that move
 * between machines, and baselines as OCI seccomp profiles.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "formats/portable.h"
#include "formats/seccomp.h"
#include "store/store.h"

enum { OPT_IMAGE = 'i', OPT_FORMAT = 'f', OPT_OUTPUT = 'o',
	OPT_FORCE = 0x2001 };

enum policy_format { FORMAT_RTGUARD, FORMAT_SECCOMP };

struct policy_args {
	const char		*image;
	const char		*output;
	enum policy_format	 format;
	bool			 force;
};

static const struct option policy_options[] = {
	{ "image",	required_argument, NULL, OPT_IMAGE },
	{ "format",	required_argument, NULL, OPT_FORMAT },
	{ "output",	required_argument, NULL, OPT_OUTPUT },
	{ "force",	no_argument,	   NULL, OPT_FORCE },
	{ NULL, 0, NULL, 0 }
};

static int
policy_option(int opt, const char *optarg, void *arg, struct rt_error *err)
{
	struct policy_args	*a = arg;

	switch (opt) {
	case OPT_IMAGE:
		a->image = optarg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(optarg, "rtguard") == 0)
			a->format = FORMAT_RTGUARD;
		else if (strcmp(optarg, "seccomp") == 0)
			a->format = FORMAT_SECCOMP;
		else
			return cmd_usage_error(err, "--format: '%s' is not "
			    "rtguard or seccomp", optarg);
		return 0;
	case OPT_OUTPUT:
		a->output = optarg;
		return 0;
	case OPT_FORCE:
		a->force = true;
		return 0;
	}
	return cmd_usage_error(err, "unexpected option");
}

/*
 * A profile learned without a container start lacks what the application
 * does before it serves (socket, bind, mkdir, chown...): it would stop a
 * fresh container at its entrypoint. Refused unless --force; other
 * reasons the baseline is not ready only warn.
 */
static int
seccomp_check(const struct image_readiness *r, const char *ref, bool force,
    struct rt_error *err)
{
	char	lines[8][200];
	size_t	n, i;

	if ((r->reasons & READINESS_NO_START) && !force)
		return rt_error_set(err, EAGAIN, "%s: no container start was "
		    "observed while learning, so the profile lacks the "
		    "syscalls of the application's startup and would stop a "
		    "fresh container; learn again while starting one, or "
		    "export with --force", ref);
	n = image_readiness_reasons(r, lines, 8);
	for (i = 0; i < n; i++)
		log_warnx("%s: baseline not ready: %s", ref, lines[i]);
	return 0;
}

static int
export_to(struct store *st, const struct policy_args *a, FILE *out,
    struct rt_error *err)
{
	struct image_info	*im;
	struct image_readiness	 r;
	struct baseline		*b;
	size_t			 n;
	int			 rc;

	if ((rc = store_image_select(st, &a->image, 1,
	    STORE_SELECT_EXACTLY_ONE, &im, &n, err)) < 0)
		return rc;
	if ((rc = store_image_readiness(st, im[0].key, 0, &r, err)) < 0 ||
	    (rc = store_baseline_load(st, im[0].key, &b, err)) < 0)
		goto out;
	if (a->format == FORMAT_RTGUARD)
		rc = portable_export(b, im[0].image_id, &r, out, err);
	else if ((rc = seccomp_check(&r, b->image_ref, a->force, err)) == 0) {
		if (b->n_syscalls == 0)
			log_warnx("%s has no learned syscalls (was 'rtguard "
			    "learn' run with audit?); the profile allows only "
			    "what the runtime needs", b->image_ref);
		rc = seccomp_export(b, out, err);
	}
	baseline_free(b);
out:
	image_info_free(im, n);
	return rc < 0 ? rc : 0;
}

/* Write FILE.tmp (new, 0600, never through a symlink), then rename. */
static int
export_file(struct store *st, const struct policy_args *a,
    struct rt_error *err)
{
	char	*tmp;
	FILE	*f;
	int	 fd, rc;

	tmp = xasprintf("%s.tmp", a->output);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		if (errno == EEXIST)
			rc = rt_error_set(err, EEXIST, "%s already exists (left "
			    "by an interrupted export?); remove it", tmp);
		else
			rc = rt_error_sys(err, errno, "%s", tmp);
		free(tmp);
		return rc;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		rc = rt_error_sys(err, errno, "%s", tmp);
		close(fd);
		goto fail;
	}
	rc = export_to(st, a, f, err);
	if (rc == 0 && fsync(fileno(f)) < 0)
		rc = rt_error_sys(err, errno, "%s", tmp);
	if (fclose(f) == EOF && rc == 0)
		rc = rt_error_sys(err, errno, "%s", tmp);
	if (rc == 0 && rename(tmp, a->output) < 0)
		rc = rt_error_sys(err, errno, "renaming %s to %s", tmp,
		    a->output);
	if (rc < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

static int
policy_export(struct cmd_globals *g, const struct policy_args *a,
    struct rt_error *err)
{
	struct store	*st;
	int		 rc;

	if ((rc = store_open(g->db_path, STORE_READ_ONLY, &st, err)) < 0)
		return rc;
	if (a->output != NULL)
		rc = export_file(st, a, err);
	else
		rc = export_to(st, a, stdout, err);
	store_free(st);
	return rc < 0 ? rc : EXIT_OK;
}

static int
policy_import(struct cmd_globals *g, int n, char **files,
    struct rt_error *err)
{
	struct portable_baseline	**pb;
	struct store			 *st = NULL;
	int				  i, rc = 0;

	/* Validate every file before the first write: a typo in the third
	 * file must not leave the first two half-applied. */
	pb = xcalloc(n, sizeof(*pb));
	for (i = 0; i < n && rc == 0; i++)
		rc = portable_read(files[i], &pb[i], err);
	if (rc == 0)
		rc = store_open(g->db_path, STORE_READ_WRITE, &st, err);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = portable_import(st, pb[i], err)) < 0)
			break;
		printf("imported %s: %s (%zu executables, %zu syscalls, "
		    "%zu writes)\n", files[i], pb[i]->b->image_ref,
		    pb[i]->b->n_execs, pb[i]->b->n_syscalls, pb[i]->b->n_writes);
	}
	for (i = 0; i < n; i++)
		portable_baseline_free(pb[i]);
	free(pb);
	if (st != NULL)
		store_free(st);
	return rc < 0 ? rc : EXIT_OK;
}

static int
cmd_policy_exec(const struct cmd_entry *self, struct cmd_globals *g,
    int argc, char **argv, struct rt_error *err)
{
	struct policy_args	 a;
	const char		*sub;
	int			 rc, first;

	memset(&a, 0, sizeof(a));
	rc = cmd_getopt(self, g, argc, argv, policy_option, &a, &first, err);
	if (rc != 0)
		return rc == 1 ? EXIT_OK : rc;
	log_init(g->verbose, "rtguard");
	if (first >= argc)
		return cmd_usage_error(err, "missing subcommand: export or "
		    "import");
	sub = argv[first++];
	if (strcmp(sub, "export") == 0) {
		if (first < argc)
			return cmd_usage_error(err, "unexpected argument '%s'",
			    argv[first]);
		if (a.image == NULL)
			return cmd_usage_error(err, "export needs --image REF");
		return policy_export(g, &a, err);
	}
	if (strcmp(sub, "import") == 0) {
		if (a.image != NULL || a.output != NULL || a.format != 0 ||
		    a.force)
			return cmd_usage_error(err, "import takes only files "
			    "(the image is named inside each file)");
		if (first >= argc)
			return cmd_usage_error(err, "import needs at least one "
			    "FILE");
		return policy_import(g, argc - first, argv + first, err);
	}
	return cmd_usage_error(err, "unknown subcommand '%s' (export or "
	    "import)", sub);
}

const struct cmd_entry cmd_policy_entry = {
	.name = "policy",
	.args = "export --image REF [--format rtguard|seccomp] [--force] "
	    "[-o FILE] | import FILE...",
	.summary = "move baselines between machines; seccomp profiles",
	.help =
"export writes one image's learned baseline (executables with their\n"
"sha256, syscalls, written paths) as a JSON file; import merges such files\n"
"into this machine's database, so a baseline learned in staging can be\n"
"enforced in production, or shipped to every node in a Kubernetes\n"
"ConfigMap. Importing adds to what is already there (counts add, the\n"
"learning window widens); several files for one image merge. A file is\n"
"checked whole before anything is written: a bad one changes nothing.\n"
"\n"
"With --format seccomp, export writes an OCI seccomp profile instead: deny\n"
"by default (EPERM), allow the learned syscalls plus those the container\n"
"runtime needs to start the container. It refuses when no container of the\n"
"image was watched from its start while learning (the profile would lack\n"
"the startup syscalls), unless --force, and warns when the baseline is not\n"
"ready for another reason (see rtguard report).\n"
"\n"
"Options (export):\n"
"  -i, --image REF        the image (nginx, localhost/nginx:test, ...); it\n"
"                         must name exactly one image in the database\n"
"  -f, --format FORMAT    rtguard (default) or seccomp\n"
"  -o, --output FILE      write FILE (mode 0600, replaced atomically)\n"
"                         instead of standard output\n"
"      --force            seccomp: export even without a container start\n"
"\n"
"Examples:\n"
"  rtguard policy export --image nginx -o nginx.rtguard\n"
"  scp nginx.rtguard prod:; ssh prod rtguard policy import nginx.rtguard\n"
"  rtguard policy import nginx-node1.rtguard nginx-node2.rtguard\n"
"  kubectl create configmap rtguard-nginx --from-file=nginx.rtguard\n"
"  rtguard policy export --image nginx --format seccomp -o nginx.json\n"
"  podman run --security-opt seccomp=nginx.json localhost/nginx:test",
	.needs_root = false,
	.options = policy_options,
	.optstring = "i:f:o:",
	.exec = cmd_policy_exec,
};
