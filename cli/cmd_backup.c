/* cmd_backup.c - 'backup': a consistent backup of the database now. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_backup(struct cli *cli)
{
	char *path = NULL;
	int rc;

	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_backup(cli->ctx, cli->output, &path);
	if (rc)
		return cli_lib_error(cli, rc);
	if (cli->json)
		rc = out_json(cli, json_pack("{s:o}", "backup", jstr(path)));
	else
		printf("backup: %s\n", path);
	strata_free(path);
	return rc;
}
