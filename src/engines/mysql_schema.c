/*
 * mysql_schema.c - the live schema of a MySQL/MariaDB database, as SQL or
 * JSON: tables (columns, keys, foreign keys, and the server's own CREATE
 * TABLE text), indexes, views, triggers and routines, each list by name,
 * the tracking tables left out.  Read from information_schema and the
 * SHOW CREATE statements (no mysqldump).  DEFINER clauses and
 * AUTO_INCREMENT counters are taken out, so the text depends only on the
 * schema.  The SQL loads back in order: foreign key checks are off while
 * the tables are created, and triggers and routines come between
 * DELIMITER lines.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mysql_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* ? the database, ? ? the tracking tables. */
static const char tables_sql[] =
	"SELECT table_name FROM information_schema.tables"
	" WHERE table_schema = ? AND table_type = 'BASE TABLE'"
	" AND table_name NOT IN (?, ?) ORDER BY table_name";

static const char columns_sql[] =
	"SELECT c.table_name, c.column_name, c.column_type, c.is_nullable,"
	" c.column_default, COALESCE((SELECT s.seq_in_index"
	"  FROM information_schema.statistics s"
	"  WHERE s.table_schema = c.table_schema"
	"  AND s.table_name = c.table_name AND s.index_name = 'PRIMARY'"
	"  AND s.column_name = c.column_name), 0), c.extra"
	" FROM information_schema.columns c"
	" WHERE c.table_schema = ? AND c.table_name NOT IN (?, ?)"
	" ORDER BY c.table_name, c.ordinal_position";

static const char fks_sql[] =
	"SELECT k.table_name, k.constraint_name, k.referenced_table_name,"
	" k.ordinal_position, k.column_name, k.referenced_column_name,"
	" r.update_rule, r.delete_rule"
	" FROM information_schema.key_column_usage k"
	" JOIN information_schema.referential_constraints r"
	"  ON r.constraint_schema = k.constraint_schema"
	"  AND r.table_name = k.table_name"
	"  AND r.constraint_name = k.constraint_name"
	" WHERE k.table_schema = ? AND k.table_name NOT IN (?, ?)"
	" AND k.referenced_table_name IS NOT NULL"
	" ORDER BY k.table_name, k.constraint_name, k.ordinal_position";

static const char indexes_sql[] =
	"SELECT index_name, table_name, non_unique, column_name, sub_part,"
	" index_type"
	" FROM information_schema.statistics"
	" WHERE table_schema = ? AND table_name NOT IN (?, ?)"
	" AND index_name <> 'PRIMARY'"
	" ORDER BY index_name, table_name, seq_in_index";

static const char views_sql[] =
	"SELECT table_name FROM information_schema.views"
	" WHERE table_schema = ? AND table_name NOT IN (?, ?)"
	" ORDER BY table_name";

static const char triggers_sql[] =
	"SELECT trigger_name, event_object_table"
	" FROM information_schema.triggers"
	" WHERE trigger_schema = ? AND event_object_table NOT IN (?, ?)"
	" ORDER BY trigger_name, event_object_table";

static const char routines_sql[] =
	"SELECT routine_name, routine_type FROM information_schema.routines"
	" WHERE routine_schema = ? AND ? IS NOT NULL AND ? IS NOT NULL"
	" ORDER BY routine_name, routine_type";

struct dump {
	struct my_conn *m;
	struct sql_param p[3];
	json_t *root;
	json_t *by_name; /* table name -> its object */
	json_t *list;    /* the array rows go into */
	int kind;
	bool oom;
};

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int run(struct dump *d, const char *sql, row_fn fn)
{
	int rc = my_query_on(d->m, d->m->db, sql, d->p, 3, fn, d);

	if (!rc && d->oom)
		rc = err_oom(d->m->base.ctx);
	return rc;
}

static json_t *list(struct dump *d, const char *key)
{
	json_t *a = json_array();

	json_object_set_new(d->root, key, a);
	return a;
}

/* ---- rows -------------------------------------------------------------- */

static int table_row(void *payload, int ncol, const char *const *v)
{
	struct dump *d = payload;
	json_t *t = json_object();

	(void)ncol;
	json_object_set_new(t, "name", json_string(v[0]));
	json_object_set_new(t, "columns", json_array());
	json_object_set_new(t, "foreign_keys", json_array());
	json_object_set(d->by_name, v[0], t);
	json_array_append_new(d->list, t);
	return 0;
}

