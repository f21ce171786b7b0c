/*
 * sqlite_fk.c - foreign keys around one SQLite migration.  As SQLite's
 * ALTER TABLE procedure asks, enforcement is off while the migration runs
 * (the pragma is a no-op inside a transaction, so it is set before BEGIN),
 * and PRAGMA foreign_key_check runs before COMMIT.
 *
 * The check follows the migration, not the size of the database
 * (docs/design.md, "Foreign key check"): an authorizer notes what each
 * statement does to which table, and a map of the references between
 * tables, read once per connection and updated only for the tables a
 * migration creates, alters or drops, says which tables a write to a
 * parent can orphan.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define MAX_LISTED 5 /* violations named in the message */

enum {
	FK_CHILD = 1u,  /* its own rows or references changed: check it */
	FK_PARENT = 2u, /* rows or keys it holds went: check its children */
	FK_INSERT = 4u, /* rows went in: a REPLACE may have deleted others */
	FK_SCHEMA = 8u, /* created, altered or dropped: re-read its keys */
	FK_ALTER = 16u, /* altered: it may have been renamed */
};

enum { FK_LAST_CREATE = 1, FK_LAST_DROP, FK_LAST_ALTER };

/* ------------------------------------------------------------ the map */

static size_t hash_name(const char *name)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a, case folded */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ (uint64_t)tolower(*p)) * 1099511628211u;
	return (size_t)h;
}

static bool slots_grow(struct fk_map *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 64;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		size_t j = hash_name(m->nodes[i].name) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return true;
}

/* The node for name, added when absent; SIZE_MAX when out of memory. */
static size_t node_of(struct fk_map *m, const char *name)
{
	size_t j;

	if (m->nslots) {
		j = hash_name(name) & (m->nslots - 1);
		for (; m->slots[j]; j = (j + 1) & (m->nslots - 1))
			if (!strcasecmp(m->nodes[m->slots[j] - 1].name, name))
				return m->slots[j] - 1;
	}
	if ((m->n + 1) * 2 > m->nslots && !slots_grow(m))
		return SIZE_MAX;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		struct fk_node *grown = realloc(m->nodes, cap * sizeof(*grown));
		if (!grown)
			return SIZE_MAX;
		m->nodes = grown;
		m->cap = cap;
	}
	m->nodes[m->n] = (struct fk_node){ .replace = -1 };
	if (!(m->nodes[m->n].name = strdup(name)))
		return SIZE_MAX;
	j = hash_name(name) & (m->nslots - 1);
	while (m->slots[j])
		j = (j + 1) & (m->nslots - 1);
	m->slots[j] = m->n + 1;
	return m->n++;
}

/* Take node id out of the hash (linear probing: shift the run back). */
static void slot_remove(struct fk_map *m, size_t id)
{
	size_t mask = m->nslots - 1, j = hash_name(m->nodes[id].name) & mask;

	while (m->slots[j] != id + 1)
		j = (j + 1) & mask;
	for (;;) {
		size_t k = j, home;
		m->slots[j] = 0;
		for (;;) {
			k = (k + 1) & mask;
			if (!m->slots[k])
				return;
			home = hash_name(m->nodes[m->slots[k] - 1].name) & mask;
			/* stays unless its home is cyclically outside (j, k] */
			if (j <= k ? (j < home && home <= k)
				   : (j < home || home <= k))
				continue;
			m->slots[j] = m->slots[k];
			j = k;
			break;
		}
	}
}

/*
 * Forget the last nodes while they are outside every reference: a table
 * without foreign keys, created and written by a migration, leaves
 * nothing behind, so the map's size follows the references, not the
 * schema.
 */
static void trim_tail(struct fk_map *m)
{
	while (m->n && !m->nodes[m->n - 1].np && !m->nodes[m->n - 1].nc) {
		struct fk_node *n = &m->nodes[m->n - 1];
		slot_remove(m, m->n - 1);
		free(n->name);
		free(n->parents);
		free(n->children);
		m->n--;
	}
}

