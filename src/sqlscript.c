/*
 * sqlscript.c - 'up --sql' and 'down --sql': the whole run as one script
 * for the engine's own client (sqlite3, psql, mariadb/mysql).
 *
 * The script is what a run would send, written out: a guard that fails
 * unless the database is in the state the script was planned from, the
 * tracking tables' DDL (the engine's own, see engine.h tracking_ddl), then
 * per migration its transaction, body and tracking rows.  The plan comes
 * from the live database (strata_plan_up/down, the stored down SQL
 * included), or, offline, from the files alone as if the database were at
 * a stated version.  Nothing here connects in offline mode.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "engine.h"
#include "err.h"
#include "mysqlsplit.h"
#include "plan.h"
#include "sb.h"
#include "session.h"
#include "sqlsplit.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

enum kind { K_SQLITE = SCRIPT_SQLITE, K_PG = SCRIPT_PG, K_MY = SCRIPT_MYSQL };

struct script {
	strata *ctx;
	const struct engine *e;
	enum kind kind;
	struct sb out;
	struct sb qual;        /* "" or the quoted schema/database and a dot */
	struct sb search_path; /* PostgreSQL: the URL's list, quoted */
	char *schema;          /* PostgreSQL: its first schema */
	const char *db;        /* MySQL: the URL's database */
	const char *prefix;
	bool at_base;
	int64_t at; /* the version assumed, unless at_base */
};

/* ---- quoting --------------------------------------------------------------
 */

/*
 * A string literal the engine reads back as exactly 's' (len bytes), or
 * NULL.  Quotes are doubled; a backslash is only special in PostgreSQL
 * with standard_conforming_strings off and in MySQL without
 * NO_BACKSLASH_ESCAPES, so text holding one is written in a form that
 * means the same under every setting: E'' (PostgreSQL), X'' (MySQL).
 */
static void add_literal(struct script *sc, const char *s, size_t len)
{
	struct sb *o = &sc->out;
	bool backslash;

	if (!s) {
		sb_adds(o, "NULL");
		return;
	}
	backslash = memchr(s, '\\', len) != NULL;
	if (sc->kind == K_MY && (backslash || memchr(s, '\0', len))) {
		static const char hex[] = "0123456789abcdef";
		sb_adds(o, "CONVERT(X'");
		for (size_t i = 0; i < len; i++) {
			sb_addc(o, hex[(unsigned char)s[i] >> 4]);
			sb_addc(o, hex[(unsigned char)s[i] & 15]);
		}
		sb_adds(o, "' USING utf8mb4)");
		return;
	}
	if (sc->kind == K_PG && backslash)
		sb_addc(o, 'E');
	sb_addc(o, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'' || (s[i] == '\\' && sc->kind == K_PG))
			sb_addc(o, s[i]);
		sb_addc(o, s[i]);
	}
	sb_addc(o, '\'');
}

static void add_str(struct script *sc, const char *s)
{
	if (!s)
		sb_adds(&sc->out, "NULL");
	else
		add_literal(sc, s, strlen(s));
}

/* A comment line: "-- " and the text, line breaks turned into spaces. */
static void comment(struct script *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void comment(struct script *sc, const char *fmt, ...)
{
	struct sb line = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&line, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < line.len; i++)
		if (line.buf[i] == '\n' || line.buf[i] == '\r')
			line.buf[i] = ' ';
	sb_adds(&sc->out, "-- ");
	sb_add(&sc->out, line.buf, line.len);
	sb_addc(&sc->out, '\n');
	if (line.failed)
		sc->out.failed = true;
	sb_release(&line);
}

/*
 * A tracking table's name as the script's statements write it: the
 * qualifier, the prefix and the suffix ("migrations", "history").  Every
 * tracking statement of the script goes through here.
 */
static void track_name(struct script *sc, const char *suffix)
{
	sb_add(&sc->out, sc->qual.buf, sc->qual.len);
	sb_addf(&sc->out, "%s_%s", sc->prefix, suffix);
}

/* UTC now as strata writes it (2026-11-22T01:56:08.123Z), in SQL. */
static void add_now(struct script *sc)
{
	static const char *const now[] = {
		[K_SQLITE] = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
		[K_PG] = "to_char(clock_timestamp() AT TIME ZONE 'UTC',"
			 " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
		[K_MY] = "CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3),"
			 " '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')",
	};
	sb_adds(&sc->out, now[sc->kind]);
}

/* ---- the URL's schema (PostgreSQL) and database (MySQL) -------------------
 */