static int column_row(void *payload, int ncol, const char *const *v)
{
	struct dump *d = payload;
	json_t *t = json_object_get(d->by_name, v[0]);
	json_t *col;

	(void)ncol;
	if (!t)
		return 0; /* a view's columns */
	col = json_object();
	json_object_set_new(col, "name", json_string(v[1]));
	json_object_set_new(col, "type", json_string(v[2]));
	json_object_set_new(col, "not_null",
			    json_boolean(v[3] && strcmp(v[3], "NO") == 0));
	json_object_set_new(col, "default", jstr_or_null(v[4]));
	json_object_set_new(col, "primary_key",
			    json_boolean(v[5] && atoi(v[5]) > 0));
	json_object_set_new(col, "primary_key_position",
			    json_integer(v[5] ? atoi(v[5]) : 0));
	json_object_set_new(col, "extra",
			    v[6] && *v[6] ? json_string(v[6]) : json_null());
	json_array_append_new(json_object_get(t, "columns"), col);
	return 0;
}

/* One row per column pair, as the other engines have them. */
static int fk_row(void *payload, int ncol, const char *const *v)
{
	struct dump *d = payload;
	json_t *t = json_object_get(d->by_name, v[0]);
	json_t *fks, *fk, *last;
	json_int_t id = 0;

	(void)ncol;
	if (!t)
		return 0;
	fks = json_object_get(t, "foreign_keys");
	last = json_array_get(fks, json_array_size(fks) - 1);
	if (last) {
		id = json_integer_value(json_object_get(last, "id"));
		if (strcmp(json_string_value(json_object_get(last, "name")),
			   v[1]) != 0)
			id++;
	}
	fk = json_object();
	json_object_set_new(fk, "id", json_integer(id));
	json_object_set_new(fk, "seq", json_integer(v[3] ? atoi(v[3]) - 1 : 0));
	json_object_set_new(fk, "name", json_string(v[1]));
	json_object_set_new(fk, "references", json_string(v[2]));
	json_object_set_new(fk, "from", json_string(v[4]));
	json_object_set_new(fk, "to", jstr_or_null(v[5]));
	json_object_set_new(fk, "on_update", jstr_or_null(v[6]));
	json_object_set_new(fk, "on_delete", jstr_or_null(v[7]));
	json_array_append_new(fks, fk);
	return 0;
}

static int index_row(void *payload, int ncol, const char *const *v)
{
	struct dump *d = payload;
	json_t *last = json_array_get(d->list, json_array_size(d->list) - 1);
	json_t *cols;
	struct sb col = SB_INIT;

	(void)ncol;
	if (!last ||
	    strcmp(json_string_value(json_object_get(last, "name")), v[0]) ||
	    strcmp(json_string_value(json_object_get(last, "table")), v[1])) {
		last = json_object();
		json_object_set_new(last, "name", json_string(v[0]));
		json_object_set_new(last, "table", json_string(v[1]));
		json_object_set_new(
			last, "unique",
			json_boolean(v[2] && strcmp(v[2], "0") == 0));
		json_object_set_new(last, "type", jstr_or_null(v[5]));
		json_object_set_new(last, "columns", json_array());
		json_array_append_new(d->list, last);
	}
	cols = json_object_get(last, "columns");
	sb_adds(&col, v[3] ? v[3] : "");
	if (v[4])
		sb_addf(&col, "(%s)", v[4]);
	if (col.failed)
		d->oom = true;
	else
		json_array_append_new(cols, json_string(col.buf));
	sb_release(&col);
	return 0;
}

static int name_row(void *payload, int ncol, const char *const *v)
{
	struct dump *d = payload;
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(v[0]));
	if (ncol > 1)
		json_object_set_new(o, d->kind ? "kind" : "table",
				    json_string(v[1]));
	json_array_append_new(d->list, o);
	return 0;
}

/* ---- SHOW CREATE ------------------------------------------------------- */

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 0 a column, 1 the primary key, 2 another key, 3 a constraint, 4 else. */
static int line_rank(const char *l)
{
	static const char *const keys[] = { "  KEY ", "  UNIQUE KEY ",
					    "  FULLTEXT KEY ", "  SPATIAL KEY ",
					    NULL };

	if (strncmp(l, "  `", 3) == 0)
		return 0;
	if (strncmp(l, "  PRIMARY KEY ", 14) == 0)
		return 1;
	for (int i = 0; keys[i]; i++)
		if (strncmp(l, keys[i], strlen(keys[i])) == 0)
			return 2;
	return strncmp(l, "  CONSTRAINT ", 13) == 0 ? 3 : 4;
}

