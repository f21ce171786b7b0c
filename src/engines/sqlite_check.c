/* sqlite_check.c - PRAGMA integrity_check and foreign_key_check, as problems.
 */
#include <string.h>

#include "err.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* integrity_check: every line that is not "ok" is a problem. */
static int check_integrity(struct sqlite_conn *s, strata_check_result *out)
{
	sqlite3_stmt *st;
	int rc = STRATA_OK, step;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st,
			       NULL) != SQLITE_OK)
		return check_add(out, "integrity", NULL, -1, NULL, "%s",
				 sqlite3_errmsg(s->db));
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line && strcmp(line, "ok") != 0)
			rc = check_add(out, "integrity", NULL, -1, NULL, "%s",
				       line);
	}
	/* A file too damaged to walk is a problem, not a failed command. */
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = check_add(out, "integrity", NULL, -1, NULL, "%s",
			       sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

static int check_foreign_keys(struct sqlite_conn *s, strata_check_result *out)
{
	sqlite3_stmt *st;
	int rc = STRATA_OK, step;

	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check",
		    -1, &st, NULL) != SQLITE_OK)
		return check_add(out, "foreign_key", NULL, -1, NULL, "%s",
				 sqlite3_errmsg(s->db));
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		bool has_rowid = sqlite3_column_type(st, 1) != SQLITE_NULL;
		int64_t rowid = has_rowid ? sqlite3_column_int64(st, 1) : -1;
		rc = check_add(
			out, "foreign_key", table, rowid, parent,
			"table '%s' rowid %lld references a missing row in '%s'",
			table, (long long)rowid, parent);
	}
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = check_add(out, "foreign_key", NULL, -1, NULL, "%s",
			       sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

int sqlite_check(struct engine_conn *c, const char *prefix,
		 strata_check_result *out)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int rc;

	(void)prefix;
	rc = check_integrity(s, out);
	if (!rc)
		rc = check_foreign_keys(s, out);
	out->n_checks = 2;
	return rc;
}
