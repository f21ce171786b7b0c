/* cmd_recover.c - 'recover': salvage a damaged SQLite file into a new one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_recover(struct cli *cli)
{
	strata_recover_result *r = NULL;
	int rc;

	if (!cli->output)
		return cli_usage(cli, "'recover' needs --output NEW.db");
	rc = strata_recover(cli->ctx, cli->output, &r);
	if (rc) {
		strata_recover_free(r);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r->n; i++)
			json_array_append_new(
				arr,
				json_pack(
					"{s:o,s:o,s:o}", "name",
					jstr(r->tables[i].name),
					"rows_recovered",
					jint(r->tables[i].rows_recovered),
					"rows_lost",
					jint_or_null(r->tables[i].rows_lost)));
		rc = out_json(cli,
			      json_pack("{s:o,s:o,s:o,s:o}", "output",
					jstr(cli->output), "rows_recovered",
					jint(r->rows_recovered),
					"schema_complete",
					json_boolean(r->schema_complete),
					"tables", arr));
	} else {
		for (size_t i = 0; i < r->n; i++) {
			const strata_recover_table *t = &r->tables[i];
			printf("%-30s %" PRId64 " rows recovered", t->name,
			       t->rows_recovered);
			if (t->rows_lost > 0)
				printf(", about %" PRId64 " lost",
				       t->rows_lost);
			else if (t->rows_lost < 0)
				printf(", an unknown number lost");
			printf("\n");
		}
		printf("recovered %" PRId64 " rows into %s%s\n",
		       r->rows_recovered, cli->output,
		       r->schema_complete ? ""
					  : " (the schema was damaged too)");
	}
	strata_recover_free(r);
	return rc;
}
