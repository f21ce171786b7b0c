/*
 * sqlite_recover.c - salvage a damaged SQLite file into a new one: the
 * schema where it can be read, then each table's rows in rowid order.
 * When a damaged page stops a scan, the scan probes further rowids
 * (doubling the step) until it reads again, so one bad page costs the
 * rows on it, not the rest of the table.  The damaged file is opened
 * immutable: nothing is ever written to it, not even a journal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct object {
	char *type, *name, *sql;
};

struct salvage {
	strata *ctx;
	sqlite3 *src, *dst;
	strata_recover_result *res;
};

/* Read sqlite_schema as far as it can be read. */
static int read_schema(struct salvage *v, struct object **out, size_t *n)
{
	sqlite3_stmt *st;
	int step;

	*out = NULL;
	*n = 0;
	v->res->schema_complete = false;
	if (sqlite3_prepare_v2(
		    v->src,
		    "SELECT type, name, sql FROM sqlite_schema"
		    " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
		    -1, &st, NULL) != SQLITE_OK)
		return STRATA_OK; /* no readable schema: nothing to salvage */
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct object *grown = realloc(*out, (*n + 1) * sizeof(*grown));
		if (!grown)
			break;
		*out = grown;
		grown[*n].type =
			strdup((const char *)sqlite3_column_text(st, 0));
		grown[*n].name =
			strdup((const char *)sqlite3_column_text(st, 1));
		grown[*n].sql =
			strdup((const char *)sqlite3_column_text(st, 2));
		(*n)++;
	}
	v->res->schema_complete = step == SQLITE_DONE;
	sqlite3_finalize(st);
	return STRATA_OK;
}

/*
 * Run one CREATE statement taken from the damaged file's schema: a crafted
 * file must not smuggle in anything else (an ATTACH, a second statement).
 */
static bool create_object(sqlite3 *dst, const char *sql)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	bool ok;

	if (!sql || strncasecmp(sql, "CREATE", 6) != 0 ||
	    sqlite3_prepare_v2(dst, sql, -1, &st, &tail) != SQLITE_OK || !st)
		return false;
	while (tail &&
	       (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
		tail++;
	ok = (!tail || !*tail) && sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok;
}

static void objects_free(struct object *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].type);
		free(o[i].name);
		free(o[i].sql);
	}
	free(o);
}

/* The first rowid >= from that can be read, probing past damage. */
static bool next_readable(sqlite3_stmt *probe, int64_t from, int64_t *out)
{
	int64_t step = 1;

	while (from < INT64_MAX) {
		int rc;
		sqlite3_reset(probe);
		sqlite3_bind_int64(probe, 1, from);
		rc = sqlite3_step(probe);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(probe, 0);
			return true;
		}
		if (rc == SQLITE_DONE)
			return false; /* nothing readable beyond */
		from = from > INT64_MAX - step ? INT64_MAX : from + step;
		if (step < INT64_MAX / 2)
			step *= 2;
	}
	return false;
}

