/*
 * postgres.c - the PostgreSQL engine: connect, run bodies, query, tracking
 * DDL.  The lock and attempts, the schema, check and backup have their own
 * files.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "err.h"
#include "postgres_int.h"
#include "sb.h"
#include "sqlsplit.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* ---- small helpers ----------------------------------------------------- */

char *pg_one_line(const char *s)
{
	size_t n = s ? strlen(s) : 0, j = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	/* Line breaks and the indentation after them become one space. */
	for (size_t i = 0; i < n; i++) {
		bool blank = s[i] == '\n' || s[i] == '\r' || s[i] == '\t';

		if (blank && j > 0 && out[j - 1] == ' ')
			continue;
		if (s[i] == ' ' && j > 0 && out[j - 1] == ' ' && i > 0 &&
		    (s[i - 1] == '\n' || s[i - 1] == '\t'))
			continue;
		out[j++] = blank ? ' ' : s[i];
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	return out;
}

char *pg_prefix_lower(const char *prefix)
{
	char *p = strdup(prefix);

	for (char *q = p; q && *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return p;
}

int pg_fail(struct pg_conn *p, PGconn *db, const PGresult *res,
	    const char *what)
{
	const char *primary = NULL, *state = NULL, *detail = NULL, *hint = NULL;
	struct sb msg = SB_INIT;
	char *line, *masked;
	int rc;

	if (res) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	}
	if (what)
		sb_addf(&msg, "%s: ", what);
	if (primary) {
		sb_adds(&msg, primary);
	} else {
		const char *m = res ? PQresultErrorMessage(res) : "";

		if (!*m && db)
			m = PQerrorMessage(db);
		sb_adds(&msg, *m ? m : "connection to the server was lost");
	}
	if (state)
		sb_addf(&msg, " (SQLSTATE %s)", state);
	if (detail)
		sb_addf(&msg, "; DETAIL: %s", detail);
	if (hint)
		sb_addf(&msg, "; HINT: %s", hint);
	else if (state && strcmp(state, "25001") == 0)
		sb_adds(&msg,
			"; HINT: run this migration outside a transaction:"
			" add the line '-- strata:no-transaction' at the"
			" top of its file");
	line = msg.failed ? NULL : pg_one_line(msg.buf);
	sb_release(&msg);
	masked = line ? url_mask(line) : NULL;
	free(line);
	if (!masked)
		return err_oom(p->base.ctx);
	rc = err_set(p->base.ctx, STRATA_ESQL, "%s", masked);
	free(masked);
	return rc;
}

static void deferred_drop(struct pg_conn *p)
{
	for (size_t i = 0; i < p->n_deferred; i++) {
		struct pg_deferred *d = &p->deferred[i];

		for (int k = 0; k < d->np; k++)
			free(d->vals[k]);
		free(d->vals);
		free(d->sql);
	}
	p->n_deferred = 0;
}

/*
 * Anything else about to go to the main session sends the queued writes
 * first, one round trip each (the runner's path never needs it: its
 * writes go with the COMMIT).
 */
static int deferred_flush(struct pg_conn *p)
{
	int rc = STRATA_OK;

	for (size_t i = 0; !rc && i < p->n_deferred; i++) {
		struct pg_deferred *d = &p->deferred[i];
		PGresult *r = PQexecParams(p->db, d->sql, d->np, NULL,
					   (const char *const *)d->vals, NULL,
					   NULL, 0);
		ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			rc = pg_fail(p, p->db, r, NULL);
		PQclear(r);
	}
	deferred_drop(p);
	return rc;
}

int pg_exec_params(struct pg_conn *p, PGconn *db, const char *sql, int n,
		   const char *const *vals, PGresult **res)
{
	PGresult *r;
	ExecStatusType st;

	*res = NULL;
	if (db == p->db && p->n_deferred) {
		int rc = deferred_flush(p);

		if (rc)
			return rc;
	}
	r = PQexecParams(db, sql, n, NULL, vals, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		int rc = pg_fail(p, db, r, NULL);

		PQclear(r);
		return rc;
	}
	*res = r;
	return STRATA_OK;
}

/* A simple query (no params, maybe many statements) whose result we drop. */
static int exec_simple(struct pg_conn *p, PGconn *db, const char *sql)
{
	PGresult *r;
	ExecStatusType st;
	int rc = db == p->db && p->n_deferred ? deferred_flush(p) : STRATA_OK;

	if (rc)
		return rc;
	r = PQexec(db, sql);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY)
		rc = pg_fail(p, db, r, NULL);
	PQclear(r);
	return rc;
}

/* Server messages (warnings and above) go to the log, never to stderr. */
static void notice_receiver(void *arg, const PGresult *res)
{
	struct pg_conn *p = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char *line = pg_one_line(msg ? msg : PQresultErrorMessage(res));

	if (line)
		log_msg(p->base.ctx, STRATA_LOG_WARN, "postgres %s: %s",
			sev ? sev : "NOTICE", line);
	free(line);
}

/* ---- connecting -------------------------------------------------------- */

static int add_param(struct pg_conn *p, const char *key, const char *val)
{
	char **k = realloc(p->keys, (p->n_params + 2) * sizeof(*k));

	if (k)
		p->keys = k;
	char **v = realloc(p->vals, (p->n_params + 2) * sizeof(*v));
	if (v)
		p->vals = v;
	if (!k || !v)
		return err_oom(p->base.ctx);
	p->keys[p->n_params] = strdup(key);
	p->vals[p->n_params] = strdup(val);
	p->keys[p->n_params + 1] = NULL;
	p->vals[p->n_params + 1] = NULL;
	if (!p->keys[p->n_params] || !p->vals[p->n_params]) {
		free(p->keys[p->n_params]);
		free(p->vals[p->n_params]);
		p->keys[p->n_params] = p->vals[p->n_params] = NULL;
		return err_oom(p->base.ctx);
	}
	p->n_params++;
	return STRATA_OK;
}

