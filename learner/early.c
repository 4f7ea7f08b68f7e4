/*
 * early.c: what containers did before they were attached.
 *
 * Between a container's first instruction and the moment the learner
 * knows its image (OCI hook or engine event handled), its audit records
 * are kept here by container id: the syscalls as a mask, the written and
 * exec'd paths as sets, bounded. records.c applies them when the
 * container is attached, or forgets them when it turns out not to be of
 * a learned image; what nobody claims expires. What does not fit is
 * counted as lost, never dropped silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "learner/internal.h"

#define EARLY_MAX	64	/* containers not attached yet */
#define EARLY_TTL_MS	120000	/* unclaimed for this long: forgotten */
#define IGNORED_MAX	256	/* containers known not to be learned */

struct early {
	struct early_ctr	*ctrs[EARLY_MAX];
	size_t			 n;
	char			 ignored[IGNORED_MAX][CONTAINER_ID_LEN + 1];
	size_t			 next_ignored;
	uint64_t		 lost;	/* containers that did not fit */
};

struct early *
early_new(void)
{
	return xcalloc(1, sizeof(struct early));
}

void
early_ctr_free(struct early_ctr *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_writes; i++)
		free(p->writes[i]);
	for (i = 0; i < p->n_execs; i++)
		free(p->execs[i]);
	free(p);
}

void
early_free(struct early *e)
{
	size_t	i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		early_ctr_free(e->ctrs[i]);
	free(e);
}

bool
early_ignored(const struct early *e, const char *id)
{
	size_t	i;

	for (i = 0; i < IGNORED_MAX; i++)
		if (e->ignored[i][0] != '\0' && strcmp(e->ignored[i], id) == 0)
			return true;
	return false;
}

static size_t
early_index(const struct early *e, const char *id)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->ctrs[i]->id, id) == 0)
			break;
	return i;
}

/* Take slot i out of the list; the caller owns what it held. */
static struct early_ctr *
early_remove(struct early *e, size_t i)
{
	struct early_ctr	*p = e->ctrs[i];

	e->ctrs[i] = e->ctrs[--e->n];
	return p;
}

struct early_ctr *
early_get(struct early *e, const char *id, int64_t now)
{
	struct early_ctr	*p;
	size_t			 i;

	if ((i = early_index(e, id)) < e->n) {
		e->ctrs[i]->last_ms = now;
		return e->ctrs[i];
	}
	if (early_ignored(e, id))
		return NULL;
	if (e->n == EARLY_MAX) {
		e->lost++;
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->first_ms = p->last_ms = now;
	e->ctrs[e->n++] = p;
	log_debug("audit: records of container %.12s, not attached yet, are "
	    "kept", id);
	return p;
}

static void
early_add(struct early_ctr *p, char **list, size_t *n, const char *s)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	if (*n == EARLY_NAMES) {
		p->lost++;
		return;
	}
	list[(*n)++] = xstrdup(s);
}

void
early_add_write(struct early_ctr *p, const char *path)
{
	early_add(p, p->writes, &p->n_writes, path);
}

void
early_add_exec(struct early_ctr *p, const char *path)
{
	early_add(p, p->execs, &p->n_execs, path);
}

struct early_ctr *
early_take(struct early *e, const char *id)
{
	size_t	i;

	if ((i = early_index(e, id)) == e->n)
		return NULL;
	return early_remove(e, i);
}

void
early_forget(struct early *e, const char *id)
{
	size_t	i;

	if (!early_ignored(e, id))
		snprintf(e->ignored[e->next_ignored++ % IGNORED_MAX],
		    sizeof(e->ignored[0]), "%s", id);
	if ((i = early_index(e, id)) < e->n)
		early_ctr_free(early_remove(e, i));
}

void
early_expire(struct early *e, int64_t now)
{
	size_t	i = 0;

	while (i < e->n) {
		if (now - e->ctrs[i]->last_ms < EARLY_TTL_MS) {
			i++;
			continue;
		}
		log_debug("container %.12s: never attached; its records are "
		    "forgotten", e->ctrs[i]->id);
		early_ctr_free(early_remove(e, i));
	}
}

uint64_t
early_lost(const struct early *e)
{
	return e->lost;
}
