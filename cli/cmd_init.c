/* cmd_init.c - 'init': the migrations folder and the tracking tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_init(struct cli *cli)
{
	strata_status *st = NULL;
	bool created, db_existed;
	char *database = NULL;
	int rc;

	rc = strata_init_dir(cli->ctx, cli->dir, &created);
	if (rc)
		return cli_lib_error(cli, rc);
	rc = strata_add_dir(cli->ctx, cli->dir);
	if (rc)
		return cli_lib_error_as(cli, CLI_USAGE);
	/* Ask before creating, to say what was created. */
	rc = strata_status_get(cli->ctx, &st);
	if (rc) {
		strata_status_free(st);
		return cli_lib_error(cli, rc);
	}
	db_existed = st->exists;
	database = strdup(st->database ? st->database : "");
	strata_status_free(st);
	if (!database)
		return cli_error(cli, CLI_FAIL, "out of memory");
	rc = strata_init(cli->ctx);
	if (rc) {
		free(database);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		rc = out_json(
			cli, json_pack("{s:s, s:b, s:s, s:b, s:[s+, s+]}",
				       "dir", cli->dir, "dir_created", created,
				       "database", database, "database_created",
				       !db_existed, "tables", cli->table,
				       "_migrations", cli->table, "_history"));
	} else if (!cli->quiet) {
		printf(created ? "created migrations folder %s\n"
			       : "migrations folder %s already exists\n",
		       cli->dir);
		if (!db_existed)
			printf("created database %s\n", database);
		printf("tracking tables %s_migrations and %s_history are ready in %s\n",
		       cli->table, cli->table, database);
	}
	free(database);
	return rc;
}
