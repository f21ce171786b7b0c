/*
 * mysql_scratch.c - strata test's scratch database: CREATE DATABASE
 * strata_test_<random> on the live server, with the live database's
 * character set and collation, reached with the live URL's credentials
 * and options, dropped after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mysql_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct charset {
	char *cs, *coll;
};

static int charset_row(void *payload, int ncol, const char *const *v)
{
	struct charset *c = payload;

	if (ncol >= 2 && v[0] && v[1]) {
		c->cs = strdup(v[0]);
		c->coll = strdup(v[1]);
	}
	return 1;
}

static bool plain(const char *s)
{
	for (; s && *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return s != NULL;
}

static int create(struct my_conn *m, const char *name)
{
	struct charset c = { NULL, NULL };
	struct sql_param p[1] = { PTEXT(m->dbname) };
	struct sb sql = SB_INIT;
	int rc = STRATA_OK;

	if (m->dbname && !m->db_missing)
		rc = my_query_on(
			m, m->db,
			"SELECT default_character_set_name, default_collation_name"
			" FROM information_schema.schemata WHERE schema_name = ?",
			p, 1, charset_row, &c);
	sb_addf(&sql, "CREATE DATABASE `%s`", name);
	if (plain(c.cs) && plain(c.coll))
		sb_addf(&sql, " CHARACTER SET %s COLLATE %s", c.cs, c.coll);
	if (!rc)
		rc = sql.failed ? err_oom(m->base.ctx)
				: my_exec_simple(m, m->db, sql.buf);
	free(c.cs);
	free(c.coll);
	sb_release(&sql);
	return rc;
}

int my_scratch_create(strata *ctx, const struct strata_url *live,
		      struct scratch *sc)
{
	struct engine_conn *c = NULL;
	struct sb masked = SB_INIT;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->name = scratch_random_name();
	if (!sc->name)
		return err_oom(ctx);
	rc = engine_mysql.connect(&c, ctx, live, CONNECT_EXISTING);
	if (!rc) {
		rc = create((struct my_conn *)c, sc->name);
		if (rc)
			err_prefix(ctx,
				   "cannot create the scratch database %s: ",
				   sc->name);
	}
	engine_mysql.close(c);
	if (rc) {
		scratch_release(sc);
		return rc;
	}
	rc = scratch_url_copy(ctx, &sc->url, live);
	if (!rc) {
		free(sc->url.dbname);
		sc->url.dbname = strdup(sc->name);
		sb_addf(&masked, "temporary database %s on %s", sc->name,
			live->masked ? live->masked : "mysql://");
		free(sc->url.masked);
		sc->url.masked = masked.failed ? NULL : strdup(masked.buf);
		sc->what = masked.failed ? NULL : strdup(masked.buf);
		if (!sc->url.dbname || !sc->url.masked || !sc->what)
			rc = err_oom(ctx);
	}
	sb_release(&masked);
	if (rc)
		engine_mysql.scratch_drop(ctx, live, sc);
	return rc;
}

void my_scratch_drop(strata *ctx, const struct strata_url *live,
		     struct scratch *sc)
{
	struct engine_conn *c = NULL;
	strata *quiet = NULL;
	struct sb sql = SB_INIT;
	int rc;

	/* Its own context for errors: the test's message stays on ctx. */
	sb_addf(&sql, "DROP DATABASE IF EXISTS `%s`", sc->name);
	rc = strata_open(&quiet, NULL);
	if (!rc && sql.failed)
		rc = err_oom(quiet);
	if (!rc)
		rc = engine_mysql.connect(&c, quiet, live, CONNECT_EXISTING);
	if (!rc)
		rc = my_exec_simple((struct my_conn *)c,
				    ((struct my_conn *)c)->db, sql.buf);
	if (rc)
		log_msg(ctx, STRATA_LOG_WARN,
			"cannot drop the scratch database %s: %s", sc->name,
			quiet ? strata_errmsg(quiet) : "out of memory");
	engine_mysql.close(c);
	strata_close(quiet);
	sb_release(&sql);
	scratch_release(sc);
}
