/* cmd_repair.c - 'repair': interrupted attempts, dirty state, checksums. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static json_t *versions_json(const int64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, jint(v[i]));
	return a;
}

static void repair_text(struct cli *cli, const strata_repair_result *r)
{
	const strata_repair_checksum *c;
	size_t i;

	for (i = 0; i < r->n_interrupted; i++)
		printf("recorded the interrupted attempt at version %0*" PRId64
		       " as failed\n",
		       out_vwidth(cli, r->interrupted[i]), r->interrupted[i]);
	for (i = 0; i < r->n_dirty_cleared; i++)
		printf("cleared the dirty state of version %0*" PRId64
		       " (it is pending again)\n",
		       out_vwidth(cli, r->dirty_cleared[i]),
		       r->dirty_cleared[i]);
	for (i = 0; i < r->n_checksums; i++) {
		c = &r->checksums[i];
		printf("%s %0*" PRId64 "_%s: %s -> %s\n",
		       r->checksums_written ? "re-recorded the checksum of"
					    : "would re-record the checksum of",
		       out_vwidth(cli, c->version), c->version,
		       c->name ? c->name : "",
		       c->old_checksum ? c->old_checksum : "none",
		       c->new_checksum ? c->new_checksum : "none");
	}
	if (r->n_checksums && !r->checksums_written)
		printf("run 'strata repair --yes' to re-record these checksums\n");
	if (!r->n_interrupted && !r->n_dirty_cleared && !r->n_checksums &&
	    !cli->quiet)
		printf("nothing to repair\n");
}

int cmd_repair(struct cli *cli)
{
	strata_repair_result *r = NULL;
	json_t *a;
	size_t i;
	int rc;

	rc = strata_repair(cli->ctx, cli->yes, &r);
	if (rc) {
		strata_repair_free(r);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		a = json_array();
		for (i = 0; i < r->n_checksums; i++)
			json_array_append_new(
				a,
				json_pack("{s:o, s:o, s:o, s:o}", "version",
					  jint(r->checksums[i].version), "name",
					  jstr(r->checksums[i].name),
					  "old_checksum",
					  jstr(r->checksums[i].old_checksum),
					  "new_checksum",
					  jstr(r->checksums[i].new_checksum)));
		rc = out_json(cli,
			      json_pack("{s:o, s:o, s:o, s:b}", "interrupted",
					versions_json(r->interrupted,
						      r->n_interrupted),
					"dirty_cleared",
					versions_json(r->dirty_cleared,
						      r->n_dirty_cleared),
					"checksums", a, "checksums_written",
					r->checksums_written));
	} else {
		repair_text(cli, r);
	}
	strata_repair_free(r);
	return rc;
}
