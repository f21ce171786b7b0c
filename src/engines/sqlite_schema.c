/* sqlite_schema.c - the live schema of a SQLite database, as SQL or JSON. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* Objects in a stable order: tables, indexes, views, triggers; by name. */
static const char objects_sql[] =
	"SELECT type, name, tbl_name, sql FROM sqlite_schema"
	" WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	" AND tbl_name NOT IN (?1 || '_migrations', ?1 || '_history')"
	" ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
	" WHEN 'view' THEN 2 ELSE 3 END, name";

/* ---- canonical SQL text ------------------------------------------------ */

static bool ident_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* An identifier as the canonical text writes it: bare when it may be. */
static void add_ident(struct sb *out, const char *name, size_t len)
{
	bool simple = len > 0 && ident_start(name[0]);

	for (size_t i = 1; simple && i < len; i++)
		simple = ident_char(name[i]);
	if (simple && !sqlite3_keyword_check(name, (int)len)) {
		sb_add(out, name, len);
		return;
	}
	sb_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '"')
			sb_addc(out, '"');
		sb_addc(out, name[i]);
	}
	sb_addc(out, '"');
}

/* The end of the quoted token at s (quote q, closing 'close'), doubled
 * closers inside; *content gets the unquoted text. */
static const char *quoted(const char *s, char close, struct sb *content)
{
	for (s++; *s; s++) {
		if (*s == close) {
			if (close != ']' && s[1] == close) {
				sb_addc(content, *s++);
				continue;
			}
			return s + 1;
		}
		sb_addc(content, *s);
	}
	return s;
}

/*
 * The stored SQL of an object without what SQLite's own edits change and
 * the schema does not: comments dropped, white space one space (none after
 * '(' or before ')' and ',', one after ','), quoted identifiers bare where
 * they may be ("t" as ALTER TABLE ... RENAME writes it), and a table's
 * header "CREATE TABLE name (".  String literals are kept as they are.
 */
static char *canon_sql(const char *sql, const char *table)
{
	struct sb out = SB_INIT, id = SB_INIT;
	const char *s = sql;
	bool space = false;

	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	if (table && strncasecmp(s, "CREATE TABLE", 12) == 0) {
		/* The header up to the first '(' outside quotes. */
		const char *p = s;

		while (*p && *p != '(') {
			struct sb skip = SB_INIT;

			if (*p == '"' || *p == '`' || *p == '[' || *p == '\'')
				p = quoted(p, *p == '[' ? ']' : *p, &skip);
			else
				p++;
			sb_release(&skip);
		}
		if (*p == '(') {
			sb_adds(&out, "CREATE TABLE ");
			add_ident(&out, table, strlen(table));
			sb_adds(&out, " (");
			s = p + 1;
		}
	}
	while (*s) {
		char c = *s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			space = true;
			s++;
			continue;
		}
		if (c == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				s++;
			space = true;
			continue;
		}
		if (c == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			s = end ? end + 2 : s + strlen(s);
			space = true;
			continue;
		}
		if (out.len) {
			char last = out.buf[out.len - 1];

			if (c != ')' && c != ',' && last != '(' &&
			    (space || last == ','))
				sb_addc(&out, ' ');
		}
		space = false;
		if (c == '\'') {
			const char *end = quoted(s, '\'', &id);

			sb_add(&out, s, (size_t)(end - s));
			sb_reset(&id);
			s = end;
		} else if (c == '"' || c == '`' || c == '[') {
			s = quoted(s, c == '[' ? ']' : c, &id);
			add_ident(&out, id.buf, id.len);
			sb_reset(&id);
		} else {
			sb_addc(&out, c);
			s++;
		}
	}
	sb_release(&id);
	return sb_detach(&out);
}

static json_t *canon_json(const char *sql, const char *table)
{
	char *c = canon_sql(sql, table);
	json_t *j = c ? json_string(c) : NULL;

	free(c);
	return j;
}

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
			const char *col = sqlite3_column_name(st, i);

			if (!strcmp(col, "not_null") ||
			    !strcmp(col, "primary_key"))
				v = json_boolean(sqlite3_column_int64(st, i));
			else if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
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
			 " dflt_value AS \"default\", pk AS primary_key,"
			 " pk AS primary_key_position"
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
			char *c = canon_sql(sql, kind == 0 ? name : NULL);

			if (!c)
				rc = err_oom(s->base.ctx);
			else
				sb_addf(text, "%s;\n\n", c);
			free(c);
			continue;
		}
		obj = json_object();
		json_object_set_new(obj, "name", json_string(name));
		if (kind != 0)
			json_object_set_new(obj, "table", str_or_null(st, 2));
		json_object_set_new(obj, "sql",
				    canon_json(sql, kind == 0 ? name : NULL));
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
