/* adopt.c - take over a database another migration tool migrated. */
#include "adopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* The tools whose tables are probed, in this order. */
enum tool_id { T_GOLANG_MIGRATE, T_DBMATE, T_GOOSE, T_FLYWAY, T_SQL_MIGRATE };

struct tool {
	const char *name;
	const char *prefix, *suffix; /* the table is "<prefix>_<suffix>" */
	const char *table;
	const char *cols; /* SELECT cols FROM table tail */
	const char *tail;
};

static const struct tool tools[] = {
	[T_GOLANG_MIGRATE] = { "golang-migrate", "schema", "migrations",
			       "schema_migrations", "version, dirty", "" },
	[T_DBMATE] = { "dbmate", "schema", "migrations", "schema_migrations",
		       "version", "" },
	[T_GOOSE] = { "goose", "goose_db", "version", "goose_db_version",
		      "version_id, is_applied", " ORDER BY id" },
	[T_FLYWAY] = { "flyway", "flyway_schema", "history",
		       "flyway_schema_history", "version, success, type",
		       " ORDER BY installed_rank" },
	[T_SQL_MIGRATE] = { "sql-migrate", "gorp", "migrations",
			    "gorp_migrations", "id", "" },
};
#define N_TOOLS (sizeof(tools) / sizeof(tools[0]))

/* The rows of a probe, as text (NULL kept as NULL). */
struct rows {
	char **v; /* n * 3 cells */
	size_t n, cap;
	bool failed;
};

static int rows_add(void *payload, int ncol, const char *const *vals)
{
	struct rows *r = payload;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		char **grown = realloc(r->v, cap * 3 * sizeof(*grown));
		if (!grown) {
			r->failed = true;
			return 1;
		}
		r->v = grown;
		r->cap = cap;
	}
	for (int i = 0; i < 3; i++) {
		const char *s = i < ncol ? vals[i] : NULL;
		r->v[r->n * 3 + i] = s ? strdup(s) : NULL;
		if (s && !r->v[r->n * 3 + i])
			r->failed = true;
	}
	r->n++;
	return r->failed;
}

static void rows_release(struct rows *r)
{
	for (size_t i = 0; i < r->n * 3; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/*
 * Run tool t's probe into *r: STRATA_OK, STRATA_ENOTFOUND when the query
 * fails (no such table or columns; the error is dropped) or ENOMEM.
 */
static int probe(struct session *s, const struct tool *t, struct rows *r)
{
	struct sb name = SB_INIT, sql = SB_INIT;
	int rc;

	s->e->tracking_name(s->c, t->prefix, t->suffix, &name);
	if (!name.failed)
		sb_addf(&sql, "SELECT %s FROM %s%s", t->cols, name.buf,
			t->tail);
	if (name.failed || sql.failed) {
		sb_release(&name);
		sb_release(&sql);
		return err_oom(s->ctx);
	}
	rc = s->e->query(s->c, sql.buf, NULL, 0, rows_add, r);
	sb_release(&name);
	sb_release(&sql);
	if (r->failed)
		return err_oom(s->ctx);
	if (rc) {
		rows_release(r);
		err_clear(s->ctx);
		return STRATA_ENOTFOUND;
	}
	return STRATA_OK;
}

/* Find the first tool whose probe succeeds; *which -1 when none. */
static int find_tool(struct session *s, int *which, struct rows *r)
{
	*which = -1;
	for (size_t i = 0; i < N_TOOLS; i++) {
		int rc = probe(s, &tools[i], r);
		if (rc == STRATA_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		*which = (int)i;
		return STRATA_OK;
	}
	return STRATA_OK;
}

/* ---- reading the other tool's rows ------------------------------------- */

static bool truthy(const char *s)
{
	return s && (!strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "true") ||
		     !strcmp(s, "TRUE") || !strcmp(s, "T"));
}

/* The leading digits of s as a version; false when there are none. */
static bool leading_version(const char *s, int64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno)
		return false;
	*out = v;
	return true;
}

/* A whole-string integer version. */
static bool whole_version(const char *s, int64_t *out)
{
	char *end;

	if (!leading_version(s, out))
		return false;
	(void)strtoll(s, &end, 10);
	return *end == '\0';
}

struct vset {
	int64_t *v;
	size_t n, cap;
};

static int vset_put(struct vset *vs, int64_t v, bool on)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (vs->v[i] == v) {
			if (!on)
				vs->v[i] = vs->v[--vs->n];
			return STRATA_OK;
		}
	}
	if (!on)
		return STRATA_OK;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 16;
		int64_t *grown = realloc(vs->v, cap * sizeof(*grown));
		if (!grown)
			return STRATA_ENOMEM;
		vs->v = grown;
		vs->cap = cap;
	}
	vs->v[vs->n++] = v;
	return STRATA_OK;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int bad_row(strata *ctx, const struct tool *t, const char *what)
{
	return err_set(
		ctx, STRATA_ERROR,
		"cannot read %s's table %s: version '%s' is not an integer",
		t->name, t->table, what ? what : "NULL");
}

