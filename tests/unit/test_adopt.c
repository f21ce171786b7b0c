/* test_adopt.c - strata_adopt on an application's own SQLite handle. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"

#define M(v, n, up, down)                                                  \
	{                                                                  \
		v, n, NULL, up, sizeof(up) - 1, down, sizeof(down) - 1, 0, \
			STRATA_MIGRATION_VERSION                           \
	}

static const strata_migration migs[] = {
	M(1, "a", "CREATE TABLE a (x);", "DROP TABLE a;"),
	M(2, "b", "CREATE TABLE b (x);", "DROP TABLE b;"),
	M(3, "c", "CREATE TABLE c (x);", "DROP TABLE c;"),
	M(4, "d", "CREATE TABLE d (x);", "DROP TABLE d;"),
};

static sqlite3 *db;
static strata *ctx;

static int setup(void **state)
{
	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	if (strata_open_sqlite(&ctx, db) != STRATA_OK)
		return -1;
	return strata_add_migrations(ctx, migs, 4) == STRATA_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	strata_close(ctx);
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
}

static void sql(const char *s)
{
	assert_int_equal(sqlite3_exec(db, s, NULL, NULL, NULL), SQLITE_OK);
}

static int count(const char *s)
{
	sqlite3_stmt *st;
	int n;

	assert_int_equal(sqlite3_prepare_v2(db, s, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void expect(const strata_adopt_result *r, const char *tool,
		   const int64_t *v, size_t n, int64_t dirty)
{
	assert_string_equal(r->tool, tool);
	assert_int_equal(r->n_recorded, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r->recorded[i].version, v[i]);
	assert_int_equal(r->dirty, dirty);
}

static void test_golang_migrate_dirty(void **state)
{
	strata_adopt_result *r;
	strata_run *run;
	const int64_t want[] = { 1, 2 };

	(void)state;
	sql("CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null);"
	    "INSERT INTO schema_migrations VALUES (3, 1);");
	assert_int_equal(strata_adopt(ctx, STRATA_DRY_RUN, &r), STRATA_OK);
	expect(r, "golang-migrate", want, 2, 3);
	assert_true(r->dry_run);
	strata_adopt_free(r);
	assert_int_equal(
		count("SELECT count(*) FROM sqlite_master WHERE name LIKE 'strata_%'"),
		0);
	/* The hint: up refuses instead of running 1 and 2 again. */
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_ERROR);
	strata_run_free(run);
	assert_non_null(strstr(strata_errmsg(ctx), "strata adopt"));

	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_OK);
	expect(r, "golang-migrate", want, 2, 3);
	strata_adopt_free(r);
	assert_int_equal(count("SELECT count(*) FROM strata_migrations"), 2);
	assert_int_equal(
		count("SELECT count(*) FROM strata_history WHERE version = 3 AND status = 'dirty'"),
		1);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_EDIRTY);
	strata_run_free(run);
	assert_int_equal(count("SELECT version FROM schema_migrations"), 3);
}

static void test_goose_latest_row(void **state)
{
	strata_adopt_result *r;
	const int64_t want[] = { 1, 3 };

	(void)state;
	sql("CREATE TABLE goose_db_version (id integer primary key, version_id bigint, is_applied boolean, tstamp timestamp);"
	    "INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (1, 0, 1), (2, 1, 1), (3, 2, 1), (4, 3, 1), (5, 2, 0);");
	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_OK);
	expect(r, "goose", want, 2, -1);
	assert_string_equal(r->table, "goose_db_version");
	strata_adopt_free(r);
	assert_int_equal(
		count("SELECT count(*) FROM strata_history WHERE direction = 'stamp' AND error = 'adopted from goose (goose_db_version)'"),
		2);
	/* Again: strata's rows agree, nothing more to record. */
	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_OK);
	assert_int_equal(r->n_recorded, 0);
	strata_adopt_free(r);
}

static void test_flyway_rows(void **state)
{
	strata_adopt_result *r;
	const int64_t want[] = { 2, 4 };

	(void)state;
	sql("CREATE TABLE flyway_schema_history (installed_rank int primary key, version varchar(50), description varchar(200), type varchar(20), script varchar(1000), checksum int, success boolean);"
	    "INSERT INTO flyway_schema_history VALUES"
	    " (1, '1', '<< Flyway Baseline >>', 'BASELINE', 'x', NULL, 1),"
	    " (2, '2', 'b', 'SQL', 'V2__b.sql', 1, 1),"
	    " (3, '3', 'c', 'SQL', 'V3__c.sql', 1, 1),"
	    " (4, NULL, 'r', 'SQL', 'R__r.sql', 1, 1),"
	    " (5, '3', 'c', 'UNDO_SQL', 'U3__c.sql', 1, 1),"
	    " (6, '4', 'd', 'SQL', 'V4__d.sql', 1, 1),"
	    " (7, '5', 'e', 'SQL', 'V5__e.sql', 1, 0);");
	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_OK);
	expect(r, "flyway", want, 2, -1);
	strata_adopt_free(r);
}

static void test_sql_migrate_missing_file(void **state)
{
	strata_adopt_result *r = (void *)1;

	(void)state;
	sql("CREATE TABLE gorp_migrations (id varchar(255) primary key, applied_at timestamp);"
	    "INSERT INTO gorp_migrations VALUES ('1_a.sql', NULL), ('7_g.sql', NULL);");
	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(strata_errmsg(ctx), "version 7"));
	assert_int_equal(
		count("SELECT count(*) FROM sqlite_master WHERE name = 'strata_migrations'"),
		0);
}

static void test_nothing_to_adopt(void **state)
{
	strata_adopt_result *r = (void *)1;
	strata_run *run;

	(void)state;
	assert_int_equal(strata_adopt(ctx, 0, &r), STRATA_ENOTFOUND);
	assert_null(r);
	/* dbmate's empty table: no hint, up runs everything. */
	sql("CREATE TABLE schema_migrations (version varchar(128) primary key);");
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	assert_int_equal(run->n_done, 4);
	strata_run_free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_golang_migrate_dirty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_goose_latest_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flyway_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sql_migrate_missing_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_adopt, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
