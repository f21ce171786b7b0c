/* test_sqlsplit.c - the PostgreSQL statement splitter, case by case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlsplit.h"

#define MAX_STMTS 16

/*
 * Split 'sql' and compare the statements' text with the NULL-terminated
 * list 'want'.
 */
static void expect_split(const char *sql, const char *const *want)
{
	struct sqlsplit it;
	struct sqlsplit_stmt st;
	size_t n = 0, len = strlen(sql);

	sqlsplit_init(&it, sql, len);
	while (sqlsplit_next(&it, &st)) {
		char got[4096];

		assert_true(st.off + st.len <= len);
		assert_true(st.len > 0);
		assert_true(st.len < sizeof(got));
		memcpy(got, sql + st.off, st.len);
		got[st.len] = '\0';
		if (!want[n])
			fail_msg("extra statement %zu: [%s]", n, got);
		if (strcmp(got, want[n]) != 0)
			fail_msg("statement %zu: got [%s], want [%s]", n, got,
				 want[n]);
		n++;
	}
	if (want[n])
		fail_msg("missing statement %zu: [%s]", n, want[n]);
	assert_int_equal(sqlsplit_count(sql, len), n);
}

#define SPLIT(sql, ...)                                                   \
	do {                                                              \
		static const char *const want_[] = { __VA_ARGS__, NULL }; \
		expect_split((sql), want_);                               \
	} while (0)

static void test_sqlsplit_simple(void **state)
{
	(void)state;
	SPLIT("SELECT 1; SELECT 2;", "SELECT 1", "SELECT 2");
	SPLIT("  SELECT 1  \n", "SELECT 1"); /* no final ';' */
	SPLIT("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1)",
	      "CREATE TABLE t (a int)", "INSERT INTO t VALUES (1)");
}

static void test_sqlsplit_empty_and_comments_only(void **state)
{
	static const char *const none[] = { NULL };

	(void)state;
	expect_split("", none);
	expect_split("   \n\t ", none);
	expect_split(";;; ;\n;", none);
	expect_split("-- just a comment\n", none);
	expect_split("/* a */ ; -- b\n ; /* c /* nested */ */", none);
	SPLIT(";; SELECT 1;;; SELECT 2 ;;", "SELECT 1", "SELECT 2");
}

static void test_sqlsplit_single_quotes(void **state)
{
	(void)state;
	SPLIT("INSERT INTO t VALUES ('a;b'); SELECT 'it''s; ok';",
	      "INSERT INTO t VALUES ('a;b')", "SELECT 'it''s; ok'");
	/* A backslash is an ordinary byte in a standard string. */
	SPLIT("SELECT 'a\\'; SELECT 2", "SELECT 'a\\'", "SELECT 2");
	SPLIT("SELECT '';SELECT '''';", "SELECT ''", "SELECT ''''");
}

static void test_sqlsplit_e_strings(void **state)
{
	(void)state;
	SPLIT("SELECT E'it\\'s; \\\\'; SELECT 2", "SELECT E'it\\'s; \\\\'",
	      "SELECT 2");
	SPLIT("SELECT e'a\\';b'; SELECT 2", "SELECT e'a\\';b'", "SELECT 2");
	SPLIT("SELECT E'x''; y'; SELECT 2", "SELECT E'x''; y'", "SELECT 2");
	/* Only a lone E opens one: "the" is a word, then a plain string. */
	SPLIT("SELECT the'a\\'; SELECT 2", "SELECT the'a\\'", "SELECT 2");
}

static void test_sqlsplit_double_quotes(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE \"a;b\" (\"x\"\";\" int); SELECT 1",
	      "CREATE TABLE \"a;b\" (\"x\"\";\" int)", "SELECT 1");
	SPLIT("SELECT \"--not a comment\" FROM t; SELECT 2",
	      "SELECT \"--not a comment\" FROM t", "SELECT 2");
}

static void test_sqlsplit_dollar_quotes(void **state)
{
	(void)state;
	SPLIT("SELECT $$a;b$$; SELECT 2", "SELECT $$a;b$$", "SELECT 2");
	SPLIT("SELECT $fn$ $$; $fn$; SELECT 2", "SELECT $fn$ $$; $fn$",
	      "SELECT 2");
	/* $a$ does not close $ab$, and a tag is not a number. */
	SPLIT("SELECT $ab$ $a$; $ab$; SELECT 2", "SELECT $ab$ $a$; $ab$",
	      "SELECT 2");
	SPLIT("SELECT $_x1$;$_x1$;", "SELECT $_x1$;$_x1$");
	/* '$' inside a word is part of it: no quote opens. */
	SPLIT("SELECT a$$b; SELECT 2", "SELECT a$$b", "SELECT 2");
}

