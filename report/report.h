/*
 * report.h: `rtguard report`, the terminal and JSON views of the store.
 *
 * Owns presentation only: it reads through store.h and prints baselines
 * per image, then denials and alerts grouped and latest. Every path it
 * prints goes through rt_escape(), so no file name can break a line, the
 * JSON, or the terminal.
 */
#ifndef RTGUARD_REPORT_H
#define RTGUARD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

struct report_options {
	const char	*db_path;
	const char	*image;		/* --image pattern, NULL: all */
	int64_t		 since_s;	/* --since, 0: all time */
	int64_t		 quiet_s;	/* --quiet-period, 0: the image's own */
	bool		 json;
	bool		 color;		/* only when out is a tty */
	int		 width;		/* terminal columns, 80 if unknown */
};

int	report_run(const struct report_options *opts, FILE *out,
	    struct rt_error *err);

#endif
