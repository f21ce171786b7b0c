/*
 * postgres_check.c - health of a PostgreSQL database: the connection and
 * server version, the tracking tables, and indexes left invalid by a
 * failed CREATE INDEX CONCURRENTLY.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "postgres_int.h"
#include "sb.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* A query whose tracking tables are named by track_sql. */
static int prefixed(struct pg_conn *p, const char *tmpl, const char *prefix,
		    PGresult **r)
{
	char *sql = track_sql(&p->base, prefix, tmpl);
	int rc;

	rc = sql ? pg_exec_params(p, p->db, sql, 0, NULL, r) : STRATA_ENOMEM;
	free(sql);
	return rc;
}

static int check_tracking(struct pg_conn *p, const char *prefix,
			  strata_check_result *out)
{
	bool mig, hist, held;
	PGresult *r = NULL;
	char *holder = NULL;
	int rc;

	out->n_checks++;
	rc = pg_tracking_tables(p, prefix, &mig, &hist);
	if (rc)
		return rc;
	if (mig != hist)
		return check_add(out, "tracking",
				 mig ? "history" : "migrations", -1, NULL,
				 "table %s_%s is missing from schema '%s'"
				 " (its companion exists)",
				 prefix, mig ? "history" : "migrations",
				 p->schema);
	if (!mig)
		return STRATA_OK; /* never migrated: nothing to check */

	out->n_checks++;
	rc = prefixed(p,
		      "SELECT version, count(*) FROM %s_migrations"
		      " GROUP BY version HAVING count(*) > 1 OR version < 0"
		      " ORDER BY version",
		      prefix, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		const char *v = PQgetvalue(r, i, 0);

		rc = strtoll(v, NULL, 10) < 0
			     ? check_add(out, "tracking", NULL, -1, NULL,
					 "%s_migrations holds a negative"
					 " version %s",
					 prefix, v)
			     : check_add(out, "tracking", NULL, -1, NULL,
					 "%s_migrations holds version %s %s"
					 " times",
					 prefix, v, PQgetvalue(r, i, 1));
	}
	PQclear(r);
	r = NULL;
	if (rc)
		return rc;

	out->n_checks++;
	rc = pg_lock_held_elsewhere(p, prefix, &held, &holder);
	free(holder);
	if (!rc && !held)
		rc = prefixed(p,
			      "SELECT id, version, name, direction, started_at"
			      " FROM %s_history WHERE status = 'running'"
			      " ORDER BY id",
			      prefix, &r);
	for (int i = 0; !rc && !held && i < PQntuples(r); i++)
		rc = check_add(out, "interrupted", NULL,
			       strtoll(PQgetvalue(r, i, 0), NULL, 10), NULL,
			       "the %s of %s_%s started at %s is still"
			       " 'running' but no runner holds the lock: it"
			       " was interrupted (run 'strata repair')",
			       PQgetvalue(r, i, 3), PQgetvalue(r, i, 1),
			       PQgetvalue(r, i, 2), PQgetvalue(r, i, 4));
	PQclear(r);
	r = NULL;
	if (rc)
		return rc;

	out->n_checks++;
	rc = prefixed(p,
		      "SELECT id, version, name FROM %s_history"
		      " WHERE status = 'dirty' ORDER BY id",
		      prefix, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++)
		rc = check_add(out, "dirty", NULL,
			       strtoll(PQgetvalue(r, i, 0), NULL, 10), NULL,
			       "migration %s_%s failed after some of its"
			       " statements had committed: fix the schema,"
			       " then run 'strata repair'",
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);
	return rc;
}

static int check_indexes(struct pg_conn *p, strata_check_result *out)
{
	PGresult *r = NULL;
	int rc;

	out->n_checks++;
	rc = pg_exec_params(
		p, p->db,
		"SELECT n.nspname, ci.relname, ct.relname"
		" FROM pg_index i"
		" JOIN pg_class ci ON ci.oid = i.indexrelid"
		" JOIN pg_class ct ON ct.oid = i.indrelid"
		" JOIN pg_namespace n ON n.oid = ci.relnamespace"
		" WHERE NOT i.indisvalid"
		" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		" AND n.nspname NOT LIKE 'pg\\_toast%'"
		" ORDER BY n.nspname, ci.relname",
		0, NULL, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++)
		rc = check_add(out, "invalid_index", PQgetvalue(r, i, 2), -1,
			       NULL,
			       "index %s.%s on %s is invalid (left by a failed"
			       " CREATE INDEX CONCURRENTLY?): drop it and"
			       " create it again",
			       PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			       PQgetvalue(r, i, 2));
	PQclear(r);
	return rc;
}

int pg_check(struct engine_conn *c, const char *prefix,
	     strata_check_result *out)
{
	struct pg_conn *p = (struct pg_conn *)c;
	const char *version;
	int rc;

	/* The connection works: we are here. */
	out->n_checks++;
	version = PQparameterStatus(p->db, "server_version");
	if (version && !out->server_version) {
		out->server_version = strdup(version);
		if (!out->server_version)
			return err_oom(c->ctx);
	}
	rc = check_tracking(p, prefix, out);
	if (!rc)
		rc = check_indexes(p, out);
	return rc;
}
