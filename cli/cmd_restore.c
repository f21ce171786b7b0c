/* cmd_restore.c - 'restore [FILE]': list the backups, or restore one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

json_t *cli_backups_json(const strata_backup_info *b, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, json_pack("{s:o,s:o,s:o,s:o}", "path",
				       jstr(b[i].path), "size", jint(b[i].size),
				       "created_at", jstr(b[i].created_at),
				       "version", jint_or_null(b[i].version)));
	return arr;
}

int cli_backups_table(struct cli *cli, const strata_backup_info *items,
		      size_t n)
{
	static const char *const head[] = { "PATH", "SIZE", "CREATED AT",
					    "VERSION" };
	struct table t;
	int rc;

	table_init(&t, 4, head);
	for (size_t i = 0; i < n; i++) {
		const strata_backup_info *b = &items[i];

		table_row(&t);
		table_set(&t, 0, NULL, "%s", b->path ? b->path : "");
		table_set(&t, 1, NULL, "%" PRId64, b->size);
		table_set(&t, 2, NULL, "%s",
			  b->created_at ? b->created_at : "");
		if (b->version >= 0)
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
					     cli_backups_json(l->items, l->n),
					     "other_databases",
					     cli_backups_json(other->items,
							      other->n)));
	} else {
		if (!l->n)
			printf("no backups of this database\n");
		else
			rc = cli_backups_table(cli, l->items, l->n);
		if (!rc && other->n) {
			printf("\nbackups of other databases in the same folder (restore needs --force):\n");
			rc = cli_backups_table(cli, other->items, other->n);
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
