/* cmd_validate.c - 'validate': the files against the applied migrations. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "cli.h"
#include "out.h"
#include "strata.h"

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

int cmd_validate(struct cli *cli)
{
	strata_status *st = NULL;
	const char *rc_ = C_RED;
	size_t i, ooo;
	json_t *o, *miss;
	int rc, w;

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
	if (cli->json) {
		miss = json_array();
		for (i = 0; i < st->n_missing; i++)
			json_array_append_new(
				miss,
				json_pack("{s:o, s:o}", "version",
					  jint(st->missing[i].version), "name",
					  jstr(st->missing[i].name)));
		o = json_pack("{s:b, s:o, s:o, s:o}", "valid",
			      !st->n_modified && !ooo, "modified",
			      files_json(st->modified, st->n_modified, false),
			      "out_of_order",
			      files_json(st->pending, st->n_pending, true),
			      "missing", miss);
		rc = out_json(cli, o);
	} else {
		for (i = 0; i < st->n_modified; i++) {
			const strata_file_info *f = &st->modified[i];

			w = out_vwidth(cli, f->version);
			printf("%smodified%s: %0*" PRId64
			       "_%s%s%s%s: its checksum changed since it was applied\n",
			       out_on(stdout, rc_), out_off(stdout, rc_), w,
			       f->version, f->name ? f->name : "",
			       f->file ? " (" : "", f->file ? f->file : "",
			       f->file ? ")" : "");
		}
		for (i = 0; i < st->n_pending; i++) {
			const strata_file_info *f = &st->pending[i];

			if (!f->out_of_order)
				continue;
			w = out_vwidth(cli, f->version);
			printf("%sout of order%s: %0*" PRId64
			       "_%s%s%s%s: pending below the highest applied version\n",
			       out_on(stdout, rc_), out_off(stdout, rc_), w,
			       f->version, f->name ? f->name : "",
			       f->file ? " (" : "", f->file ? f->file : "",
			       f->file ? ")" : "");
		}
		if (!st->n_modified && !ooo && !cli->quiet)
			printf("migrations are valid\n");
	}
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
