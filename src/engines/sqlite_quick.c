/*
 * sqlite_quick.c - PRAGMA quick_check before and after a run: one read of
 * every page (no index-to-table cross check), the first problems kept.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define QUICK_LINES 5 /* problems kept for the message */

/*
 * A connection of its own, read-only, to the file: it reads the schema
 * from the file as the next process will, not the one this connection
 * has cached (a migration that wrote sqlite_schema directly).  Our own
 * connection for :memory: or when the file cannot be opened so.
 */
static sqlite3 *checker(struct sqlite_conn *s, bool *own)
{
	sqlite3 *db = NULL;
	int ms = s->base.ctx->lock_timeout > INT_MAX / 1000
			 ? INT_MAX
			 : s->base.ctx->lock_timeout * 1000;

	*own = false;
	if (!s->path || !*s->path || !strcmp(s->path, ":memory:") ||
	    sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK) {
		sqlite3_close(db);
		return s->db;
	}
	sqlite3_busy_timeout(db, ms);
	*own = true;
	return db;
}

int sqlite_quick_check(struct engine_conn *c, char **problems)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb out = SB_INIT;
	sqlite3_stmt *st = NULL;
	bool own;
	sqlite3 *db = checker(s, &own);
	int step, n = 0, rc = STRATA_OK;

	*problems = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA main.quick_check(5)", -1, &st,
			       NULL) != SQLITE_OK) {
		int code = sqlite3_errcode(db);
		if (code != SQLITE_CORRUPT && code != SQLITE_NOTADB) {
			rc = err_set(c->ctx, STRATA_ESQL,
				     "cannot run PRAGMA quick_check: %s",
				     sqlite3_errmsg(db));
			goto done;
		}
		sb_adds(&out, sqlite3_errmsg(db));
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
		int code = sqlite3_errcode(db);
		if (code != SQLITE_CORRUPT && code != SQLITE_NOTADB &&
		    code != SQLITE_IOERR)
			rc = err_set(c->ctx, STRATA_ESQL,
				     "cannot run PRAGMA quick_check: %s",
				     sqlite3_errmsg(db));
		else
			sb_addf(&out, "%s%s", out.len ? "\n" : "",
				sqlite3_errmsg(db));
	}
done:
	sqlite3_finalize(st);
	if (own)
		sqlite3_close(db);
	if (!rc && out.failed)
		rc = err_oom(c->ctx);
	if (!rc && out.len)
		*problems = sb_detach(&out);
	sb_release(&out);
	return rc;
}
