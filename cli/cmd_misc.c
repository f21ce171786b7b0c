/* cmd_misc.c - 'init', 'new', 'stamp', 'repair' and 'schema'. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "cli.h"
#include "out.h"
#include "strata.h"

/* ---- init ---------------------------------------------------------------- */

int cmd_init(struct cli *cli)
{
	strata_status *st = NULL;
	bool created, db_existed;
	char *database = NULL;
	int rc;

	rc = strata_init_dir(cli->ctx, cli->dir, &created);
	if (rc)
		return cli_lib_error(cli, rc);
	rc = strata_add_dir(cli->ctx, cli->dir);
	if (rc)
		return cli_lib_error_as(cli, CLI_USAGE);
	/* Ask before creating, to say what was created. */
	rc = strata_status_get(cli->ctx, &st);
	if (rc) {
		strata_status_free(st);
		return cli_lib_error(cli, rc);
	}
	db_existed = st->exists;
	database = strdup(st->database ? st->database : "");
	strata_status_free(st);
	if (!database)
		return cli_error(cli, CLI_FAIL, "out of memory");
	rc = strata_init(cli->ctx);
	if (rc) {
		free(database);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		rc = out_json(
			cli, json_pack("{s:s, s:b, s:s, s:b, s:[s+, s+]}",
				       "dir", cli->dir, "dir_created", created,
				       "database", database, "database_created",
				       !db_existed, "tables", cli->table,
				       "_migrations", cli->table, "_history"));
	} else if (!cli->quiet) {
		printf(created ? "created migrations folder %s\n"
			       : "migrations folder %s already exists\n",
		       cli->dir);
		if (!db_existed)
			printf("created database %s\n", database);
		printf("tracking tables %s_migrations and %s_history are ready in %s\n",
		       cli->table, cli->table, database);
	}
	free(database);
	return rc;
}

/* ---- new ----------------------------------------------------------------- */

/* "migrations/003_add_x.sql" -> 3 and "add_x". */
static json_t *new_json(const char *path)
{
	const char *base = strrchr(path, '/'), *p, *end;
	int64_t v = 0;

	base = base ? base + 1 : path;
	for (p = base; *p >= '0' && *p <= '9'; p++)
		if (v <= (INT64_MAX - 9) / 10)
			v = v * 10 + (*p - '0');
	if (*p == '_')
		p++;
	end = strstr(p, ".");
	if (!end)
		end = p + strlen(p);
	return json_pack("{s:s, s:o, s:s%}", "path", path, "version", jint(v),
			 "name", p, (size_t)(end - p));
}

int cmd_new(struct cli *cli)
{
	const char *name = cli->argv[0];
	char *path = NULL;
	int rc;

	rc = strata_new_file(cli->ctx, cli->dir, name, cli->timestamp, &path);
	if (rc) {
		strata_free(path);
		return cli_lib_error(cli, rc);
	}
	if (cli->json)
		rc = out_json(cli, new_json(path));
	else
		printf("%s\n", path);
	strata_free(path);
	return rc;
}

/* ---- stamp --------------------------------------------------------------- */

int cmd_stamp(struct cli *cli)
{
	strata_run *run = NULL;
	int64_t version;
	json_t *a;
	size_t i;
	int rc, w;

	if (!cli_parse_target(cli, cli->argv[0], &version))
		return CLI_USAGE;
	w = out_vwidth(cli, version);
	if (cli->delete) {
		rc = strata_unstamp(cli->ctx, version);
		if (rc)
			return cli_lib_error(cli, rc);
		if (cli->json)
			return out_json(cli,
					json_pack("{s:{s:o}}", "deleted",
						  "version", jint(version)));
		if (!cli->quiet)
			printf("deleted the record of version %0*" PRId64 "\n",
			       w, version);
		return CLI_OK;
	}
	rc = strata_stamp(cli->ctx, version, &run);
	if (rc) {
		strata_run_free(run);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		a = json_array();
		for (i = 0; run && i < run->n_done; i++)
			json_array_append_new(
				a, json_pack("{s:o, s:o}", "version",
					     jint(run->done[i].version), "name",
					     jstr(run->done[i].name)));
		rc = out_json(cli, json_pack("{s:o}", "stamped", a));
	} else if (!cli->quiet) {
		for (i = 0; run && i < run->n_done; i++)
			printf("stamped %0*" PRId64 "_%s\n",
			       out_vwidth(cli, run->done[i].version),
			       run->done[i].version,
			       run->done[i].name ? run->done[i].name : "");
		if (!run || !run->n_done)
			printf("nothing to stamp: every migration up to %0*" PRId64
			       " is applied\n",
			       w, version);
		else
			printf("stamp: %zu recorded as applied\n", run->n_done);
	}
	strata_run_free(run);
	return rc;
}

/* ---- repair -------------------------------------------------------------- */

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

/* ---- schema -------------------------------------------------------------- */

int cmd_schema(struct cli *cli)
{
	bool want_json = cli->format ? !strcmp(cli->format, "json") : cli->json;
	char *text = NULL;
	json_t *parsed;
	size_t len;
	int rc;

	rc = strata_schema(cli->ctx,
			   want_json ? STRATA_SCHEMA_JSON : STRATA_SCHEMA_SQL,
			   &text);
	if (rc) {
		strata_free(text);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		/* One object on stdout: the schema itself, or it wrapped. */
		parsed = want_json && text ? json_loads(text, 0, NULL) : NULL;
		if (!json_is_object(parsed)) {
			json_t *inner = parsed;

			parsed = json_pack("{s:s, s:o}", "format",
					   want_json ? "json" : "sql", "schema",
					   inner ? inner
						 : jstr(text ? text : ""));
		}
		rc = out_json(cli, parsed);
	} else if (text) {
		len = strlen(text);
		fputs(text, stdout);
		if (len && text[len - 1] != '\n')
			fputc('\n', stdout);
	}
	strata_free(text);
	return rc;
}
