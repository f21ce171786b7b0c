/*
 * postgres_scratch.c - strata test's scratch database: CREATE DATABASE
 * strata_test_<random> on the live server, reached with the live URL's
 * credentials and options; where the role may not create databases, a
 * schema of that name in the live database instead (then a migration
 * that names another schema, or adds an extension, reaches outside it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "postgres_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static int run(struct pg_conn *p, const char *verb, const char *name)
{
	struct sb sql = SB_INIT;
	PGresult *r = NULL;
	int rc;

	sb_adds(&sql, verb);
	sb_add_ident(&sql, name);
	if (strncmp(verb, "DROP SCHEMA", 11) == 0)
		sb_adds(&sql, " CASCADE");
	rc = sql.failed ? err_oom(p->base.ctx)
			: pg_exec_params(p, p->db, sql.buf, 0, NULL, &r);
	PQclear(r);
	sb_release(&sql);
	return rc;
}

static int scratch_url(strata *ctx, const struct strata_url *live,
		       struct scratch *sc)
{
	struct sb masked = SB_INIT;
	int rc = scratch_url_copy(ctx, &sc->url, live);

	if (!rc && sc->is_schema) {
		rc = scratch_url_set_param(ctx, &sc->url, "search_path",
					   sc->name);
	} else if (!rc) {
		free(sc->url.dbname);
		sc->url.dbname = strdup(sc->name);
		if (!sc->url.dbname)
			rc = err_oom(ctx);
		/* A key=value string names its database among its pairs. */
		if (!rc && sc->url.conninfo)
			rc = scratch_url_set_param(ctx, &sc->url, "dbname",
						   sc->name);
	}
	sb_addf(&masked, "%s %s on %s",
		sc->is_schema ? "temporary schema" : "temporary database",
		sc->name, live->masked ? live->masked : "postgres://");
	if (!rc && masked.failed)
		rc = err_oom(ctx);
	if (!rc) {
		free(sc->url.masked);
		sc->url.masked = strdup(masked.buf);
		sc->what = strdup(masked.buf);
		if (!sc->url.masked || !sc->what)
			rc = err_oom(ctx);
	}
	sb_release(&masked);
	return rc;
}

int pg_scratch_create(strata *ctx, const struct strata_url *live,
		      struct scratch *sc)
{
	struct engine_conn *c = NULL;
	struct pg_conn *p;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->name = scratch_random_name();
	if (!sc->name)
		return err_oom(ctx);
	rc = engine_postgres.connect(&c, ctx, live, CONNECT_EXISTING);
	p = (struct pg_conn *)c;
	if (!rc) {
		rc = run(p, "CREATE DATABASE ", sc->name);
		/* 42501: insufficient privilege; a schema will do. */
		if (rc == STRATA_ESQL && strstr(strata_errmsg(ctx), "42501")) {
			log_msg(ctx, STRATA_LOG_NOTE,
				"may not create a database: testing in the temporary schema %s instead",
				sc->name);
			err_clear(ctx);
			sc->is_schema = true;
			rc = run(p, "CREATE SCHEMA ", sc->name);
		}
		if (rc)
			err_prefix(ctx, "cannot create the scratch %s %s: ",
				   sc->is_schema ? "schema" : "database",
				   sc->name);
	}
	engine_postgres.close(c);
	if (!rc)
		rc = scratch_url(ctx, live, sc);
	if (rc && sc->url.engine) {
		engine_postgres.scratch_drop(ctx, live, sc);
		return rc;
	}
	if (rc)
		scratch_release(sc);
	return rc;
}

void pg_scratch_drop(strata *ctx, const struct strata_url *live,
		     struct scratch *sc)
{
	struct engine_conn *c = NULL;
	strata *quiet = NULL;
	int rc;

	/* Its own context for errors: the test's message stays on ctx. */
	rc = strata_open(&quiet, NULL);
	if (!rc)
		rc = engine_postgres.connect(&c, quiet, live, CONNECT_EXISTING);
	if (!rc)
		rc = run((struct pg_conn *)c,
			 sc->is_schema ? "DROP SCHEMA IF EXISTS "
				       : "DROP DATABASE IF EXISTS ",
			 sc->name);
	if (rc)
		log_msg(ctx, STRATA_LOG_WARN,
			"cannot drop the scratch %s %s: %s",
			sc->is_schema ? "schema" : "database", sc->name,
			quiet ? strata_errmsg(quiet) : "out of memory");
	engine_postgres.close(c);
	strata_close(quiet);
	scratch_release(sc);
}
