/* run.c - what up, down and redo share: flags, --dry-run, the report. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

unsigned cli_run_flags(const struct cli *cli)
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

int cli_dry_run(struct cli *cli, int direction, int64_t target, int steps,
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

int cli_run_report(struct cli *cli, const char *what, int rc, strata_run *run)
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