/*
 * ?search_path= (or ?schema=) as PostgreSQL reads an identifier list:
 * unquoted names folded to lower case, "quoted" ones kept.  Fills
 * sc->search_path (quoted, comma-separated) and sc->schema (the first).
 */
static int pg_url_schemas(struct script *sc)
{
	const char *s = url_param(&sc->ctx->url, "search_path");

	if (!s)
		s = url_param(&sc->ctx->url, "schema");
	while (s && *s) {
		struct sb name = SB_INIT;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '"') {
			for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
				if (*s == '"')
					s++;
				sb_addc(&name, *s);
			}
			if (*s)
				s++;
			while (*s && *s != ',')
				s++;
		} else {
			for (; *s && *s != ','; s++)
				sb_addc(&name, *s >= 'A' && *s <= 'Z'
						       ? (char)(*s - 'A' + 'a')
						       : *s);
			while (name.len && (name.buf[name.len - 1] == ' ' ||
					    name.buf[name.len - 1] == '\t'))
				name.buf[--name.len] = '\0';
		}
		if (*s == ',')
			s++;
		if (name.len) {
			if (sc->search_path.len)
				sb_adds(&sc->search_path, ", ");
			sb_add_ident(&sc->search_path, name.buf);
			if (!sc->schema && !(sc->schema = strdup(name.buf)))
				sc->out.failed = true;
		}
		if (name.failed)
			sc->out.failed = true;
		sb_release(&name);
	}
	if (sc->schema) {
		sb_add_ident(&sc->qual, sc->schema);
		sb_addc(&sc->qual, '.');
	}
	return sc->search_path.failed || sc->qual.failed ? err_oom(sc->ctx)
							 : STRATA_OK;
}

/* ---- the plan -------------------------------------------------------------
 */

/*
 * Offline: the plan from the files, as if every migration up to sc->at
 * (none when at base) were applied, in version order.
 */
static int plan_offline(struct script *sc, const strata_script_opts *o,
			strata_plan **out)
{
	strata *ctx = sc->ctx;
	struct applied_list al = { 0 };
	struct plan p = { 0 };
	strata_plan *sp = NULL;
	int rc = STRATA_OK;

	*out = NULL;
	for (size_t i = 0; !rc && i < ctx->src.n; i++) {
		const struct migration *m = &ctx->src.items[i];
		char at[32];

		if (sc->at_base || m->version > sc->at)
			continue;
		/* applied_at in version order: down rolls back the highest */
		snprintf(at, sizeof(at), "offline-%020zu", i);
		if (applied_push(&al, m->version, m->name, m->description,
				 m->checksum, at, 0, NULL))
			rc = err_oom(ctx);
	}
	applied_sort(&al);
	if (!rc && o->direction == STRATA_UP)
		rc = plan_up(ctx, &ctx->src, &al, o->target, o->flags, &p);
	else if (!rc)
		rc = plan_down(ctx, &ctx->src, &al, o->target, o->steps, &p);
	if (!rc && !(sp = calloc(1, sizeof(*sp))))
		rc = err_oom(ctx);
	if (!rc && p.n && !(sp->steps = calloc(p.n, sizeof(*sp->steps))))
		rc = err_oom(ctx);
	for (size_t i = 0; !rc && i < p.n; i++) {
		const struct migration *m = p.steps[i].m;
		strata_step *st = &sp->steps[sp->n++];
		bool up = p.steps[i].direction == STRATA_UP;
		const char *sql = up ? m->up : m->down;
		size_t len = up ? m->up_len : m->down_len;

		st->direction = p.steps[i].direction;
		st->version = m->version;
		st->flags = m->flags;
		st->out_of_order = p.steps[i].out_of_order;
		st->name = strdup(m->name);
		st->sql = strndup(sql ? sql : "", len);
		st->sql_len = len;
		st->file = m->path ? strdup(up || !m->down_path ? m->path
								: m->down_path)
				   : NULL;
		if (!st->name || !st->sql || (m->path && !st->file))
			rc = err_oom(ctx);
	}
	plan_release(&p);
	applied_release(&al);
	if (rc) {
		strata_plan_free(sp);
		return rc;
	}
	*out = sp;
	return STRATA_OK;
}

