/* cmd_up.c - 'up', 'down' and 'redo': run migrations, or print the plan. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"
#include "cli.h"
#include "out.h"
#include "strata.h"

static unsigned run_flags(const struct cli *cli)
{
	unsigned flags = 0;

	if (cli->allow_out_of_order)
		flags |= STRATA_ALLOW_OUT_OF_ORDER;
	if (cli->ignore_checksums)
		flags |= STRATA_IGNORE_CHECKSUMS;
	if (cli->no_backup)
		flags |= STRATA_NO_BACKUP;
	if (cli->no_check)
		flags |= STRATA_NO_CHECK;
	return flags;
}

static const char *dir_name(int direction)
{
	return direction == STRATA_DOWN ? "down" : "up";
}

/* ---- --dry-run ----------------------------------------------------------- */

static int plan_json(struct cli *cli, const strata_plan *plan)
{
	json_t *steps = json_array(), *o;
	const strata_step *s;
	size_t i;

	for (i = 0; i < plan->n; i++) {
		s = &plan->steps[i];
		o = json_object();
		json_object_set_new(o, "version", jint(s->version));
		json_object_set_new(o, "name", jstr(s->name));
		json_object_set_new(o, "direction",
				    jstr(dir_name(s->direction)));
		json_object_set_new(o, "file", jstr(s->file));
		json_object_set_new(
			o, "sql",
			jstrn(s->sql ? s->sql : "", s->sql ? s->sql_len : 0));
		json_object_set_new(
			o, "no_transaction",
			json_boolean(s->flags & STRATA_NO_TRANSACTION));
		json_object_set_new(o, "stored_sql",
				    json_boolean(s->stored_sql));
		json_object_set_new(o, "out_of_order",
				    json_boolean(s->out_of_order));
		json_array_append_new(steps, o);
	}
	return out_json(cli,
			json_pack("{s:b, s:o}", "dry_run", 1, "plan", steps));
}

static void plan_text(struct cli *cli, const strata_plan *plan)
{
	const strata_step *s;
	size_t i;
	int w;

	for (i = 0; i < plan->n; i++) {
		s = &plan->steps[i];
		w = out_vwidth(cli, s->version);
		if (i)
			fputc('\n', stdout);
		printf("-- %s %0*" PRId64 "_%s", dir_name(s->direction), w,
		       s->version, s->name ? s->name : "");
		if (s->file)
			printf(" (%s)", s->file);
		fputc('\n', stdout);
		if (s->stored_sql)
			printf("-- using stored down SQL\n");
		if (s->flags & STRATA_NO_TRANSACTION)
			printf("-- no transaction\n");
		if (s->out_of_order)
			printf("-- out of order\n");
		if (s->sql && s->sql_len) {
			fwrite(s->sql, 1, s->sql_len, stdout);
			if (s->sql[s->sql_len - 1] != '\n')
				fputc('\n', stdout);
		}
	}
}

static int dry_run(struct cli *cli, int direction, int64_t target, int steps,
		   unsigned flags)
{
	strata_plan *plan = NULL;
	int rc;

	if (direction == STRATA_UP)
		rc = strata_plan_up(cli->ctx, target, flags, &plan);
	else
		rc = strata_plan_down(cli->ctx, target, steps, flags, &plan);
	if (rc) {
		strata_plan_free(plan);
		return cli_lib_error(cli, rc);
	}
	if (cli->json)
		rc = plan_json(cli, plan);
	else if (plan->n == 0)
		printf("%s\n",
		       direction == STRATA_UP
			       ? "schema is up to date"
			       : "schema is up to date (nothing to roll back)");
	else
		plan_text(cli, plan);
	strata_plan_free(plan);
	return rc;
}

/* ---- a run's result ------------------------------------------------------ */

static json_t *items_json(const strata_run *run, int direction)
{
	json_t *a = json_array();
	const strata_run_item *it;
	size_t i;

	for (i = 0; run && i < run->n_done; i++) {
		it = &run->done[i];
		if (it->direction != direction)
			continue;
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o}", "version",
				     jint(it->version), "name", jstr(it->name),
				     "execution_ms", jint(it->execution_ms)));
	}
	return a;
}

static size_t count_items(const strata_run *run, int direction)
{
	size_t i, n = 0;

	for (i = 0; run && i < run->n_done; i++)
		n += run->done[i].direction == direction;
	return n;
}