static void test_sqlsplit_parameters(void **state)
{
	(void)state;
	SPLIT("PREPARE p AS SELECT $1 + $2; EXECUTE p(1, 2);",
	      "PREPARE p AS SELECT $1 + $2", "EXECUTE p(1, 2)");
	SPLIT("SELECT $1$; SELECT 2", "SELECT $1$", "SELECT 2");
}

static void test_sqlsplit_line_comments(void **state)
{
	(void)state;
	SPLIT("SELECT 1 -- one; two\n; SELECT 2", "SELECT 1", "SELECT 2");
	SPLIT("-- head\nSELECT 1; -- tail\n", "SELECT 1");
	SPLIT("SELECT 1 --x\r; SELECT 2", "SELECT 1", "SELECT 2");
	/* Inside a statement a comment stays in its text. */
	SPLIT("SELECT -- c;\n 1; SELECT 2", "SELECT -- c;\n 1", "SELECT 2");
}

static void test_sqlsplit_block_comments(void **state)
{
	(void)state;
	SPLIT("SELECT /* ; */ 1; SELECT 2", "SELECT /* ; */ 1", "SELECT 2");
	SPLIT("SELECT /* a /* b; */ c; */ 1; SELECT 2",
	      "SELECT /* a /* b; */ c; */ 1", "SELECT 2");
	SPLIT("/* lead */ SELECT 1 /* trail */;", "SELECT 1");
	SPLIT("SELECT 1 /*/ ; */; SELECT 2", "SELECT 1", "SELECT 2");
}

static void test_sqlsplit_quotes_inside_each_other(void **state)
{
	(void)state;
	SPLIT("SELECT '$$'; SELECT 2", "SELECT '$$'", "SELECT 2");
	SPLIT("SELECT '--'; SELECT 2", "SELECT '--'", "SELECT 2");
	SPLIT("SELECT '/*'; SELECT 2", "SELECT '/*'", "SELECT 2");
	SPLIT("SELECT $$ ' $$; SELECT 2", "SELECT $$ ' $$", "SELECT 2");
	SPLIT("SELECT \"'\"; SELECT 2", "SELECT \"'\"", "SELECT 2");
	SPLIT("-- it's\nSELECT 1; /* \" */ SELECT 2", "SELECT 1", "SELECT 2");
}

static void test_sqlsplit_unterminated(void **state)
{
	(void)state;
	SPLIT("SELECT 1; SELECT 'abc; SELECT 2;", "SELECT 1",
	      "SELECT 'abc; SELECT 2;");
	SPLIT("SELECT 1; SELECT \"abc; SELECT 2;", "SELECT 1",
	      "SELECT \"abc; SELECT 2;");
	SPLIT("SELECT 1; SELECT $x$ abc; SELECT 2;", "SELECT 1",
	      "SELECT $x$ abc; SELECT 2;");
	SPLIT("SELECT E'a\\", "SELECT E'a\\");
	/* An open comment after a statement is only a comment. */
	SPLIT("SELECT 1 /* open; SELECT 2;", "SELECT 1");
	SPLIT("SELECT $", "SELECT $");
}

static void test_sqlsplit_function(void **state)
{
	(void)state;
	SPLIT("CREATE FUNCTION add(a int, b int) RETURNS int AS $$\n"
	      "BEGIN\n  RETURN a + b; -- sum\nEND;\n$$ LANGUAGE plpgsql;\n"
	      "SELECT add(1, 2);",
	      "CREATE FUNCTION add(a int, b int) RETURNS int AS $$\n"
	      "BEGIN\n  RETURN a + b; -- sum\nEND;\n$$ LANGUAGE plpgsql",
	      "SELECT add(1, 2)");
}

static void test_sqlsplit_trigger(void **state)
{
	(void)state;
	SPLIT("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS\n"
	      "$body$\nBEGIN\n  NEW.updated_at := now();\n"
	      "  IF NEW.note = ';' THEN RAISE NOTICE 'semi; colon'; END IF;\n"
	      "  RETURN NEW;\nEND\n$body$;\n"
	      "CREATE TRIGGER t_touch BEFORE UPDATE ON t\n"
	      "  FOR EACH ROW EXECUTE FUNCTION touch();\n",
	      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS\n"
	      "$body$\nBEGIN\n  NEW.updated_at := now();\n"
	      "  IF NEW.note = ';' THEN RAISE NOTICE 'semi; colon'; END IF;\n"
	      "  RETURN NEW;\nEND\n$body$",
	      "CREATE TRIGGER t_touch BEFORE UPDATE ON t\n"
	      "  FOR EACH ROW EXECUTE FUNCTION touch()");
}

