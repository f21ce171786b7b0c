/*
 * sqlite_quick.c - PRAGMA quick_check before and after a run: one read of
 * every page (no index-to-table cross check), the first problems kept.
 */
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

#define QUICK_LINES 5 /* problems kept for the message */

int sqlite_quick_check(struct engine_conn *c, char **problems)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb out = SB_INIT;
	sqlite3_stmt *st = NULL;
	int step, n = 0;

	*problems = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA main.quick_check(5)", -1, &st,
			       NULL) != SQLITE_OK) {
		int code = sqlite3_errcode(s->db);
		if (code != SQLITE_CORRUPT && code != SQLITE_NOTADB)
			return sqlite_fail(s, "cannot run PRAGMA quick_check");
		sb_adds(&out, sqlite3_errmsg(s->db));
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line && !strcmp(line, "ok"))
			continue;
		if (n++ < QUICK_LINES)
			sb_addf(&out, "%s%s", out.len ? "\n" : "",
				line ? line : "(no text)");
	}
	if (step != SQLITE_DONE) {
		int code = sqlite3_errcode(s->db);
		if (code != SQLITE_CORRUPT && code != SQLITE_NOTADB &&
		    code != SQLITE_IOERR) {
			sqlite3_finalize(st);
			sb_release(&out);
			return sqlite_fail(s, "cannot run PRAGMA quick_check");
		}
		sb_addf(&out, "%s%s", out.len ? "\n" : "",
			sqlite3_errmsg(s->db));
	}
done:
	sqlite3_finalize(st);
	if (out.failed) {
		sb_release(&out);
		return err_oom(c->ctx);
	}
	*problems = out.len ? sb_detach(&out) : NULL;
	sb_release(&out);
	return STRATA_OK;
}