static bool has_param(const struct pg_conn *p, const char *key)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (strcmp(p->keys[i], key) == 0)
			return true;
	return false;
}

/* Options of ours, not libpq's: they choose the schema. */
static bool is_schema_param(const char *key)
{
	return strcmp(key, "search_path") == 0 || strcmp(key, "schema") == 0;
}

/*
 * libpq keywords from the URL: its parts, then every query option but
 * ours; a key=value string's pairs as they were given.  What is missing
 * libpq takes from the PG* environment variables.
 */
static int build_params(struct pg_conn *p, const struct strata_url *u)
{
	char port[16];
	int rc = add_param(p, "fallback_application_name", "strata");

	if (!u->conninfo) {
		if (!rc && u->host)
			rc = add_param(p, "host", u->host);
		if (!rc && u->port) {
			snprintf(port, sizeof(port), "%d", u->port);
			rc = add_param(p, "port", port);
		}
		if (!rc && u->user)
			rc = add_param(p, "user", u->user);
		if (!rc && u->password)
			rc = add_param(p, "password", u->password);
		if (!rc && u->dbname)
			rc = add_param(p, "dbname", u->dbname);
	}
	for (size_t i = 0; !rc && i < u->n_params; i++) {
		const struct url_param *q = &u->params[i];

		if (is_schema_param(q->key) ||
		    (!u->conninfo && strcmp(q->key, "password") == 0))
			continue;
		rc = add_param(p, q->key, q->value);
	}
	/* Error positions count characters: make them UTF-8 ones. */
	if (!rc && !has_param(p, "client_encoding") &&
	    !getenv("PGCLIENTENCODING"))
		rc = add_param(p, "client_encoding", "UTF8");
	/*
	 * The lock's session is idle for the whole run: TCP keepalives after
	 * a minute, not the system's two hours, keep NAT and firewall
	 * mappings from dropping it (ignored on a unix socket).
	 */
	if (!rc && !has_param(p, "keepalives_idle"))
		rc = add_param(p, "keepalives_idle", "60");
	/* An unreachable host must not hang a deploy for minutes. */
	if (!rc && !has_param(p, "connect_timeout") &&
	    !getenv("PGCONNECT_TIMEOUT"))
		rc = add_param(p, "connect_timeout", "10");
	return rc;
}

int pg_open(struct pg_conn *p, PGconn **out)
{
	PGconn *db = PQconnectdbParams((const char *const *)p->keys,
				       (const char *const *)p->vals, 0);
	int rc;

	*out = NULL;
	if (!db)
		return err_oom(p->base.ctx);
	if (PQstatus(db) != CONNECTION_OK) {
		char *line = pg_one_line(PQerrorMessage(db));
		char *masked = line ? url_mask(line) : NULL;

		PQfinish(db);
		free(line);
		if (!masked)
			return err_oom(p->base.ctx);
		/* libpq's message names host and user, never the password. */
		rc = err_set(p->base.ctx, STRATA_EIO,
			     "cannot connect to '%s': %s", p->masked, masked);
		free(masked);
		return rc;
	}
	PQsetNoticeReceiver(db, notice_receiver, p);
	*out = db;
	return STRATA_OK;
}

/*
 * The schemas of ?search_path= (or ?schema=), as PostgreSQL reads an
 * identifier list: comma-separated, unquoted names folded to lower case,
 * "quoted" ones kept.  Appends them, quoted, to *sql; *first is the first.
 */
static int parse_schemas(struct pg_conn *p, const char *list, struct sb *sql,
			 char **first)
{
	const char *s = list;
	size_t count = 0;

	*first = NULL;
	while (*s) {
		struct sb name = SB_INIT;
		char *n;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '"') {
			for (s++; *s; s++) {
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				sb_addc(&name, *s);
			}
			if (*s == '"')
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
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',')
			s++;
		else if (*s) { /* text after a quoted name */
			sb_release(&name);
			return err_set(p->base.ctx, STRATA_EINVAL,
				       "bad search_path '%s' in URL '%s'", list,
				       p->masked);
		}
		if (!name.len) {
			sb_release(&name);
			continue;
		}
		if (count++)
			sb_adds(sql, ", ");
		sb_add_ident(sql, name.buf);
		n = sb_detach(&name);
		if (!n)
			return err_oom(p->base.ctx);
		if (!*first)
			*first = n;
		else
			free(n);
	}
	if (!*first)
		return err_set(p->base.ctx, STRATA_EINVAL,
			       "empty search_path in URL '%s'", p->masked);
	return STRATA_OK;
}

static int row_strings(struct pg_conn *p, PGresult *r, char **a, char **b)
{
	*a = *b = NULL;
	if (PQntuples(r) < 1)
		return STRATA_OK;
	if (!PQgetisnull(r, 0, 0) && !(*a = strdup(PQgetvalue(r, 0, 0))))
		return err_oom(p->base.ctx);
	if (!PQgetisnull(r, 0, 1) && !(*b = strdup(PQgetvalue(r, 0, 1))))
		return err_oom(p->base.ctx);
	return STRATA_OK;
}

/*
 * Quiet the server, choose the schema: created when missing if we may
 * create (a read, such as status, creates nothing), then first in the
 * search_path, so tracking tables and migrations land there.
 */