static int run_json(struct cli *cli, const char *what, int code,
		    const strata_run *run)
{
	json_t *o = json_object(), *failed = json_null();
	const strata_run_item *f;

	if (!strcmp(what, "up") || !strcmp(what, "redo")) {
		if (!strcmp(what, "redo"))
			json_object_set_new(o, "rolled_back",
					    items_json(run, STRATA_DOWN));
		json_object_set_new(o, "applied", items_json(run, STRATA_UP));
	} else {
		json_object_set_new(o, "rolled_back",
				    items_json(run, STRATA_DOWN));
	}
	if (run && run->failed) {
		f = &run->failure;
		json_decref(failed);
		failed = json_pack("{s:o, s:o, s:o}", "version",
				   jint(f->version), "name", jstr(f->name),
				   "error",
				   jstr(run->error ? run->error
						   : strata_errmsg(cli->ctx)));
		if (!strcmp(what, "redo"))
			json_object_set_new(failed, "direction",
					    jstr(dir_name(f->direction)));
	}
	json_object_set_new(o, "failed", failed);
	json_object_set_new(o, "backup", jstr(run ? run->backup : NULL));
	if (code && !(run && run->failed)) {
		/* The run stopped for a reason that is no migration's. */
		json_object_set_new(o, "error", jstr(cli->err_msg));
		json_object_set_new(o, "exit_code", jint(code));
	}
	return out_json(cli, o);
}

static void run_text(struct cli *cli, const char *what, const strata_run *run)
{
	size_t n_up = count_items(run, STRATA_UP);
	size_t n_down = count_items(run, STRATA_DOWN);
	int n_failed = run->failed ? 1 : 0;
	const char *c = n_failed ? C_RED : NULL;

	if (cli->quiet)
		return;
	if (!run->n_done && !run->failed) {
		printf("%s\n",
		       strcmp(what, "up")
			       ? "schema is up to date (nothing to roll back)"
			       : "schema is up to date");
		return;
	}
	printf("%s: ", what); /* the backup line came first, from the log */
	if (!strcmp(what, "up"))
		printf("%zu applied", n_up);
	else if (!strcmp(what, "down"))
		printf("%zu rolled back", n_down);
	else
		printf("%zu rolled back, %zu applied", n_down, n_up);
	printf(", %s%d failed%s in %" PRId64 " ms\n", out_on(stdout, c),
	       n_failed, out_off(stdout, c), run->total_ms);
}

/*
 * Report a run: its JSON object (even when it failed), or its summary.
 * The error itself is printed by main().
 */
static int report(struct cli *cli, const char *what, int rc, strata_run *run)
{
	int code = CLI_OK;

	if (rc)
		code = cli_lib_error(cli, rc);
	if (rc && run && !run->failed && !run->n_done) {
		/* Refused before anything ran: only the error is to say. */
		strata_run_free(run);
		run = NULL;
	}
	if (cli->json) {
		if (run || !rc)
			run_json(cli, what, code, run);
	} else if (run) {
		run_text(cli, what, run);
	}
	strata_run_free(run);
	return code;
}

/* ---- targets ------------------------------------------------------------ */

static bool is_head(const char *s)
{
	return !strcmp(s, "head") || !strcmp(s, "latest");
}

/* "+N" / "-N" with N a positive integer: *steps = N. */
static bool signed_steps(const char *s, char sign, int *steps)
{
	return s[0] == sign && cli_parse_count(s + 1, steps) && *steps > 0;
}

/* A target for up: VERSION, head/latest or +N. */
static int up_target(struct cli *cli, int64_t *target)
{
	const char *a = cli->argv[0];
	int n;

	if (is_head(a))
		return CLI_OK; /* *target stays STRATA_LATEST */
	if (a[0] == '+') {
		if (!signed_steps(a, '+', &n))
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

bool cli_parse_target(struct cli *cli, const char *s, int64_t *out)
{
	const strata_migration *m;
	size_t n = 0;

	if (!is_head(s))
		return cli_parse_version(cli, s, out);
	*out = 0;
	if (!strata_list_migrations(cli->ctx, &m, &n) && n)
		*out = m[n - 1].version;
	return true;
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
		rc = steps_target(cli, run_flags(cli), &target);
		if (rc)
			return rc;
	}
	if (cli->sql || cli->from)
		return cmd_sql_script(cli, STRATA_UP, target, 0,
				      run_flags(cli));
	if (cli->dry_run)
		return dry_run(cli, STRATA_UP, target, 0, run_flags(cli));
	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_up(cli->ctx, target, run_flags(cli), &run);
	return report(cli, "up", rc, run);
}

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
			if (!signed_steps(a, '-', &steps))
				return cli_usage(
					cli,
					"bad target '%s' for down: -N needs a positive integer N, as in 'strata down -1'",
					a);
		} else if (a[0] == '+' || is_head(a)) {
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
				      run_flags(cli));
	if (cli->dry_run)
		return dry_run(cli, STRATA_DOWN, target, steps, run_flags(cli));
	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_down(cli->ctx, target, steps, run_flags(cli), &run);
	return report(cli, "down", rc, run);
}

int cmd_redo(struct cli *cli)
{
	strata_run *run = NULL;
	int rc;

	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_redo(cli->ctx, run_flags(cli), &run);
	return report(cli, "redo", rc, run);
}
