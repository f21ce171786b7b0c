/* cmd_down.c - 'down [VERSION|base|-N]': roll back, or print the plan. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_down(struct cli *cli)
{
	int64_t target = STRATA_BASE;
	int steps = cli->steps ? cli->steps : 1;
	strata_run *run = NULL;
	int rc;

	if (cli->argc == 1) {
		const char *a = cli->argv[0];

		if (cli->steps)
			return cli_usage(
				cli,
				"give either a target or --steps, not both");
		steps = 0;
		if (a[0] == '-') {
			if (!cli_signed_steps(a, '-', &steps))
				return cli_usage(
					cli,
					"bad target '%s' for down: -N needs a positive integer N, as in 'strata down -1'",
					a);
		} else if (a[0] == '+' || cli_is_head(a)) {
			return cli_usage(
				cli,
				"bad target '%s' for down: give a VERSION to roll back to, base, or -N for the N most recent (to apply, use 'strata up %s')",
				a, a);
		} else if (strcmp(a, "base") &&
			   !cli_parse_version(NULL, a, &target)) {
			return cli_usage(
				cli,
				"bad target '%s' for down: give a VERSION, base, or -N for the N most recent",
				a);
		}
	}
	if (cli->sql || cli->from)
		return cmd_sql_script(cli, STRATA_DOWN, target, steps,
				      cli_run_flags(cli));
	if (cli->dry_run)
		return cli_dry_run(cli, STRATA_DOWN, target, steps,
				   cli_run_flags(cli));
	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_down(cli->ctx, target, steps, cli_run_flags(cli), &run);
	return cli_run_report(cli, "down", rc, run);
}