static int setup_session(struct pg_conn *p, const struct strata_url *u,
			 enum connect_mode mode)
{
	const char *list = url_param(u, "search_path");
	struct sb sql = SB_INIT, path = SB_INIT;
	char *chosen = NULL, *current = NULL;
	PGresult *r = NULL;
	int rc = STRATA_OK;

	if (!list)
		list = url_param(u, "schema");
	p->session_set[p->n_session_set++] =
		strdup("SET client_min_messages = warning");
	/*
	 * A runner killed mid-migration: its server session notices within a
	 * second, not when the statement ends, and rolls back (PostgreSQL 14+).
	 * A runner waiting for the lock leaves this session idle meanwhile:
	 * the server's idle_session_timeout must not end it.
	 */
	if (PQserverVersion(p->db) >= 140000)
		if (PQserverVersion(p->db) >= 140000) {
			p->session_set[p->n_session_set++] = strdup(
				"SET client_connection_check_interval = 1000");
			p->session_set[p->n_session_set++] =
				strdup("SET idle_session_timeout = 0");
		}
	if (list) {
		sb_adds(&path, "SET search_path = ");
		rc = parse_schemas(p, list, &path, &chosen);
		if (!rc &&
		    !(p->session_set[p->n_session_set++] = sb_detach(&path)))
			rc = err_oom(p->base.ctx);
		sb_release(&path);
		if (rc)
			return rc;
	}
	for (int i = 0; i < p->n_session_set; i++) {
		if (!p->session_set[i])
			return err_oom(p->base.ctx);
		sb_addf(&sql, "%s%s", i ? "; " : "", p->session_set[i]);
	}
	rc = sql.failed ? err_oom(p->base.ctx) : exec_simple(p, p->db, sql.buf);
	/* What session_reset applies again after RESET ALL. */
	if (!rc && !(p->session_sql = sb_detach(&sql)))
		rc = err_oom(p->base.ctx);
	sb_release(&sql);
	if (!rc && chosen && mode == CONNECT_CREATE) {
		const char *v[1] = { chosen };

		rc = pg_exec_params(
			p, p->db,
			"SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, v,
			&r);
		if (!rc && PQntuples(r) == 0) {
			struct sb create = SB_INIT;

			sb_adds(&create, "CREATE SCHEMA IF NOT EXISTS ");
			sb_add_ident(&create, chosen);
			rc = create.failed ? err_oom(p->base.ctx)
					   : exec_simple(p, p->db, create.buf);
			sb_release(&create);
			/* Another runner made it first: that will do. */
			if (rc == STRATA_ESQL &&
			    (strstr(strata_errmsg(p->base.ctx), "42P06") ||
			     strstr(strata_errmsg(p->base.ctx), "23505"))) {
				err_clear(p->base.ctx);
				rc = STRATA_OK;
			}
		}
		PQclear(r);
		r = NULL;
	}
	if (!rc)
		rc = pg_exec_params(
			p, p->db, "SELECT current_database(), current_schema()",
			0, NULL, &r);
	if (!rc)
		rc = row_strings(p, r, &p->dbname, &current);
	PQclear(r);
	if (!rc) {
		p->schema = chosen    ? chosen
			    : current ? current
				      : strdup("public");
		if (chosen)
			free(current);
		chosen = NULL;
		if (!p->schema || !p->dbname)
			rc = err_oom(p->base.ctx);
	}
	free(chosen);
	return rc;
}

static void pg_close(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;

	if (!p)
		return;
	pg_unlock(c);
	deferred_drop(p);
	free(p->deferred);
	PQfinish(p->db);
	for (size_t i = 0; i < p->n_params; i++) {
		free(p->keys[i]);
		free(p->vals[i]);
	}
	free(p->keys);
	free(p->vals);
	free(p->masked);
	free(p->dbname);
	free(p->schema);
	free(p->session_sql);
	for (int i = 0; i < p->n_session_set; i++)
		free(p->session_set[i]);
	free(p);
}

static int pg_exists(strata *ctx, const struct strata_url *url, bool *out)
{
	(void)ctx;
	(void)url;
	*out = true; /* a server: connecting tells the rest */
	return STRATA_OK;
}

static int pg_connect(struct engine_conn **out, strata *ctx,
		      const struct strata_url *url, enum connect_mode mode)
{
	struct pg_conn *p;
	int rc;

	*out = NULL;
	rc = pq_load(ctx);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return err_oom(ctx);
	p->base.ctx = ctx;
	p->base.eng = &engine_postgres;
	p->masked = strdup(url->masked ? url->masked : "postgres://");
	if (!p->masked) {
		pg_close(&p->base);
		return err_oom(ctx);
	}
	rc = build_params(p, url);
	if (!rc)
		rc = pg_open(p, &p->db);
	if (!rc) {
		const char *enc = PQparameterStatus(p->db, "client_encoding");

		p->utf8 = enc && strcmp(enc, "UTF8") == 0;
		rc = setup_session(p, url, mode);
	}
	if (rc) {
		pg_close(&p->base);
		return rc;
	}
	*out = &p->base;
	return STRATA_OK;
}

/* ---- running bodies ---------------------------------------------------- */

/*
 * The byte offset in s[0, len) of the 1-based character position 'pos'
 * that the server reports (characters are UTF-8 sequences here).
 */
static size_t char_to_byte(const struct pg_conn *p, const char *s, size_t len,
			   long pos)
{
	size_t i = 0;
	long chars = 0;

	if (pos <= 1)
		return 0;
	if (!p->utf8)
		return (size_t)(pos - 1) < len ? (size_t)(pos - 1) : len;
	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == pos)
			return i;
	}
	return len;
}

/*
 * Send one simple query (one or more statements) and read every result:
 * *done counts the statements that completed; on failure *err is the
 * failed result (the caller clears it) or NULL if the connection failed.
 */