/* Live: the current version from the database, then the plan a run makes. */
static int plan_live(struct script *sc, const strata_script_opts *o,
		     strata_plan **out)
{
	struct session s;
	int rc;

	*out = NULL;
	rc = session_open(sc->ctx, &s, SESSION_READ);
	if (!rc) {
		sc->at_base = s.al.n == 0;
		sc->at = s.al.n ? s.al.items[s.al.n - 1].version : 0;
	}
	session_close(&s);
	if (rc)
		return rc;
	if (o->direction == STRATA_UP)
		return strata_plan_up(sc->ctx, o->target, o->flags, out);
	return strata_plan_down(sc->ctx, o->target, o->steps, o->flags, out);
}

/* ---- statement counts (the history row's statements_done) -----------------
 */

/* Only white space and comments in s[0..len)? */
static bool sqlite_blank(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r' || s[i] == '\f' || s[i] == '\v' || s[i] == ';')
			i++;
		else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-')
			while (i < len && s[i] != '\n')
				i++;
		else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			for (i += 2;
			     i + 1 < len && !(s[i] == '*' && s[i + 1] == '/');
			     i++)
				;
			i += 2;
		} else
			return false;
	}
	return true;
}

/*
 * The statements SQLite prepares from a body, as the engine counts them:
 * a ';' ends one where the text since the last end is complete SQL
 * (sqlite3_complete knows triggers' BEGIN ... END).
 */
static int sqlite_count(strata *ctx, const char *sql, size_t len, long *n)
{
	struct sb piece = SB_INIT;
	size_t start = 0;

	*n = 0;
	for (size_t i = 0; i < len; i++) {
		if (sql[i] != ';')
			continue;
		sb_reset(&piece);
		sb_add(&piece, sql + start, i + 1 - start);
		if (piece.failed)
			break;
		if (sqlite3_complete(piece.buf)) {
			*n += !sqlite_blank(piece.buf, piece.len);
			start = i + 1;
		}
	}
	if (start < len && !sqlite_blank(sql + start, len - start))
		++*n;
	if (piece.failed) {
		sb_release(&piece);
		return err_oom(ctx);
	}
	sb_release(&piece);
	return STRATA_OK;
}

static int count_statements(struct script *sc, const char *sql, size_t len,
			    long *n)
{
	switch (sc->kind) {
	case K_PG: *n = (long)sqlsplit_count(sql, len); return STRATA_OK;
	case K_MY: *n = (long)mysqlsplit_count(sql, len); return STRATA_OK;
	default: return sqlite_count(sc->ctx, sql, len, n);
	}
}

/* ---- the body -------------------------------------------------------------
 */

/* Does the last statement of a PostgreSQL body end with its ';'? */
static bool pg_terminated(const char *sql, size_t len)
{
	int last = 0;

	for (size_t pos = 0, end; pos < len; pos = end) {
		int k = sqlsplit_token(sql, len, pos, &end);
		if (k != SQLSPLIT_SPACE && k != SQLSPLIT_COMMENT)
			last = k;
	}
	return last == 0 || last == SQLSPLIT_SEMI;
}

/*
 * MySQL: statement by statement, as the engine sends them; one holding a
 * ';' (a trigger's or procedure's BEGIN ... END) between DELIMITER lines,
 * with a terminator that does not occur in it.
 */
static void my_body(struct script *sc, const char *sql, size_t len)
{
	static const char *const delims[] = { "$$",   "//",   "$$$",
					      "@@@@", "%%%%", NULL };
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	struct sb stmt = SB_INIT;

	mysqlsplit_init(&it, sql, len);
	while (mysqlsplit_next(&it, &st)) {
		const char *d = NULL;

		sb_reset(&stmt);
		sb_add(&stmt, sql + st.off, st.len);
		if (!memchr(stmt.buf, ';', stmt.len)) {
			sb_add(&sc->out, stmt.buf, stmt.len);
			sb_adds(&sc->out, ";\n");
			continue;
		}
		for (size_t i = 0; delims[i] && !d; i++)
			if (!strstr(stmt.buf, delims[i]))
				d = delims[i];
		if (!d)
			d = "$strata_end_of_statement$";
		sb_addf(&sc->out, "DELIMITER %s\n", d);
		sb_add(&sc->out, stmt.buf, stmt.len);
		sb_addf(&sc->out, "%s\nDELIMITER ;\n", d);
	}
	if (stmt.failed)
		sc->out.failed = true;
	sb_release(&stmt);
}

static void add_body(struct script *sc, const char *sql, size_t len)
{
	struct sb *o = &sc->out;

	if (!len)
		return;
	if (sc->kind == K_MY) {
		my_body(sc, sql, len);
		return;
	}
	sb_add(o, sql, len);
	sb_addc(o, '\n');
	if (sc->kind == K_PG ? !pg_terminated(sql, len)
			     : !sqlite3_complete(sql))
		sb_adds(o, ";\n");
}