/* Copy one row from the current row of 'from' into 'ins' (rowid first). */
static int copy_row(sqlite3_stmt *from, sqlite3_stmt *ins, int ncol)
{
	sqlite3_reset(ins);
	for (int i = 0; i < ncol; i++)
		sqlite3_bind_value(ins, i + 1, sqlite3_column_value(from, i));
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

static int salvage_table(struct salvage *v, const char *table,
			 strata_recover_table *t)
{
	struct sb q = SB_INIT, p = SB_INIT, ins = SB_INIT;
	sqlite3_stmt *scan = NULL, *probe = NULL, *put = NULL;
	int64_t next = INT64_MIN, last = INT64_MIN;
	int ncol, rc = STRATA_OK;

	sb_adds(&q, "SELECT rowid, * FROM ");
	sb_add_ident(&q, table);
	sb_adds(&q, " WHERE rowid >= ? ORDER BY rowid");
	sb_adds(&p, "SELECT rowid FROM ");
	sb_add_ident(&p, table);
	sb_adds(&p, " WHERE rowid >= ? ORDER BY rowid LIMIT 1");
	if (q.failed || p.failed) {
		rc = err_oom(v->ctx);
		goto out;
	}
	t->rows_lost = 0;
	if (sqlite3_prepare_v2(v->src, q.buf, -1, &scan, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(v->src, p.buf, -1, &probe, NULL) != SQLITE_OK) {
		t->rows_lost = -1; /* WITHOUT ROWID or unreadable: skipped */
		goto out;
	}
	ncol = sqlite3_column_count(scan);
	sb_adds(&ins, "INSERT INTO ");
	sb_add_ident(&ins, table);
	sb_adds(&ins, " (rowid");
	for (int i = 1; i < ncol; i++) {
		sb_adds(&ins, ", ");
		sb_add_ident(&ins, sqlite3_column_name(scan, i));
	}
	sb_adds(&ins, ") VALUES (?");
	for (int i = 1; i < ncol; i++)
		sb_adds(&ins, ", ?");
	sb_adds(&ins, ")");
	if (ins.failed ||
	    sqlite3_prepare_v2(v->dst, ins.buf, -1, &put, NULL) != SQLITE_OK) {
		t->rows_lost = -1;
		goto out;
	}
	for (;;) {
		bool progress = false;
		int64_t from, found;
		int step;
		sqlite3_reset(scan);
		sqlite3_bind_int64(scan, 1, next);
		while ((step = sqlite3_step(scan)) == SQLITE_ROW) {
			last = sqlite3_column_int64(scan, 0);
			progress = true;
			if (copy_row(scan, put, ncol) == 0)
				t->rows_recovered++;
		}
		if (step == SQLITE_DONE)
			break;
		/* Damage: resume past it; every pass starts further on. */
		from = progress ? last + 1 : next + 1;
		if (from == INT64_MAX || !next_readable(probe, from, &found)) {
			t->rows_lost = -1; /* the rest cannot be read */
			break;
		}
		/* Rowids are usually dense: the gap is the rows lost. */
		if (t->rows_lost >= 0 && last != INT64_MIN)
			t->rows_lost += found - last - 1;
		next = found;
	}
out:
	sqlite3_finalize(scan);
	sqlite3_finalize(probe);
	sqlite3_finalize(put);
	sb_release(&q);
	sb_release(&p);
	sb_release(&ins);
	return rc;
}

static int salvage(struct salvage *v)
{
	struct object *objs;
	size_t n;
	int rc;

	rc = read_schema(v, &objs, &n);
	if (rc)
		return rc;
	sqlite3_exec(v->dst, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n && !rc; i++) {
		strata_recover_table *t, *grown;
		if (!objs[i].type || strcmp(objs[i].type, "table") != 0 ||
		    !objs[i].sql)
			continue;
		if (!create_object(v->dst, objs[i].sql))
			continue; /* e.g. a virtual table whose module is absent
				   */
		grown = realloc(v->res->tables,
				(v->res->n + 1) * sizeof(*grown));
		if (!grown) {
			rc = err_oom(v->ctx);
			break;
		}
		v->res->tables = grown;
		t = &grown[v->res->n++];
		memset(t, 0, sizeof(*t));
		t->name = strdup(objs[i].name);
		rc = salvage_table(v, objs[i].name, t);
		v->res->rows_recovered += t->rows_recovered;
	}
	/* Indexes, views and triggers after the rows, so no trigger fires. */
	for (size_t i = 0; i < n && !rc; i++)
		if (objs[i].type && strcmp(objs[i].type, "table") != 0)
			create_object(v->dst, objs[i].sql);
	if (sqlite3_exec(v->dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
	    !rc)
		rc = err_set(v->ctx, STRATA_EIO,
			     "cannot write the recovered file: %s",
			     sqlite3_errmsg(v->dst));
	objects_free(objs, n);
	return rc;
}

int sqlite_recover(struct engine_conn *c, const char *out,
		   strata_recover_result *res)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct salvage v = { .ctx = c->ctx, .res = res };
	struct sb uri = SB_INIT;
	struct stat st;
	int rc;

	if (stat(out, &st) == 0)
		return err_set(c->ctx, STRATA_EIO,
			       "'%s' already exists: recover writes a new file",
			       out);
	sb_adds(&uri, "file:");
	for (const char *p = s->path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%')
			sb_addf(&uri, "%%%02X", (unsigned char)*p);
		else
			sb_addc(&uri, *p);
	}
	sb_adds(&uri, "?immutable=1");
	if (uri.failed)
		return err_oom(c->ctx);
	if (sqlite3_open_v2(uri.buf, &v.src,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK) {
		rc = err_set(c->ctx, STRATA_EIO, "cannot open '%s': %s",
			     s->path, sqlite3_errmsg(v.src));
		goto out;
	}
	if (sqlite3_open_v2(out, &v.dst,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		rc = err_set(c->ctx, STRATA_EIO, "cannot create '%s': %s", out,
			     sqlite3_errmsg(v.dst));
		goto out;
	}
	rc = salvage(&v);
out:
	sqlite3_close(v.src);
	sqlite3_close(v.dst);
	sb_release(&uri);
	return rc;
}