static int run_query(struct pg_conn *p, const char *sql, long *done,
		     PGresult **err)
{
	PGresult *r;
	int rc = STRATA_OK;

	*err = NULL;
	if (p->n_deferred && (rc = deferred_flush(p)))
		return rc;
	if (!PQsendQuery(p->db, sql))
		return pg_fail(p, p->db, NULL, NULL);
	while ((r = PQgetResult(p->db))) {
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (!*err)
				(*done)++;
			break;
		case PGRES_EMPTY_QUERY: break;
		case PGRES_COPY_IN:
			/* There is no data to send: make the COPY fail. */
			PQputCopyEnd(p->db, "COPY FROM STDIN is not supported"
					    " in a migration");
			break;
		case PGRES_COPY_OUT: {
			char *buf;

			while (PQgetCopyData(p->db, &buf, 0) > 0)
				PQfreemem(buf);
			break;
		}
		default:
			if (!*err) {
				*err = r;
				r = NULL;
				rc = STRATA_ESQL;
			}
		}
		PQclear(r);
	}
	if (!rc && PQstatus(p->db) != CONNECTION_OK)
		rc = STRATA_EIO;
	return rc;
}

/* A statement or body as a C string for libpq. */
static char *dup_sql(struct pg_conn *p, const char *sql, size_t len)
{
	char *s;

	if (memchr(sql, '\0', len)) {
		err_set(p->base.ctx, STRATA_EINVAL,
			"the migration holds a NUL byte");
		return NULL;
	}
	s = malloc(len + 1);
	if (!s) {
		err_oom(p->base.ctx);
		return NULL;
	}
	memcpy(s, sql, len);
	s[len] = '\0';
	return s;
}

/* Where a failed statement failed: the server's position, or its start. */
static long error_offset(const struct pg_conn *p, const PGresult *err,
			 const char *stmt, size_t len, size_t stmt_off)
{
	const char *pos =
		err ? PQresultErrorField(err, PG_DIAG_STATEMENT_POSITION)
		    : NULL;

	if (pos && atol(pos) > 0)
		return (long)(stmt_off + char_to_byte(p, stmt, len, atol(pos)));
	return (long)stmt_off;
}

/* The whole body as one simple query, inside the caller's transaction. */
static int exec_whole(struct pg_conn *p, const char *sql, size_t len,
		      struct exec_info *info)
{
	char *q = dup_sql(p, sql, len);
	PGresult *err = NULL;
	int rc;

	if (!q)
		return err_code(p->base.ctx);
	rc = run_query(p, q, &info->statements_done, &err);
	if (rc) {
		struct sqlsplit it;
		struct sqlsplit_stmt st = { 0, 0 };
		long k = 0;

		/* The statement that failed is the first one not done. */
		sqlsplit_init(&it, sql, len);
		while (sqlsplit_next(&it, &st) && k < info->statements_done)
			k++;
		info->err_off = error_offset(p, err, sql, len, 0);
		if (!err ||
		    !PQresultErrorField(err, PG_DIAG_STATEMENT_POSITION))
			info->err_off = (long)st.off;
		rc = pg_fail(p, p->db, err, NULL);
	}
	PQclear(err);
	free(q);
	return rc;
}

/*
 * One statement at a time, for a no-transaction migration: PostgreSQL
 * runs a multi-statement string in one implicit transaction, which
 * CREATE INDEX CONCURRENTLY (and others) refuse.
 */
static int exec_each(struct pg_conn *p, const char *sql, size_t len,
		     struct exec_info *info)
{
	struct sqlsplit it;
	struct sqlsplit_stmt st;
	int rc = STRATA_OK;

	sqlsplit_init(&it, sql, len);
	while (!rc && sqlsplit_next(&it, &st)) {
		char *q = dup_sql(p, sql + st.off, st.len);
		PGresult *err = NULL;
		long done = 0;

		if (!q)
			return err_code(p->base.ctx);
		rc = run_query(p, q, &done, &err);
		if (rc) {
			info->err_off = error_offset(p, err, q, st.len, st.off);
			rc = pg_fail(p, p->db, err, NULL);
		} else {
			/* Outside a transaction: each statement commits. */
			info->statements_done++;
			if (!info->implicit_commit) {
				info->implicit_commit = true;
				if (info->on_commit)
					info->on_commit(info->arg,
							info->statements_done);
			}
		}
		PQclear(err);
		free(q);
	}
	return rc;
}

/* "ROLLBACK TO ...": the word after ROLLBACK (and its spaces) is TO. */
static bool strcasestr_word_to(const char *s, size_t len)
{
	size_t i = strlen("ROLLBACK");

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	return len - i >= 2 && !strncasecmp(s + i, "TO", 2) &&
	       (len - i == 2 || isspace((unsigned char)s[i + 2]));
}

/* Does the statement start with 'word' (any case), as a whole word? */
static bool starts_with_word(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && !strncasecmp(s, word, n) &&
	       (len == n || !(isalnum((unsigned char)s[n]) || s[n] == '_'));
}

/*
 * A COMMIT (or BEGIN, END, ROLLBACK, ABORT, START) in a transactional body
 * would commit the migration without its tracking rows: refuse the body
 * before anything runs.  ROLLBACK TO SAVEPOINT stays inside it.
 */
