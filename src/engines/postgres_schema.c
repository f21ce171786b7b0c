/*
 * postgres_schema.c - the live schema of the chosen PostgreSQL schema, as
 * SQL or JSON, read from pg_catalog (no pg_dump): sequences, tables with
 * their columns and constraints, indexes, views, functions and triggers,
 * each list by name, the tracking tables and what belongs to them (or to
 * an extension) left out.  The JSON is built first; the SQL is written
 * from it, foreign keys after every table so that it loads in order.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "postgres_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* $1 the schema, $2 and $3 the tracking tables. */
#define NOT_EXTENSION(cls, oid)                                              \
	" AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" cls \
	"'::regclass AND e.objid = " oid " AND e.deptype = 'e')"

/* A partition's constraints that its parent's made come with the parent. */
#define NOT_CLONED                                           \
	" AND NOT (c.relispartition AND (k.conparentid <> 0" \
	" OR NOT k.conislocal))"

static const char tables_sql[] =
	"SELECT c.relname, c.relkind,"
	" CASE c.relkind WHEN 'p' THEN pg_get_partkeydef(c.oid) END,"
	" (SELECT pc.relname FROM pg_inherits h"
	"  JOIN pg_class pc ON pc.oid = h.inhparent"
	"  WHERE c.relispartition AND h.inhrelid = c.oid),"
	" CASE WHEN c.relispartition THEN"
	"  pg_get_expr(c.relpartbound, c.oid) END"
	" FROM pg_class c"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')"
	" AND c.relname NOT IN ($2, $3)" NOT_EXTENSION(
		"pg_class", "c.oid") " ORDER BY c.relname";

static const char columns_sql[] =
	"SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
	" a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity,"
	" a.attgenerated,"
	" COALESCE((SELECT array_position(k.conkey, a.attnum)"
	"  FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),"
	"  0)"
	" FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid"
	"  AND d.adnum = a.attnum"
	" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')"
	" AND c.relname NOT IN ($2, $3) AND a.attnum > 0"
	" AND NOT a.attisdropped"
	" ORDER BY c.relname, a.attnum";

static const char constraints_sql[] =
	"SELECT c.relname, k.conname, k.contype,"
	" pg_get_constraintdef(k.oid, true)"
	" FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = $1 AND c.relname NOT IN ($2, $3)"
	" AND k.contype IN ('p', 'u', 'c', 'x', 'f')" NOT_CLONED
	" ORDER BY c.relname, CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1"
	" WHEN 'c' THEN 2 WHEN 'x' THEN 3 ELSE 4 END, k.conname";

static const char fk_columns_sql[] =
	"SELECT c.relname, k.conname, r.relname, u.seq, af.attname,"
	" at.attname,"
	" CASE k.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN"
	"  'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'"
	"  ELSE 'SET DEFAULT' END,"
	" CASE k.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN"
	"  'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'"
	"  ELSE 'SET DEFAULT' END"
	" FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_class r ON r.oid = k.confrelid"
	" CROSS JOIN LATERAL unnest(k.conkey, k.confkey)"
	"  WITH ORDINALITY AS u(f, t, seq)"
	" JOIN pg_attribute af ON af.attrelid = k.conrelid AND af.attnum = u.f"
	" JOIN pg_attribute at ON at.attrelid = k.confrelid"
	"  AND at.attnum = u.t"
	" WHERE n.nspname = $1 AND c.relname NOT IN ($2, $3)"
	" AND k.contype = 'f'" NOT_CLONED
	" ORDER BY c.relname, k.conname, u.seq";

static const char sequences_sql[] =
	"SELECT c.relname, format_type(s.seqtypid, NULL), s.seqincrement,"
	" s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle"
	" FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = $1" NOT_EXTENSION("pg_class", "c.oid")
	/* Identity sequences come with their column. */
	" AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid ="
	"  'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')"
	" AND NOT EXISTS (SELECT 1 FROM pg_depend d"
	"  JOIN pg_class t ON t.oid = d.refobjid"
	"  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
	"  AND d.refclassid = 'pg_class'::regclass"
	"  AND t.relname IN ($2, $3) AND t.relnamespace = n.oid)"
	" ORDER BY c.relname";

