/*
 * mysql.c - the MySQL/MariaDB engine: connect, run bodies statement by
 * statement, query, tracking DDL.  The lock and attempts, the schema,
 * check and backup have their own files.
 *
 * MySQL commits DDL implicitly, so the engine has no ENGINE_TXN_DDL: a
 * migration that fails after some statements completed is recorded
 * 'dirty' by the runner.  Bodies are always split by our lexer
 * (src/mysqlsplit.c, which follows the client's DELIMITER directive) and
 * sent one statement at a time, so statements_done and the failing
 * statement's offset are exact.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ctx.h"
#include "err.h"
#include "mysql_int.h"
#include "mysqlsplit.h"
#include "sb.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define ER_BAD_DB_ERROR 1049
#define ER_PARSE_ERROR  1064
#define CONNECT_TIMEOUT 10

/* ---- small helpers ----------------------------------------------------- */

char *my_one_line(const char *s)
{
	size_t n = s ? strlen(s) : 0, j = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		if (ch == ' ' && (j == 0 || out[j - 1] == ' '))
			continue;
		out[j++] = ch;
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	return out;
}

/* `db`.`prefix_table`: the URL's database, whatever a migration USEs. */
static void my_tracking_name(struct engine_conn *c, const char *prefix,
			     const char *table, struct sb *out)
{
	struct my_conn *m = (struct my_conn *)c;
	struct sb name = SB_INIT;

	sb_add_backticked(out, m->dbname ? m->dbname : "");
	sb_addc(out, '.');
	sb_addf(&name, "%s_%s", prefix, table);
	if (name.failed)
		out->failed = true;
	else
		sb_add_backticked(out, name.buf);
	sb_release(&name);
}

/* Record msg (released here) on one line, password masked, as rc. */
static int fail_text(struct my_conn *m, int rc, struct sb *msg)
{
	char *line, *masked;

	line = msg->failed ? NULL : my_one_line(msg->buf);
	sb_release(msg);
	masked = line ? url_mask(line) : NULL;
	free(line);
	if (!masked)
		return err_oom(m->base.ctx);
	rc = err_set(m->base.ctx, rc, "%s", masked);
	free(masked);
	return rc;
}

int my_fail(struct my_conn *m, MYSQL *db, const char *what)
{
	unsigned int no = db ? mysql_errno(db) : 0;
	const char *msg = db ? mysql_error(db) : "";
	const char *state = db ? mysql_sqlstate(db) : "";
	struct sb text = SB_INIT;

	if (!msg || !*msg)
		msg = "connection to the server was lost";
	if (what)
		sb_addf(&text, "%s: ", what);
	sb_adds(&text, msg);
	if (no)
		sb_addf(&text, " (MySQL error %u, SQLSTATE %s)", no,
			state && *state ? state : "HY000");
	return fail_text(m, STRATA_ESQL, &text);
}

/* Read and drop every result of the statement just sent. */
static int drain(struct my_conn *m, MYSQL *db)
{
	int more;

	do {
		MYSQL_RES *res = mysql_store_result(db);

		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(db) != 0)
			return my_fail(m, db, NULL);
		more = mysql_next_result(db);
		if (more > 0)
			return my_fail(m, db, NULL);
	} while (more == 0);
	return STRATA_OK;
}

static int exec_len(struct my_conn *m, MYSQL *db, const char *sql, size_t len)
{
	if (mysql_real_query(db, sql, (unsigned long)len))
		return my_fail(m, db, NULL);
	return drain(m, db);
}

int my_exec_simple(struct my_conn *m, MYSQL *db, const char *sql)
{
	return exec_len(m, db, sql, strlen(sql));
}

/* ---- connecting -------------------------------------------------------- */

static bool key_is(const char *key, const char *a, const char *b, const char *c)
{
	return strcasecmp(key, a) == 0 || (b && strcasecmp(key, b) == 0) ||
	       (c && strcasecmp(key, c) == 0);
}

