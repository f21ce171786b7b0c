/* cmd_adopt.c - 'adopt': take over a database another tool migrated. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_adopt(struct cli *cli)
{
	strata_adopt_result *r = NULL;
	json_t *a;
	size_t i;
	int rc;

	rc = strata_adopt(cli->ctx, cli->dry_run ? STRATA_DRY_RUN : 0, &r);
	if (rc)
		return cli_lib_error(cli, rc);
	if (cli->json) {
		a = json_array();
		for (i = 0; i < r->n_recorded; i++)
			json_array_append_new(
				a,
				json_pack("{s:o, s:o}", "version",
					  jint(r->recorded[i].version), "name",
					  jstr(r->recorded[i].name)));
		rc = out_json(cli, json_pack("{s:s, s:s, s:o, s:o, s:b}",
					     "adopted_from", r->tool, "table",
					     r->table, "recorded", a, "dirty",
					     jint_or_null(r->dirty), "dry_run",
					     r->dry_run));
		strata_adopt_free(r);
		return rc;
	}
	if (!cli->quiet) {
		const char *verb = r->dry_run ? "would record" : "recorded";
		printf("found %s's table %s\n", r->tool, r->table);
		for (i = 0; i < r->n_recorded; i++)
			printf("%s %0*" PRId64 "_%s as applied\n", verb,
			       out_vwidth(cli, r->recorded[i].version),
			       r->recorded[i].version, r->recorded[i].name);
		if (r->dirty >= 0)
			printf("%s %0*" PRId64
			       " as dirty (fix it by hand, then 'strata repair')\n",
			       verb, out_vwidth(cli, r->dirty), r->dirty);
		if (!r->n_recorded && r->dirty < 0)
			printf("nothing to adopt: strata already records every migration %s applied\n",
			       r->tool);
		else
			printf("adopt: %zu %s as applied%s; %s's table is left as it was\n",
			       r->n_recorded, verb,
			       r->dry_run ? " (dry run: nothing written)" : "",
			       r->tool);
	}
	strata_adopt_free(r);
	return CLI_OK;
}