static int refuse_transaction_control(struct pg_conn *p, const char *sql,
				      size_t len, struct exec_info *info)
{
	static const char *const words[] = { "BEGIN",    "COMMIT", "END",
					     "ROLLBACK", "ABORT",  "START",
					     NULL };
	struct sqlsplit it;
	struct sqlsplit_stmt st;

	sqlsplit_init(&it, sql, len);
	while (sqlsplit_next(&it, &st)) {
		const char *s = sql + st.off;
		for (size_t i = 0; words[i]; i++) {
			if (!starts_with_word(s, st.len, words[i]))
				continue;
			if (!strcmp(words[i], "ROLLBACK") &&
			    strcasestr_word_to(s, st.len))
				continue;
			info->err_off = (long)st.off;
			return err_set(
				p->base.ctx, STRATA_ESQL,
				"%s ends the migration's own transaction: strata runs each migration in a transaction of its own, so remove it (or mark the migration '-- strata:no-transaction')",
				words[i]);
		}
	}
	return STRATA_OK;
}

static bool meta_is(const char *name, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(name, word, n);
}

/*
 * psql meta-command lines are not SQL.  pg_dump (since 17.6, 16.10...)
 * writes \restrict KEY first and \unrestrict KEY last, which only guard
 * psql itself: into *copy goes the body with those lines blanked (same
 * length, so offsets hold), with a note; *copy stays NULL when there are
 * none.  Any other meta-command is refused before anything runs.
 */
static int skip_meta_commands(struct pg_conn *p, const char *sql, size_t len,
			      struct exec_info *info, char **copy)
{
	struct sqlsplit_stmt line;
	size_t pos = 0, name, n;

	*copy = NULL;
	while (sqlsplit_meta_next(sql, len, &pos, &line, &name, &n)) {
		const char *cmd = sql + name;

		if (!meta_is(cmd, n, "restrict") &&
		    !meta_is(cmd, n, "unrestrict")) {
			free(*copy);
			*copy = NULL;
			info->err_off = (long)line.off;
			return err_set(
				p->base.ctx, STRATA_EINVAL,
				"psql meta-command \\%.*s is not SQL: strata sends the body to the server, which knows no backslash commands; remove the line (only pg_dump's \\restrict and \\unrestrict lines are skipped)",
				(int)(n > 32 ? 32 : n), cmd);
		}
		if (!*copy) {
			*copy = malloc(len + 1);
			if (!*copy)
				return err_oom(p->base.ctx);
			memcpy(*copy, sql, len);
			(*copy)[len] = '\0';
			info->note_off = (long)line.off;
			snprintf(info->note, sizeof(info->note),
				 "skipped the psql meta-command \\%.*s", (int)n,
				 cmd);
		}
		memset(*copy + line.off, ' ', line.len);
	}
	return STRATA_OK;
}

static int pg_exec(struct engine_conn *c, const char *sql, size_t len,
		   unsigned flags, struct exec_info *info)
{
	struct pg_conn *p = (struct pg_conn *)c;
	char *copy = NULL;
	int rc;

	info->statements_done = 0;
	info->err_off = -1;
	info->implicit_commit = false;
	info->note[0] = '\0';
	rc = skip_meta_commands(p, sql, len, info, &copy);
	if (rc)
		return rc;
	if (copy)
		sql = copy;
	if (flags & STRATA_NO_TRANSACTION) {
		rc = exec_each(p, sql, len, info);
	} else {
		rc = refuse_transaction_control(p, sql, len, info);
		if (!rc)
			rc = exec_whole(p, sql, len, info);
	}
	free(copy);
	return rc;
}

static int pg_begin(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;

	return exec_simple(p, p->db, "BEGIN");
}

/* COMMIT's result: a failed transaction's COMMIT "succeeds" as ROLLBACK. */
static int commit_result(struct pg_conn *p, PGresult *r)
{
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(p, p->db, r, "commit failed");
	if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		return err_set(p->base.ctx, STRATA_ESQL,
			       "commit failed: the transaction had been aborted"
			       " and was rolled back");
	return STRATA_OK;
}

static int pipe_results(struct pg_conn *p, bool want_id, int64_t *id,
			PGresult **err);
static bool pipe_sync(struct pg_conn *p);

/*
 * The queued writes (the migration's tracking rows), COMMIT and a Sync in
 * one round trip.  A failed write aborts the transaction: the COMMIT is
 * skipped and the caller's rollback ends it.
 */