/* TLS options of the URL, in libpq's words or the mysql client's. */
static int set_options(struct my_conn *m, MYSQL *db)
{
	const struct strata_url *u = m->url;
	unsigned int timeout = CONNECT_TIMEOUT;
	my_bool yes = 1, no = 0;

	mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/*
	 * The lock's session is idle while the migrations run, the main one
	 * while a runner waits for the lock: the server's wait_timeout must
	 * end neither (a year, its largest value).
	 */
	mysql_options(db, MYSQL_INIT_COMMAND,
		      "SET SESSION wait_timeout = 31536000");
	mysql_options(db, MYSQL_OPT_LOCAL_INFILE, &no);
	/* A port means TCP, as other clients read it: to MariaDB's client
	 * "localhost" alone is the Unix socket. */
	if (u->port && !url_param(u, "socket") &&
	    !url_param(u, "unix_socket")) {
		unsigned int tcp = MYSQL_PROTOCOL_TCP;

		mysql_options(db, MYSQL_OPT_PROTOCOL, &tcp);
	}
	for (size_t i = 0; i < u->n_params; i++) {
		const char *k = u->params[i].key, *v = u->params[i].value;

		if (key_is(k, "socket", "unix_socket", NULL) ||
		    key_is(k, "password", NULL, NULL)) {
			continue;
		} else if (key_is(k, "connect_timeout", NULL, NULL)) {
			timeout = (unsigned int)strtoul(v, NULL, 10);
		} else if (key_is(k, "sslmode", "ssl-mode", "ssl_mode")) {
			if (key_is(v, "disable", "disabled", NULL)) {
				mysql_options(db, MYSQL_OPT_SSL_ENFORCE, &no);
				mysql_options(db,
					      MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
					      &no);
			} else if (key_is(v, "require", "required", NULL)) {
				mysql_options(db, MYSQL_OPT_SSL_ENFORCE, &yes);
				mysql_options(db,
					      MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
					      &no);
			} else if (key_is(v, "verify-ca", "verify_ca",
					  "verify-full") ||
				   key_is(v, "verify_identity",
					  "verify-identity", NULL)) {
				mysql_options(db, MYSQL_OPT_SSL_ENFORCE, &yes);
				mysql_options(db,
					      MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
					      &yes);
			} else if (!key_is(v, "prefer", "preferred", "allow")) {
				return err_set(
					m->base.ctx, STRATA_EINVAL,
					"bad sslmode '%s' in URL '%s' (use disable, prefer, require, verify-ca or verify-full)",
					v, m->masked);
			}
		} else if (key_is(k, "sslrootcert", "ssl-ca", "ssl_ca")) {
			mysql_options(db, MYSQL_OPT_SSL_CA, v);
		} else if (key_is(k, "sslcert", "ssl-cert", "ssl_cert")) {
			mysql_options(db, MYSQL_OPT_SSL_CERT, v);
		} else if (key_is(k, "sslkey", "ssl-key", "ssl_key")) {
			mysql_options(db, MYSQL_OPT_SSL_KEY, v);
		} else {
			return err_set(
				m->base.ctx, STRATA_EINVAL,
				"unknown option '%s' in URL '%s' (MySQL takes socket, sslmode, sslrootcert, sslcert, sslkey, connect_timeout)",
				k, m->masked);
		}
	}
	mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	return STRATA_OK;
}

/*
 * The lock's session is idle for the whole run: TCP keepalives after a
 * minute, not the system's two hours, keep NAT and firewall mappings from
 * dropping it.  Best effort (a unix socket takes none of it).
 */
static void keep_alive(MYSQL *db)
{
	int fd = (int)mysql_get_socket(db), on = 1;

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
#ifdef TCP_KEEPIDLE
	int idle = 60;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
#endif
}

/* A session; with_db selects the URL's database.  *errnum on failure. */
static int open_session(struct my_conn *m, bool with_db, MYSQL **out,
			unsigned int *errnum)
{
	const struct strata_url *u = m->url;
	const char *sock = url_param(u, "socket");
	MYSQL *db = mysql_init(NULL);
	int rc;

	*out = NULL;
	*errnum = 0;
	if (!sock)
		sock = url_param(u, "unix_socket");
	if (!db)
		return err_oom(m->base.ctx);
	rc = set_options(m, db);
	if (rc) {
		mysql_close(db);
		return rc;
	}
	if (!mysql_real_connect(db, u->host, u->user, u->password,
				with_db ? m->dbname : NULL,
				(unsigned int)u->port, sock,
				CLIENT_MULTI_RESULTS)) {
		struct sb text = SB_INIT;

		*errnum = mysql_errno(db);
		/* The client's message names host and user, never the password.
		 */
		sb_addf(&text, "cannot connect to '%s': %s (MySQL error %u)",
			m->masked, mysql_error(db), mysql_errno(db));
		rc = fail_text(m, STRATA_EIO, &text);
		mysql_close(db);
		return rc;
	}
	keep_alive(db);
	*out = db;
	return STRATA_OK;
}