static const char indexes_sql[] =
	"SELECT ci.relname, ct.relname, pg_get_indexdef(i.indexrelid),"
	" quote_ident(n.nspname)"
	" FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid"
	" JOIN pg_class ct ON ct.oid = i.indrelid"
	" JOIN pg_namespace n ON n.oid = ci.relnamespace"
	" WHERE n.nspname = $1 AND ct.relname NOT IN ($2, $3)"
	/* A partition's copy of its parent's index comes with the parent. */
	" AND NOT ci.relispartition"
	/* Those of PRIMARY KEY and UNIQUE constraints come with them. */
	" AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
	"  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
	"  AND k.contype IN ('p', 'u', 'x'))" NOT_EXTENSION(
		"pg_class", "ct.oid") " ORDER BY ci.relname";

static const char views_sql[] =
	"SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true)"
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')"
	" AND c.relname NOT IN ($2, $3)" NOT_EXTENSION(
		"pg_class", "c.oid") " ORDER BY c.relname";

static const char functions_sql[] =
	"SELECT p.proname, pg_get_function_identity_arguments(p.oid),"
	" pg_get_functiondef(p.oid), p.prokind, quote_ident(n.nspname)"
	" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
	" WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')"
	/* Every query takes the same three parameters. */
	" AND $2::text IS NOT NULL AND $3::text IS NOT NULL" NOT_EXTENSION(
		"pg_proc", "p.oid") " ORDER BY 1, 2";

static const char triggers_sql[] =
	"SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid, true)"
	" FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = $1 AND NOT t.tgisinternal"
	" AND c.relname NOT IN ($2, $3)"
	" ORDER BY 1, 2";

struct dump {
	struct pg_conn *p;
	const char *v[3];
	json_t *root;
	json_t *by_name; /* table name -> its object */
};

static int run(struct dump *d, const char *sql, PGresult **r)
{
	return pg_exec_params(d->p, d->p->db, sql, 3, d->v, r);
}

static json_t *jval(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? json_null()
					: json_string(PQgetvalue(r, row, col));
}

static json_t *list(struct dump *d, const char *key)
{
	json_t *a = json_array();

	json_object_set_new(d->root, key, a);
	return a;
}

