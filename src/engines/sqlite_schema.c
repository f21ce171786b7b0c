/* sqlite_schema.c - the live schema of a SQLite database, as SQL or JSON. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Objects in a stable order: tables, indexes, views, triggers; by name. */
static const char objects_sql[] =
	"SELECT type, name, tbl_name, sql FROM sqlite_schema"
	" WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	" AND tbl_name NOT IN (?1 || '_migrations', ?1 || '_history')"
	" ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
	" WHEN 'view' THEN 2 ELSE 3 END, name";

static json_t *str_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? json_string((const char *)v) : json_null();
}

/* Run a pragma table-valued function on one table; one JSON object a row. */
static int pragma_rows(struct sqlite_conn *s, const char *sql,
		       const char *table, json_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			json_t *v;
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
				v = json_integer(sqlite3_column_int64(st, i));
			else
				v = str_or_null(st, i);
			json_object_set_new(row, sqlite3_column_name(st, i), v);
		}
		json_array_append_new(out, row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STRATA_OK : sqlite_fail(s, NULL);
}

static int describe_table(struct sqlite_conn *s, const char *name,
			  json_t *table)
{
	json_t *cols = json_array(), *fks = json_array();
	int rc;

	json_object_set_new(table, "columns", cols);
	json_object_set_new(table, "foreign_keys", fks);
	rc = pragma_rows(s,
			 "SELECT name, type, \"notnull\" AS not_null,"
			 " dflt_value AS \"default\", pk AS primary_key"
			 " FROM pragma_table_info(?) ORDER BY cid",
			 name, cols);
	if (!rc)
		rc = pragma_rows(
			s,
			"SELECT id, seq, \"table\" AS \"references\","
			" \"from\", \"to\", on_update, on_delete"
			" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
			name, fks);
	return rc;
}

static int dump(struct sqlite_conn *s, const char *prefix, int format,
		struct sb *text, json_t *root)
{
	json_t *lists[4];
	static const char *const keys[4] = { "tables", "indexes", "views",
					     "triggers" };
	sqlite3_stmt *st;
	int rc = STRATA_OK, step;

	for (int i = 0; i < 4; i++) {
		lists[i] = json_array();
		json_object_set_new(root, keys[i], lists[i]);
	}
	if (sqlite3_prepare_v2(s->db, objects_sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, NULL);
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 3);
		int kind = !strcmp(type, "table")   ? 0
			   : !strcmp(type, "index") ? 1
			   : !strcmp(type, "view")  ? 2
						    : 3;
		json_t *obj;

		if (format == STRATA_SCHEMA_SQL) {
			sb_addf(text, "%s;\n\n", sql);
			continue;
		}
		obj = json_object();
		json_object_set_new(obj, "name", json_string(name));
		if (kind != 0)
			json_object_set_new(obj, "table", str_or_null(st, 2));
		json_object_set_new(obj, "sql", json_string(sql));
		if (kind == 0)
			rc = describe_table(s, name, obj);
		json_array_append_new(lists[kind], obj);
	}
	sqlite3_finalize(st);
	return rc;
}

int sqlite_schema_dump(struct engine_conn *c, const char *prefix, int format,
		       char **out)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sb text = SB_INIT;
	json_t *root = json_object();
	int rc;

	*out = NULL;
	if (!root)
		return err_oom(c->ctx);
	rc = dump(s, prefix, format, &text, root);
	if (!rc) {
		if (format == STRATA_SCHEMA_SQL)
			*out = sb_detach(&text);
		else
			*out = json_dumps(root,
					  JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!*out)
			rc = err_oom(c->ctx);
	}
	sb_release(&text);
	json_decref(root);
	return rc;
}
