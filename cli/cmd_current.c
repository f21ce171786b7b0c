/* cmd_current.c - 'current': the current version, one line. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/*
 * The highest applied version as a plain integer ("none" when nothing is
 * applied), so a script can compare it as a number; " (dirty)" follows a
 * dirty one.  Reads only: a missing SQLite file is version none, and
 * stays missing.
 */
int cmd_current(struct cli *cli)
{
	strata_status *st = NULL;
	int rc;

	rc = strata_status_get(cli->ctx, &st);
	if (rc) {
		strata_status_free(st);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		rc = out_json(cli, json_pack("{s:o, s:b}", "current_version",
					     st->has_version
						     ? jint(st->current_version)
						     : json_null(),
					     "dirty", st->dirty));
	} else {
		if (st->has_version)
			printf("%" PRId64, st->current_version);
		else
			printf("none");
		printf("%s\n", st->dirty ? " (dirty)" : "");
	}
	strata_status_free(st);
	return rc;
}