int my_open(struct my_conn *m, MYSQL **out)
{
	unsigned int errnum;

	return open_session(m, !m->db_missing, out, &errnum);
}

static void my_close(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;

	if (!m)
		return;
	my_unlock(c);
	if (m->db)
		mysql_close(m->db);
	free(m->masked);
	free(m->dbname);
	free(m);
}

static int my_exists(strata *ctx, const struct strata_url *url, bool *out)
{
	(void)ctx;
	(void)url;
	*out = true; /* a server: connecting tells the rest */
	return STRATA_OK;
}

/*
 * A missing database: created when we may create (up), else we work
 * without one and everything reads as empty (status creates nothing).
 */
static int missing_database(struct my_conn *m, enum connect_mode mode)
{
	struct sb sql = SB_INIT;
	unsigned int errnum;
	int rc;

	err_clear(m->base.ctx);
	rc = open_session(m, false, &m->db, &errnum);
	if (rc)
		return rc;
	if (mode != CONNECT_CREATE) {
		m->db_missing = true;
		return STRATA_OK;
	}
	sb_adds(&sql, "CREATE DATABASE IF NOT EXISTS ");
	sb_add_backticked(&sql, m->dbname);
	sb_adds(&sql, " CHARACTER SET utf8mb4");
	rc = sql.failed ? err_oom(m->base.ctx)
			: my_exec_simple(m, m->db, sql.buf);
	sb_release(&sql);
	if (!rc && mysql_select_db(m->db, m->dbname))
		rc = my_fail(m, m->db, "cannot use the new database");
	if (rc)
		err_prefix(m->base.ctx,
			   "cannot create database '%s': ", m->dbname);
	return rc;
}

static int my_connect(struct engine_conn **out, strata *ctx,
		      const struct strata_url *url, enum connect_mode mode)
{
	struct my_conn *m;
	unsigned int errnum = 0;
	int rc;

	*out = NULL;
	rc = my_load(ctx);
	if (rc)
		return rc;
	m = calloc(1, sizeof(*m));
	if (!m)
		return err_oom(ctx);
	m->base.ctx = ctx;
	m->base.eng = &engine_mysql;
	m->url = url;
	m->fold = -1;
	m->masked = strdup(url->masked ? url->masked : "mysql://");
	m->dbname = url->dbname ? strdup(url->dbname) : NULL;
	if (!m->masked || (url->dbname && !m->dbname)) {
		my_close(&m->base);
		return err_oom(ctx);
	}
	if (!m->dbname || !*m->dbname) {
		rc = err_set(
			ctx, STRATA_EINVAL,
			"the URL '%s' names no database (mysql://user:pass@host:port/DATABASE)",
			m->masked);
		my_close(&m->base);
		return rc;
	}
	rc = open_session(m, true, &m->db, &errnum);
	if (rc && errnum == ER_BAD_DB_ERROR)
		rc = missing_database(m, mode);
	if (rc) {
		my_close(&m->base);
		return rc;
	}
	*out = &m->base;
	return STRATA_OK;
}

/* ---- running bodies ---------------------------------------------------- */

/* Does the statement start with 'word' (any case), as a whole word? */
static bool starts_with_word(const char *s, size_t len, const char *word,
			     size_t *after)
{
	size_t n = strlen(word);

	if (len < n || strncasecmp(s, word, n) != 0 ||
	    (len > n && (isalnum((unsigned char)s[n]) || s[n] == '_')))
		return false;
	while (n < len && isspace((unsigned char)s[n]))
		n++;
	*after = n;
	return true;
}

