/* cmd_stamp.c - 'stamp VERSION': record migrations as applied, run none. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_stamp(struct cli *cli)
{
	strata_run *run = NULL;
	int64_t version;
	json_t *a;
	size_t i;
	int rc, w;

	if (!cli_parse_target(cli, cli->argv[0], &version))
		return CLI_USAGE;
	w = out_vwidth(cli, version);
	if (cli->delete) {
		rc = strata_unstamp(cli->ctx, version);
		if (rc)
			return cli_lib_error(cli, rc);
		if (cli->json)
			return out_json(cli,
					json_pack("{s:{s:o}}", "deleted",
						  "version", jint(version)));
		if (!cli->quiet)
			printf("deleted the record of version %0*" PRId64 "\n",
			       w, version);
		return CLI_OK;
	}
	rc = strata_stamp(cli->ctx, version, &run);
	if (rc) {
		strata_run_free(run);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		a = json_array();
		for (i = 0; run && i < run->n_done; i++)
			json_array_append_new(
				a, json_pack("{s:o, s:o}", "version",
					     jint(run->done[i].version), "name",
					     jstr(run->done[i].name)));
		rc = out_json(cli, json_pack("{s:o}", "stamped", a));
	} else if (!cli->quiet) {
		for (i = 0; run && i < run->n_done; i++)
			printf("stamped %0*" PRId64 "_%s\n",
			       out_vwidth(cli, run->done[i].version),
			       run->done[i].version,
			       run->done[i].name ? run->done[i].name : "");
		if (!run || !run->n_done)
			printf("nothing to stamp: every migration up to %0*" PRId64
			       " is applied\n",
			       w, version);
		else
			printf("stamp: %zu recorded as applied\n", run->n_done);
	}
	strata_run_free(run);
	return rc;
}
