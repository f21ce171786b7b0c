/* cmd_up.c - 'up [VERSION|head|+N]': apply migrations, or print the plan. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* A target for up: VERSION, head/latest or +N. */
static int up_target(struct cli *cli, int64_t *target)
{
	const char *a = cli->argv[0];
	int n;

	if (cli_is_head(a))
		return CLI_OK; /* *target stays STRATA_LATEST */
	if (a[0] == '+') {
		if (!cli_signed_steps(a, '+', &n))
			return cli_usage(
				cli,
				"bad target '%s' for up: +N needs a positive integer N, as in 'strata up +1'",
				a);
		cli->steps = n;
		return CLI_OK;
	}
	if (a[0] == '-')
		return cli_usage(
			cli,
			"bad target '%s' for up: to roll back, use 'strata down %s'",
			a, a);
	if (!cli_parse_version(NULL, a, target))
		return cli_usage(
			cli,
			"bad target '%s' for up: give a VERSION, head (or latest), or +N for the next N",
			a);
	return CLI_OK;
}

/*
 * up --steps N: the version of the Nth pending migration (everything when
 * fewer are pending), from the plan a run would follow.
 */
static int steps_target(struct cli *cli, unsigned flags, int64_t *target)
{
	strata_plan *plan = NULL;
	int rc;

	rc = strata_plan_up(cli->ctx, STRATA_LATEST, flags, &plan);
	if (rc) {
		strata_plan_free(plan);
		return cli_lib_error(cli, rc);
	}
	*target = (size_t)cli->steps < plan->n
			  ? plan->steps[cli->steps - 1].version
			  : STRATA_LATEST;
	strata_plan_free(plan);
	return CLI_OK;
}

int cmd_up(struct cli *cli)
{
	int64_t target = STRATA_LATEST;
	strata_run *run = NULL;
	int rc;

	if (cli->argc == 1 && cli->steps)
		return cli_usage(cli,
				 "give either a target or --steps, not both");
	if (cli->argc == 1) {
		rc = up_target(cli, &target);
		if (rc)
			return rc;
	}
	if (cli->steps) {
		rc = steps_target(cli, cli_run_flags(cli), &target);
		if (rc)
			return rc;
	}
	if (cli->sql || cli->from)
		return cmd_sql_script(cli, STRATA_UP, target, 0,
				      cli_run_flags(cli));
	if (cli->dry_run)
		return cli_dry_run(cli, STRATA_UP, target, 0,
				   cli_run_flags(cli));
	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_up(cli->ctx, target, cli_run_flags(cli), &run);
	return cli_run_report(cli, "up", rc, run);
}