static bool ids_add(size_t **v, size_t *n, size_t *cap, size_t id)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == id)
			return true;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		size_t *grown = realloc(*v, c * sizeof(*grown));
		if (!grown)
			return false;
		*v = grown;
		*cap = c;
	}
	(*v)[(*n)++] = id;
	return true;
}

static void ids_remove(size_t *v, size_t *n, size_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i] == id) {
			v[i] = v[--*n];
			return;
		}
}

/* Forget where child's foreign keys point. */
static void drop_edges(struct fk_map *m, size_t child)
{
	struct fk_node *c = &m->nodes[child];

	for (size_t i = 0; i < c->np; i++) {
		struct fk_node *p = &m->nodes[c->parents[i]];
		ids_remove(p->children, &p->nc, child);
	}
	c->np = 0;
}

static bool add_edge(struct fk_map *m, size_t child, const char *parent)
{
	size_t p = node_of(m, parent);

	if (p == SIZE_MAX)
		return false;
	/* node_of may move the nodes: index them again */
	return ids_add(&m->nodes[child].parents, &m->nodes[child].np,
		       &m->nodes[child].capp, p) &&
	       ids_add(&m->nodes[p].children, &m->nodes[p].nc,
		       &m->nodes[p].capc, child);
}

void sqlite_fk_release(struct sqlite_conn *s)
{
	struct fk_map *m = &s->fk;

	for (size_t i = 0; i < m->n; i++) {
		free(m->nodes[i].name);
		free(m->nodes[i].parents);
		free(m->nodes[i].children);
	}
	free(m->nodes);
	free(m->slots);
	free(m->touched);
	*m = (struct fk_map){ 0 };
}

/*
 * Read every table that has foreign keys and where they point, in one
 * query: tables outside every reference get no node.  Nodes stay (their
 * indices are in the touched list); edges and existence are read again.
 */
static int build_map(struct sqlite_conn *s)
{
	struct fk_map *m = &s->fk;
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		m->nodes[i].np = m->nodes[i].nc = 0;
		m->nodes[i].is_table = false;
		m->nodes[i].replace = -1;
	}
	m->built = false;
	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT m.name, f.\"table\" FROM sqlite_schema AS m"
		    " JOIN pragma_foreign_key_list(m.name) AS f"
		    " WHERE m.type = 'table'"
		    " AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
		    -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *parent = (const char *)sqlite3_column_text(st, 1);
		size_t c = table && parent ? node_of(m, table) : SIZE_MAX;
		if (!table || !parent)
			continue;
		if (c == SIZE_MAX || !add_edge(m, c, parent)) {
			sqlite3_finalize(st);
			return err_oom(s->base.ctx);
		}
		m->nodes[c].is_table = true;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, "foreign key check");
	m->built = true;
	return STRATA_OK;
}

/*
 * Prepare "PRAGMA <what>("<table>")": the plain pragma, not the
 * table-valued function, whose virtual table costs a CREATE TABLE parse
 * on every prepare.
 */
static int prepare_pragma(struct sqlite_conn *s, const char *what,
			  const char *table, sqlite3_stmt **st)
{
	struct sb sql = SB_INIT;
	int rc = STRATA_OK;

	sb_addf(&sql, "PRAGMA %s(\"", what);
	for (const char *p = table; *p; p++)
		sb_addf(&sql, *p == '"' ? "\"\"" : "%c", *p);
	sb_adds(&sql, "\")");
	if (sql.failed)
		rc = err_oom(s->base.ctx);
	else if (sqlite3_prepare_v2(s->db, sql.buf, -1, st, NULL) != SQLITE_OK)
		rc = sqlite_fail(s, NULL);
	sb_release(&sql);
	return rc;
}

/*
 * Bring one table's node up to date after the migration created, altered
 * or dropped it.  A table last created by a body that never says
 * REFERENCES has no foreign keys of its own (edges it had are kept: one
 * too many costs a check, never a miss); one last dropped is gone; an
 * altered one is asked.
 */
