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

/* Triggers and routines without DELIMITER: the inner ';' do not split. */
static void test_mysqlsplit_compound_no_delimiter(void **state)
{
	(void)state;
	SPLIT("CREATE TABLE t (n INT);\n"
	      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
	      "BEGIN\n"
	      "  SET NEW.n = NEW.n + 1;\n"
	      "  SET NEW.n = NEW.n * 2;\n"
	      "END;\n"
	      "INSERT INTO t VALUES (1);\n",
	      "CREATE TABLE t (n INT)",
	      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
	      "BEGIN\n"
	      "  SET NEW.n = NEW.n + 1;\n"
	      "  SET NEW.n = NEW.n * 2;\n"
	      "END",
	      "INSERT INTO t VALUES (1)");
	SPLIT("CREATE PROCEDURE p(IN a INT) BEGIN SELECT a; SELECT 2; END; "
	      "CALL p(1);",
	      "CREATE PROCEDURE p(IN a INT) BEGIN SELECT a; SELECT 2; END",
	      "CALL p(1)");
	SPLIT("create function f(x int) returns int deterministic\n"
	      "begin declare y int default 0; set y = x * 2; return y; end;\n"
	      "select f(2);",
	      "create function f(x int) returns int deterministic\n"
	      "begin declare y int default 0; set y = x * 2; return y; end",
	      "select f(2)");
	SPLIT("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; "
	      "INSERT INTO t VALUES (1); END; SELECT 1",
	      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; "
	      "INSERT INTO t VALUES (1); END",
	      "SELECT 1");
	SPLIT("ALTER EVENT e DO BEGIN SELECT 1; SELECT 2; END; SELECT 3",
	      "ALTER EVENT e DO BEGIN SELECT 1; SELECT 2; END", "SELECT 3");
	/* A routine without a block body is one statement as it always was. */
	SPLIT("CREATE PROCEDURE p() SELECT 1; CALL p()",
	      "CREATE PROCEDURE p() SELECT 1", "CALL p()");
	SPLIT("CREATE FUNCTION f() RETURNS INT RETURN 1; SELECT f()",
	      "CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT f()");
}

/* DEFINER, OR REPLACE, SQL SECURITY, versioned comments in the header. */
static void test_mysqlsplit_compound_headers(void **state)
{
	(void)state;
	SPLIT("CREATE DEFINER=`root`@`localhost` TRIGGER a AFTER INSERT ON t "
	      "FOR EACH ROW BEGIN SET @n = 1; SET @m = 2; END; SELECT 1",
	      "CREATE DEFINER=`root`@`localhost` TRIGGER a AFTER INSERT ON t "
	      "FOR EACH ROW BEGIN SET @n = 1; SET @m = 2; END",
	      "SELECT 1");
	SPLIT("CREATE DEFINER = 'app'@'%' PROCEDURE p() BEGIN SELECT 1; END;"
	      "SELECT 2",
	      "CREATE DEFINER = 'app'@'%' PROCEDURE p() BEGIN SELECT 1; END",
	      "SELECT 2");
	SPLIT("CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END;"
	      "SELECT 2",
	      "CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END",
	      "SELECT 2");
	SPLIT("CREATE DEFINER=CURRENT_USER() SQL SECURITY INVOKER FUNCTION f() "
	      "RETURNS INT BEGIN RETURN 1; END; SELECT 2",
	      "CREATE DEFINER=CURRENT_USER() SQL SECURITY INVOKER FUNCTION f() "
	      "RETURNS INT BEGIN RETURN 1; END",
	      "SELECT 2");
	SPLIT("CREATE OR REPLACE TRIGGER IF NOT EXISTS a BEFORE UPDATE ON t "
	      "FOR EACH ROW BEGIN SET NEW.a = 1; END; SELECT 2",
	      "CREATE OR REPLACE TRIGGER IF NOT EXISTS a BEFORE UPDATE ON t "
	      "FOR EACH ROW BEGIN SET NEW.a = 1; END",
	      "SELECT 2");
	SPLIT("CREATE OR REPLACE AGGREGATE FUNCTION f(x INT) RETURNS INT "
	      "BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; "
	      "LOOP FETCH GROUP NEXT ROW; END LOOP; END; SELECT 2",
	      "CREATE OR REPLACE AGGREGATE FUNCTION f(x INT) RETURNS INT "
	      "BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; "
	      "LOOP FETCH GROUP NEXT ROW; END LOOP; END",
	      "SELECT 2");
	/* As mysqldump writes it, but without its DELIMITER lines. */
	SPLIT("/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 "
	      "TRIGGER a BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; "
	      "SET NEW.b = 2; END */; SELECT 1",
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 "
	      "TRIGGER a BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; "
	      "SET NEW.b = 2; END */",
	      "SELECT 1");
	/* Other CREATE statements are plain, a column named begin or not. */
	SPLIT("CREATE TABLE event (begin INT, end INT); SELECT 1",
	      "CREATE TABLE event (begin INT, end INT)", "SELECT 1");
	SPLIT("CREATE DEFINER=root@localhost VIEW v AS SELECT 1; SELECT 2",
	      "CREATE DEFINER=root@localhost VIEW v AS SELECT 1", "SELECT 2");
	SPLIT("CREATE INDEX i ON t (a); DROP TRIGGER IF EXISTS a; SELECT 1",
	      "CREATE INDEX i ON t (a)", "DROP TRIGGER IF EXISTS a",
	      "SELECT 1");
}