/*
 * A COMMIT (or BEGIN, START TRANSACTION, ROLLBACK, a lone END) in a
 * transactional body would end the migration's transaction behind the
 * runner's back: refuse the body before anything runs.  Only the first
 * words of whole statements count: the splitter keeps a compound statement
 * (a trigger's or a procedure's BEGIN ... END, MariaDB's BEGIN NOT ATOMIC)
 * in one piece, so its inner words never start one.  ROLLBACK TO SAVEPOINT
 * stays inside the transaction.
 */
static int refuse_transaction_control(struct my_conn *m, const char *sql,
				      size_t len, struct exec_info *info)
{
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;

	mysqlsplit_init(&it, sql, len);
	while (mysqlsplit_next(&it, &st)) {
		const char *s = sql + st.off, *what = NULL;
		size_t a;

		if (starts_with_word(s, st.len, "COMMIT", &a))
			what = "COMMIT";
		else if (starts_with_word(s, st.len, "START", &a) &&
			 starts_with_word(s + a, st.len - a, "TRANSACTION", &a))
			what = "START TRANSACTION";
		else if (starts_with_word(s, st.len, "BEGIN", &a) &&
			 !starts_with_word(s + a, st.len - a, "NOT", &a))
			what = "BEGIN";
		else if (starts_with_word(s, st.len, "END", &a) && a == st.len)
			what = "END";
		else if (starts_with_word(s, st.len, "ROLLBACK", &a) &&
			 !starts_with_word(s + a, st.len - a, "TO", &a))
			what = "ROLLBACK";
		if (what) {
			info->err_off = (long)st.off;
			return err_set(
				m->base.ctx, STRATA_ESQL,
				"%s ends the migration's own transaction: strata runs each migration in a transaction of its own, so remove it (or mark the migration '-- strata:no-transaction')",
				what);
		}
	}
	return STRATA_OK;
}

/*
 * A syntax error says "... at line N" of the statement: the offset of
 * that line in the body, else the statement's start.
 */
static long error_offset(MYSQL *db, const char *stmt, size_t len,
			 size_t stmt_off)
{
	const char *msg = mysql_error(db), *at = NULL, *p;
	long line;
	size_t i = 0;

	if (mysql_errno(db) != ER_PARSE_ERROR || !msg)
		return (long)stmt_off;
	for (p = strstr(msg, " at line "); p; p = strstr(p + 1, " at line "))
		at = p;
	if (!at)
		return (long)stmt_off;
	line = strtol(at + strlen(" at line "), NULL, 10);
	for (long l = 1; l < line && i < len; i++)
		if (stmt[i] == '\n' && ++l == line) {
			i++;
			break;
		}
	while (i < len && (stmt[i] == ' ' || stmt[i] == '\t'))
		i++;
	return (long)(stmt_off + (i < len ? i : 0));
}

/*
 * Did the statement just completed commit on its own?  Outside a
 * transaction every statement does; inside strata's, the server says
 * whether its transaction is still open (SERVER_STATUS_IN_TRANS): DDL and
 * the other statements MySQL documents as committing implicitly end it.
 */
static bool ended_transaction(struct my_conn *m, unsigned flags)
{
	unsigned int status = 0;

	if (flags & STRATA_NO_TRANSACTION)
		return true;
	if (mariadb_get_infov(m->db, MARIADB_CONNECTION_SERVER_STATUS, &status))
		return true; /* cannot tell: assume the worst */
	return !(status & SERVER_STATUS_IN_TRANS);
}

static int my_exec(struct engine_conn *c, const char *sql, size_t len,
		   unsigned flags, struct exec_info *info)
{
	struct my_conn *m = (struct my_conn *)c;
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	int rc = STRATA_OK;

	info->statements_done = 0;
	info->err_off = -1;
	info->implicit_commit = false;
	if (!(flags & STRATA_NO_TRANSACTION)) {
		rc = refuse_transaction_control(m, sql, len, info);
		if (rc)
			return rc;
	}
	mysqlsplit_init(&it, sql, len);
	while (!rc && mysqlsplit_next(&it, &st)) {
		if (mysql_real_query(m->db, sql + st.off,
				     (unsigned long)st.len)) {
			info->err_off = error_offset(m->db, sql + st.off,
						     st.len, st.off);
			rc = my_fail(m, m->db, NULL);
			break;
		}
		rc = drain(m, m->db);
		if (rc) {
			info->err_off = (long)st.off;
			break;
		}
		info->statements_done++;
		if (!info->implicit_commit && ended_transaction(m, flags)) {
			info->implicit_commit = true;
			if (info->on_commit)
				info->on_commit(info->arg,
						info->statements_done);
		}
	}
	return rc;
}