/* A copy of s without trailing white space and ';'. */
static json_t *jtrimmed(const char *s)
{
	size_t n = strlen(s);
	char *t;
	json_t *j;

	while (n && (s[n - 1] == ';' || s[n - 1] == ' ' || s[n - 1] == '\n' ||
		     s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\n')) {
		s++;
		n--;
	}
	t = strndup(s, n);
	j = t ? json_string(t) : NULL;
	free(t);
	return j;
}

/*
 * pg_get_indexdef and pg_get_functiondef always name the schema: drop the
 * first "<schema>." found after 'after' (" ON ", "FUNCTION "), so that the
 * dump does not depend on the schema and loads into another one.
 */
static json_t *unqualified(const char *def, const char *after,
			   const char *qschema)
{
	const char *at = strstr(def, after);
	size_t alen = strlen(after), qlen = strlen(qschema);
	struct sb sb = SB_INIT;
	json_t *j;

	size_t only = 0;

	/*
	 * An index of a partitioned table reads "ON ONLY t": loaded so, it
	 * would stay invalid, without its partitions' copies.
	 */
	if (at && strncmp(at + alen, "ONLY ", 5) == 0)
		only = 5;
	if (!at || strncmp(at + alen + only, qschema, qlen) != 0 ||
	    at[alen + only + qlen] != '.')
		return jtrimmed(def);
	sb_add(&sb, def, (size_t)(at - def) + alen);
	if (only && strcmp(after, " ON ") != 0)
		sb_adds(&sb, "ONLY ");
	sb_adds(&sb, at + alen + only + qlen + 1);
	j = sb.failed ? NULL : jtrimmed(sb.buf);
	sb_release(&sb);
	return j;
}

static int read_tables(struct dump *d)
{
	json_t *tables = list(d, "tables");
	PGresult *r;
	int rc = run(d, tables_sql, &r);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *t = json_object();

		json_object_set_new(t, "name",
				    json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(t, "partition_by", jval(r, i, 2));
		json_object_set_new(t, "partition_of", jval(r, i, 3));
		json_object_set_new(t, "partition_bound", jval(r, i, 4));
		json_object_set_new(t, "columns", json_array());
		json_object_set_new(t, "constraints", json_array());
		json_object_set_new(t, "foreign_keys", json_array());
		json_object_set(d->by_name, PQgetvalue(r, i, 0), t);
		json_array_append_new(tables, t);
	}
	PQclear(r);
	if (rc)
		return rc;

	rc = run(d, columns_sql, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *t = json_object_get(d->by_name, PQgetvalue(r, i, 0));
		json_t *col = json_object();
		const char *identity = PQgetvalue(r, i, 5);
		const char *generated = PQgetvalue(r, i, 6);

		if (!t)
			continue; /* an extension's table */
		json_object_set_new(col, "name",
				    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(col, "type",
				    json_string(PQgetvalue(r, i, 2)));
		json_object_set_new(
			col, "not_null",
			json_boolean(PQgetvalue(r, i, 3)[0] == 't'));
		json_object_set_new(col, "default",
				    generated[0] ? json_null() : jval(r, i, 4));
		json_object_set_new(
			col, "primary_key",
			json_boolean(atoi(PQgetvalue(r, i, 7)) > 0));
		json_object_set_new(col, "primary_key_position",
				    json_integer(atoi(PQgetvalue(r, i, 7))));
		json_object_set_new(col, "identity",
				    identity[0] == 'a' ? json_string("always")
				    : identity[0] == 'd'
					    ? json_string("by default")
					    : json_null());
		json_object_set_new(col, "generated",
				    generated[0] ? jval(r, i, 4) : json_null());
		json_array_append_new(json_object_get(t, "columns"), col);
	}
	PQclear(r);
	if (rc)
		return rc;

	rc = run(d, constraints_sql, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *t = json_object_get(d->by_name, PQgetvalue(r, i, 0));
		const char *type = PQgetvalue(r, i, 2);
		json_t *k = json_object();

		if (!t) {
			json_decref(k);
			continue;
		}
		json_object_set_new(k, "name",
				    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(k, "type",
				    json_string(type[0] == 'p'   ? "primary key"
						: type[0] == 'u' ? "unique"
						: type[0] == 'c' ? "check"
						: type[0] == 'x'
							? "exclude"
							: "foreign key"));
		json_object_set_new(k, "definition",
				    json_string(PQgetvalue(r, i, 3)));
		json_array_append_new(json_object_get(t, "constraints"), k);
	}
	PQclear(r);
	if (rc)
		return rc;

	/* One row per column pair, as the SQLite engine has them. */
	rc = run(d, fk_columns_sql, &r);
	for (int i = 0, id = -1; !rc && i < PQntuples(r); i++) {
		json_t *t = json_object_get(d->by_name, PQgetvalue(r, i, 0));
		json_t *fk;

		if (!t)
			continue;
		if (i == 0 ||
		    strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0)))
			id = -1;
		if (i == 0 ||
		    strcmp(PQgetvalue(r, i, 1), PQgetvalue(r, i - 1, 1)) ||
		    strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0)))
			id++;
		fk = json_object();
		json_object_set_new(fk, "id", json_integer(id));
		json_object_set_new(
			fk, "seq", json_integer(atoi(PQgetvalue(r, i, 3)) - 1));
		json_object_set_new(fk, "name",
				    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(fk, "references",
				    json_string(PQgetvalue(r, i, 2)));
		json_object_set_new(fk, "from",
				    json_string(PQgetvalue(r, i, 4)));
		json_object_set_new(fk, "to", json_string(PQgetvalue(r, i, 5)));
		json_object_set_new(fk, "on_update",
				    json_string(PQgetvalue(r, i, 6)));
		json_object_set_new(fk, "on_delete",
				    json_string(PQgetvalue(r, i, 7)));
		json_array_append_new(json_object_get(t, "foreign_keys"), fk);
	}
	PQclear(r);
	return rc;
}

