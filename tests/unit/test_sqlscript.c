/* test_sqlscript.c - strata_sql_script() offline: no database is touched. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"

#define TEXT(s) s, sizeof(s) - 1

static const strata_migration migs[] = {
	{ 1, "users", "Create users",
	  TEXT("CREATE TABLE users (id INTEGER PRIMARY KEY, n TEXT DEFAULT "
	       "'a\\b''c')"),
	  TEXT("DROP TABLE users;"), 0, STRATA_MIGRATION_VERSION },
	{ 2, "idx", NULL, TEXT("CREATE INDEX users_n ON users (n);"),
	  TEXT("DROP INDEX users_n;"), STRATA_NO_TRANSACTION,
	  STRATA_MIGRATION_VERSION },
	{ 3, "oneway", NULL, TEXT("INSERT INTO users (n) VALUES ('x');"), NULL,
	  0, 0, STRATA_MIGRATION_VERSION },
};

static strata *open_ctx(const char *url)
{
	strata *ctx = NULL;

	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, migs, 3), STRATA_OK);
	return ctx;
}

static char *script(strata *ctx, int direction, int64_t target, bool base,
		    int64_t from, int *rc)
{
	strata_script_opts o = {
		.direction = direction,
		.target = target,
		.offline = true,
		.from_base = base,
		.from = from,
	};
	char *out = NULL;

	*rc = strata_sql_script(ctx, &o, &out);
	if (*rc)
		assert_null(out);
	return out;
}

static void test_sqlite_from_base(void **state)
{
	const char *path = "/tmp/strata-sqlscript-never-created.db";
	strata *ctx;
	char *s;
	int rc;

	(void)state;
	unlink(path);
	ctx = open_ctx("sqlite:/tmp/strata-sqlscript-never-created.db");
	s = script(ctx, STRATA_UP, STRATA_LATEST, true, 0, &rc);
	assert_int_equal(rc, STRATA_OK);
	assert_non_null(strstr(s, "assumes the database is at base"));
	assert_non_null(strstr(s, ".bail on\n"));
	assert_non_null(
		strstr(s, "CREATE TABLE IF NOT EXISTS strata_migrations"));
	assert_non_null(strstr(s, "CHECK (ok = 1)"));
	/* the body, with the ';' it lacked, inside its transaction */
	assert_non_null(strstr(s, "BEGIN IMMEDIATE;\nCREATE TABLE users (id "
				  "INTEGER PRIMARY KEY, n TEXT DEFAULT "
				  "'a\\b''c')\n;\n"));
	/* stored up SQL: quotes doubled, the backslash as it is */
	assert_non_null(strstr(s, "'CREATE TABLE users (id INTEGER PRIMARY KEY,"
				  " n TEXT DEFAULT ''a\\b''''c'')'"));
	/* the no-transaction one: no BEGIN between its header and COMMIT */
	const char *two = strstr(s, "-- up 2_idx");
	assert_non_null(two);
	const char *three = strstr(s, "-- up 3_oneway");
	assert_non_null(three);
	assert_true(strstr(two, "BEGIN") > three);
	assert_true(strstr(two, "COMMIT") > three);
	assert_non_null(strstr(two, "'-- strata:no-transaction\nDROP INDEX "
				    "users_n;'"));
	/* the irreversible one stores NULL as its down */
	assert_non_null(strstr(s, "(''x'');',\nNULL);"));
	assert_int_equal(access(path, F_OK), -1);
	strata_free(s);
	strata_close(ctx);
}