/* ---- the parts of the script ----------------------------------------------
 */

static const char *client_hint(const struct script *sc)
{
	switch (sc->kind) {
	case K_PG: return "psql -v ON_ERROR_STOP=1 -f FILE";
	case K_MY: return "mariadb < FILE (or mysql < FILE)";
	default: return "sqlite3 DATABASE < FILE";
	}
}

static void header(struct script *sc, const strata_script_opts *o,
		   const strata_plan *plan)
{
	char now[ISO_TIME_LEN];

	util_now_iso(now);
	comment(sc, "strata %s script, made by strata %s at %s",
		o->direction == STRATA_UP ? "up" : "down", STRATA_VERSION, now);
	comment(sc, "database: %s (%s)", sc->ctx->url.masked, sc->e->name);
	if (sc->at_base)
		comment(sc,
			"assumes the database is at base (no migration applied)%s",
			o->offline ? ", as --from said"
				   : ", as read from the live database");
	else
		comment(sc, "assumes the database is at version %" PRId64 "%s",
			sc->at,
			o->offline ? ", as --from said"
				   : ", as read from the live database");
	comment(sc,
		"a database in another state makes its first check fail, before anything changes");
	comment(sc, "run it with: %s", client_hint(sc));
	if (!plan->n)
		comment(sc, "nothing to %s: the schema is up to date",
			o->direction == STRATA_UP ? "apply" : "roll back");
	else
		comment(sc, "%zu migration%s to %s:", plan->n,
			plan->n == 1 ? "" : "s",
			o->direction == STRATA_UP ? "apply" : "roll back");
	for (size_t i = 0; i < plan->n; i++) {
		const strata_step *s = &plan->steps[i];
		comment(sc, "  %" PRId64 "_%s%s%s%s", s->version, s->name,
			s->file ? "  " : "", s->file ? s->file : "",
			s->stored_sql ? "  (stored down SQL: its file is gone)"
				      : "");
	}
	sb_addc(&sc->out, '\n');
}

/* What the client and the session need before anything else. */
static void prologue(struct script *sc, const strata_script_opts *o)
{
	struct sb *out = &sc->out;

	switch (sc->kind) {
	case K_SQLITE:
		sb_adds(out, ".bail on\n");
		/* as strata runs migrations: SQLite's ALTER TABLE procedure */
		sb_adds(out, "PRAGMA foreign_keys = OFF;\n");
		break;
	case K_PG:
		sb_adds(out, "\\set ON_ERROR_STOP on\n");
		sb_adds(out, "SET client_min_messages = warning;\n");
		if (sc->schema && o->direction == STRATA_UP) {
			sb_adds(out, "CREATE SCHEMA IF NOT EXISTS ");
			sb_add_ident(out, sc->schema);
			sb_adds(out, ";\n");
		}
		if (sc->search_path.len)
			sb_addf(out, "SET search_path = %s;\n",
				sc->search_path.buf);
		break;
	case K_MY:
		sb_adds(out, "SET NAMES utf8mb4;\n");
		if (sc->db && o->direction == STRATA_UP) {
			sb_adds(out, "CREATE DATABASE IF NOT EXISTS ");
			sb_add_backticked(out, sc->db);
			sb_adds(out, ";\n");
		}
		if (sc->db) {
			sb_adds(out, "USE ");
			sb_add_backticked(out, sc->db);
			sb_adds(out, ";\n");
		}
		break;
	}
	sb_addc(out, '\n');
}

/* Each migration starts from the session as the script opened it. */
static void session_reset(struct script *sc)
{
	if (sc->kind == K_PG && sc->search_path.len)
		sb_addf(&sc->out, "SET search_path = %s;\n",
			sc->search_path.buf);
	else if (sc->kind == K_PG)
		sb_adds(&sc->out, "RESET search_path;\n");
	else if (sc->kind == K_MY && sc->db) {
		sb_adds(&sc->out, "USE ");
		sb_add_backticked(&sc->out, sc->db);
		sb_adds(&sc->out, ";\n");
	}
}

