/* sqlite.c - the SQLite engine: connect, run bodies, query, tracking DDL. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int sqlite_fail(struct sqlite_conn *s, const char *what)
{
	if (what)
		return err_set(s->base.ctx, STRATA_ESQL, "%s: %s", what,
			       sqlite3_errmsg(s->db));
	return err_set(s->base.ctx, STRATA_ESQL, "%s", sqlite3_errmsg(s->db));
}

static bool is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0;
}

static int sq_exists(strata *ctx, const struct strata_url *url, bool *out)
{
	struct stat st;

	/* An application's handle is open, so its database exists. */
	*out = ctx->app_db ||
	       (!is_memory(url->path) && stat(url->path, &st) == 0);
	return STRATA_OK;
}

/* The folder part of path ("." when there is none); caller frees. */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int check_parent(strata *ctx, const char *path)
{
	struct stat st;
	char *dir = parent_dir(path);
	int rc = STRATA_OK;

	if (!dir)
		return err_oom(ctx);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = err_set(
			ctx, STRATA_EIO,
			"cannot create database '%s': folder '%s' does not exist",
			path, dir);
	free(dir);
	return rc;
}

/*
 * "<database>.strata.lock", from the real path, so that runners reaching
 * one database through a symlink or another relative path share one lock.
 */
static char *lock_path_for(const char *path)
{
	char *real = realpath(path, NULL), *dir = NULL;
	const char *base = strrchr(path, '/');
	struct sb out = SB_INIT;

	if (real) {
		sb_adds(&out, real);
	} else if ((dir = parent_dir(path)) && (real = realpath(dir, NULL))) {
		sb_addf(&out, "%s/%s", real, base ? base + 1 : path);
	} else {
		sb_adds(&out,
			path); /* the folder is missing: connect says so */
	}
	sb_adds(&out, ".strata.lock");
	free(real);
	free(dir);
	return sb_detach(&out);
}

static void sq_close(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	if (!s)
		return;
	sqlite_unlock(c);
	if (s->fk.auth_set && s->db) /* a borrowed handle goes back clean */
		sqlite3_set_authorizer(s->db, NULL, NULL);
	if (s->owns_db)
		sqlite3_close_v2(s->db);
	attempt_release(&s->stale);
	sqlite_fk_release(s);
	free(s->path);
	free(s->lock_path);
	free(s->lock_line);
	free(s);
}

static int sq_connect(struct engine_conn **out, strata *ctx,
		      const struct strata_url *url, enum connect_mode mode)
{
	struct sqlite_conn *s;
	int flags = SQLITE_OPEN_READWRITE;
	bool exists;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_oom(ctx);
	s->base.ctx = ctx;
	s->base.eng = &engine_sqlite;
	s->lock_fd = -1;
	s->stale.id = -1;
	s->owns_db = true;
	s->path = strdup(url->path);
	if (!s->path)
		goto oom;
	if (!is_memory(url->path) && !(s->lock_path = lock_path_for(url->path)))
		goto oom;
	sq_exists(ctx, url, &exists);
	if (!exists && !is_memory(url->path) && !ctx->app_db) {
		if (mode != CONNECT_CREATE) {
			sq_close(&s->base);
			return err_set(ctx, STRATA_ENOTFOUND,
				       "database '%s' does not exist",
				       url->path);
		}
		rc = check_parent(ctx, url->path);
		if (rc) {
			sq_close(&s->base);
			return rc;
		}
	}
	if (ctx->app_db && !sqlite3_get_autocommit(ctx->app_db)) {
		sq_close(&s->base);
		return err_set(
			ctx, STRATA_EINVAL,
			"the application's SQLite handle is inside a transaction: finish it before migrating");
	}
	if (ctx->app_db) { /* the application's handle: borrowed as it is */
		s->db = ctx->app_db;
		s->owns_db = false;
		*out = &s->base;
		return STRATA_OK;
	}
	if (mode == CONNECT_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	/* Debian's SQLite reads "file:..." as a URI: keep it a file name. */
	if (!strncmp(url->path, "file:", 5)) {
		struct sb local = SB_INIT;
		sb_addf(&local, "./%s", url->path);
		if (local.failed)
			goto oom;
		rc = sqlite3_open_v2(local.buf, &s->db, flags, NULL);
		sb_release(&local);
	} else {
		rc = sqlite3_open_v2(url->path, &s->db, flags, NULL);
	}
	if (rc != SQLITE_OK) {
		rc = err_set(ctx, STRATA_EIO, "cannot open database '%s': %s",
			     url->path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return rc;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite_staging_clean_unlocked(s); /* what a killed restore left */
	/* Waiting on another connection's write lock is bounded like ours. */
	sqlite3_busy_timeout(s->db, ctx->lock_timeout > INT_MAX / 1000
					    ? INT_MAX
					    : ctx->lock_timeout * 1000);
	*out = &s->base;
	return STRATA_OK;
oom:
	sq_close(&s->base);
	return err_oom(ctx);
}

/* Skip whitespace and comments, so an error points at a statement. */
static const char *skip_blank(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v') {
			p++;
		} else if (p + 1 < end && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *q = p + 2;
			while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
				q++;
			p = q + 1 < end ? q + 2 : end;
		} else {
			break;
		}
	}
	return p;
}

/*
 * Run every statement of a body.  sqlite3_prepare_v2's tail pointer gives
 * exact statement boundaries, triggers and quoted semicolons included.
 */
static int exec_body(struct sqlite_conn *s, const char *sql, size_t len,
		     struct exec_info *info);

static int sq_exec(struct engine_conn *c, const char *sql, size_t len,
		   unsigned flags, struct exec_info *info)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int rc;

	(void)flags; /* autocommit already runs each statement on its own */
	info->statements_done = 0;
	info->err_off = -1;
	info->implicit_commit = false;
	if (s->fk.armed) {
		rc = sqlite_fk_body_start(s, sql, len);
		if (rc)
			return rc;
	}
	s->fk.in_body = true;
	rc = exec_body(s, sql, len, info);
	s->fk.in_body = false;
	return rc;
}