static int refresh_node(struct sqlite_conn *s, size_t id)
{
	struct fk_map *m = &s->fk;
	sqlite3_stmt *st;
	int rc;

	m->nodes[id].replace = -1;
	if (m->nodes[id].last == FK_LAST_DROP) {
		drop_edges(m, id);
		m->nodes[id].is_table = false;
		return STRATA_OK;
	}
	if (m->nodes[id].last == FK_LAST_CREATE) {
		m->nodes[id].is_table = true;
		if (!m->body_refs)
			return STRATA_OK;
	} else {
		rc = prepare_pragma(s, "table_info", m->nodes[id].name, &st);
		if (rc)
			return rc;
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sqlite_fail(s, "foreign key check");
		m->nodes[id].is_table = rc == SQLITE_ROW;
	}
	drop_edges(m, id);
	if (!m->nodes[id].is_table)
		return STRATA_OK;
	rc = prepare_pragma(s, "foreign_key_list", m->nodes[id].name, &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* id, seq, table, from, to, ... */
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		if (parent && !add_edge(m, id, parent)) {
			sqlite3_finalize(st);
			return err_oom(s->base.ctx);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, "foreign key check");
	return STRATA_OK;
}

/* Does the table's own SQL say REPLACE (an ON CONFLICT REPLACE clause)? */
static int table_says_replace(struct sqlite_conn *s, size_t id, bool *out)
{
	struct fk_node *n = &s->fk.nodes[id];
	sqlite3_stmt *st;
	int rc;

	if (n->replace < 0) {
		if (sqlite3_prepare_v2(
			    s->db,
			    "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
			    " AND name = ?1 COLLATE NOCASE"
			    " AND sql LIKE '%replace%'",
			    -1, &st, NULL) != SQLITE_OK)
			return sqlite_fail(s, NULL);
		sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sqlite_fail(s, "foreign key check");
		n->replace = rc == SQLITE_ROW;
	}
	*out = n->replace > 0;
	return STRATA_OK;
}

/* ------------------------------------------------------ the authorizer */

static void note(struct fk_map *m, const char *name, unsigned flags,
		 unsigned char last)
{
	size_t id;

	if (!name || !strncasecmp(name, "sqlite_", 7))
		return;
	if ((id = node_of(m, name)) == SIZE_MAX) {
		m->oom = true;
		return;
	}
	if (!m->nodes[id].flags &&
	    !ids_add(&m->touched, &m->nt, &m->capt, id)) {
		m->oom = true;
		return;
	}
	m->nodes[id].flags |= flags;
	if (last)
		m->nodes[id].last = last;
}

/*
 * Called while statements are prepared; refuses only a transaction
 * statement inside a migration's body.  What each action can break:
 * rows written into a table can break that table as a child (an INSERT
 * OR REPLACE, or an ON CONFLICT REPLACE clause, also deletes, so an
 * INSERT may orphan the table's children too); an UPDATE or a DELETE of
 * a parent's rows, dropping one of its unique indexes, and creating,
 * altering, renaming or dropping it can break its children.
 */
static int note_table(void *payload, int action, const char *a1, const char *a2,
		      const char *db, const char *trigger)
{
	struct fk_map *m = payload;

	(void)db;
	if (!m->armed || !m->in_body)
		return SQLITE_OK;
	switch (action) {
	case SQLITE_INSERT:
		/* a trigger's own text is not in the body: assume REPLACE */
		note(m, a1, FK_CHILD | FK_INSERT | (trigger ? FK_PARENT : 0),
		     0);
		break;
	case SQLITE_UPDATE: note(m, a1, FK_CHILD | FK_PARENT, 0); break;
	case SQLITE_DELETE: note(m, a1, FK_PARENT, 0); break;
	/* Statements are prepared in order, so the last action is known. */
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_TEMP_TABLE:
		note(m, a1, FK_CHILD | FK_PARENT | FK_SCHEMA, FK_LAST_CREATE);
		break;
	case SQLITE_DROP_TABLE:
	case SQLITE_DROP_TEMP_TABLE:
		note(m, a1, FK_CHILD | FK_PARENT | FK_SCHEMA, FK_LAST_DROP);
		break;
	case SQLITE_ALTER_TABLE: /* a1 is the schema, a2 the table */
		note(m, a2, FK_CHILD | FK_PARENT | FK_SCHEMA | FK_ALTER,
		     FK_LAST_ALTER);
		break;
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TEMP_INDEX: /* a2 is the table */
		note(m, a2, FK_PARENT, 0);
		break;
	case SQLITE_TRANSACTION:
		/* A COMMIT would take the migration out of its transaction. */
		m->denied_txn = true;
		return SQLITE_DENY;
	}
	return SQLITE_OK;
}

/* ---------------------------------------------------- the migration */

static void touched_clear(struct fk_map *m)
{
	for (size_t i = 0; i < m->nt; i++) {
		m->nodes[m->touched[i]].flags = 0;
		m->nodes[m->touched[i]].last = 0;
	}
	m->nt = 0;
	m->oom = false;
	m->in_body = false;
	m->denied_txn = false;
	m->started = false;
	m->body_replace = false;
	m->body_refs = false;
	trim_tail(m);
}

int sqlite_migration_begin(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int on = 0;

	/* sqlite3_db_config is PRAGMA foreign_keys without the SQL. */
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &on) !=
	    SQLITE_OK)
		return sqlite_fail(s, NULL);
	s->fk_was_on = on != 0;
	if (s->fk_was_on &&
	    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, NULL) !=
		    SQLITE_OK)
		return sqlite_fail(s, NULL);
	touched_clear(&s->fk);
	/*
	 * Installed once: setting an authorizer expires every prepared
	 * statement of the connection.  It does nothing unless armed.
	 */
	if (!s->fk.auth_set) {
		sqlite3_set_authorizer(s->db, note_table, &s->fk);
		s->fk.auth_set = true;
	}
	s->fk.armed = true;
	return STRATA_OK;
}