static int my_begin(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;

	return my_exec_simple(m, m->db, "START TRANSACTION");
}

static int my_commit(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;

	if (mysql_real_query(m->db, "COMMIT", 6))
		return my_fail(m, m->db, "commit failed");
	return drain(m, m->db);
}

static int my_rollback(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;

	/* err_set keeps the first message: the migration's own error. */
	return my_exec_simple(m, m->db, "ROLLBACK");
}

/* ---- queries with '?' placeholders ------------------------------------- */

/* 'sql' with each '?' outside quotes and comments replaced by p[i]. */
static char *bind_params(struct my_conn *m, MYSQL *db, const char *sql,
			 const struct sql_param *p, int np)
{
	struct sb out = SB_INIT;
	size_t len = strlen(sql), i = 0, end;
	int n = 0;

	while (i < len) {
		int kind = mysqlsplit_token(sql, len, i, &end);

		if (kind != MYSQLSPLIT_OTHER || sql[i] != '?' || n >= np) {
			sb_add(&out, sql + i, end - i);
			i = end;
			continue;
		}
		i = end;
		switch (p[n].type) {
		case P_INT: sb_addf(&out, "%lld", (long long)p[n].i); break;
		case P_TEXT: {
			size_t sl = strlen(p[n].s);
			char *esc = sl < ((size_t)-1 - 1) / 2
					    ? malloc(sl * 2 + 1)
					    : NULL;

			if (!esc) {
				sb_release(&out);
				err_oom(m->base.ctx);
				return NULL;
			}
			mysql_real_escape_string(db, esc, p[n].s,
						 (unsigned long)sl);
			sb_addc(&out, '\'');
			sb_adds(&out, esc);
			sb_addc(&out, '\'');
			free(esc);
			break;
		}
		default: sb_adds(&out, "NULL");
		}
		n++;
	}
	if (out.failed) {
		sb_release(&out);
		err_oom(m->base.ctx);
		return NULL;
	}
	return sb_detach(&out);
}

int my_query_on(struct my_conn *m, MYSQL *db, const char *sql,
		const struct sql_param *p, int np, row_fn fn, void *payload)
{
	char *q = bind_params(m, db, sql, p, np);
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	int rc = STRATA_OK;

	if (!q)
		return err_code(m->base.ctx);
	if (mysql_real_query(db, q, (unsigned long)strlen(q))) {
		rc = my_fail(m, db, NULL);
		goto out;
	}
	res = mysql_store_result(db);
	if (!res && mysql_field_count(db) != 0) {
		rc = my_fail(m, db, NULL);
		goto out;
	}
	if (res && fn) {
		int ncol = (int)mysql_num_fields(res);

		while ((row = mysql_fetch_row(res)))
			if (fn(payload, ncol, (const char *const *)row))
				break;
	}
	if (res)
		mysql_free_result(res);
	/* A CALL sends one more (empty) result. */
	while (!rc && mysql_more_results(db)) {
		int more = mysql_next_result(db);

		if (more > 0) {
			rc = my_fail(m, db, NULL);
			break;
		}
		res = mysql_store_result(db);
		if (res)
			mysql_free_result(res);
		if (more < 0)
			break;
	}
out:
	free(q);
	return rc;
}

static int my_query(struct engine_conn *c, const char *sql,
		    const struct sql_param *p, int np, row_fn fn, void *payload)
{
	struct my_conn *m = (struct my_conn *)c;

	return my_query_on(m, m->db, sql, p, np, fn, payload);
}

/* The server engine's half of the attempt protocol (track.c). */
static int my_session_reset(struct engine_conn *c);