/*
 * name, table (or not), sql from three columns of each row; with 'after',
 * a fourth column is the quoted schema to take out of the sql.
 */
static int read_simple(struct dump *d, const char *key, const char *sql,
		       bool has_table, const char *after)
{
	json_t *a = list(d, key);
	PGresult *r;
	int rc = run(d, sql, &r);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name",
				    json_string(PQgetvalue(r, i, 0)));
		if (has_table)
			json_object_set_new(o, "table",
					    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(o, "sql",
				    after ? unqualified(PQgetvalue(r, i, 2),
							after,
							PQgetvalue(r, i, 3))
					  : jtrimmed(PQgetvalue(r, i, 2)));
		json_array_append_new(a, o);
	}
	PQclear(r);
	return rc;
}

static int read_views(struct dump *d)
{
	json_t *a = list(d, "views");
	PGresult *r;
	int rc = run(d, views_sql, &r);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name",
				    json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(
			o, "materialized",
			json_boolean(PQgetvalue(r, i, 1)[0] == 'm'));
		json_object_set_new(o, "definition",
				    jtrimmed(PQgetvalue(r, i, 2)));
		json_array_append_new(a, o);
	}
	PQclear(r);
	return rc;
}

static int read_sequences(struct dump *d)
{
	json_t *a = list(d, "sequences");
	PGresult *r;
	int rc = run(d, sequences_sql, &r);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name",
				    json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(o, "type",
				    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(
			o, "increment",
			json_integer(strtoll(PQgetvalue(r, i, 2), NULL, 10)));
		json_object_set_new(
			o, "min",
			json_integer(strtoll(PQgetvalue(r, i, 3), NULL, 10)));
		json_object_set_new(
			o, "max",
			json_integer(strtoll(PQgetvalue(r, i, 4), NULL, 10)));
		json_object_set_new(
			o, "start",
			json_integer(strtoll(PQgetvalue(r, i, 5), NULL, 10)));
		json_object_set_new(
			o, "cache",
			json_integer(strtoll(PQgetvalue(r, i, 6), NULL, 10)));
		json_object_set_new(
			o, "cycle",
			json_boolean(PQgetvalue(r, i, 7)[0] == 't'));
		json_array_append_new(a, o);
	}
	PQclear(r);
	return rc;
}

static int read_functions(struct dump *d)
{
	json_t *a = list(d, "functions");
	PGresult *r;
	int rc = run(d, functions_sql, &r);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name",
				    json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(o, "arguments",
				    json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(o, "kind",
				    json_string(PQgetvalue(r, i, 3)[0] == 'p'
							? "procedure"
							: "function"));
		json_object_set_new(o, "sql",
				    unqualified(PQgetvalue(r, i, 2),
						PQgetvalue(r, i, 3)[0] == 'p'
							? "PROCEDURE "
							: "FUNCTION ",
						PQgetvalue(r, i, 4)));
		json_array_append_new(a, o);
	}
	PQclear(r);
	return rc;
}

