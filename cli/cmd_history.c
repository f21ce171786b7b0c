/* cmd_history.c - 'history', and the history table 'status' shows too. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

json_t *cli_history_row_json(const strata_history_row *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", jint_or_null(r->id));
	json_object_set_new(o, "version",
			    r->has_version ? jint(r->version) : json_null());
	json_object_set_new(o, "name", jstr(r->name));
	json_object_set_new(o, "direction", jstr(r->direction));
	json_object_set_new(o, "status", jstr(r->status));
	json_object_set_new(o, "started_at", jstr(r->started_at));
	json_object_set_new(o, "finished_at", jstr(r->finished_at));
	json_object_set_new(o, "execution_ms", jint_or_null(r->execution_ms));
	json_object_set_new(o, "statements_done",
			    jint_or_null(r->statements_done));
	json_object_set_new(o, "error", jstr(r->error));
	json_object_set_new(o, "backup_path", jstr(r->backup_path));
	json_object_set_new(o, "applied_by", jstr(r->applied_by));
	return o;
}

static const char *status_color(const char *status)
{
	if (!status)
		return NULL;
	if (!strcmp(status, "success"))
		return C_GREEN;
	if (!strcmp(status, "running"))
		return C_YELLOW;
	return C_RED;
}

int cli_history_table(struct cli *cli, const strata_history_row *rows, size_t n,
		      const char *running_note)
{
	static const char *const head[] = { "ID",     "VERSION",    "DIRECTION",
					    "STATUS", "STARTED AT", "MS",
					    "ERROR" };
	const strata_history_row *r;
	struct table t;
	size_t i;
	int rc;

	table_init(&t, 7, head);
	for (i = 0; i < n; i++) {
		r = &rows[i];
		table_row(&t);
		if (r->id >= 0)
			table_set(&t, 0, NULL, "%" PRId64, r->id);
		else
			table_set(&t, 0, NULL, "-");
		if (r->has_version)
			table_set(&t, 1, NULL, "%0*" PRId64,
				  out_vwidth(cli, r->version), r->version);
		else
			table_set(&t, 1, NULL, "-");
		table_set(&t, 2, NULL, "%s", r->direction ? r->direction : "");
		if (r->status && !strcmp(r->status, "running") && running_note)
			table_set(&t, 3, C_YELLOW, "running (%s)",
				  running_note);
		else
			table_set(&t, 3, status_color(r->status), "%s",
				  r->status ? r->status : "");
		table_set(&t, 4, NULL, "%s",
			  r->started_at ? r->started_at : "");
		if (r->execution_ms >= 0)
			table_set(&t, 5, NULL, "%" PRId64, r->execution_ms);
		if (r->error)
			table_set(&t, 6, NULL, "%s", r->error);
	}
	rc = table_print(&t, stdout);
	table_release(&t);
	return rc ? cli_error(cli, CLI_FAIL, "out of memory") : CLI_OK;
}

int cmd_history(struct cli *cli)
{
	strata_history *h = NULL;
	json_t *a;
	size_t i;
	int rc;

	rc = strata_history_get(cli->ctx, &h);
	if (rc) {
		strata_history_free(h);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		a = json_array();
		for (i = 0; i < h->n; i++)
			json_array_append_new(
				a, cli_history_row_json(&h->rows[i]));
		rc = out_json(cli, json_pack("{s:o}", "history", a));
	} else if (!h->n) {
		if (!cli->quiet)
			printf("no history\n");
	} else {
		rc = cli_history_table(cli, h->rows, h->n, NULL);
	}
	strata_history_free(h);
	return rc;
}