/* The condition the guard checks: the assumed version, and not dirty. */
static void guard_condition(struct script *sc)
{
	struct sb *o = &sc->out;

	if (sc->at_base) {
		sb_adds(o, "NOT EXISTS (SELECT 1 FROM ");
		track_name(sc, "migrations");
		sb_adds(o, ")");
	} else {
		sb_adds(o, "(SELECT max(version) FROM ");
		track_name(sc, "migrations");
		sb_addf(o, ") %s %" PRId64,
			sc->kind == K_SQLITE ? "IS"
			: sc->kind == K_MY   ? "<=>"
					     : "IS NOT DISTINCT FROM",
			sc->at);
	}
	sb_adds(o, " AND NOT EXISTS (SELECT 1 FROM ");
	track_name(sc, "history");
	sb_adds(o, " WHERE status = 'dirty')");
}

static void guard(struct script *sc)
{
	struct sb *o = &sc->out;
	char what[96];

	if (sc->at_base)
		snprintf(what, sizeof(what),
			 "strata: the database is not at base");
	else
		snprintf(what, sizeof(what),
			 "strata: the database is not at version %" PRId64,
			 sc->at);
	comment(sc,
		"the guard: fails unless the database is in the state this script assumes");
	if (sc->kind == K_PG) {
		sb_adds(o, "DO $strata_guard$\nBEGIN\n  IF NOT (");
		guard_condition(sc);
		sb_adds(o, ") THEN\n    RAISE EXCEPTION '%', ");
		add_str(sc, what);
		sb_adds(o, ";\n  END IF;\nEND\n$strata_guard$;\n\n");
		return;
	}
	/* A CHECK named after the message: the insert fails with it. */
	sb_addf(o, "CREATE TEMPORARY TABLE %s_guard (ok INTEGER, CONSTRAINT ",
		sc->prefix);
	if (sc->kind == K_MY)
		sb_add_backticked(o, what);
	else
		sb_add_ident(o, what);
	sb_addf(o, " CHECK (ok = 1));\nINSERT INTO %s_guard SELECT ",
		sc->prefix);
	guard_condition(sc);
	sb_addf(o, ";\nDROP %sTABLE %s_guard;\n\n",
		sc->kind == K_MY ? "TEMPORARY " : "", sc->prefix);
}

static void tracking_ddl(struct script *sc, const strata_script_opts *o)
{
	if (o->direction != STRATA_UP)
		return; /* a down needs them there: the guard says so */
	comment(sc, "the tracking tables, if they are missing");
	sc->e->tracking_ddl(&sc->out, sc->qual.buf, sc->prefix);
	sb_addc(&sc->out, '\n');
}

static int step(struct script *sc, const strata_step *s, size_t i)
{
	static const char *const begin[] = {
		[K_SQLITE] = "BEGIN IMMEDIATE;\n",
		[K_PG] = "BEGIN;\n",
		[K_MY] = "START TRANSACTION;\n",
	};
	struct sb *o = &sc->out;
	bool up = s->direction == STRATA_UP;
	bool txn = !(s->flags & STRATA_NO_TRANSACTION);
	const struct migration *m = source_find(&sc->ctx->src, s->version);
	long statements = 0;
	int rc;

	if (up && !m)
		return err_set(sc->ctx, STRATA_ENOTFOUND,
			       "migration %" PRId64 " has no file", s->version);
	rc = count_statements(sc, s->sql, s->sql_len, &statements);
	if (rc)
		return rc;
	comment(sc, "%s %" PRId64 "_%s%s%s", up ? "up" : "down", s->version,
		s->name, s->file ? " from " : "", s->file ? s->file : "");
	if (s->stored_sql)
		comment(sc, "using stored down SQL (its file is gone)");
	if (!txn)
		comment(sc, "no transaction (-- strata:no-transaction)");
	if (i > 0)
		session_reset(sc);
	if (txn)
		sb_adds(o, begin[sc->kind]);
	add_body(sc, s->sql, s->sql_len);

	if (up) {
		char *down = track_down_text(m);
		if (m->down && !down)
			return err_oom(sc->ctx);
		sb_adds(o, "INSERT INTO ");
		track_name(sc, "migrations");
		sb_adds(o, " (version, name, description, checksum,"
			   " checksum_algo, applied_at, execution_ms,"
			   " applied_by, up_sql, down_sql)\nVALUES (");
		sb_addf(o, "%" PRId64 ", ", m->version);
		add_str(sc, m->name);
		sb_adds(o, ", ");
		add_str(sc, m->description);
		sb_adds(o, ", ");
		add_str(sc, m->checksum);
		sb_adds(o, ", ");
		add_str(sc, CHECKSUM_ALGO);
		sb_adds(o, ", ");
		add_now(sc);
		sb_adds(o, ", 0, ");
		add_str(sc, util_user_host());
		sb_adds(o, ",\n");
		add_literal(sc, m->up, m->up_len);
		sb_adds(o, ",\n");
		add_str(sc, down);
		sb_adds(o, ");\n");
		free(down);
	} else {
		sb_adds(o, "DELETE FROM ");
		track_name(sc, "migrations");
		sb_addf(o, " WHERE version = %" PRId64 ";\n", s->version);
	}
	sb_adds(o, "INSERT INTO ");
	track_name(sc, "history");
	sb_adds(o, " (version, name, direction, status, started_at,"
		   " finished_at, execution_ms, statements_done, error,"
		   " backup_path, applied_by)\nVALUES (");
	sb_addf(o, "%" PRId64 ", ", s->version);
	add_str(sc, s->name);
	sb_addf(o, ", '%s', 'success', ", up ? "up" : "down");
	add_now(sc);
	sb_adds(o, ", ");
	add_now(sc);
	sb_addf(o, ", 0, %ld, NULL, NULL, ", statements);
	add_str(sc, util_user_host());
	sb_adds(o, ");\n");
	if (txn)
		sb_adds(o, "COMMIT;\n");
	sb_addc(o, '\n');
	return STRATA_OK;
}

