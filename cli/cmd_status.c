/* cmd_status.c - 'status': applied, pending, missing, modified migrations. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct mrow {
	int64_t version;
	const char *name;
	const char *state;
	const char *color;
	const char *applied_at;
	int64_t ms; /* -1: none */
};

static int cmp_mrow(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

static int cmp_i64(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static bool has_version(const int64_t *v, size_t n, int64_t version)
{
	return n && bsearch(&version, v, n, sizeof(*v), cmp_i64);
}

/* The version of the latest 'dirty' history row, or -1. */
static int64_t dirty_version(const strata_status *st)
{
	size_t i;

	for (i = st->n_history; i-- > 0;)
		if (st->history[i].status &&
		    !strcmp(st->history[i].status, "dirty") &&
		    st->history[i].has_version)
			return st->history[i].version;
	return -1;
}

/* Every migration, applied or not, in version order, with its state. */
static struct mrow *merge_rows(const strata_status *st, size_t *out_n)
{
	size_t cap = st->n_applied + st->n_missing + st->n_pending + 1;
	struct mrow *rows = calloc(cap, sizeof(*rows));
	int64_t *miss = calloc(st->n_missing + 1, sizeof(*miss));
	int64_t *mod = calloc(st->n_modified + 1, sizeof(*mod));
	int64_t *app = calloc(st->n_applied + 1, sizeof(*app));
	const strata_applied_info *a;
	const strata_file_info *f;
	size_t i, n = 0;

	if (!rows || !miss || !mod || !app) {
		free(rows);
		rows = NULL;
		goto out;
	}
	for (i = 0; i < st->n_missing; i++)
		miss[i] = st->missing[i].version;
	for (i = 0; i < st->n_modified; i++)
		mod[i] = st->modified[i].version;
	for (i = 0; i < st->n_applied; i++)
		app[i] = st->applied[i].version;
	qsort(miss, st->n_missing, sizeof(*miss), cmp_i64);
	qsort(mod, st->n_modified, sizeof(*mod), cmp_i64);
	qsort(app, st->n_applied, sizeof(*app), cmp_i64);
	for (i = 0; i < st->n_applied; i++) {
		a = &st->applied[i];
		rows[n] = (struct mrow){ a->version,    a->name,
					 "applied",     C_GREEN,
					 a->applied_at, a->execution_ms };
		if (has_version(miss, st->n_missing, a->version))
			rows[n].state = "missing", rows[n].color = C_RED;
		else if (has_version(mod, st->n_modified, a->version))
			rows[n].state = "modified", rows[n].color = C_RED;
		n++;
	}
	/* In case the applied list leaves out the rows whose file is gone. */
	for (i = 0; i < st->n_missing; i++) {
		a = &st->missing[i];
		if (has_version(app, st->n_applied, a->version))
			continue;
		rows[n++] = (struct mrow){ a->version,    a->name,
					   "missing",     C_RED,
					   a->applied_at, a->execution_ms };
	}
	for (i = 0; i < st->n_pending; i++) {
		f = &st->pending[i];
		rows[n++] = (struct mrow){
			f->version,
			f->name,
			f->out_of_order ? "pending (out of order)" : "pending",
			C_YELLOW,
			NULL,
			-1
		};
		if (st->dirty && dirty_version(st) == f->version)
			rows[n - 1].state = "pending (dirty)",
				 rows[n - 1].color = C_RED;
	}
	qsort(rows, n, sizeof(*rows), cmp_mrow);
	*out_n = n;
out:
	free(miss);
	free(mod);
	free(app);
	return rows;
}

static json_t *applied_json(const strata_status *st)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < st->n_applied; i++) {
		const strata_applied_info *x = &st->applied[i];

		json_array_append_new(
			a,
			json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "version",
				  jint(x->version), "name", jstr(x->name),
				  "description", jstr(x->description),
				  "checksum", jstr(x->checksum), "applied_at",
				  jstr(x->applied_at), "execution_ms",
				  jint(x->execution_ms)));
	}
	return a;
}

static json_t *pending_json(const strata_status *st)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < st->n_pending; i++) {
		const strata_file_info *x = &st->pending[i];

		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o, s:b}", "version",
				     jint(x->version), "name", jstr(x->name),
				     "file", jstr(x->file), "out_of_order",
				     x->out_of_order));
	}
	return a;
}

/* Is backup i the first (oldest) one of its version? */
static bool first_of_version(const strata_status *st, size_t i)
{
	size_t j = 0;

	while (j < i && st->backups[j].version != st->backups[i].version)
		j++;
	return j == i;
}

