/*
 * progress.c: what a user sees while and after learning.
 *
 * On a terminal, a line rewritten every second: what is new this run and
 * in the last second, records per second, records lost, and how long
 * nothing new was learned (against --until-stable). Otherwise (a log, a
 * pipe) a status line every STATUS_EVERY_MS. At the end, per image, the
 * new facts and the readiness verdict of the store.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "learner/internal.h"

#define STATUS_EVERY_MS	10000	/* status lines when not on a terminal */

static uint64_t
sum_new(const struct learner *l, int what)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < l->n_images; i++)
		n += what == 0 ? l->images[i]->new_execs : what == 1 ?
		    l->images[i]->new_syscalls : l->images[i]->new_writes;
	return n;
}

/* Seconds since the last new fact of any image attached in this run. */
static int64_t
quiet_for(const struct learner *l, int64_t now)
{
	int64_t	last = 0;
	size_t	i;

	for (i = 0; i < l->n_images; i++)
		if (l->images[i]->attached_once &&
		    l->images[i]->last_new_ms > last)
			last = l->images[i]->last_new_ms;
	return last == 0 ? -1 : (now - last) / 1000;
}

void
learner_progress(struct learner *l, int64_t now)
{
	uint64_t	ex = sum_new(l, 0), sc = sum_new(l, 1), wr = sum_new(l, 2);
	int64_t		quiet = quiet_for(l, now);
	char		hint[96] = "";

	if (quiet >= 0 && l->o->until_stable_s > 0)
		snprintf(hint, sizeof(hint), "; nothing new for %llds of %llds",
		    (long long)quiet, (long long)l->o->until_stable_s);
	else if (quiet >= 0)
		snprintf(hint, sizeof(hint), "; nothing new for %llds",
		    (long long)quiet);
	if (l->o->progress) {
		fprintf(stderr, "\r\033[Klearning %s: %zu container%s, +%llu "
		    "executables, +%llu syscalls, +%llu writes (+%llu/+%llu/+%llu "
		    "in 1s), %llu records/s, %lld lost%s", l->o->image, l->n_cs,
		    l->n_cs == 1 ? "" : "s", (unsigned long long)ex,
		    (unsigned long long)sc, (unsigned long long)wr,
		    (unsigned long long)(ex - l->last_execs),
		    (unsigned long long)(sc - l->last_syscalls),
		    (unsigned long long)(wr - l->last_writes),
		    (unsigned long long)(l->n_records - l->last_records),
		    (long long)audit_lost(l), hint);
		l->progress_shown = true;
	} else if (now - l->last_status_ms >= STATUS_EVERY_MS) {
		l->last_status_ms = now;
		log_notice("learning %s: %zu container%s; new so far: %llu "
		    "executables, %llu syscalls, %llu written paths; %llu audit "
		    "records, %lld lost%s", l->o->image, l->n_cs,
		    l->n_cs == 1 ? "" : "s", (unsigned long long)ex,
		    (unsigned long long)sc, (unsigned long long)wr,
		    (unsigned long long)l->n_records, (long long)audit_lost(l),
		    hint);
	}
	l->last_execs = ex;
	l->last_syscalls = sc;
	l->last_writes = wr;
	l->last_records = l->n_records;
}

bool
learner_converged(const struct learner *l, int64_t now)
{
	int64_t	quiet = quiet_for(l, now);

	return l->o->until_stable_s > 0 && l->ready && l->n_cs > 0 &&
	    quiet >= l->o->until_stable_s;
}

/* After the run: what was learned, and whether it is enough. */
void
learner_summary(struct learner *l, struct store *st, int64_t secs)
{
	struct image_readiness	 r;
	struct rt_error		 err;
	struct limage		*img;
	char			 lines[8][200];
	int64_t			 key;
	size_t			 i, n, k;

	for (i = 0; i < l->n_images; i++) {
		img = l->images[i];
		if (!img->attached_once)
			continue;
		log_notice("%s: learned %llu new executables, %llu new "
		    "syscalls, %llu new written paths in %llds (%llu audit "
		    "records, %lld lost by the kernel)", img->ref,
		    (unsigned long long)img->new_execs,
		    (unsigned long long)img->new_syscalls,
		    (unsigned long long)img->new_writes, (long long)secs,
		    (unsigned long long)l->n_records, (long long)audit_lost(l));
		if (st == NULL || store_image_find(st, img->ref, &key, &err) < 0 ||
		    store_image_readiness(st, key, l->o->quiet_s * 1000, &r,
		    &err) < 0)
			continue;
		if (r.ready) {
			log_notice("%s: baseline ready to enforce", img->ref);
			continue;
		}
		n = image_readiness_reasons(&r, lines, 8);
		for (k = 0; k < n; k++)
			log_notice("%s: baseline not ready yet: %s", img->ref,
			    lines[k]);
	}
}