/*
 * SHOW CREATE TABLE lists keys and constraints in the order they were
 * made: a down that drops an index and makes it again moves it to the
 * end, the same schema.  Keys and constraints go in name order (columns,
 * whose order is the schema's, stay).  Frees def on success.
 */
static char *sorted_keys(char *def)
{
	char *open = strstr(def, " (\n"), *close = strrchr(def, '\n');
	char **lines, **order, *p;
	size_t n = 1, k = 0, at = 0;
	struct sb sb = SB_INIT;

	if (!open || !close || close <= open + 3)
		return def;
	for (p = open + 3; p < close; p++)
		n += *p == '\n';
	lines = malloc(n * sizeof(*lines));
	order = malloc(n * sizeof(*order));
	if (!lines || !order) {
		free(lines);
		free(order);
		free(def);
		return NULL;
	}
	for (p = open + 3; p < close && k < n;) {
		char *nl = memchr(p, '\n', (size_t)(close - p));
		char *end = nl ? nl : close;

		if (end > p && end[-1] == ',')
			end[-1] = '\0';
		*end = '\0';
		lines[k++] = p;
		p = end + 1;
	}
	for (int rank = 0; rank <= 4; rank++) {
		size_t first = at;

		for (size_t i = 0; i < k; i++)
			if (line_rank(lines[i]) == rank)
				order[at++] = lines[i];
		if (rank == 2 || rank == 3)
			qsort(&order[first], at - first, sizeof(*order),
			      cmp_line);
	}
	sb_add(&sb, def, (size_t)(open - def) + 3);
	for (size_t i = 0; i < at; i++) {
		sb_adds(&sb, order[i]);
		sb_adds(&sb, i + 1 < at ? ",\n" : "\n");
	}
	sb_adds(&sb, close + 1);
	free(lines);
	free(order);
	free(def);
	return sb_detach(&sb);
}

/*
 * def without "DEFINER=`u`@`h` " and " AUTO_INCREMENT=N", trailing
 * white space and ';' trimmed.
 */
static char *clean_definition(const char *def)
{
	struct sb sb = SB_INIT;
	const char *s = def;

	while (*s) {
		if (strncmp(s, "DEFINER=", 8) == 0) {
			bool quoted = false;

			/* To the first space outside backticks or quotes. */
			for (s += 8; *s; s++) {
				if (*s == '`' || *s == '\'')
					quoted = !quoted;
				else if (*s == ' ' && !quoted)
					break;
			}
			while (*s == ' ')
				s++;
			continue;
		}
		if (strncmp(s, " AUTO_INCREMENT=", 16) == 0) {
			for (s += 16; *s >= '0' && *s <= '9'; s++)
				;
			continue;
		}
		sb_addc(&sb, *s++);
	}
	while (sb.len &&
	       (sb.buf[sb.len - 1] == ';' || sb.buf[sb.len - 1] == ' ' ||
		sb.buf[sb.len - 1] == '\n'))
		sb.buf[--sb.len] = '\0';
	if (!sb.failed && strncmp(sb.buf, "CREATE TABLE ", 13) == 0)
		return sorted_keys(sb_detach(&sb));
	return sb_detach(&sb);
}

struct show_read {
	int col;
	char *value;
	bool oom;
};

static int show_row(void *payload, int ncol, const char *const *v)
{
	struct show_read *r = payload;

	if (r->col < ncol && v[r->col] &&
	    !(r->value = clean_definition(v[r->col])))
		r->oom = true;
	return 1;
}

/* SHOW CREATE <what> `name` into o's "sql" (null if we may not see it). */
static int show_create(struct dump *d, json_t *o, const char *what, int col)
{
	struct show_read r = { col, NULL, false };
	struct sb sql = SB_INIT;
	const char *name = json_string_value(json_object_get(o, "name"));
	int rc;

	sb_addf(&sql, "SHOW CREATE %s `", what);
	for (const char *s = name; *s; s++) {
		if (*s == '`')
			sb_addc(&sql, '`');
		sb_addc(&sql, *s);
	}
	sb_addc(&sql, '`');
	rc = sql.failed ? err_oom(d->m->base.ctx)
			: my_query_on(d->m, d->m->db, sql.buf, NULL, 0,
				      show_row, &r);
	sb_release(&sql);
	if (!rc && r.oom)
		rc = err_oom(d->m->base.ctx);
	if (!rc)
		json_object_set_new(o, "sql", jstr_or_null(r.value));
	free(r.value);
	return rc;
}