/* One round trip each: the reset, the row (autocommitted), the BEGIN. */
static int my_insert_id(struct engine_conn *c, const char *sql,
			const struct sql_param *p, int np, unsigned how,
			int64_t *id)
{
	struct my_conn *m = (struct my_conn *)c;
	int rc = (how & ATTEMPT_RESET) ? my_session_reset(c) : STRATA_OK;

	*id = -1;
	if (!rc)
		rc = my_query_on(m, m->db, sql, p, np, NULL, NULL);
	if (!rc)
		*id = (int64_t)mysql_insert_id(m->db);
	if (!rc && (how & ATTEMPT_BEGIN))
		rc = my_begin(c);
	return rc;
}

static int my_held_elsewhere(struct engine_conn *c, const char *prefix,
			     bool *held, char **holder)
{
	return my_lock_held_elsewhere((struct my_conn *)c, prefix, held,
				      holder);
}

/*
 * Between migrations: COM_RESET_CONNECTION (session variables back to the
 * global values, user variables, temporary tables and prepared statements
 * gone; the run lock lives on a session of its own and stays; the
 * character set goes back to the one of the handshake, utf8mb4), then the
 * URL's database again: the reset keeps the one a migration USEd.
 */
static int my_session_reset(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;

	if (mysql_reset_connection(m->db))
		return my_fail(m, m->db, "cannot reset the session");
	if (!m->db_missing && mysql_select_db(m->db, m->dbname))
		return my_fail(m, m->db, "cannot use the database");
	return STRATA_OK;
}

/* ---- tracking tables --------------------------------------------------- */

static int fold_row(void *payload, int ncol, const char *const *v)
{
	(void)ncol;
	*(int *)payload = v[0] && strcmp(v[0], "0") != 0;
	return 1;
}

bool my_names_fold(struct my_conn *m, const char *prefix)
{
	bool capitals = false;

	for (const char *s = prefix; *s; s++)
		capitals = capitals || (*s >= 'A' && *s <= 'Z');
	if (!capitals)
		return false; /* the same either way: no question asked */
	if (m->fold < 0) {
		m->fold = 0;
		if (my_query_on(m, m->db, "SELECT @@lower_case_table_names",
				NULL, 0, fold_row, &m->fold))
			err_clear(
				m->base.ctx); /* then as the name is written */
	}
	return m->fold > 0;
}

struct tables_read {
	const char *mig, *hist;
	bool *has_mig, *has_hist;
	bool fold;
};

static int table_row(void *payload, int ncol, const char *const *v)
{
	struct tables_read *t = payload;
	int (*cmp)(const char *, const char *) = t->fold ? strcasecmp : strcmp;

	(void)ncol;
	if (v[0] && cmp(v[0], t->mig) == 0)
		*t->has_mig = true;
	else if (v[0] && cmp(v[0], t->hist) == 0)
		*t->has_hist = true;
	return 0;
}

int my_tracking_tables(struct my_conn *m, const char *prefix, bool *mig,
		       bool *hist)
{
	struct sb a = SB_INIT, b = SB_INIT;
	struct tables_read t = { NULL, NULL, mig, hist, false };
	int rc;

	*mig = *hist = false;
	if (m->db_missing)
		return STRATA_OK;
	sb_addf(&a, "%s_migrations", prefix);
	sb_addf(&b, "%s_history", prefix);
	if (a.failed || b.failed) {
		rc = err_oom(m->base.ctx);
		goto out;
	}
	t.mig = a.buf;
	t.hist = b.buf;
	/* As the server compares them: exactly, unless it folds case. */
	t.fold = my_names_fold(m, prefix);
	struct sql_param p[3] = { PTEXT(m->dbname), PTEXT(a.buf),
				  PTEXT(b.buf) };
	rc = my_query_on(m, m->db,
			 "SELECT table_name FROM information_schema.tables"
			 " WHERE table_schema = ? AND table_name IN (?, ?)"
			 " AND table_type = 'BASE TABLE'",
			 p, 3, table_row, &t);
out:
	sb_release(&a);
	sb_release(&b);
	return rc;
}

static int my_tracking_exists(struct engine_conn *c, const char *prefix,
			      bool *out)
{
	bool hist;

	return my_tracking_tables((struct my_conn *)c, prefix, out, &hist);
}