/*
 * The applied versions the rows say, sorted, into *vs; a golang-migrate
 * dirty version to *dirty (-1: none).
 */
static int applied_versions(strata *ctx, int which, const struct rows *r,
			    struct vset *vs, int64_t *dirty)
{
	const struct tool *t = &tools[which];
	const struct source *src = &ctx->src;
	int64_t v;
	int rc = STRATA_OK;

	*dirty = -1;
	for (size_t i = 0; i < r->n && !rc; i++) {
		char *const *row = &r->v[i * 3];
		switch (which) {
		case T_GOLANG_MIGRATE:
			/* One row: everything up to it (it, unless dirty). */
			if (!whole_version(row[0], &v))
				return bad_row(ctx, t, row[0]);
			if (truthy(row[1]))
				*dirty = v;
			for (size_t k = 0; k < src->n && !rc; k++)
				if (src->items[k].version < v)
					rc = vset_put(vs, src->items[k].version,
						      true);
			if (!rc && !truthy(row[1]))
				rc = vset_put(vs, v, true);
			break;
		case T_DBMATE:
			if (!whole_version(row[0], &v))
				return bad_row(ctx, t, row[0]);
			rc = vset_put(vs, v, true);
			break;
		case T_GOOSE:
			/* The latest row of a version decides; 0 is goose's
			 * own. */
			if (!whole_version(row[0], &v))
				return bad_row(ctx, t, row[0]);
			if (v != 0 || source_find(src, 0))
				rc = vset_put(vs, v, truthy(row[1]));
			break;
		case T_FLYWAY:
			/* Versioned, successful rows; repeatables have no
			 * version. */
			if (!row[0] || !truthy(row[1]) ||
			    (row[2] && (!strcmp(row[2], "BASELINE") ||
					!strcmp(row[2], "SCHEMA") ||
					!strcmp(row[2], "DELETE"))))
				break;
			if (!whole_version(row[0], &v))
				return bad_row(ctx, t, row[0]);
			rc = vset_put(vs, v,
				      !(row[2] && !strncmp(row[2], "UNDO", 4)));
			break;
		case T_SQL_MIGRATE:
			if (!leading_version(row[0], &v))
				return bad_row(ctx, t, row[0]);
			rc = vset_put(vs, v, true);
			break;
		}
	}
	if (rc)
		return err_oom(ctx);
	if (vs->n > 1)
		qsort(vs->v, vs->n, sizeof(*vs->v), cmp_i64);
	return STRATA_OK;
}

int adopt_detect(struct session *s, const char **tool, const char **table)
{
	struct vset vs = { 0 };
	struct rows r = { 0 };
	int64_t dirty = -1;
	int which, rc;

	*tool = *table = NULL;
	if (!s->c)
		return STRATA_OK;
	rc = find_tool(s, &which, &r);
	if (!rc && which >= 0) {
		/* An unreadable row still says the tool was here. */
		rc = applied_versions(s->ctx, which, &r, &vs, &dirty);
		if (rc && rc != STRATA_ENOMEM) {
			err_clear(s->ctx);
			rc = STRATA_OK;
			vs.n = 1;
		}
		if (!rc && (vs.n || dirty >= 0)) {
			*tool = tools[which].name;
			*table = tools[which].table;
		}
	}
	rows_release(&r);
	free(vs.v);
	return rc;
}

int adopt_hint(struct session *s, bool refuse)
{
	const char *tool, *table;
	int rc;

	if (s->tables || !s->c)
		return STRATA_OK;
	rc = adopt_detect(s, &tool, &table);
	if (rc || !tool)
		return rc;
	if (refuse)
		return err_set(
			s->ctx, STRATA_ERROR,
			"this database was migrated by %s (%s): run 'strata adopt' to take it over (up refuses to run its migrations again)",
			tool, table);
	log_msg(s->ctx, STRATA_LOG_WARN,
		"this database was migrated by %s (%s): run 'strata adopt' to take it over",
		tool, table);
	return STRATA_OK;
}

/* ---- adopt --------------------------------------------------------------- */

static int push(strata_adopt_result *res, const struct migration *m)
{
	strata_adopt_item *grown =
		realloc(res->recorded, (res->n_recorded + 1) * sizeof(*grown));

	if (!grown)
		return STRATA_ENOMEM;
	res->recorded = grown;
	res->recorded[res->n_recorded].version = m->version;
	res->recorded[res->n_recorded].name = strdup(m->name);
	return res->recorded[res->n_recorded++].name ? STRATA_OK
						     : STRATA_ENOMEM;
}

