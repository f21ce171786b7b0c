/* test_mysqlsplit.c - the MySQL/MariaDB statement splitter, case by case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mysqlsplit.h"

/*
 * Split 'sql' and compare the statements' text with the NULL-terminated
 * list 'want'.
 */
static void expect_split(const char *sql, const char *const *want)
{
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	size_t n = 0, len = strlen(sql);

	mysqlsplit_init(&it, sql, len);
	while (mysqlsplit_next(&it, &st)) {
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
	assert_int_equal(mysqlsplit_count(sql, len), n);
}

#define SPLIT(sql, ...)                                                   \
	do {                                                              \
		static const char *const want_[] = { __VA_ARGS__, NULL }; \
		expect_split((sql), want_);                               \
	} while (0)

static const char *const none_[] = { NULL };
#define SPLIT_NONE(sql) expect_split((sql), none_)

static void test_mysqlsplit_basic(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE a (id INT); CREATE TABLE b (id INT);",
	      "CREATE TABLE a (id INT)", "CREATE TABLE b (id INT)");
	SPLIT("  SELECT 1  \n\n", "SELECT 1");
	SPLIT("SELECT 1;;;SELECT 2", "SELECT 1", "SELECT 2");
	SPLIT_NONE("");
	SPLIT_NONE("  ;\n ; ");
}

/* goose/sql-migrate StatementBegin ... StatementEnd: one statement. */
static void test_mysqlsplit_statement_blocks(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE a (x INT);\n"
	      "-- +goose StatementBegin\n"
	      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;\n"
	      "-- +goose StatementEnd\n"
	      "SELECT 3;",
	      "CREATE TABLE a (x INT)",
	      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3");
	SPLIT("--  +MIGRATE   statementbegin\n"
	      "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN\n"
	      "  SET NEW.x = 1; -- c;\n  SET NEW.x = 2;\nEND;;\n"
	      "-- +migrate StatementEnd\n",
	      "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN\n"
	      "  SET NEW.x = 1; -- c;\n  SET NEW.x = 2;\nEND");
	/* An empty block is nothing; an unclosed one runs to the end. */
	SPLIT_NONE("-- +goose StatementBegin\n-- +goose StatementEnd\n");
	SPLIT("-- +goose StatementBegin\nA; B;", "A; B");
	/* Other comments are comments. */
	SPLIT("-- +goose Up\nA; B;", "A", "B");
	SPLIT("-- +goosey StatementBegin\nA; B;", "A", "B");
}

static void test_mysqlsplit_strings(void **state)
{
	(void)state;
	SPLIT("INSERT INTO t VALUES ('a;b'); SELECT 2",
	      "INSERT INTO t VALUES ('a;b')", "SELECT 2");
	SPLIT("SELECT 'it''s;'; SELECT 2", "SELECT 'it''s;'", "SELECT 2");
	SPLIT("SELECT 'back\\'slash;'; SELECT 2", "SELECT 'back\\'slash;'",
	      "SELECT 2");
	SPLIT("SELECT 'ends in \\\\'; SELECT 2", "SELECT 'ends in \\\\'",
	      "SELECT 2");
	SPLIT("SELECT \"dq;\\\"x\"\"y\"; SELECT 2", "SELECT \"dq;\\\"x\"\"y\"",
	      "SELECT 2");
}

static void test_mysqlsplit_backticks(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE `a;b` (`x``;y` INT); SELECT 2",
	      "CREATE TABLE `a;b` (`x``;y` INT)", "SELECT 2");
	/* No backslash escapes inside backticks. */
	SPLIT("SELECT `a\\`; SELECT 2", "SELECT `a\\`", "SELECT 2");
}

static void test_mysqlsplit_comments(void **state)
{
	(void)state;
	SPLIT("-- a; comment\nSELECT 1; -- b;\nSELECT 2 # c; d\n;", "SELECT 1",
	      "SELECT 2");
	SPLIT("#only; a comment\nSELECT 1", "SELECT 1");
	/* '--' without a space is an operator, not a comment. */
	SPLIT("SELECT 1--1; SELECT 2", "SELECT 1--1", "SELECT 2");
	SPLIT("SELECT 1 --\tx;\n; SELECT 2", "SELECT 1", "SELECT 2");
	SPLIT("SELECT 1 --", "SELECT 1");
	SPLIT("/* a; b */ SELECT /* c; */ 1; /* d */", "SELECT /* c; */ 1");
	/* Block comments do not nest. */
	SPLIT("/* /* x */ SELECT 1; */", "SELECT 1", "*/");
	SPLIT_NONE("-- just a comment\n# and another\n/* and; one */");
}

static void test_mysqlsplit_versioned_comments(void **state)
{
	(void)state;
	SPLIT("/*!40101 SET NAMES utf8mb4 */; SELECT 1",
	      "/*!40101 SET NAMES utf8mb4 */", "SELECT 1");
	SPLIT("CREATE TABLE t (id INT) /*M!100100 ENGINE=InnoDB */;",
	      "CREATE TABLE t (id INT) /*M!100100 ENGINE=InnoDB */");
}

