/* cmd_redo.c - 'redo': roll back the latest migration and apply it again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_redo(struct cli *cli)
{
	strata_run *run = NULL;
	int rc;

	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_redo(cli->ctx, cli_run_flags(cli), &run);
	return cli_run_report(cli, "redo", rc, run);
}