/* Does sql[0..len) hold word (lowercase), in any case? */
static bool says(const char *sql, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++)
		if ((sql[i] | 0x20) == word[0] &&
		    !strncasecmp(sql + i, word, wl))
			return true;
	return false;
}

/*
 * Inside the migration's transaction, before its body: the map must
 * describe the schema as it is now.  It is read on the first migration,
 * and again only when something else wrote to the file since the last
 * migration committed (its data version, a counter SQLite keeps without
 * I/O, moved), or when that migration did not commit.
 */
int sqlite_fk_body_start(struct sqlite_conn *s, const char *sql, size_t len)
{
	struct fk_map *m = &s->fk;

	if (m->started)
		return STRATA_OK;
	m->started = true;
	m->body_replace = says(sql, len, "replace");
	m->body_refs = says(sql, len, "references");
	if (m->built && m->have_version) {
		unsigned v = 0;
		if (sqlite3_file_control(s->db, "main",
					 SQLITE_FCNTL_DATA_VERSION,
					 &v) == SQLITE_OK &&
		    v == m->data_version)
			return STRATA_OK; /* nothing changed the file since */
	}
	return build_map(s);
}

/* Run foreign_key_check on one table; add its violations to msg. */
static int check_table(struct sqlite_conn *s, size_t id, struct sb *msg,
		       long *found)
{
	struct fk_node *n = &s->fk.nodes[id];
	sqlite3_stmt *st;
	int rc;

	if (n->checked == s->fk.gen || !n->is_table || !n->np)
		return STRATA_OK; /* done, gone, or without foreign keys */
	n->checked = s->fk.gen;
	rc = prepare_pragma(s, "foreign_key_check", n->name, &st);
	if (rc)
		return rc;
	/* table, rowid, parent, fkid */
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

/*
 * Bring the map up to date with the migration's schema changes.  A table
 * that was altered and is gone was renamed: SQLite rewrote the references
 * to it, and its new name is known only to the schema, so the children of
 * written parents are checked first, the map is read again (a cost of
 * renames alone), and tables new to it are checked as if created.
 */
static int check_children(struct sqlite_conn *s, struct sb *msg, long *found);

static int update_map(struct sqlite_conn *s, struct sb *msg, long *found)
{
	struct fk_map *m = &s->fk;
	bool renamed = false, *was = NULL;
	size_t n;
	int rc = STRATA_OK;

	for (size_t i = 0; i < m->nt && !rc; i++) {
		size_t id = m->touched[i];
		if (!(m->nodes[id].flags & FK_SCHEMA))
			continue;
		rc = refresh_node(s, id);
		if (!rc && (m->nodes[id].flags & FK_ALTER) &&
		    !m->nodes[id].is_table)
			renamed = true;
	}
	if (rc || !renamed)
		return rc;
	/* The children of written parents, while the map still has them. */
	rc = check_children(s, msg, found);
	if (rc)
		return rc;
	n = m->n;
	if (!(was = malloc((n ? n : 1) * sizeof(*was))))
		return err_oom(s->base.ctx);
	for (size_t i = 0; i < n; i++)
		was[i] = m->nodes[i].is_table;
	rc = build_map(s);
	for (size_t i = 0; !rc && i < m->n; i++)
		if (m->nodes[i].is_table && (i >= n || !was[i]))
			note(m, m->nodes[i].name, FK_CHILD | FK_PARENT, 0);
	free(was);
	if (!rc && m->oom)
		rc = err_oom(s->base.ctx);
	return rc;
}

/* Did the migration write node id as a parent (something can be orphaned)? */
static int writes_parent(struct sqlite_conn *s, size_t id, bool *out)
{
	unsigned f = s->fk.nodes[id].flags;

	*out = (f & FK_PARENT) || ((f & FK_INSERT) && s->fk.body_replace);
	if (!*out && (f & FK_INSERT) && s->fk.nodes[id].nc)
		return table_says_replace(s, id, out);
	return STRATA_OK;
}

/* The children of parents that lost rows, keys or their shape. */
static int check_children(struct sqlite_conn *s, struct sb *msg, long *found)
{
	struct fk_map *m = &s->fk;
	int rc = STRATA_OK;

	for (size_t i = 0; i < m->nt && !rc; i++) {
		size_t id = m->touched[i];
		bool parent;
		if (!m->nodes[id].nc)
			continue;
		rc = writes_parent(s, id, &parent);
		for (size_t k = 0; parent && k < m->nodes[id].nc && !rc; k++)
			rc = check_table(s, m->nodes[id].children[k], msg,
					 found);
	}
	return rc;
}

static int check_all(struct sqlite_conn *s, struct sb *msg, long *found)
{
	struct fk_map *m = &s->fk;
	int rc = update_map(s, msg, found);

	/* Written tables, as children of what they point at. */
	for (size_t i = 0; i < m->nt && !rc; i++)
		if (m->nodes[m->touched[i]].flags & FK_CHILD)
			rc = check_table(s, m->touched[i], msg, found);
	if (!rc)
		rc = check_children(s, msg, found);
	return rc;
}

int sqlite_migration_check(struct engine_conn *c, const char *prefix)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb msg = SB_INIT;
	long found = 0;
	int rc;

	(void)prefix;
	s->fk.armed = false;
	s->fk.gen++;
	if (s->fk.oom)
		return err_oom(c->ctx);
	rc = s->fk.nt ? check_all(s, &msg, &found) : STRATA_OK;
	if (!rc && found) {
		if (found > MAX_LISTED)
			sb_addf(&msg, "; and %ld more", found - MAX_LISTED);
		rc = err_set(c->ctx, STRATA_ESQL,
			     "foreign key check failed: %s",
			     msg.failed ? "(out of memory)" : msg.buf);
	}
	sb_release(&msg);
	/*
	 * The map now describes the schema this migration commits, unless
	 * it rolls back; a failed check may have left it half updated.
	 */
	s->fk.unsettled = !rc;
	if (rc)
		s->fk.built = false;
	return rc;
}

void sqlite_migration_end(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	s->fk.armed = false;
	touched_clear(&s->fk);
	/* Checked but not committed: the map holds what was rolled back. */
	if (s->fk.unsettled)
		s->fk.built = false;
	s->fk.unsettled = false;
	s->fk.have_version =
		s->fk.built &&
		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION,
				     &s->fk.data_version) == SQLITE_OK;
	if (s->fk_was_on)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);
	s->fk_was_on = false;
}