/* IF, LOOP, WHILE, REPEAT, CASE, FOR and their END words nest. */
static void test_mysqlsplit_compound_nesting(void **state)
{
	(void)state;
	SPLIT("CREATE PROCEDURE p(n INT)\n"
	      "BEGIN\n"
	      "  DECLARE i INT DEFAULT 0;\n"
	      "  IF n > 0 THEN SET i = 1; ELSEIF n < 0 THEN SET i = 2;\n"
	      "  ELSE IF n = 0 THEN SET i = 3; END IF; END IF;\n"
	      "  l1: LOOP SET i = i + 1; IF i > 5 THEN LEAVE l1; END IF;\n"
	      "  END LOOP l1;\n"
	      "  WHILE i > 0 DO SET i = i - 1; END WHILE;\n"
	      "  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n"
	      "  CASE i WHEN 4 THEN SELECT 4; ELSE BEGIN SELECT 0; END; "
	      "END CASE;\n"
	      "  inner_blk: BEGIN SELECT 1; END inner_blk;\n"
	      "END;\n"
	      "CALL p(1);",
	      "CREATE PROCEDURE p(n INT)\n"
	      "BEGIN\n"
	      "  DECLARE i INT DEFAULT 0;\n"
	      "  IF n > 0 THEN SET i = 1; ELSEIF n < 0 THEN SET i = 2;\n"
	      "  ELSE IF n = 0 THEN SET i = 3; END IF; END IF;\n"
	      "  l1: LOOP SET i = i + 1; IF i > 5 THEN LEAVE l1; END IF;\n"
	      "  END LOOP l1;\n"
	      "  WHILE i > 0 DO SET i = i - 1; END WHILE;\n"
	      "  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n"
	      "  CASE i WHEN 4 THEN SELECT 4; ELSE BEGIN SELECT 0; END; "
	      "END CASE;\n"
	      "  inner_blk: BEGIN SELECT 1; END inner_blk;\n"
	      "END",
	      "CALL p(1)");
	/* A labelled body, and labelled loops. */
	SPLIT("CREATE PROCEDURE p() body: BEGIN w: WHILE 1 DO LEAVE w; "
	      "END WHILE w; r: REPEAT SELECT 1; UNTIL 1 END REPEAT r; "
	      "END body; SELECT 2",
	      "CREATE PROCEDURE p() body: BEGIN w: WHILE 1 DO LEAVE w; "
	      "END WHILE w; r: REPEAT SELECT 1; UNTIL 1 END REPEAT r; "
	      "END body",
	      "SELECT 2");
	/* MariaDB's FOR loop; FOR elsewhere opens nothing. */
	SPLIT("CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT 1; "
	      "FOR i IN 1..3 DO SELECT i; END FOR; "
	      "SELECT * FROM t FOR UPDATE; END; SELECT 2",
	      "CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT 1; "
	      "FOR i IN 1..3 DO SELECT i; END FOR; "
	      "SELECT * FROM t FOR UPDATE; END",
	      "SELECT 2");
	/* A body that is one IF, or one LOOP, without BEGIN. */
	SPLIT("CREATE TRIGGER a BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 "
	      "THEN SET NEW.a = 0; END IF; SELECT 1",
	      "CREATE TRIGGER a BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 "
	      "THEN SET NEW.a = 0; END IF",
	      "SELECT 1");
	SPLIT("CREATE TRIGGER a BEFORE INSERT ON `t` FOR EACH ROW IF (NEW.a) "
	      "THEN SET NEW.a = 0; END IF; SELECT 1",
	      "CREATE TRIGGER a BEFORE INSERT ON `t` FOR EACH ROW IF (NEW.a) "
	      "THEN SET NEW.a = 0; END IF",
	      "SELECT 1");
	SPLIT("CREATE PROCEDURE p() COMMENT 'x' WHILE 0 DO SELECT 1; "
	      "END WHILE; SELECT 2",
	      "CREATE PROCEDURE p() COMMENT 'x' WHILE 0 DO SELECT 1; END WHILE",
	      "SELECT 2");
	SPLIT("CREATE EVENT e ON SCHEDULE AT NOW() DO IF 1 THEN SELECT 1; "
	      "END IF; SELECT 2",
	      "CREATE EVENT e ON SCHEDULE AT NOW() DO IF 1 THEN SELECT 1; "
	      "END IF",
	      "SELECT 2");
}