static void test_from_checks(void **state)
{
	strata *ctx = open_ctx("sqlite:/tmp/strata-sqlscript-never-created.db");
	char *s;
	int rc;

	(void)state;
	s = script(ctx, STRATA_UP, STRATA_LATEST, false, 7, &rc);
	assert_int_equal(rc, STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(ctx), "--from 7"));
	/* 0 with no migration 0 is base */
	s = script(ctx, STRATA_UP, 1, false, 0, &rc);
	assert_int_equal(rc, STRATA_OK);
	assert_non_null(strstr(s, "at base"));
	assert_null(strstr(s, "-- up 2_idx"));
	strata_free(s);
	/* a down through an irreversible migration is refused */
	s = script(ctx, STRATA_DOWN, STRATA_BASE, false, 3, &rc);
	assert_int_equal(rc, STRATA_EIRREVERSIBLE);
	/* down from 2: most recent first, the guard checks 2 */
	s = script(ctx, STRATA_DOWN, STRATA_BASE, false, 2, &rc);
	assert_int_equal(rc, STRATA_OK);
	assert_non_null(
		strstr(s, "\"strata: the database is not at version 2\""));
	assert_true(strstr(s, "-- down 2_idx") < strstr(s, "-- down 1_users"));
	assert_non_null(
		strstr(s, "DELETE FROM strata_migrations WHERE version = 1;"));
	assert_null(strstr(s, "CREATE TABLE IF NOT EXISTS"));
	strata_free(s);
	strata_close(ctx);
}

static void test_servers_quote_backslashes(void **state)
{
	strata *ctx;
	char *s;
	int rc;

	(void)state;
	ctx = open_ctx(
		"postgres://u:s3cret@127.0.0.1:1/db?search_path=App,\"X y\"");
	s = script(ctx, STRATA_UP, 1, true, 0, &rc);
	if (rc == STRATA_EUNSUPPORTED) {
		strata_close(ctx);
		skip();
	}
	assert_int_equal(rc, STRATA_OK);
	assert_null(strstr(s, "s3cret"));
	assert_non_null(strstr(s, "\\set ON_ERROR_STOP on\n"));
	assert_non_null(strstr(s, "SET search_path = \"app\", \"X y\";"));
	assert_non_null(strstr(
		s, "CREATE TABLE IF NOT EXISTS \"app\".strata_migrations"));
	assert_non_null(strstr(s, "INSERT INTO \"app\".strata_history"));
	assert_non_null(strstr(s, "RAISE EXCEPTION"));
	assert_non_null(strstr(s,
			       "E'CREATE TABLE users (id INTEGER PRIMARY KEY,"
			       " n TEXT DEFAULT ''a\\\\b''''c'')'"));
	strata_free(s);
	strata_close(ctx);

	ctx = open_ctx("mysql://u:s3cret@127.0.0.1:1/shop");
	s = script(ctx, STRATA_UP, STRATA_LATEST, false, 1, &rc);
	if (rc == STRATA_EUNSUPPORTED) {
		strata_close(ctx);
		skip();
	}
	assert_int_equal(rc, STRATA_OK);
	assert_null(strstr(s, "s3cret"));
	assert_non_null(strstr(s, "USE `shop`;"));
	assert_non_null(
		strstr(s, "`strata: the database is not at version 1`"));
	assert_non_null(strstr(s, "INSERT INTO `shop`.strata_migrations"));
	assert_null(strstr(s, "-- up 1_users")); /* already at 1 */
	assert_non_null(strstr(s, "'INSERT INTO users (n) VALUES (''x'');'"));
	strata_free(s);
	strata_close(ctx);
}

/* Live, on an application's handle: the state is read from it. */
static void test_app_handle_live(void **state)
{
	strata_script_opts o = { .direction = STRATA_UP,
				 .target = STRATA_LATEST };
	struct sqlite3 *db = NULL;
	strata_run *run = NULL;
	strata *ctx = NULL;
	char *s = NULL;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(strata_open_sqlite(&ctx, db), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, migs, 3), STRATA_OK);
	assert_int_equal(strata_up(ctx, 1, 0, &run), STRATA_OK);
	strata_run_free(run);
	assert_int_equal(strata_sql_script(ctx, &o, &s), STRATA_OK);
	assert_non_null(strstr(s, "-- database: sqlite::memory: (sqlite)\n"));
	assert_non_null(strstr(s, "assumes the database is at version 1, as "
				  "read from the live database"));
	assert_null(strstr(s, "-- up 1_users"));
	assert_non_null(strstr(s, "-- up 2_idx"));
	strata_free(s);
	strata_close(ctx);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_from_base),
		cmocka_unit_test(test_from_checks),
		cmocka_unit_test(test_servers_quote_backslashes),
		cmocka_unit_test(test_app_handle_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