/* ---- SQL text from the JSON ------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void sql_table(struct sb *sb, json_t *t)
{
	json_t *cols = json_object_get(t, "columns");
	json_t *cons = json_object_get(t, "constraints");
	size_t i, n = 0;
	json_t *x;

	sb_adds(sb, "CREATE TABLE ");
	sb_add_ident(sb, jstr(t, "name"));
	if (jstr(t, "partition_of")) {
		/* Its columns are its parent's; only its own constraints. */
		sb_adds(sb, " PARTITION OF ");
		sb_add_ident(sb, jstr(t, "partition_of"));
		json_array_foreach(cons, i, x)
		{
			if (strcmp(jstr(x, "type"), "foreign key") == 0)
				continue;
			sb_adds(sb, n++ ? ",\n    " : " (\n    ");
			sb_adds(sb, "CONSTRAINT ");
			sb_add_ident(sb, jstr(x, "name"));
			sb_addf(sb, " %s", jstr(x, "definition"));
		}
		if (n)
			sb_adds(sb, "\n)");
		sb_addf(sb, " %s", jstr(t, "partition_bound"));
		if (jstr(t, "partition_by"))
			sb_addf(sb, " PARTITION BY %s",
				jstr(t, "partition_by"));
		sb_adds(sb, ";\n\n");
		return;
	}
	sb_adds(sb, " (");
	json_array_foreach(cols, i, x)
	{
		sb_adds(sb, n++ ? ",\n    " : "\n    ");
		sb_add_ident(sb, jstr(x, "name"));
		sb_addf(sb, " %s", jstr(x, "type"));
		if (jstr(x, "generated"))
			sb_addf(sb, " GENERATED ALWAYS AS (%s) STORED",
				jstr(x, "generated"));
		else if (jstr(x, "identity"))
			sb_addf(sb, " GENERATED %s AS IDENTITY",
				strcmp(jstr(x, "identity"), "always") == 0
					? "ALWAYS"
					: "BY DEFAULT");
		else if (jstr(x, "default"))
			sb_addf(sb, " DEFAULT %s", jstr(x, "default"));
		if (json_is_true(json_object_get(x, "not_null")))
			sb_adds(sb, " NOT NULL");
	}
	json_array_foreach(cons, i, x)
	{
		if (strcmp(jstr(x, "type"), "foreign key") == 0)
			continue; /* after every table */
		sb_adds(sb, n++ ? ",\n    " : "\n    ");
		sb_adds(sb, "CONSTRAINT ");
		sb_add_ident(sb, jstr(x, "name"));
		sb_addf(sb, " %s", jstr(x, "definition"));
	}
	sb_adds(sb, "\n)");
	if (jstr(t, "partition_by"))
		sb_addf(sb, " PARTITION BY %s", jstr(t, "partition_by"));
	sb_adds(sb, ";\n\n");
}

/*
 * Plain and partitioned tables by name, then the partitions, each after
 * its parent (a partition may itself be partitioned).
 */
static void sql_tables(struct sb *sb, json_t *tables)
{
	size_t n = json_array_size(tables), left = 0, i;
	json_t *done = json_object(), *x;

	json_array_foreach(tables, i, x)
	{
		if (jstr(x, "partition_of")) {
			left++;
			continue;
		}
		sql_table(sb, x);
		json_object_set(done, jstr(x, "name"), json_true());
	}
	while (left && done) {
		size_t before = left;

		for (i = 0; i < n; i++) {
			x = json_array_get(tables, i);
			if (!jstr(x, "partition_of") ||
			    json_object_get(done, jstr(x, "name")) ||
			    !json_object_get(done, jstr(x, "partition_of")))
				continue;
			sql_table(sb, x);
			json_object_set(done, jstr(x, "name"), json_true());
			left--;
		}
		if (left == before) { /* a parent outside: print the rest */
			for (i = 0; i < n; i++) {
				x = json_array_get(tables, i);
				if (jstr(x, "partition_of") &&
				    !json_object_get(done, jstr(x, "name")))
					sql_table(sb, x);
			}
			break;
		}
	}
	json_decref(done);
}

