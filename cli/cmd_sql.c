/* cmd_sql.c - 'up --sql' and 'down --sql': the run as one SQL script. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_sql_script(struct cli *cli, int direction, int64_t target, int steps,
		   unsigned flags)
{
	strata_script_opts o = {
		.direction = direction,
		.target = target,
		.steps = steps,
		.flags = flags,
	};
	char *script = NULL;
	int rc;

	if (!cli->sql)
		return cli_usage(cli, "--from is only for --sql scripts");
	if (cli->dry_run)
		return cli_usage(cli,
				 "give either --sql or --dry-run, not both");
	if (cli->from) {
		o.offline = true;
		if (!strcmp(cli->from, "base"))
			o.from_base = true;
		else if (!cli_parse_version(cli, cli->from, &o.from))
			return CLI_USAGE;
	}
	rc = strata_sql_script(cli->ctx, &o, &script);
	if (rc)
		return cli_lib_error(cli, rc);
	if (cli->json)
		rc = out_json(cli, json_pack("{s:s}", "script", script));
	else
		fputs(script, stdout);
	strata_free(script);
	return rc;
}