/* Strata's rows must be a part of what the other tool applied. */
static int check_agree(struct session *s, const struct vset *vs,
		       const strata_adopt_result *res)
{
	for (size_t i = 0; i < s->al.n; i++) {
		int64_t v = s->al.items[i].version;
		bool found = vs->n && bsearch(&v, vs->v, vs->n, sizeof(*vs->v),
					      cmp_i64) != NULL;
		if (!found)
			return err_set(
				s->ctx, STRATA_ERROR,
				"strata's tables already record version %lld as applied, which %s (%s) does not: refusing to adopt",
				(long long)v, res->tool, res->table);
	}
	return STRATA_OK;
}

static int plan_items(struct session *s, const struct vset *vs,
		      strata_adopt_result *res)
{
	const struct source *src = &s->ctx->src;

	for (size_t i = 0; i < vs->n; i++) {
		const struct migration *m = source_find(src, vs->v[i]);
		if (!m)
			return err_set(
				s->ctx, STRATA_ENOTFOUND,
				"%s (%s) records version %lld as applied, but no migration file has that version",
				res->tool, res->table, (long long)vs->v[i]);
		if (applied_find(&s->al, m->version))
			continue;
		if (push(res, m))
			return err_oom(s->ctx);
	}
	if (res->dirty >= 0 && !source_find(src, res->dirty))
		return err_set(
			s->ctx, STRATA_ENOTFOUND,
			"%s (%s) records version %lld as dirty, but no migration file has that version",
			res->tool, res->table, (long long)res->dirty);
	return STRATA_OK;
}

static int write_rows(struct session *s, const strata_adopt_result *res)
{
	const char *prefix = s->ctx->table;
	char now[ISO_TIME_LEN], note[160];
	int rc;

	snprintf(note, sizeof(note), "adopted from %s (%s)", res->tool,
		 res->table);
	util_now_iso(now);
	rc = session_ensure_tables(s);
	if (!rc)
		rc = s->e->begin(s->c);
	if (rc)
		return rc;
	for (size_t i = 0; i < res->n_recorded && !rc; i++) {
		const struct migration *m =
			source_find(&s->ctx->src, res->recorded[i].version);
		struct hist_row h = {
			.version = m->version,
			.name = m->name,
			.direction = "stamp",
			.status = "success",
			.started_at = now,
			.finished_at = now,
			.execution_ms = 0,
			.statements_done = 0,
			.error = note,
		};
		rc = track_insert_applied(s->c, prefix, m, now, 0);
		if (!rc)
			rc = track_insert_history(s->c, prefix, &h);
	}
	if (!rc && res->dirty >= 0) {
		const struct migration *m =
			source_find(&s->ctx->src, res->dirty);
		struct hist_row h = {
			.version = m->version,
			.name = m->name,
			.direction = "stamp",
			.status = "dirty",
			.started_at = now,
			.finished_at = now,
			.execution_ms = -1,
			.statements_done = -1,
			.error = note,
		};
		rc = track_insert_history(s->c, prefix, &h);
	}
	if (!rc)
		rc = s->e->commit(s->c);
	if (rc)
		s->e->rollback(s->c);
	return rc;
}

int strata_adopt(strata *ctx, unsigned flags, strata_adopt_result **out)
{
	bool dry = flags & STRATA_DRY_RUN;
	strata_adopt_result *res;
	struct rows r = { 0 };
	struct vset vs = { 0 };
	struct session s;
	int which = -1, rc;

	err_clear(ctx);
	*out = res = calloc(1, sizeof(*res));
	if (!res)
		return err_oom(ctx);
	res->dirty = -1;
	res->dry_run = dry;
	rc = session_open_existing(ctx, &s,
				   dry ? SESSION_READ : SESSION_WRITE_EXISTING);
	if (!rc)
		rc = find_tool(&s, &which, &r);
	if (!rc && which < 0)
		rc = err_set(
			ctx, STRATA_ENOTFOUND,
			"no other tool's tracking table (schema_migrations, goose_db_version, flyway_schema_history, gorp_migrations) in database '%s'",
			ctx->url.masked);
	if (!rc) {
		res->tool = tools[which].name;
		res->table = tools[which].table;
		rc = applied_versions(ctx, which, &r, &vs, &res->dirty);
	}
	if (!rc)
		rc = check_agree(&s, &vs, res);
	if (!rc)
		rc = plan_items(&s, &vs, res);
	if (!rc && !dry && (res->n_recorded || res->dirty >= 0))
		rc = write_rows(&s, res);
	rows_release(&r);
	free(vs.v);
	session_close(&s);
	if (rc) {
		strata_adopt_free(res);
		*out = NULL;
	}
	return rc;
}

void strata_adopt_free(strata_adopt_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_recorded; i++)
		free((char *)r->recorded[i].name);
	free(r->recorded);
	free(r);
}