static int commit_pipelined(struct pg_conn *p)
{
	PGconn *db = p->db;
	PGresult *err = NULL, *r;
	int rc = STRATA_OK;
	bool ok = PQenterPipelineMode(db) == 1;

	for (size_t i = 0; ok && i < p->n_deferred; i++) {
		struct pg_deferred *d = &p->deferred[i];

		ok = PQsendQueryParams(db, d->sql, d->np, NULL,
				       (const char *const *)d->vals, NULL, NULL,
				       0);
	}
	ok = ok &&
	     PQsendQueryParams(db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
	     PQpipelineSync(db);
	if (!ok) {
		rc = pg_fail(p, db, NULL, "commit failed");
		PQexitPipelineMode(db);
		deferred_drop(p);
		return rc;
	}
	for (size_t i = 0; i < p->n_deferred; i++) {
		int64_t unused = -1;

		pipe_results(p, false, &unused, &err);
	}
	deferred_drop(p);
	/* COMMIT: one result, then the end of its results. */
	r = PQgetResult(db);
	if (err)
		rc = pg_fail(p, db, err, NULL);
	else if (!r || PQresultStatus(r) == PGRES_PIPELINE_ABORTED)
		rc = pg_fail(p, db, NULL, "commit failed");
	else
		rc = commit_result(p, r);
	if (r) {
		PQclear(r);
		while ((r = PQgetResult(db)))
			PQclear(r);
	}
	if (!pipe_sync(p) && !rc)
		rc = pg_fail(p, db, NULL, "commit failed");
	PQexitPipelineMode(db);
	PQclear(err);
	return rc;
}

static int pg_commit(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;
	PGresult *r;
	int rc;

	if (p->n_deferred)
		return commit_pipelined(p);
	r = PQexec(p->db, "COMMIT");
	rc = commit_result(p, r);
	PQclear(r);
	return rc;
}

static int pg_rollback(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;

	deferred_drop(p); /* they were part of what is rolled back */
	/* err_set keeps the first message: the migration's own error. */
	if (PQtransactionStatus(p->db) == PQTRANS_IDLE)
		return STRATA_OK;
	return exec_simple(p, p->db, "ROLLBACK");
}

/* ---- queries with '?' placeholders ------------------------------------- */

/* '?' outside quotes and comments becomes $1, $2, ... */
static char *numbered(const char *sql)
{
	struct sb out = SB_INIT;
	size_t len = strlen(sql), i = 0, end;
	int n = 0;

	while (i < len) {
		int kind = sqlsplit_token(sql, len, i, &end);

		if (kind == SQLSPLIT_OTHER && sql[i] == '?')
			sb_addf(&out, "$%d", ++n);
		else
			sb_add(&out, sql + i, end - i);
		i = end;
	}
	return sb_detach(&out);
}

#define SMALL 16

static int pg_session_reset(struct engine_conn *c);

/* Query results in a pipeline: the first error kept, the row's id read. */
static int pipe_results(struct pg_conn *p, bool want_id, int64_t *id,
			PGresult **err)
{
	PGresult *r;

	while ((r = PQgetResult(p->db))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_TUPLES_OK && want_id && PQntuples(r) == 1)
			*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
			 st != PGRES_PIPELINE_ABORTED && !*err) {
			*err = r;
			continue;
		}
		PQclear(r);
	}
	return *err ? STRATA_ESQL : STRATA_OK;
}

/* The end of a pipeline's segment: its Sync (a failure: the connection). */
static bool pipe_sync(struct pg_conn *p)
{
	PGresult *r = PQgetResult(p->db);
	bool ok = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;

	PQclear(r);
	return ok;
}

/*
 * The attempt in one round trip (pipeline mode): the session reset (RESET
 * ALL, strata's SETs), the row's INSERT, a Sync, which commits them as one
 * implicit transaction before anything after it runs, then the
 * migration's BEGIN and a second Sync.  The row is committed before any
 * statement of the migration: a runner killed later leaves it on record.
 */
static int insert_pipelined(struct pg_conn *pg, const char *q, int np,
			    const Oid *types, const char *const *vals,
			    unsigned how, int64_t *id)
{
	PGconn *db = pg->db;
	PGresult *err = NULL;
	int rc = STRATA_OK, sent = 0;
	bool ok = PQenterPipelineMode(db) == 1;

	if (ok && (how & ATTEMPT_RESET)) {
		ok = PQsendQueryParams(db, "RESET ALL", 0, NULL, NULL, NULL,
				       NULL, 0);
		sent += ok;
		for (int i = 0; ok && i < pg->n_session_set; i++) {
			ok = PQsendQueryParams(db, pg->session_set[i], 0, NULL,
					       NULL, NULL, NULL, 0);
			sent += ok;
		}
	}
	ok = ok && PQsendQueryParams(db, q, np, types, vals, NULL, NULL, 0);
	ok = ok && PQpipelineSync(db);
	if (ok && (how & ATTEMPT_BEGIN))
		ok = PQsendQueryParams(db, "BEGIN", 0, NULL, NULL, NULL, NULL,
				       0) &&
		     PQpipelineSync(db);
	if (!ok) {
		/* Nothing sent or a broken connection: libpq says why. */
		rc = pg_fail(pg, db, NULL, NULL);
		PQexitPipelineMode(db);
		return rc;
	}
	for (int i = 0; i < sent; i++)
		pipe_results(pg, false, id, &err);
	pipe_results(pg, true, id, &err);
	ok = pipe_sync(pg);
	if (ok && (how & ATTEMPT_BEGIN)) {
		pipe_results(pg, false, id, &err);
		ok = pipe_sync(pg);
	}
	PQexitPipelineMode(db);
	if (err || !ok)
		rc = pg_fail(pg, db, err, NULL);
	else if (*id <= 0)
		rc = err_set(pg->base.ctx, STRATA_ESQL,
			     "INSERT returned no id");
	PQclear(err);
	/* The BEGIN ran after a failure: nothing of the migration runs. */
	if (rc && PQtransactionStatus(db) != PQTRANS_IDLE)
		PQclear(PQexec(db, "ROLLBACK"));
	return rc;
}

/*
 * The server engine's half of the attempt protocol (track.c): one
 * statement, its own transaction, whose commit waits for no disk flush.
 * set_config(..., true) lasts until that commit, which reads it; the
 * WHERE makes sure it runs first.  Parameters are typed (bigint, text):
 * an INSERT ... SELECT does not infer them from the columns.  With libpq
 * 14+ the reset and the BEGIN go in the same round trip (a pipeline).
 */