static void test_mysqlsplit_delimiter(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE t (n INT);\n"
	      "DELIMITER $$\n"
	      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
	      "BEGIN\n"
	      "  SET NEW.n = NEW.n + 1;\n"
	      "  SET NEW.n = NEW.n * 2;\n"
	      "END$$\n"
	      "DELIMITER ;\n"
	      "INSERT INTO t VALUES (1);\n",
	      "CREATE TABLE t (n INT)",
	      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
	      "BEGIN\n"
	      "  SET NEW.n = NEW.n + 1;\n"
	      "  SET NEW.n = NEW.n * 2;\n"
	      "END",
	      "INSERT INTO t VALUES (1)");
	/* Lower case, '//', two statements with the custom terminator. */
	SPLIT("delimiter //\n"
	      "CREATE PROCEDURE p() BEGIN SELECT 1; END //\n"
	      "CREATE PROCEDURE q() BEGIN SELECT ';//'; END//\n"
	      "delimiter ;\n"
	      "CALL p();",
	      "CREATE PROCEDURE p() BEGIN SELECT 1; END",
	      "CREATE PROCEDURE q() BEGIN SELECT ';//'; END", "CALL p()");
	/* The terminator is found inside a word too (as the client does). */
	SPLIT("DELIMITER $$\nSELECT 1$$SELECT 2$$", "SELECT 1", "SELECT 2");
	/* A body that never switches back keeps the custom terminator. */
	SPLIT("DELIMITER ||\nSELECT 1; SELECT 2||", "SELECT 1; SELECT 2");
	/* DELIMITER with nothing after it is left to the server. */
	SPLIT("DELIMITER\nSELECT 1;", "DELIMITER\nSELECT 1");
	/* DELIMITER only counts at the start of a statement. */
	SPLIT("SELECT 'x' DELIMITER $$; SELECT 2", "SELECT 'x' DELIMITER $$",
	      "SELECT 2");
	/* Comments before it, and trailing text on its line. */
	SPLIT("-- switch\nDELIMITER $$ trailing\nSELECT 1$$", "SELECT 1");
	/* Semicolons in quotes and comments stay inside with '$$' too. */
	SPLIT("DELIMITER $$\nSELECT '$$' /* $$ */ + 1$$",
	      "SELECT '$$' /* $$ */ + 1");
	SPLIT_NONE("DELIMITER $$\nDELIMITER ;\n");
}

static void test_mysqlsplit_unterminated(void **state)
{
	(void)state;
	SPLIT("SELECT 1; SELECT 'open; x", "SELECT 1", "SELECT 'open; x");
	SPLIT("SELECT 1; /* open; x", "SELECT 1");
	SPLIT("SELECT `open; x", "SELECT `open; x");
	SPLIT("SELECT 'ends with backslash\\", "SELECT 'ends with backslash\\");
}

static void test_mysqlsplit_offsets(void **state)
{
	const char *sql = "SELECT 1;\n\nDELIMITER $$\nSELECT 2$$\n  SELECT 3";
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;

	(void)state;
	mysqlsplit_init(&it, sql, strlen(sql));
	assert_true(mysqlsplit_next(&it, &st));
	assert_int_equal(st.off, 0);
	assert_true(mysqlsplit_next(&it, &st));
	assert_int_equal(st.off, strstr(sql, "SELECT 2") - sql);
	assert_int_equal(st.len, 8);
	assert_true(mysqlsplit_next(&it, &st));
	assert_int_equal(st.off, strstr(sql, "SELECT 3") - sql);
	assert_false(mysqlsplit_next(&it, &st));
}

static void test_mysqlsplit_not_nul_terminated(void **state)
{
	char *buf = malloc(8);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, "SELECT '", 8); /* no NUL anywhere */
	assert_int_equal(mysqlsplit_count(buf, 8), 1);
	memcpy(buf, "DELIMIT", 7);
	assert_int_equal(mysqlsplit_count(buf, 7), 1);
	memcpy(buf, "x -- ", 5);
	assert_int_equal(mysqlsplit_count(buf, 4), 1);
	free(buf);
}

static void test_mysqlsplit_tokens(void **state)
{
	const char *sql = "a '?' `?` \"?\" -- ?\n# ?\n/* ? */ /*!1 ? */ ?";
	size_t len = strlen(sql), i = 0, end, marks = 0;

	(void)state;
	while (i < len) {
		int kind = mysqlsplit_token(sql, len, i, &end);

		assert_true(end > i && end <= len);
		if (kind == MYSQLSPLIT_OTHER && sql[i] == '?')
			marks++;
		i = end;
	}
	/* The one in the versioned comment and the last one. */
	assert_int_equal(marks, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mysqlsplit_basic),
		cmocka_unit_test(test_mysqlsplit_statement_blocks),
		cmocka_unit_test(test_mysqlsplit_strings),
		cmocka_unit_test(test_mysqlsplit_backticks),
		cmocka_unit_test(test_mysqlsplit_comments),
		cmocka_unit_test(test_mysqlsplit_versioned_comments),
		cmocka_unit_test(test_mysqlsplit_delimiter),
		cmocka_unit_test(test_mysqlsplit_unterminated),
		cmocka_unit_test(test_mysqlsplit_offsets),
		cmocka_unit_test(test_mysqlsplit_not_nul_terminated),
		cmocka_unit_test(test_mysqlsplit_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