/* CASE expressions end with END, CASE statements with END CASE. */
static void test_mysqlsplit_compound_case(void **state)
{
	(void)state;
	SPLIT("CREATE FUNCTION f(x INT) RETURNS INT BEGIN "
	      "DECLARE y INT DEFAULT CASE WHEN x > 0 THEN 1 ELSE 0 END; "
	      "SET y = CASE WHEN x THEN CASE WHEN y THEN 1 END END; "
	      "SET y = CASE WHEN x THEN IF(y, 1, 2) ELSE IF(y, 3, 4) END; "
	      "CASE WHEN y = 1 THEN IF y THEN SET y = 2; END IF; "
	      "ELSE SET y = 3; END CASE; "
	      "RETURN CASE y WHEN 1 THEN 10 END; END; SELECT f(1)",
	      "CREATE FUNCTION f(x INT) RETURNS INT BEGIN "
	      "DECLARE y INT DEFAULT CASE WHEN x > 0 THEN 1 ELSE 0 END; "
	      "SET y = CASE WHEN x THEN CASE WHEN y THEN 1 END END; "
	      "SET y = CASE WHEN x THEN IF(y, 1, 2) ELSE IF(y, 3, 4) END; "
	      "CASE WHEN y = 1 THEN IF y THEN SET y = 2; END IF; "
	      "ELSE SET y = 3; END CASE; "
	      "RETURN CASE y WHEN 1 THEN 10 END; END",
	      "SELECT f(1)");
	/* A body that is one CASE expression. */
	SPLIT("CREATE FUNCTION f(x INT) RETURNS INT RETURN CASE x WHEN 1 "
	      "THEN 2 END; SELECT 1",
	      "CREATE FUNCTION f(x INT) RETURNS INT RETURN CASE x WHEN 1 "
	      "THEN 2 END",
	      "SELECT 1");
	/* Plain statements with CASE ... END split as always. */
	SPLIT("SELECT CASE WHEN 1 THEN 2 END; SELECT 3",
	      "SELECT CASE WHEN 1 THEN 2 END", "SELECT 3");
}

/* IF(), REPEAT(), IF EXISTS inside a body open nothing. */
static void test_mysqlsplit_compound_not_blocks(void **state)
{
	(void)state;
	SPLIT("CREATE PROCEDURE p() BEGIN SET @a = IF(1, 2, 3); "
	      "SELECT REPEAT('x', 3), IF (1, 2, 3); "
	      "DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); "
	      "IF EXISTS (SELECT 1) THEN SELECT 1; END IF; "
	      "IF NOT EXISTS (SELECT 1) THEN SELECT 2; END IF; END; SELECT 9",
	      "CREATE PROCEDURE p() BEGIN SET @a = IF(1, 2, 3); "
	      "SELECT REPEAT('x', 3), IF (1, 2, 3); "
	      "DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); "
	      "IF EXISTS (SELECT 1) THEN SELECT 1; END IF; "
	      "IF NOT EXISTS (SELECT 1) THEN SELECT 2; END IF; END",
	      "SELECT 9");
	/* END and BEGIN as names: quoted, qualified, user variables. */
	SPLIT("CREATE TRIGGER a BEFORE INSERT ON t FOR EACH ROW BEGIN "
	      "SET NEW.`end` = NEW.begin; SET @end = OLD.end; "
	      "SET @begin = t.end; END; SELECT 1",
	      "CREATE TRIGGER a BEFORE INSERT ON t FOR EACH ROW BEGIN "
	      "SET NEW.`end` = NEW.begin; SET @end = OLD.end; "
	      "SET @begin = t.end; END",
	      "SELECT 1");
	/* Strings and comments holding BEGIN and END count for nothing. */
	SPLIT("CREATE PROCEDURE p() BEGIN SELECT 'END; BEGIN'; "
	      "-- END;\n SELECT \"BEGIN\"; /* END; */ # END;\n"
	      "SELECT `end`; END; SELECT 2",
	      "CREATE PROCEDURE p() BEGIN SELECT 'END; BEGIN'; "
	      "-- END;\n SELECT \"BEGIN\"; /* END; */ # END;\n"
	      "SELECT `end`; END",
	      "SELECT 2");
	SPLIT("SELECT 'CREATE PROCEDURE p() BEGIN'; SELECT 2",
	      "SELECT 'CREATE PROCEDURE p() BEGIN'", "SELECT 2");
	/* ENDS is not END. */
	SPLIT("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR ENDS NOW() DO BEGIN "
	      "SELECT 1; END; SELECT 2",
	      "CREATE EVENT e ON SCHEDULE EVERY 1 HOUR ENDS NOW() DO BEGIN "
	      "SELECT 1; END",
	      "SELECT 2");
}