static int show_all(struct dump *d, json_t *a, const char *what, int col)
{
	size_t i;
	json_t *o;
	int rc = STRATA_OK;

	json_array_foreach(a, i, o)
	{
		const char *kind =
			json_string_value(json_object_get(o, "kind"));

		rc = show_create(d, o, kind ? kind : what, col);
		if (rc)
			break;
	}
	return rc;
}

/* ---- SQL text ---------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void sql_text(struct sb *sb, json_t *root)
{
	json_t *tables = json_object_get(root, "tables");
	json_t *triggers = json_object_get(root, "triggers");
	json_t *routines = json_object_get(root, "routines");
	size_t i;
	json_t *x;

	if (json_array_size(tables))
		sb_adds(sb, "SET FOREIGN_KEY_CHECKS = 0;\n\n");
	json_array_foreach(tables, i, x)
		sb_addf(sb, "%s;\n\n", jstr(x, "sql") ? jstr(x, "sql") : "");
	if (json_array_size(tables))
		sb_adds(sb, "SET FOREIGN_KEY_CHECKS = 1;\n\n");
	json_array_foreach(json_object_get(root, "views"), i,
			   x) if (jstr(x, "sql"))
		sb_addf(sb, "%s;\n\n", jstr(x, "sql"));
	if (!json_array_size(triggers) && !json_array_size(routines))
		return;
	sb_adds(sb, "DELIMITER $$\n\n");
	json_array_foreach(routines, i, x) if (jstr(x, "sql"))
		sb_addf(sb, "%s$$\n\n", jstr(x, "sql"));
	json_array_foreach(triggers, i, x) if (jstr(x, "sql"))
		sb_addf(sb, "%s$$\n\n", jstr(x, "sql"));
	sb_adds(sb, "DELIMITER ;\n");
}

int my_schema_dump(struct engine_conn *c, const char *prefix, int format,
		   char **out)
{
	struct my_conn *m = (struct my_conn *)c;
	struct sb mig = SB_INIT, hist = SB_INIT, text = SB_INIT;
	struct dump d = { .m = m };
	int rc = STRATA_OK;

	*out = NULL;
	sb_addf(&mig, "%s_migrations", prefix);
	sb_addf(&hist, "%s_history", prefix);
	d.root = json_object();
	d.by_name = json_object();
	if (mig.failed || hist.failed || !d.root || !d.by_name) {
		rc = err_oom(c->ctx);
		goto out;
	}
	d.p[0] = PTEXT(m->dbname);
	d.p[1] = PTEXT(mig.buf);
	d.p[2] = PTEXT(hist.buf);
	json_object_set_new(d.root, "database", json_string(m->dbname));
	d.list = list(&d, "tables");
	if (!m->db_missing) {
		rc = run(&d, tables_sql, table_row);
		if (!rc)
			rc = run(&d, columns_sql, column_row);
		if (!rc)
			rc = run(&d, fks_sql, fk_row);
		if (!rc)
			rc = show_all(&d, d.list, "TABLE", 1);
	}
	d.list = list(&d, "indexes");
	if (!rc && !m->db_missing)
		rc = run(&d, indexes_sql, index_row);
	d.list = list(&d, "views");
	if (!rc && !m->db_missing)
		rc = run(&d, views_sql, name_row);
	if (!rc)
		rc = show_all(&d, d.list, "VIEW", 1);
	d.list = list(&d, "triggers");
	if (!rc && !m->db_missing)
		rc = run(&d, triggers_sql, name_row);
	if (!rc)
		rc = show_all(&d, d.list, "TRIGGER", 2);
	d.list = list(&d, "routines");
	d.kind = 1;
	if (!rc && !m->db_missing)
		rc = run(&d, routines_sql, name_row);
	if (!rc)
		rc = show_all(&d, d.list, NULL, 2);
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
	sb_release(&mig);
	sb_release(&hist);
	sb_release(&text);
	return rc;
}