static void test_sqlsplit_begin_atomic(void **state)
{
	(void)state;
	SPLIT("CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
	      "BEGIN ATOMIC\n  INSERT INTO t VALUES (1);\n  SELECT 1;\nEND;\n"
	      "SELECT f();",
	      "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
	      "BEGIN ATOMIC\n  INSERT INTO t VALUES (1);\n  SELECT 1;\nEND",
	      "SELECT f()");
	/* CASE ... END inside does not end the body. */
	SPLIT("create procedure p(x int) language sql begin atomic\n"
	      " insert into t values (case when x > 0 then 1 else 2 end);\n"
	      " insert into t values (CASE x WHEN 1 THEN (CASE WHEN true THEN 3"
	      " END) END);\nend; select 2",
	      "create procedure p(x int) language sql begin atomic\n"
	      " insert into t values (case when x > 0 then 1 else 2 end);\n"
	      " insert into t values (CASE x WHEN 1 THEN (CASE WHEN true THEN 3"
	      " END) END);\nend",
	      "select 2");
	/* A comment between BEGIN and ATOMIC. */
	SPLIT("CREATE FUNCTION f() RETURNS int BEGIN /* x */ ATOMIC SELECT 1;"
	      " END; SELECT 2",
	      "CREATE FUNCTION f() RETURNS int BEGIN /* x */ ATOMIC SELECT 1;"
	      " END",
	      "SELECT 2");
	/* A transaction's BEGIN is not a body; CASE outside one is plain. */
	SPLIT("BEGIN; SELECT CASE WHEN true THEN 1 END; COMMIT;", "BEGIN",
	      "SELECT CASE WHEN true THEN 1 END", "COMMIT");
	/* Never closed: the rest is one statement. */
	SPLIT("SELECT 0; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2;",
	      "SELECT 0",
	      "CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2;");
}

static void test_sqlsplit_multibyte(void **state)
{
	(void)state;
	SPLIT("SELECT 'é;'; SELECT ñ$$x;", "SELECT 'é;'", "SELECT ñ$$x");
	SPLIT("SELECT $é$ ; $é$; SELECT 2", "SELECT $é$ ; $é$", "SELECT 2");
}

static void test_sqlsplit_not_nul_terminated(void **state)
{
	const char body[] = { 'S', 'E', 'L', 'E', 'C', 'T', ' ',
			      '1', ';', 'S', 'E', 'L', '\'' };
	struct sqlsplit it;
	struct sqlsplit_stmt st;

	(void)state;
	sqlsplit_init(&it, body, sizeof(body));
	assert_true(sqlsplit_next(&it, &st));
	assert_int_equal(st.off, 0);
	assert_int_equal(st.len, 8);
	assert_true(sqlsplit_next(&it, &st));
	assert_int_equal(st.off, 9);
	assert_int_equal(st.len, 4);
	assert_false(sqlsplit_next(&it, &st));
	assert_false(sqlsplit_next(&it, &st)); /* stays at the end */
}

static void test_sqlsplit_index_at(void **state)
{
	const char *sql = "SELECT 1;\nSELECT 2;\n  SELECT oops;";
	size_t len = strlen(sql);
	struct sqlsplit_stmt st = { 99, 99 };

	(void)state;
	assert_int_equal(sqlsplit_index_at(sql, len, 0, &st), 0);
	assert_int_equal(st.off, 0);
	assert_int_equal(sqlsplit_index_at(sql, len, 12, &st), 1);
	assert_int_equal(st.off, 10);
	assert_int_equal(sqlsplit_index_at(sql, len, 29, &st), 2);
	assert_int_equal(st.off, 22);
	assert_int_equal(sqlsplit_index_at(sql, len, len, NULL), 2);
	assert_int_equal(sqlsplit_index_at("", 0, 0, NULL), 0);
}

static void test_sqlsplit_tokens(void **state)
{
	const char *sql = "a ? '?' \"?\" $$?$$ -- ?\n/* ? */;x";
	size_t len = strlen(sql), i = 0, end, questions = 0;

	(void)state;
	while (i < len) {
		int kind = sqlsplit_token(sql, len, i, &end);

		assert_true(end > i && end <= len);
		if (kind == SQLSPLIT_OTHER && sql[i] == '?')
			questions++;
		i = end;
	}
	assert_int_equal(questions, 1);
	assert_int_equal(sqlsplit_token(sql, len, 0, &end), SQLSPLIT_WORD);
	assert_int_equal(sqlsplit_token(sql, len, 4, &end), SQLSPLIT_QUOTED);
	assert_int_equal(end, 7);
}

/*
 * The meta-command lines of 'sql' as "name|line" strings, compared with
 * the NULL-terminated list 'want'.
 */
