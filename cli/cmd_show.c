/* cmd_show.c - 'show VERSION': one migration, its file and its applied row. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* pending, applied, modified (checksum changed) or missing (file gone). */
static const char *state_of(const strata_migration_info *i)
{
	if (!i->applied)
		return "pending";
	if (!i->has_file)
		return "missing";
	return i->modified ? "modified" : "applied";
}

/* Both sides there and byte for byte the same. */
static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
	return a && b && alen == blen && !memcmp(a, b, alen);
}

static json_t *sides_json(const strata_migration_info *i, const char *file,
			  size_t flen, const char *stored, size_t slen)
{
	bool both = i->has_file && i->applied;

	return json_pack("{s:o, s:o, s:o}", "file",
			 i->has_file && file ? jstrn(file, flen) : json_null(),
			 "stored", stored ? jstrn(stored, slen) : json_null(),
			 "same",
			 both ? json_boolean(same(file, flen, stored, slen) ||
					     (!file && !stored))
			      : json_null());
}

static int show_json(struct cli *cli, const strata_migration_info *i)
{
	json_t *o = json_object(), *a = json_null();

	json_object_set_new(o, "version", jint(i->version));
	json_object_set_new(o, "name", jstr(i->name));
	json_object_set_new(o, "description", jstr(i->description));
	json_object_set_new(o, "state", jstr(state_of(i)));
	json_object_set_new(o, "file", jstr(i->file));
	json_object_set_new(o, "down_file", jstr(i->down_file));
	json_object_set_new(o, "checksum", jstr(i->checksum));
	json_object_set_new(o, "no_transaction",
			    json_boolean(i->flags & STRATA_NO_TRANSACTION));
	json_object_set_new(o, "modified", json_boolean(i->modified));
	if (i->applied)
		a = json_pack("{s:o, s:o, s:o, s:o}", "applied_at",
			      jstr(i->applied_at), "execution_ms",
			      jint_or_null(i->execution_ms), "applied_by",
			      jstr(i->applied_by), "checksum",
			      jstr(i->applied_checksum));
	json_object_set_new(o, "applied", a);
	json_object_set_new(o, "up",
			    sides_json(i, i->up, i->up_len, i->stored_up,
				       i->stored_up_len));
	json_object_set_new(o, "down",
			    sides_json(i, i->down, i->down_len, i->stored_down,
				       i->stored_down_len));
	return out_json(cli, o);
}

static void body(const char *sql, size_t len)
{
	if (!len)
		return;
	fwrite(sql, 1, len, stdout);
	if (sql[len - 1] != '\n')
		fputc('\n', stdout);
}

/*
 * One section (up or down): the file's text, then the stored text, or a
 * line saying it is the same.  'none' says what a NULL body means.
 */
static void section(const strata_migration_info *i, const char *what,
		    const char *file, size_t flen, const char *stored,
		    size_t slen, const char *none)
{
	if (i->has_file) {
		printf("\n-- %s, on disk:\n", what);
		if (file)
			body(file, flen);
		else
			printf("-- (%s)\n", none);
	}
	if (!i->applied)
		return;
	if (i->has_file &&
	    (same(file, flen, stored, slen) || (!file && !stored))) {
		printf("-- %s, as stored: the same\n", what);
		return;
	}
	printf("\n-- %s, as stored%s:\n", what,
	       i->has_file ? " (differs from the file)" : "");
	if (stored)
		body(stored, slen);
	else
		printf("-- (not stored)\n");
}

static void show_text(struct cli *cli, const strata_migration_info *i)
{
	int w = out_vwidth(cli, i->version);
	const char *state = state_of(i);

	printf("migration   %0*" PRId64 "_%s\n", w, i->version,
	       i->name ? i->name : "");
	if (i->description && *i->description)
		printf("description %s\n", i->description);
	if (!strcmp(state, "modified"))
		printf("state       modified: the file changed after it was applied\n");
	else if (!strcmp(state, "missing"))
		printf("state       applied; its file is gone\n");
	else
		printf("state       %s\n", state);
	if (i->file)
		printf("file        %s\n", i->file);
	else if (i->has_file)
		printf("file        (embedded)\n");
	if (i->down_file)
		printf("down file   %s\n", i->down_file);
	if (i->checksum)
		printf("checksum    %s\n", i->checksum);
	if (i->flags & STRATA_NO_TRANSACTION)
		printf("transaction none (strata:no-transaction)\n");
	if (i->applied) {
		printf("applied at  %s\n", i->applied_at ? i->applied_at : "");
		if (i->execution_ms >= 0)
			printf("took        %" PRId64 " ms\n", i->execution_ms);
		if (i->applied_by)
			printf("applied by  %s\n", i->applied_by);
		printf("recorded    %s%s\n",
		       i->applied_checksum ? i->applied_checksum
					   : "(no checksum)",
		       i->modified ? " (differs from the file)" : "");
	}
	section(i, "up", i->up, i->up_len, i->stored_up, i->stored_up_len,
		"empty");
	section(i, "down", i->down, i->down_len, i->stored_down,
		i->stored_down_len, "no down section: irreversible");
}

int cmd_show(struct cli *cli)
{
	strata_migration_info *info = NULL;
	int64_t version;
	int rc;

	if (!cli_parse_target(cli, cli->argv[0], &version))
		return CLI_USAGE;
	rc = strata_show(cli->ctx, version, &info);
	if (rc == STRATA_ENOTFOUND) /* a version nothing has: bad input */
		return cli_lib_error_as(cli, CLI_USAGE);
	if (rc)
		return cli_lib_error(cli, rc);
	if (cli->json)
		rc = show_json(cli, info);
	else
		show_text(cli, info);
	strata_migration_info_free(info);
	return rc;
}