/* ---- the entry point ------------------------------------------------------
 */

static int script_setup(struct script *sc, strata *ctx)
{
	const struct engine_info *info;

	memset(sc, 0, sizeof(*sc));
	sc->ctx = ctx;
	sc->out = (struct sb)SB_INIT;
	sc->qual = (struct sb)SB_INIT;
	sc->search_path = (struct sb)SB_INIT;
	sc->prefix = ctx->table;
	if (!ctx->has_url)
		return err_set(ctx, STRATA_EINVAL, "no database URL given");
	if (!(sc->e = engine_find(ctx, &ctx->url)))
		return ctx->err_rc ? ctx->err_rc : STRATA_EUNSUPPORTED;
	if (!sc->e->tracking_ddl)
		return err_set(ctx, STRATA_EUNSUPPORTED,
			       "the %s engine cannot write SQL scripts",
			       sc->e->name);
	info = engine_info_named(sc->e->name);
	sc->kind = info ? (enum kind)info->dialect : K_SQLITE;
	if (sc->kind == K_PG)
		return pg_url_schemas(sc);
	if (sc->kind == K_MY && ctx->url.dbname && *ctx->url.dbname) {
		sc->db = ctx->url.dbname;
		sb_add_backticked(&sc->qual, sc->db);
		sb_addc(&sc->qual, '.');
		if (sc->qual.failed)
			return err_oom(ctx);
	}
	return STRATA_OK;
}

int strata_sql_script(strata *ctx, const strata_script_opts *o, char **out)
{
	strata_plan *plan = NULL;
	struct script sc;
	int rc;

	err_clear(ctx);
	*out = NULL;
	if (!o || (o->direction != STRATA_UP && o->direction != STRATA_DOWN))
		return err_set(ctx, STRATA_EINVAL,
			       "strata_sql_script: bad direction");
	rc = script_setup(&sc, ctx);
	if (!rc && o->offline) {
		sc.at_base = o->from_base;
		sc.at = o->from;
		/* 0 with no migration 0 is base, as a target is */
		if (!sc.at_base && sc.at == 0 && !source_find(&ctx->src, 0))
			sc.at_base = true;
		if (!sc.at_base && !source_find(&ctx->src, sc.at))
			rc = err_set(ctx, STRATA_EINVAL,
				     "--from %" PRId64
				     ": no migration has that version",
				     sc.at);
		if (!rc)
			rc = plan_offline(&sc, o, &plan);
	} else if (!rc) {
		rc = plan_live(&sc, o, &plan);
	}
	if (!rc) {
		header(&sc, o, plan);
		prologue(&sc, o);
		tracking_ddl(&sc, o);
		guard(&sc);
	}
	for (size_t i = 0; !rc && plan && i < plan->n; i++)
		rc = step(&sc, &plan->steps[i], i);
	if (!rc && sc.out.failed)
		rc = err_oom(ctx);
	if (!rc && !(*out = sb_detach(&sc.out)))
		rc = err_oom(ctx);
	strata_plan_free(plan);
	sb_release(&sc.out);
	sb_release(&sc.qual);
	sb_release(&sc.search_path);
	free(sc.schema);
	return rc;
}