static json_t *status_json(const strata_status *st)
{
	json_t *o = json_object(), *a;
	size_t i;

	json_object_set_new(o, "database", jstr(st->database));
	json_object_set_new(o, "engine", jstr(st->engine));
	json_object_set_new(o, "format", jstr(st->format));
	json_object_set_new(o, "current_version",
			    st->has_version ? jint(st->current_version)
					    : json_null());
	json_object_set_new(o, "dirty", json_boolean(st->dirty));
	json_object_set_new(o, "applied", applied_json(st));
	json_object_set_new(o, "pending", pending_json(st));

	a = json_array();
	for (i = 0; i < st->n_missing; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "version",
						   jint(st->missing[i].version),
						   "name",
						   jstr(st->missing[i].name)));
	json_object_set_new(o, "missing", a);

	a = json_array();
	for (i = 0; i < st->n_modified; i++)
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o}", "version",
				     jint(st->modified[i].version), "name",
				     jstr(st->modified[i].name), "file",
				     jstr(st->modified[i].file)));
	json_object_set_new(o, "modified", a);

	a = json_array();
	for (i = 0; i < st->n_history; i++)
		json_array_append_new(a, cli_history_row_json(&st->history[i]));
	json_object_set_new(o, "history", a);

	json_object_set_new(o, "backups",
			    cli_backups_json(st->backups, st->n_backups));
	json_object_set_new(o, "backup_count", jint((int64_t)st->n_backups));
	a = json_array();
	for (i = 0; i < st->n_backups; i++)
		if (first_of_version(st, i))
			json_array_append_new(a, jint(st->backups[i].version));
	json_object_set_new(o, "backup_versions", a);
	return o;
}

size_t cli_count_out_of_order(const strata_status *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->n_pending; i++)
		n += st->pending[i].out_of_order;
	return n;
}

/* The lines above the table: database, engine, format, version, counts. */
static void status_header(struct cli *cli, const strata_status *st)
{
	const char *rc_ = C_RED;
	size_t ooo = cli_count_out_of_order(st);

	printf("database:   %s%s\n", st->database ? st->database : "",
	       st->exists ? "" : " (does not exist yet)");
	printf("engine:     %s\n", st->engine ? st->engine : "");
	printf("format:     %s\n", st->format ? st->format : "strata");
	if (st->has_version)
		printf("version:    %0*" PRId64,
		       out_vwidth(cli, st->current_version),
		       st->current_version);
	else
		printf("version:    none");
	if (st->dirty)
		printf(" %s(dirty)%s", out_on(stdout, rc_),
		       out_off(stdout, rc_));
	printf("\nmigrations: %zu applied, %zu pending", st->n_applied,
	       st->n_pending);
	if (ooo)
		printf(" (%zu out of order)", ooo);
	printf(", %zu missing, %zu modified\n", st->n_missing, st->n_modified);
}

/* Every migration with its state, as a table (nothing when there is none). */
static int migrations_table(struct cli *cli, const strata_status *st)
{
	static const char *const head[] = { "VERSION", "NAME", "STATE",
					    "APPLIED AT", "MS" };
	struct table t;
	struct mrow *rows;
	size_t n = 0, i;
	int rc = 0;

	rows = merge_rows(st, &n);
	if (!rows)
		return cli_error(cli, CLI_FAIL, "out of memory");
	if (n) {
		fputc('\n', stdout);
		table_init(&t, 5, head);
		for (i = 0; i < n; i++) {
			table_row(&t);
			table_set(&t, 0, NULL, "%0*" PRId64,
				  out_vwidth(cli, rows[i].version),
				  rows[i].version);
			table_set(&t, 1, NULL, "%s",
				  rows[i].name ? rows[i].name : "");
			table_set(&t, 2, rows[i].color, "%s", rows[i].state);
			if (rows[i].applied_at)
				table_set(&t, 3, NULL, "%s",
					  rows[i].applied_at);
			if (rows[i].ms >= 0)
				table_set(&t, 4, NULL, "%" PRId64, rows[i].ms);
		}
		rc = table_print(&t, stdout);
		table_release(&t);
	}
	free(rows);
	return rc ? cli_error(cli, CLI_FAIL, "out of memory") : CLI_OK;
}

/* How many backups, of which versions (each once, oldest first), and a table.
 */
static int backups_text(struct cli *cli, const strata_status *st)
{
	size_t i;

	printf("\nbackups: %zu (version%s", st->n_backups,
	       st->n_backups > 1 ? "s" : "");
	for (i = 0; i < st->n_backups; i++)
		if (first_of_version(st, i))
			printf("%s%0*" PRId64, i ? ", " : " ",
			       out_vwidth(cli, st->backups[i].version),
			       st->backups[i].version);
	printf(")\n");
	return cli_backups_table(cli, st->backups, st->n_backups);
}

static int status_text(struct cli *cli, const strata_status *st)
{
	const char *yc = C_YELLOW;
	int rc;

	status_header(cli, st);
	rc = migrations_table(cli, st);
	if (rc)
		return rc;
	if (st->lock_holder)
		printf("\n%slock held by %s%s\n", out_on(stdout, yc),
		       st->lock_holder, out_off(stdout, yc));
	if (st->n_history) {
		printf("\nrecent history:\n");
		rc = cli_history_table(cli, st->history, st->n_history,
				       st->lock_holder ? "in progress"
						       : "interrupted");
		if (rc)
			return rc;
	}
	return st->n_backups ? backups_text(cli, st) : CLI_OK;
}

int cmd_status(struct cli *cli)
{
	strata_status *st = NULL;
	int rc;

	rc = strata_status_get(cli->ctx, &st);
	if (rc) {
		strata_status_free(st);
		return cli_lib_error(cli, rc);
	}
	if (cli->json)
		rc = out_json(cli, status_json(st));
	else
		rc = status_text(cli, st);
	if (!rc && cli->exit_code && st->n_pending)
		rc = CLI_PENDING;
	strata_status_free(st);
	return rc;
}