static int exec_body(struct sqlite_conn *s, const char *sql, size_t len,
		     struct exec_info *info)
{
	const char *p = sql, *end = sql + len;

	while (p < end) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc, off, n;

		/*
		 * Bodies are NUL-terminated, and saying so matters: a length
		 * without the terminator makes SQLite copy the rest of the
		 * body for every statement (quadratic in their number).
		 */
		if (*end) /* not terminated here: a length (rare, small) */
			n = end - p > INT_MAX ? INT_MAX : (int)(end - p);
		else
			n = end - p >= INT_MAX ? -1 : (int)(end - p) + 1;
		rc = sqlite3_prepare_v2(s->db, p, n, &st, &tail);
		if (rc != SQLITE_OK) {
			off = sqlite3_error_offset(s->db);
			info->err_off =
				off >= 0 ? (long)(p - sql) + off
					 : (long)(skip_blank(p, end) - sql);
			if (s->fk.denied_txn)
				return err_set(
					s->base.ctx, STRATA_ESQL,
					"%s ends the migration's own transaction: strata runs each migration in a transaction of its own, so remove it (or mark the migration '-- strata:no-transaction')",
					"a BEGIN, COMMIT or ROLLBACK");
			return sqlite_fail(s, NULL);
		}
		if (!st) { /* only whitespace or comments were left */
			p = tail;
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			info->err_off = (long)(skip_blank(p, end) - sql);
			rc = sqlite_fail(s, NULL);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
		info->statements_done++;
		/* In autocommit mode (no transaction) it committed. */
		if (!info->implicit_commit && sqlite3_get_autocommit(s->db)) {
			info->implicit_commit = true;
			if (info->on_commit)
				info->on_commit(info->arg,
						info->statements_done);
		}
		p = tail;
	}
	return STRATA_OK;
}

static int exec_simple(struct sqlite_conn *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	return STRATA_OK;
}

static int sq_begin(struct engine_conn *c)
{
	/* Take the write lock now, not at the first write. */
	return exec_simple((struct sqlite_conn *)c, "BEGIN IMMEDIATE");
}

static int sq_commit(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int rc = exec_simple(s, "COMMIT");

	if (!rc)
		s->fk.unsettled = false; /* the checked migration is in */
	return rc;
}

static int sq_rollback(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	/* The first error's message stays: err_set keeps the first. */
	if (sqlite3_get_autocommit(s->db))
		return STRATA_OK; /* SQLite already rolled back */
	return exec_simple(s, "ROLLBACK");
}

static int bind_params(struct sqlite_conn *s, sqlite3_stmt *st,
		       const struct sql_param *p, int np)
{
	for (int i = 0; i < np; i++) {
		int rc;
		switch (p[i].type) {
		case P_INT: rc = sqlite3_bind_int64(st, i + 1, p[i].i); break;
		case P_TEXT:
			rc = sqlite3_bind_text(st, i + 1, p[i].s, -1,
					       SQLITE_STATIC);
			break;
		default: rc = sqlite3_bind_null(st, i + 1);
		}
		if (rc != SQLITE_OK)
			return sqlite_fail(s, "cannot bind a value");
	}
	return STRATA_OK;
}

static int sq_query(struct engine_conn *c, const char *sql,
		    const struct sql_param *p, int np, row_fn fn, void *payload)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	const char *vals_small[16];
	const char **vals = vals_small;
	sqlite3_stmt *st = NULL;
	int rc, ncol;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	rc = bind_params(s, st, p, np);
	if (rc)
		goto out;
	ncol = sqlite3_column_count(st);
	if (ncol > 16 && !(vals = malloc(sizeof(*vals) * (size_t)ncol))) {
		rc = err_oom(c->ctx);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if (fn && fn(payload, ncol, vals))
			break;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = STRATA_OK;
	else
		rc = sqlite_fail(s, NULL);
out:
	if (vals != vals_small)
		free(vals);
	sqlite3_finalize(st);
	return rc;
}

