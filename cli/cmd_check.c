/* cmd_check.c - 'check': the database's integrity and foreign keys. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_check(struct cli *cli)
{
	strata_check_result *r = NULL;
	int rc;

	rc = strata_check(cli->ctx, &r);
	if (rc) {
		strata_check_free(r);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r->n; i++) {
			const strata_check_problem *p = &r->problems[i];
			json_array_append_new(
				arr, json_pack("{s:o,s:o,s:o,s:o,s:o}", "kind",
					       jstr(p->kind), "table",
					       jstr(p->table), "rowid",
					       jint_or_null(p->rowid), "parent",
					       jstr(p->parent), "message",
					       jstr(p->message)));
		}
		rc = out_json(cli, json_pack("{s:o,s:o,s:o,s:o}", "ok",
					     json_boolean(r->n == 0), "engine",
					     jstr(r->engine), "server_version",
					     jstr(r->server_version),
					     "problems", arr));
	} else {
		for (size_t i = 0; i < r->n; i++)
			printf("%s%s%s: %s\n", out_on(stdout, C_RED),
			       r->problems[i].kind, out_off(stdout, C_RED),
			       r->problems[i].message);
		if (!r->n && !cli->quiet)
			printf("%s: %zu checks passed\n",
			       r->server_version ? r->server_version
						 : r->engine,
			       r->n_checks);
	}
	if (!rc && r->n)
		rc = cli_error(cli, CLI_FAIL, "%zu problem%s found", r->n,
			       r->n == 1 ? "" : "s");
	strata_check_free(r);
	return rc;
}