static int pg_insert_id(struct engine_conn *c, const char *sql,
			const struct sql_param *p, int np, unsigned how,
			int64_t *id)
{
	struct pg_conn *pg = (struct pg_conn *)c;
	const char *vals[SMALL];
	char nums[SMALL][24];
	Oid types[SMALL];
	struct sb full = SB_INIT;
	char *q = NULL;
	PGresult *r = NULL;
	int rc;

	*id = -1;
	if (np > SMALL)
		return err_set(c->ctx, STRATA_EINVAL, "too many parameters");
	sb_adds(&full, sql);
	sb_adds(&full, " WHERE set_config('synchronous_commit', 'off', true)"
		       " IS NOT NULL RETURNING id");
	if (full.failed || !(q = numbered(full.buf))) {
		sb_release(&full);
		return err_oom(c->ctx);
	}
	sb_release(&full);
	for (int i = 0; i < np; i++) {
		types[i] = p[i].type == P_INT ? 20 : 25; /* int8, text */
		if (p[i].type == P_INT) {
			snprintf(nums[i], sizeof(nums[i]), "%lld",
				 (long long)p[i].i);
			vals[i] = nums[i];
		} else {
			vals[i] = p[i].type == P_TEXT ? p[i].s : NULL;
		}
	}
	if (pq_has_pipeline()) {
		rc = insert_pipelined(pg, q, np, types, vals, how, id);
		free(q);
		return rc;
	}
	rc = (how & ATTEMPT_RESET) ? pg_session_reset(c) : STRATA_OK;
	if (!rc) {
		r = PQexecParams(pg->db, q, np, types, vals, NULL, NULL, 0);
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = pg_fail(pg, pg->db, r, NULL);
		else if (PQntuples(r) != 1)
			rc = err_set(c->ctx, STRATA_ESQL,
				     "INSERT returned no id");
		else
			*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	}
	if (!rc && (how & ATTEMPT_BEGIN))
		rc = exec_simple(pg, pg->db, "BEGIN");
	PQclear(r);
	free(q);
	return rc;
}

static int pg_held_elsewhere(struct engine_conn *c, const char *prefix,
			     bool *held, char **holder)
{
	return pg_lock_held_elsewhere((struct pg_conn *)c, prefix, held,
				      holder);
}

/*
 * Between migrations: every SET of the last one undone (RESET ALL goes
 * back to the values the session started with: the server's, the
 * role's, the connection's options), then strata's own settings again.
 * Not DISCARD ALL: it would also drop advisory locks held here.
 */
static int pg_session_reset(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb sql = SB_INIT;
	int rc;

	sb_adds(&sql, "RESET ALL; ");
	sb_adds(&sql, p->session_sql ? p->session_sql : "");
	rc = sql.failed ? err_oom(c->ctx) : exec_simple(p, p->db, sql.buf);
	sb_release(&sql);
	return rc;
}

/*
 * A write without results inside a transaction waits for the COMMIT (or
 * for the next statement sent): it goes in the same round trip.  Takes q.
 */
static int defer(struct pg_conn *pg, char *q, const struct sql_param *p, int np)
{
	struct pg_deferred d = { q, np, NULL };
	char num[24];

	if (pg->n_deferred == pg->cap_deferred) {
		size_t cap = pg->cap_deferred ? pg->cap_deferred * 2 : 4;
		struct pg_deferred *grown =
			realloc(pg->deferred, cap * sizeof(*grown));

		if (!grown) {
			free(q);
			return err_oom(pg->base.ctx);
		}
		pg->deferred = grown;
		pg->cap_deferred = cap;
	}
	if (np && !(d.vals = calloc((size_t)np, sizeof(*d.vals)))) {
		free(q);
		return err_oom(pg->base.ctx);
	}
	for (int i = 0; i < np; i++) {
		const char *v = NULL;

		if (p[i].type == P_INT) {
			snprintf(num, sizeof(num), "%lld", (long long)p[i].i);
			v = num;
		} else if (p[i].type == P_TEXT) {
			v = p[i].s;
		}
		if (v && !(d.vals[i] = strdup(v))) {
			for (int k = 0; k < i; k++)
				free(d.vals[k]);
			free(d.vals);
			free(q);
			return err_oom(pg->base.ctx);
		}
	}
	pg->deferred[pg->n_deferred++] = d;
	return STRATA_OK;
}

static int pg_query(struct engine_conn *c, const char *sql,
		    const struct sql_param *p, int np, row_fn fn, void *payload)
{
	struct pg_conn *pg = (struct pg_conn *)c;
	const char *vals_small[SMALL];
	char nums_small[SMALL][24];
	const char **vals = vals_small;
	char(*nums)[24] = nums_small;
	char *q = numbered(sql);
	PGresult *r = NULL;
	int rc = STRATA_OK, ncol = 0;

	if (!q)
		return err_oom(c->ctx);
	if (!fn && pq_has_pipeline() &&
	    PQtransactionStatus(pg->db) == PQTRANS_INTRANS)
		return defer(pg, q, p, np);
	if (np > SMALL) {
		vals = malloc((size_t)np * sizeof(*vals));
		nums = malloc((size_t)np * sizeof(*nums));
		if (!vals || !nums) {
			rc = err_oom(c->ctx);
			goto out;
		}
	}
	for (int i = 0; i < np; i++) {
		switch (p[i].type) {
		case P_INT:
			snprintf(nums[i], sizeof(nums[i]), "%lld",
				 (long long)p[i].i);
			vals[i] = nums[i];
			break;
		case P_TEXT: vals[i] = p[i].s; break;
		default: vals[i] = NULL;
		}
	}
	rc = pg_exec_params(pg, pg->db, q, np, vals, &r);
	if (rc || !fn || PQresultStatus(r) != PGRES_TUPLES_OK)
		goto out;
	ncol = PQnfields(r);
	if (ncol > np && ncol > SMALL) {
		if (vals != vals_small)
			free(vals);
		vals = malloc((size_t)ncol * sizeof(*vals));
		if (!vals) {
			rc = err_oom(c->ctx);
			goto out;
		}
	}
	for (int row = 0; row < PQntuples(r); row++) {
		for (int i = 0; i < ncol; i++)
			vals[i] = PQgetisnull(r, row, i)
					  ? NULL
					  : PQgetvalue(r, row, i);
		if (fn(payload, ncol, vals))
			break;
	}
out:
	PQclear(r);
	if (vals != vals_small)
		free(vals);
	if (nums != nums_small)
		free(nums);
	free(q);
	return rc;
}

