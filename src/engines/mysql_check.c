/*
 * mysql_check.c - health of a MySQL/MariaDB database: the connection and
 * server version, the tracking tables, interrupted and dirty attempts.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mysql_int.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct check_read {
	strata_check_result *out;
	const char *prefix;
	int kind; /* which query the rows come from */
	int rc;
};

enum { ROWS_VERSIONS, ROWS_RUNNING, ROWS_DIRTY };

static int check_row(void *payload, int ncol, const char *const *v)
{
	struct check_read *r = payload;
	const char *p = r->prefix;

	(void)ncol;
	switch (r->kind) {
	case ROWS_VERSIONS:
		r->rc = check_add(r->out, "tracking", NULL, -1, NULL,
				  "%s_migrations holds a negative version %s",
				  p, v[0]);
		break;
	case ROWS_RUNNING:
		r->rc = check_add(r->out, "interrupted", NULL,
				  strtoll(v[0], NULL, 10), NULL,
				  "the %s of %s_%s started at %s is still"
				  " 'running' but no runner holds the lock: it"
				  " was interrupted (run 'strata repair')",
				  v[3] ? v[3] : "", v[1] ? v[1] : "",
				  v[2] ? v[2] : "", v[4] ? v[4] : "");
		break;
	default:
		r->rc = check_add(r->out, "dirty", NULL,
				  strtoll(v[0], NULL, 10), NULL,
				  "migration %s_%s failed after some of its"
				  " statements had committed: fix the schema,"
				  " then run 'strata repair'",
				  v[1] ? v[1] : "", v[2] ? v[2] : "");
	}
	return r->rc;
}

static int rows(struct my_conn *m, struct check_read *r, int kind,
		const char *tmpl)
{
	char *sql = track_sql(&m->base, r->prefix, tmpl);
	int rc;

	r->kind = kind;
	rc = !sql ? STRATA_ENOMEM
		  : my_query_on(m, m->db, sql, NULL, 0, check_row, r);
	free(sql);
	return rc ? rc : r->rc;
}

int my_check(struct engine_conn *c, const char *prefix,
	     strata_check_result *out)
{
	struct my_conn *m = (struct my_conn *)c;
	struct check_read r = { out, prefix, 0, 0 };
	const char *version = mysql_get_server_info(m->db);
	bool mig, hist, held;
	char *holder = NULL;
	int rc;

	/* The connection works: we are here. */
	out->n_checks++;
	if (version && !out->server_version) {
		out->server_version = strdup(version);
		if (!out->server_version)
			return err_oom(c->ctx);
	}
	out->n_checks++;
	if (m->db_missing)
		return check_add(out, "tracking", NULL, -1, NULL,
				 "database '%s' does not exist", m->dbname);
	rc = my_tracking_tables(m, prefix, &mig, &hist);
	if (rc)
		return rc;
	if (mig != hist)
		return check_add(out, "tracking",
				 mig ? "history" : "migrations", -1, NULL,
				 "table %s_%s is missing from database '%s'"
				 " (its companion exists)",
				 prefix, mig ? "history" : "migrations",
				 m->dbname);
	if (!mig)
		return STRATA_OK; /* never migrated: nothing to check */

	out->n_checks++;
	rc = rows(m, &r, ROWS_VERSIONS,
		  "SELECT version FROM %s_migrations WHERE version < 0"
		  " ORDER BY version");
	if (rc)
		return rc;

	out->n_checks++;
	rc = my_lock_held_elsewhere(m, prefix, &held, &holder);
	free(holder);
	if (!rc && !held)
		rc = rows(m, &r, ROWS_RUNNING,
			  "SELECT id, version, name, direction, started_at"
			  " FROM %s_history WHERE status = 'running'"
			  " ORDER BY id");
	if (rc)
		return rc;

	out->n_checks++;
	return rows(m, &r, ROWS_DIRTY,
		    "SELECT id, version, name FROM %s_history"
		    " WHERE status = 'dirty' ORDER BY id");
}
