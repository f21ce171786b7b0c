/*
 * sqlite_fk.c - foreign keys around one SQLite migration.  As SQLite's
 * ALTER TABLE procedure asks, enforcement is off while the migration runs
 * (the pragma is a no-op inside a transaction, so it is set before BEGIN),
 * and PRAGMA foreign_key_check runs before COMMIT.  An authorizer notes
 * the tables the migration writes, creates, alters or drops; the check
 * covers those and the tables whose foreign keys point at them, so its
 * cost follows the migration, not the size of the database.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

#define MAX_LISTED 5 /* violations named in the message */

static bool touched_has(const struct touched *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcasecmp(t->names[i], name))
			return true;
	return false;
}

static void touched_add(struct touched *t, const char *name)
{
	char **grown;

	if (!name || !strncasecmp(name, "sqlite_", 7) || touched_has(t, name))
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		grown = realloc(t->names, cap * sizeof(*grown));
		if (!grown) {
			t->oom = true;
			return;
		}
		t->names = grown;
		t->cap = cap;
	}
	if (!(t->names[t->n] = strdup(name))) {
		t->oom = true;
		return;
	}
	t->n++;
}

static void touched_clear(struct touched *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	t->n = 0;
	t->oom = false;
	t->in_body = false;
	t->denied_txn = false;
}

/* Called while statements are prepared; never refuses anything. */
static int note_table(void *payload, int action, const char *a1, const char *a2,
		      const char *db, const char *trigger)
{
	struct touched *t = payload;

	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_CREATE_TABLE:
	case SQLITE_DROP_TABLE: touched_add(t, a1); break;
	case SQLITE_ALTER_TABLE: /* a1 is the schema, a2 the table */
		touched_add(t, a2);
		break;
	case SQLITE_TRANSACTION:
		/* A COMMIT would take the migration out of its transaction. */
		if (t->in_body) {
			t->denied_txn = true;
			return SQLITE_DENY;
		}
		break;
	}
	return SQLITE_OK;
}

static int pragma_value(struct sqlite_conn *s, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STRATA_OK
						     : sqlite_fail(s, NULL);
}

int sqlite_migration_begin(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int on = 0, rc;

	rc = pragma_value(s, "PRAGMA foreign_keys", &on);
	if (rc)
		return rc;
	s->fk_was_on = on != 0;
	if (s->fk_was_on && sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF",
					 NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	touched_clear(&s->touched);
	sqlite3_set_authorizer(s->db, note_table, &s->touched);
	return STRATA_OK;
}

/* Does one of table's foreign keys point at a touched table? */
static int is_child_of_touched(struct sqlite_conn *s, const char *table,
			       bool *out)
{
	sqlite3_stmt *st;
	int rc;

	*out = false;
	if (sqlite3_prepare_v2(
		    s->db, "SELECT \"table\" FROM pragma_foreign_key_list(?)",
		    -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !*out)
		*out = touched_has(&s->touched,
				   (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(s, NULL);
	return STRATA_OK;
}

/* Run foreign_key_check on one table; add its violations to msg. */
static int check_table(struct sqlite_conn *s, const char *table, struct sb *msg,
		       long *found)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT \"table\", rowid, parent"
			       " FROM pragma_foreign_key_check(?)",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++*found <= MAX_LISTED)
			sb_addf(msg,
				"%stable '%s' rowid %s references a missing row in '%s'",
				*found > 1 ? "; " : "",
				(const char *)sqlite3_column_text(st, 0),
				sqlite3_column_type(st, 1) == SQLITE_NULL
					? "NULL"
					: (const char *)sqlite3_column_text(st,
									    1),
				(const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, "foreign key check");
	return STRATA_OK;
}

/* Check a touched table that still exists; skip one the migration dropped. */
static int check_touched(struct sqlite_conn *s, struct sb *msg, long *found)
{
	int rc = STRATA_OK;

	for (size_t i = 0; i < s->touched.n && !rc; i++) {
		sqlite3_stmt *st;
		bool exists;
		int step;
		if (sqlite3_prepare_v2(
			    s->db,
			    "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
			    " AND name = ? COLLATE NOCASE",
			    -1, &st, NULL) != SQLITE_OK)
			return sqlite_fail(s, NULL);
		sqlite3_bind_text(st, 1, s->touched.names[i], -1,
				  SQLITE_STATIC);
		step = sqlite3_step(st);
		exists = step == SQLITE_ROW;
		sqlite3_finalize(st);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			return sqlite_fail(s, "foreign key check");
		if (exists)
			rc = check_table(s, s->touched.names[i], msg, found);
	}
	return rc;
}

/*
 * Check the children of touched tables.  Only tables whose SQL mentions
 * REFERENCES can be children, and one query finds them, so a migration on
 * a database without foreign keys costs one schema scan, not one query
 * per table.
 */
static int check_children(struct sqlite_conn *s, struct sb *msg, long *found)
{
	sqlite3_stmt *st;
	int rc = STRATA_OK, step;

	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT name FROM sqlite_schema WHERE type = 'table'"
		    " AND sql LIKE '%references%'"
		    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		    " ORDER BY name",
		    -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		bool child;
		if (touched_has(&s->touched, table))
			continue; /* already checked as touched */
		rc = is_child_of_touched(s, table, &child);
		if (!rc && child)
			rc = check_table(s, table, msg, found);
	}
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = sqlite_fail(s, "foreign key check");
	sqlite3_finalize(st);
	return rc;
}

int sqlite_migration_check(struct engine_conn *c, const char *prefix)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb msg = SB_INIT;
	long found = 0;
	int rc;

	(void)prefix;
	sqlite3_set_authorizer(s->db, NULL, NULL);
	if (s->touched.oom)
		return err_oom(c->ctx);
	if (!s->touched.n)
		return STRATA_OK;
	rc = check_touched(s, &msg, &found);
	if (!rc)
		rc = check_children(s, &msg, &found);
	if (!rc && found) {
		if (found > MAX_LISTED)
			sb_addf(&msg, "; and %ld more", found - MAX_LISTED);
		rc = err_set(c->ctx, STRATA_ESQL,
			     "foreign key check failed: %s",
			     msg.failed ? "(out of memory)" : msg.buf);
	}
	sb_release(&msg);
	return rc;
}

void sqlite_migration_end(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	sqlite3_set_authorizer(s->db, NULL, NULL);
	touched_clear(&s->touched);
	if (s->fk_was_on)
		sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL,
			     NULL);
	s->fk_was_on = false;
}