/* ---- tracking tables --------------------------------------------------- */

int pg_tracking_tables(struct pg_conn *p, const char *prefix, bool *mig,
		       bool *hist)
{
	char *lower = pg_prefix_lower(prefix);
	struct sb m = SB_INIT, h = SB_INIT;
	PGresult *r = NULL;
	int rc;

	*mig = *hist = false;
	sb_addf(&m, "%s_migrations", lower ? lower : "");
	sb_addf(&h, "%s_history", lower ? lower : "");
	if (!lower || m.failed || h.failed) {
		rc = err_oom(p->base.ctx);
		goto out;
	}
	const char *v[3] = { p->schema, m.buf, h.buf };
	rc = pg_exec_params(p, p->db,
			    "SELECT c.relname FROM pg_class c"
			    " JOIN pg_namespace n ON n.oid = c.relnamespace"
			    " WHERE n.nspname = $1 AND c.relname IN ($2, $3)"
			    " AND c.relkind IN ('r', 'p')",
			    3, v, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), m.buf) == 0)
			*mig = true;
		else
			*hist = true;
	}
out:
	PQclear(r);
	free(lower);
	sb_release(&m);
	sb_release(&h);
	return rc;
}

/* "schema"."prefix_table", the prefix folded as PostgreSQL folds it. */
static void pg_tracking_name(struct engine_conn *c, const char *prefix,
			     const char *table, struct sb *out)
{
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb name = SB_INIT;

	sb_add_ident(out, p->schema ? p->schema : "public");
	sb_addc(out, '.');
	for (const char *s = prefix; *s; s++)
		sb_addc(&name,
			*s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s);
	sb_addc(&name, '_');
	sb_adds(&name, table);
	if (name.failed)
		out->failed = true;
	else
		sb_add_ident(out, name.buf);
	sb_release(&name);
}

static int pg_tracking_exists(struct engine_conn *c, const char *prefix,
			      bool *out)
{
	bool hist;

	return pg_tracking_tables((struct pg_conn *)c, prefix, out, &hist);
}

/*
 * The tracking tables' DDL, each statement ending ";\n" (also printed in
 * 'up --sql' scripts).  The prefix is checked to be [A-Za-z0-9_] and
 * written unquoted, as track.c writes it; 'qual' ("" or a quoted schema
 * and a dot) goes before each table name.  The columns are those of the
 * SQLite engine; times are the same ISO-8601 text.  The partial index
 * finds running and dirty rows.
 */
static void pg_tracking_ddl(struct sb *sql, const char *qual,
			    const char *prefix)
{
	sb_addf(sql,
		"CREATE TABLE IF NOT EXISTS %s%s_migrations (\n"
		"  version BIGINT PRIMARY KEY,\n"
		"  name TEXT NOT NULL,\n"
		"  description TEXT,\n"
		"  checksum TEXT NOT NULL,\n"
		"  checksum_algo TEXT NOT NULL,\n"
		"  applied_at TEXT NOT NULL,\n"
		"  execution_ms BIGINT NOT NULL,\n"
		"  applied_by TEXT,\n"
		"  up_sql TEXT,\n"
		"  down_sql TEXT\n"
		");\n"
		"CREATE TABLE IF NOT EXISTS %s%s_history (\n"
		"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
		"  version BIGINT,\n"
		"  name TEXT,\n"
		"  direction TEXT NOT NULL,\n"
		"  status TEXT NOT NULL,\n"
		"  started_at TEXT NOT NULL,\n"
		"  finished_at TEXT,\n"
		"  execution_ms BIGINT,\n"
		"  statements_done BIGINT,\n"
		"  error TEXT,\n"
		"  backup_path TEXT,\n"
		"  applied_by TEXT\n"
		");\n"
		"CREATE INDEX IF NOT EXISTS %s_history_open ON %s%s_history (id)"
		" WHERE status IN ('running', 'dirty');\n",
		qual, prefix, qual, prefix, prefix, qual, prefix);
}

static int pg_tracking_create(struct engine_conn *c, const char *prefix)
{
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb qual = SB_INIT, sql = SB_INIT;
	int rc;

	/*
	 * Qualified with the schema chosen at connect, as tracking_name
	 * writes the names (an index lives in its table's schema).  One
	 * simple query: one implicit transaction.
	 */
	sb_add_ident(&qual, p->schema ? p->schema : "public");
	sb_addc(&qual, '.');
	if (!qual.failed)
		pg_tracking_ddl(&sql, qual.buf, prefix);
	rc = qual.failed || sql.failed ? err_oom(c->ctx)
				       : exec_simple(p, p->db, sql.buf);
	sb_release(&qual);
	sb_release(&sql);
	return rc;
}

const struct engine engine_postgres = {
	.name = "postgres",
	.caps = ENGINE_TXN_DDL,
	.exists = pg_exists,
	.connect = pg_connect,
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.query = pg_query,
	.tracking_name = pg_tracking_name,
	.tracking_exists = pg_tracking_exists,
	.tracking_create = pg_tracking_create,
	.tracking_ddl = pg_tracking_ddl,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.lock_verify = pg_lock_verify,
	.insert_id = pg_insert_id,
	.lock_held_elsewhere = pg_held_elsewhere,
	.session_reset = pg_session_reset,
	.backup = pg_backup,
	.restore = pg_restore_dump,
	.inspect = pg_inspect_dump,
	.check = pg_check,
	.schema_dump = pg_schema_dump,
	.scratch_create = pg_scratch_create,
	.scratch_drop = pg_scratch_drop,
};