static int count_row(void *payload, int ncol, const char *const *vals)
{
	(void)ncol;
	*(long *)payload = vals[0] ? atol(vals[0]) : 0;
	return 0;
}

static int sq_tracking_exists(struct engine_conn *c, const char *prefix,
			      bool *out)
{
	struct sb name = SB_INIT;
	long n = 0;
	int rc;

	sb_addf(&name, "%s_migrations", prefix);
	if (name.failed)
		return err_oom(c->ctx);
	rc = sq_query(c,
		      "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
		      " AND name = ? COLLATE NOCASE",
		      &PTEXT(name.buf), 1, count_row, &n);
	sb_release(&name);
	*out = n > 0;
	return rc;
}

/*
 * The tracking tables' DDL, each statement ending ";\n" (also printed in
 * 'up --sql' scripts).  The prefix is checked to be [A-Za-z0-9_]: safe as
 * an identifier.  'qual' is ignored: SQLite's tables live in "main".
 */
static void sq_tracking_ddl(struct sb *sql, const char *qual,
			    const char *prefix)
{
	(void)qual;
	sb_addf(sql,
		"CREATE TABLE IF NOT EXISTS %s_migrations (\n"
		"  version INTEGER PRIMARY KEY NOT NULL,\n"
		"  name TEXT NOT NULL,\n"
		"  description TEXT,\n"
		"  checksum TEXT NOT NULL,\n"
		"  checksum_algo TEXT NOT NULL,\n"
		"  applied_at TEXT NOT NULL,\n"
		"  execution_ms INTEGER NOT NULL,\n"
		"  applied_by TEXT,\n"
		"  up_sql TEXT,\n"
		"  down_sql TEXT\n"
		");\n"
		"CREATE TABLE IF NOT EXISTS %s_history (\n"
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
		"  version INTEGER,\n"
		"  name TEXT,\n"
		"  direction TEXT NOT NULL,\n"
		"  status TEXT NOT NULL,\n"
		"  started_at TEXT NOT NULL,\n"
		"  finished_at TEXT,\n"
		"  execution_ms INTEGER,\n"
		"  statements_done INTEGER,\n"
		"  error TEXT,\n"
		"  backup_path TEXT,\n"
		"  applied_by TEXT\n"
		");\n"
		/* Every run asks whether the database is dirty: keep it cheap.
		 */
		"CREATE INDEX IF NOT EXISTS %s_history_dirty ON %s_history (id)"
		" WHERE status = 'dirty';\n",
		prefix, prefix, prefix, prefix);
}

static int sq_tracking_create(struct engine_conn *c, const char *prefix)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb sql = SB_INIT;
	int rc;

	sb_adds(&sql, "BEGIN IMMEDIATE;\n");
	sq_tracking_ddl(&sql, "", prefix);
	sb_adds(&sql, "COMMIT;");
	if (sql.failed) {
		sb_release(&sql);
		return err_oom(c->ctx);
	}
	rc = exec_simple(s, sql.buf);
	if (rc)
		sq_rollback(c);
	sb_release(&sql);
	return rc;
}

/* SQLite: the names unqualified (the migration's own "main"). */
static void sqlite_tracking_name(struct engine_conn *c, const char *prefix,
				 const char *table, struct sb *out)
{
	(void)c;
	sb_addf(out, "%s_%s", prefix, table);
}

const struct engine engine_sqlite = {
	.name = "sqlite",
	.caps = ENGINE_TXN_DDL | ENGINE_FILE,
	.exists = sq_exists,
	.connect = sq_connect,
	.close = sq_close,
	.exec = sq_exec,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.query = sq_query,
	.tracking_exists = sq_tracking_exists,
	.tracking_create = sq_tracking_create,
	.tracking_ddl = sq_tracking_ddl,
	.lock = sqlite_lock,
	.unlock = sqlite_unlock,
	.tracking_name = sqlite_tracking_name,
	.attempt_begin = sqlite_attempt_begin,
	.attempt_end = sqlite_attempt_end,
	.attempt_peek = sqlite_attempt_peek,
	.migration_begin = sqlite_migration_begin,
	.migration_check = sqlite_migration_check,
	.migration_end = sqlite_migration_end,
	.backup = sqlite_backup,
	.restore = sqlite_restore,
	.inspect = sqlite_inspect,
	.check = sqlite_check,
	.recover = sqlite_recover,
	.schema_dump = sqlite_schema_dump,
	.scratch_create = sqlite_scratch_create,
	.scratch_drop = sqlite_scratch_drop,
	.quick_check = sqlite_quick_check,
};