static void expect_meta(const char *sql, const char *const *want)
{
	struct sqlsplit_stmt line;
	size_t pos = 0, name, n, k = 0, len = strlen(sql);

	while (sqlsplit_meta_next(sql, len, &pos, &line, &name, &n)) {
		char got[256];

		assert_true(line.off + line.len <= len && line.len > 0);
		assert_true(name == line.off + 1 && name + n <= len);
		assert_int_equal(sql[line.off], '\\');
		assert_true(pos >= line.off + line.len && pos <= len);
		snprintf(got, sizeof(got), "%.*s|%.*s", (int)n, sql + name,
			 (int)line.len, sql + line.off);
		if (!want[k])
			fail_msg("extra meta-command %zu: [%s]", k, got);
		if (strcmp(got, want[k]) != 0)
			fail_msg("meta-command %zu: got [%s], want [%s]", k,
				 got, want[k]);
		k++;
	}
	assert_int_equal(pos, len);
	if (want[k])
		fail_msg("missing meta-command %zu: [%s]", k, want[k]);
}

#define META(sql, ...)                                                    \
	do {                                                              \
		static const char *const want_[] = { __VA_ARGS__, NULL }; \
		expect_meta((sql), want_);                                \
	} while (0)

static void test_sqlsplit_meta_commands(void **state)
{
	(void)state;
	/* As pg_dump writes them. */
	META("\\restrict abc123\n\nSET x = 1;\nCREATE TABLE t (a int);\n\n"
	     "\\unrestrict abc123\n",
	     "restrict|\\restrict abc123", "unrestrict|\\unrestrict abc123");
	/* Indented, CRLF, at the very end without a newline. */
	META("SELECT 1;\r\n  \t\\connect other\r\nSELECT 2;\n\\q",
	     "connect|\\connect other", "q|\\q");
	/* The name stops at a blank or a second backslash. */
	META("\\copy t from 'x'\n\\x\\g\n\\\n", "copy|\\copy t from 'x'",
	     "x|\\x\\g", "|\\");
	/* A meta-command line in the middle of a statement. */
	META("SELECT 1\n\\gset\n;", "gset|\\gset");
	/* Not at the start of its line, or hidden in a quote or a comment. */
	static const char *const none[] = { NULL };
	expect_meta("SELECT 1; \\x\n", none);
	expect_meta("SELECT 'a\n\\connect b';\n", none);
	expect_meta("SELECT E'a\n\\\\b';\n", none);
	expect_meta("SELECT \"a\n\\q\" FROM t;\n", none);
	expect_meta("-- \\connect x\n/* \n\\connect y */\n", none);
	expect_meta("CREATE FUNCTION f() RETURNS int AS $fn$\n\\q\n$fn$ "
		    "LANGUAGE sql;\n",
		    none);
	expect_meta("/* a */ \\q\n", none);
	expect_meta("", none);
}

static void test_sqlsplit_meta_not_nul_terminated(void **state)
{
	char *buf = malloc(9);
	struct sqlsplit_stmt line;
	size_t pos = 0, name, n;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, "x;\n\\restr", 9); /* no NUL, no newline */
	assert_true(sqlsplit_meta_next(buf, 9, &pos, &line, &name, &n));
	assert_int_equal(line.off, 3);
	assert_int_equal(line.len, 6);
	assert_int_equal(n, 5);
	assert_false(sqlsplit_meta_next(buf, 9, &pos, &line, &name, &n));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlsplit_simple),
		cmocka_unit_test(test_sqlsplit_empty_and_comments_only),
		cmocka_unit_test(test_sqlsplit_single_quotes),
		cmocka_unit_test(test_sqlsplit_e_strings),
		cmocka_unit_test(test_sqlsplit_double_quotes),
		cmocka_unit_test(test_sqlsplit_dollar_quotes),
		cmocka_unit_test(test_sqlsplit_parameters),
		cmocka_unit_test(test_sqlsplit_line_comments),
		cmocka_unit_test(test_sqlsplit_block_comments),
		cmocka_unit_test(test_sqlsplit_quotes_inside_each_other),
		cmocka_unit_test(test_sqlsplit_unterminated),
		cmocka_unit_test(test_sqlsplit_function),
		cmocka_unit_test(test_sqlsplit_trigger),
		cmocka_unit_test(test_sqlsplit_begin_atomic),
		cmocka_unit_test(test_sqlsplit_multibyte),
		cmocka_unit_test(test_sqlsplit_not_nul_terminated),
		cmocka_unit_test(test_sqlsplit_index_at),
		cmocka_unit_test(test_sqlsplit_tokens),
		cmocka_unit_test(test_sqlsplit_meta_commands),
		cmocka_unit_test(test_sqlsplit_meta_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
