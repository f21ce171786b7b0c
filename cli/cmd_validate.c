/* cmd_validate.c - 'validate': the files against the applied migrations. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static json_t *files_json(const strata_file_info *f, size_t n, bool ooo_only)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		if (ooo_only && !f[i].out_of_order)
			continue;
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "version",
						   jint(f[i].version), "name",
						   jstr(f[i].name), "file",
						   jstr(f[i].file)));
	}
	return a;
}

static int validate_json(struct cli *cli, const strata_status *st, size_t ooo)
{
	json_t *o, *miss = json_array();
	size_t i;

	for (i = 0; i < st->n_missing; i++)
		json_array_append_new(
			miss, json_pack("{s:o, s:o}", "version",
					jint(st->missing[i].version), "name",
					jstr(st->missing[i].name)));
	o = json_pack(
		"{s:b, s:o, s:o, s:o}", "valid", !st->n_modified && !ooo,
		"modified", files_json(st->modified, st->n_modified, false),
		"out_of_order", files_json(st->pending, st->n_pending, true),
		"missing", miss);
	return out_json(cli, o);
}

/* "WHAT: 001_name (file): WHY", WHAT in red. */
static void problem_line(struct cli *cli, const char *what,
			 const strata_file_info *f, const char *why)
{
	const char *rc_ = C_RED;

	printf("%s%s%s: %0*" PRId64 "_%s%s%s%s: %s\n", out_on(stdout, rc_),
	       what, out_off(stdout, rc_), out_vwidth(cli, f->version),
	       f->version, f->name ? f->name : "", f->file ? " (" : "",
	       f->file ? f->file : "", f->file ? ")" : "", why);
}

static void validate_text(struct cli *cli, const strata_status *st, size_t ooo)
{
	size_t i;

	for (i = 0; i < st->n_modified; i++)
		problem_line(cli, "modified", &st->modified[i],
			     "its checksum changed since it was applied");
	for (i = 0; i < st->n_pending; i++)
		if (st->pending[i].out_of_order)
			problem_line(
				cli, "out of order", &st->pending[i],
				"pending below the highest applied version");
	if (!st->n_modified && !ooo && !cli->quiet)
		printf("migrations are valid\n");
}

int cmd_validate(struct cli *cli)
{
	strata_status *st = NULL;
	size_t i, ooo;
	int rc;

	rc = strata_status_get(cli->ctx, &st);
	if (rc) {
		strata_status_free(st);
		return cli_lib_error(cli, rc);
	}
	ooo = cli_count_out_of_order(st);
	for (i = 0; i < st->n_missing; i++)
		out_warn("applied migration %0*" PRId64 "_%s has no file",
			 out_vwidth(cli, st->missing[i].version),
			 st->missing[i].version,
			 st->missing[i].name ? st->missing[i].name : "");
	if (cli->json)
		rc = validate_json(cli, st, ooo);
	else
		validate_text(cli, st, ooo);
	if (!rc && st->n_modified && ooo)
		rc = cli_error(
			cli, CLI_FAIL,
			"validation failed: %zu modified, %zu out of order",
			st->n_modified, ooo);
	else if (!rc && (st->n_modified || ooo))
		rc = cli_error(cli, CLI_FAIL, "validation failed: %zu %s",
			       st->n_modified + ooo,
			       st->n_modified ? "modified" : "out of order");
	strata_status_free(st);
	return rc;
}