static void sql_text(struct sb *sb, json_t *root)
{
	size_t i, j;
	json_t *x, *k;

	json_array_foreach(json_object_get(root, "sequences"), i, x)
	{
		sb_adds(sb, "CREATE SEQUENCE ");
		sb_add_ident(sb, jstr(x, "name"));
		sb_addf(sb,
			" AS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld"
			" START WITH %lld CACHE %lld%s;\n\n",
			jstr(x, "type"),
			(long long)json_integer_value(
				json_object_get(x, "increment")),
			(long long)json_integer_value(
				json_object_get(x, "min")),
			(long long)json_integer_value(
				json_object_get(x, "max")),
			(long long)json_integer_value(
				json_object_get(x, "start")),
			(long long)json_integer_value(
				json_object_get(x, "cache")),
			json_is_true(json_object_get(x, "cycle")) ? " CYCLE"
								  : "");
	}
	sql_tables(sb, json_object_get(root, "tables"));
	json_array_foreach(json_object_get(root, "tables"), i, x)
	{
		json_array_foreach(json_object_get(x, "constraints"), j, k)
		{
			if (strcmp(jstr(k, "type"), "foreign key") != 0)
				continue;
			sb_adds(sb, "ALTER TABLE ");
			sb_add_ident(sb, jstr(x, "name"));
			sb_adds(sb, " ADD CONSTRAINT ");
			sb_add_ident(sb, jstr(k, "name"));
			sb_addf(sb, " %s;\n\n", jstr(k, "definition"));
		}
	}
	json_array_foreach(json_object_get(root, "indexes"), i, x)
		sb_addf(sb, "%s;\n\n", jstr(x, "sql"));
	json_array_foreach(json_object_get(root, "views"), i, x)
	{
		sb_adds(sb, json_is_true(json_object_get(x, "materialized"))
				    ? "CREATE MATERIALIZED VIEW "
				    : "CREATE VIEW ");
		sb_add_ident(sb, jstr(x, "name"));
		sb_addf(sb, " AS\n%s;\n\n", jstr(x, "definition"));
	}
	json_array_foreach(json_object_get(root, "functions"), i, x)
		sb_addf(sb, "%s;\n\n", jstr(x, "sql"));
	json_array_foreach(json_object_get(root, "triggers"), i, x)
		sb_addf(sb, "%s;\n\n", jstr(x, "sql"));
}

int pg_schema_dump(struct engine_conn *c, const char *prefix, int format,
		   char **out)
{
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb mig = SB_INIT, hist = SB_INIT, text = SB_INIT;
	char *lower = pg_prefix_lower(prefix);
	struct dump d = { .p = p };
	int rc;

	*out = NULL;
	sb_addf(&mig, "%s_migrations", lower ? lower : "");
	sb_addf(&hist, "%s_history", lower ? lower : "");
	d.root = json_object();
	d.by_name = json_object();
	if (!lower || mig.failed || hist.failed || !d.root || !d.by_name) {
		rc = err_oom(c->ctx);
		goto out;
	}
	d.v[0] = p->schema;
	d.v[1] = mig.buf;
	d.v[2] = hist.buf;
	json_object_set_new(d.root, "schema", json_string(p->schema));
	rc = read_tables(&d);
	if (!rc)
		rc = read_simple(&d, "indexes", indexes_sql, true, " ON ");
	if (!rc)
		rc = read_views(&d);
	if (!rc)
		rc = read_simple(&d, "triggers", triggers_sql, true, NULL);
	if (!rc)
		rc = read_sequences(&d);
	if (!rc)
		rc = read_functions(&d);
	if (rc)
		goto out;
	if (format == STRATA_SCHEMA_SQL) {
		sql_text(&text, d.root);
		*out = sb_detach(&text);
	} else {
		*out = json_dumps(d.root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	if (!*out)
		rc = err_oom(c->ctx);
out:
	json_decref(d.root);
	json_decref(d.by_name);
	free(lower);
	sb_release(&mig);
	sb_release(&hist);
	sb_release(&text);
	return rc;
}