/* Top level: BEGIN; is a transaction's, BEGIN NOT ATOMIC a block. */
static void test_mysqlsplit_compound_top_level(void **state)
{
	(void)state;
	SPLIT("BEGIN; SELECT 1; COMMIT;", "BEGIN", "SELECT 1", "COMMIT");
	SPLIT("BEGIN WORK; START TRANSACTION; END;", "BEGIN WORK",
	      "START TRANSACTION", "END");
	SPLIT("BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END; "
	      "SELECT 2",
	      "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END",
	      "SELECT 2");
	SPLIT("lbl: BEGIN NOT ATOMIC SELECT 1; LEAVE lbl; END lbl; SELECT 2",
	      "lbl: BEGIN NOT ATOMIC SELECT 1; LEAVE lbl; END lbl", "SELECT 2");
	SPLIT("IF 1 THEN SELECT 1; ELSE SELECT 2; END IF; SELECT 3",
	      "IF 1 THEN SELECT 1; ELSE SELECT 2; END IF", "SELECT 3");
	SPLIT("WHILE 0 DO SELECT 1; END WHILE; SELECT 3",
	      "WHILE 0 DO SELECT 1; END WHILE", "SELECT 3");
	SPLIT("FOR i IN 1..2 DO SELECT i; END FOR; SELECT 3",
	      "FOR i IN 1..2 DO SELECT i; END FOR", "SELECT 3");
	/* Nested anonymous blocks. */
	SPLIT("BEGIN NOT ATOMIC BEGIN SELECT 1; END; BEGIN NOT ATOMIC "
	      "SELECT 2; END; END; SELECT 3",
	      "BEGIN NOT ATOMIC BEGIN SELECT 1; END; BEGIN NOT ATOMIC "
	      "SELECT 2; END; END",
	      "SELECT 3");
	/* Left open: the rest is one statement, for the server to refuse. */
	SPLIT("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2;",
	      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2;");
}

/* With a DELIMITER of its own the file says where statements end. */
static void test_mysqlsplit_compound_with_delimiter(void **state)
{
	(void)state;
	SPLIT("DELIMITER //\n"
	      "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; "
	      "l: LOOP LEAVE l; END LOOP; CASE 1 WHEN 1 THEN SELECT 2; "
	      "END CASE; END//\n"
	      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END//\n"
	      "DELIMITER ;\n"
	      "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END;\n"
	      "CALL p();",
	      "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; "
	      "l: LOOP LEAVE l; END LOOP; CASE 1 WHEN 1 THEN SELECT 2; "
	      "END CASE; END",
	      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END",
	      "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END",
	      "CALL p()");
	/* Functions and triggers, mysqldump's ';;' and versioned comments. */
	SPLIT("DELIMITER ;;\n"
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER "
	      "a BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a THEN SET "
	      "NEW.b = 1; END IF; END */;;\n"
	      "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN "
	      "RETURN CASE WHEN x THEN 1 ELSE 0 END; END ;;\n"
	      "DELIMITER ;\n",
	      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER "
	      "a BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a THEN SET "
	      "NEW.b = 1; END IF; END */",
	      "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN "
	      "RETURN CASE WHEN x THEN 1 ELSE 0 END; END");
	/* The client ends the statement at its terminator, blocks or not. */
	SPLIT("DELIMITER $$\nBEGIN NOT ATOMIC SELECT 1$$ SELECT 2; END$$",
	      "BEGIN NOT ATOMIC SELECT 1", "SELECT 2; END");
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
		cmocka_unit_test(test_mysqlsplit_compound_no_delimiter),
		cmocka_unit_test(test_mysqlsplit_compound_headers),
		cmocka_unit_test(test_mysqlsplit_compound_nesting),
		cmocka_unit_test(test_mysqlsplit_compound_case),
		cmocka_unit_test(test_mysqlsplit_compound_not_blocks),
		cmocka_unit_test(test_mysqlsplit_compound_top_level),
		cmocka_unit_test(test_mysqlsplit_compound_with_delimiter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