/*
 * The tracking tables' DDL, each statement ending ";\n" (also printed in
 * 'up --sql' scripts).  The prefix is checked to be [A-Za-z0-9_] and
 * written unquoted, as track.c writes it; 'qual' ("" or a quoted database
 * and a dot) goes before each table name.  The columns are those of the
 * other engines; times are the same ISO-8601 text.  InnoDB, so that a
 * migration's rows commit with it; utf8mb4_bin, so that text compares
 * exactly.  History first: a runner that sees the migrations table (how
 * tracking_exists answers) must find the history table too.
 */
static void my_tracking_ddl(struct sb *sql, const char *qual,
			    const char *prefix)
{
	sb_addf(sql,
		"CREATE TABLE IF NOT EXISTS %s%s_history (\n"
		"  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
		"  version BIGINT,\n"
		"  name VARCHAR(255),\n"
		"  direction VARCHAR(16) NOT NULL,\n"
		"  status VARCHAR(16) NOT NULL,\n"
		"  started_at VARCHAR(32) NOT NULL,\n"
		"  finished_at VARCHAR(32),\n"
		"  execution_ms BIGINT,\n"
		"  statements_done BIGINT,\n"
		"  error LONGTEXT,\n"
		"  backup_path TEXT,\n"
		"  applied_by VARCHAR(255),\n"
		"  KEY %s_history_status (status)\n"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n",
		qual, prefix, prefix);
	sb_addf(sql,
		"CREATE TABLE IF NOT EXISTS %s%s_migrations (\n"
		"  version BIGINT NOT NULL PRIMARY KEY,\n"
		"  name VARCHAR(255) NOT NULL,\n"
		"  description TEXT,\n"
		"  checksum VARCHAR(64) NOT NULL,\n"
		"  checksum_algo VARCHAR(16) NOT NULL,\n"
		"  applied_at VARCHAR(32) NOT NULL,\n"
		"  execution_ms BIGINT NOT NULL,\n"
		"  applied_by VARCHAR(255),\n"
		"  up_sql LONGTEXT,\n"
		"  down_sql LONGTEXT\n"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n",
		qual, prefix);
}

static int my_tracking_create(struct engine_conn *c, const char *prefix)
{
	struct my_conn *m = (struct my_conn *)c;
	struct sb qual = SB_INIT, sql = SB_INIT;
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	int rc = STRATA_OK;

	/*
	 * Qualified with the URL's database, as tracking_name writes the
	 * names.  One statement at a time: DDL commits on its own anyway;
	 * history first, so that a runner that sees the migrations table
	 * (how tracking_exists answers) finds the history table too.
	 */
	sb_add_backticked(&qual, m->dbname ? m->dbname : "");
	sb_addc(&qual, '.');
	if (!qual.failed)
		my_tracking_ddl(&sql, qual.buf, prefix);
	if (qual.failed || sql.failed)
		rc = err_oom(c->ctx);
	mysqlsplit_init(&it, sql.buf, sql.len);
	while (!rc && mysqlsplit_next(&it, &st)) {
		char *one = strndup(sql.buf + st.off, st.len);
		rc = one ? my_exec_simple(m, m->db, one) : err_oom(c->ctx);
		free(one);
	}
	sb_release(&qual);
	sb_release(&sql);
	return rc;
}

const struct engine engine_mysql = {
	.name = "mysql",
	.caps = 0, /* DDL commits implicitly: a failure can leave 'dirty' */
	.exists = my_exists,
	.connect = my_connect,
	.close = my_close,
	.exec = my_exec,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
	.query = my_query,
	.tracking_name = my_tracking_name,
	.tracking_exists = my_tracking_exists,
	.tracking_create = my_tracking_create,
	.tracking_ddl = my_tracking_ddl,
	.lock = my_lock,
	.unlock = my_unlock,
	.lock_verify = my_lock_verify,
	.insert_id = my_insert_id,
	.lock_held_elsewhere = my_held_elsewhere,
	.session_reset = my_session_reset,
	.backup = my_backup,
	.restore = my_restore_dump,
	.inspect = my_inspect_dump,
	.check = my_check,
	.schema_dump = my_schema_dump,
	.scratch_create = my_scratch_create,
	.scratch_drop = my_scratch_drop,
};
