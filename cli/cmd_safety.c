/* cmd_safety.c - 'backup', 'restore', 'check' and 'recover'. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "cli.h"
#include "out.h"
#include "strata.h"

int cmd_backup(struct cli *cli)
{
	char *path = NULL;
	int rc;

	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_backup(cli->ctx, cli->output, &path);
	if (rc)
		return cli_lib_error(cli, rc);
	if (cli->json)
		rc = out_json(cli, json_pack("{s:o}", "backup", jstr(path)));
	else
		printf("backup: %s\n", path);
	strata_free(path);
	return rc;
}

static json_t *backups_json(const strata_backup_list *l)
{
	json_t *arr = json_array();

	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(
			arr, json_pack("{s:o,s:o,s:o,s:o}", "path",
				       jstr(l->items[i].path), "size",
				       jint(l->items[i].size), "created_at",
				       jstr(l->items[i].created_at), "version",
				       jint_or_null(l->items[i].version)));
	return arr;
}

static int backups_table(struct cli *cli, const strata_backup_list *l)
{
	static const char *const head[] = { "PATH", "SIZE", "CREATED AT",
					    "VERSION" };
	struct table t;
	int rc;

	table_init(&t, 4, head);
	for (size_t i = 0; i < l->n; i++) {
		const strata_backup_info *b = &l->items[i];
		table_row(&t);
		table_set(&t, 0, NULL, "%s", b->path);
		table_set(&t, 1, NULL, "%" PRId64, b->size);
		table_set(&t, 2, NULL, "%s", b->created_at);
		table_set(&t, 3, NULL, "%0*" PRId64,
			  out_vwidth(cli, b->version), b->version);
	}
	rc = table_print(&t, stdout) ? cli_error(cli, CLI_FAIL, "out of memory")
				     : CLI_OK;
	table_release(&t);
	return rc;
}

/*
 * This database's backups, then (apart) the files in the same folder
 * whose names say they belong to another database.
 */
static int list_backups(struct cli *cli)
{
	strata_backup_list *l = NULL, *other = NULL;
	int rc;

	rc = strata_backups_list(cli->ctx, &l);
	if (!rc)
		rc = strata_backups_list_other(cli->ctx, &other);
	if (rc) {
		strata_backup_list_free(l);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		rc = out_json(cli, json_pack("{s:o,s:o}", "backups",
					     backups_json(l), "other_databases",
					     backups_json(other)));
	} else {
		if (!l->n)
			printf("no backups of this database\n");
		else
			rc = backups_table(cli, l);
		if (!rc && other->n) {
			printf("\nbackups of other databases in the same folder (restore needs --force):\n");
			rc = backups_table(cli, other);
		}
	}
	strata_backup_list_free(l);
	strata_backup_list_free(other);
	return rc;
}

int cmd_restore(struct cli *cli)
{
	char *backup = NULL;
	int rc;

	if (!cli->argc)
		return list_backups(cli);
	strata_set_progress(cli->ctx, out_progress, cli);
	rc = strata_restore_flags(
		cli->ctx, cli->argv[0],
		(cli->force ? STRATA_FORCE : 0u) |
			(cli->no_backup ? STRATA_NO_BACKUP : 0u),
		&backup);
	if (rc) {
		strata_free(backup);
		return cli_lib_error(cli, rc);
	}
	if (cli->json)
		rc = out_json(cli, json_pack("{s:o,s:o}", "restored",
					     jstr(cli->argv[0]), "backup",
					     jstr(backup)));
	else
		printf("restored %s%s%s\n", cli->argv[0],
		       backup ? "; the database before it is in " : "",
		       backup ? backup : "");
	strata_free(backup);
	return rc;
}

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
