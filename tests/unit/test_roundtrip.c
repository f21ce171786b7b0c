/*
 * test_roundtrip.c - strata_test() through the public API on SQLite:
 * outcomes, ownership of the result, the live file left alone, the
 * scratch folder removed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"

#define M(v, name, up, down)                                                  \
	{                                                                     \
		v, name, NULL, up, sizeof(up) - 1, down, sizeof(down) - 1, 0, \
			STRATA_MIGRATION_VERSION                              \
	}
#define IRREVERSIBLE(v, name, up)                              \
	{                                                      \
		v, name, NULL, up, sizeof(up) - 1, NULL, 0, 0, \
			STRATA_MIGRATION_VERSION               \
	}

static const strata_migration good[] = {
	M(1, "t", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
	  "DROP TABLE t;"),
	M(2, "idx", "CREATE INDEX t_a ON t (a);", "DROP INDEX t_a;"),
	IRREVERSIBLE(3, "seed", "INSERT INTO t (a) VALUES ('x');"),
};

static const strata_migration bad[] = {
	M(1, "t", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
	  "DROP TABLE t;"),
	M(2, "idx", "CREATE INDEX t_a ON t (a);", "SELECT 1;"),
	M(3, "later", "CREATE TABLE u (id INTEGER);", "DROP TABLE u;"),
};

static char dir[256], tmp[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/strata-rt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
	setenv("TMPDIR", tmp, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static strata *open_on(const char *name, const strata_migration *m, size_t n)
{
	char url[400];
	strata *ctx = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/%s", dir, name);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, m, n), STRATA_OK);
	return ctx;
}

static void test_outcomes_and_no_live_file(void **state)
{
	strata *ctx = open_on("live.db", good, 3);
	strata_test_result *r = NULL;
	char path[400];
	struct stat st;

	(void)state;
	assert_int_equal(strata_test(ctx, STRATA_LATEST, 0, &r), STRATA_OK);
	assert_non_null(r);
	assert_int_equal(r->n, 3);
	assert_true(r->ok);
	assert_int_equal(r->items[0].outcome, STRATA_TEST_REVERSIBLE);
	assert_int_equal(r->items[1].outcome, STRATA_TEST_REVERSIBLE);
	assert_int_equal(r->items[2].outcome, STRATA_TEST_IRREVERSIBLE);
	assert_string_equal(r->items[1].name, "idx");
	assert_null(r->items[1].diff);
	assert_int_equal(r->n_reversible, 2);
	assert_int_equal(r->n_irreversible, 1);
	strata_test_free(r);
	snprintf(path, sizeof(path), "%s/live.db", dir);
	assert_int_not_equal(stat(path, &st), 0); /* never created */
	assert_int_equal(entries(tmp), 0);
	strata_close(ctx);
}

static void test_broken_down_has_a_diff_and_stops(void **state)
{
	strata *ctx = open_on("live2.db", bad, 3);
	strata_test_result *r = NULL;

	(void)state;
	assert_int_equal(strata_test(ctx, STRATA_LATEST, 0, &r), STRATA_OK);
	assert_false(r->ok);
	assert_int_equal(r->n_broken, 1);
	assert_int_equal(r->items[1].outcome, STRATA_TEST_BROKEN);
	assert_string_equal(r->items[1].phase, "schema");
	assert_non_null(strstr(r->items[1].diff, "+      \"name\": \"t_a\""));
	assert_non_null(strstr(r->items[1].error, "already exists"));
	assert_int_equal(r->items[2].outcome, STRATA_TEST_UNTESTED);
	strata_test_free(r);
	assert_int_equal(entries(tmp), 0);
	strata_close(ctx);
}

static void test_target_and_from_live(void **state)
{
	strata *ctx = open_on("live3.db", good, 3);
	strata_test_result *r = NULL;
	strata_run *run = NULL;

	(void)state;
	assert_int_equal(strata_test(ctx, 2, 0, &r), STRATA_OK);
	assert_int_equal(r->n, 2);
	strata_test_free(r);
	r = NULL;
	assert_int_equal(strata_test(ctx, 7, 0, &r), STRATA_ENOTFOUND);
	assert_null(r);
	assert_non_null(
		strstr(strata_errmsg(ctx), "no migration has version 7"));
	strata_set_auto_backup(ctx, false);
	assert_int_equal(strata_up(ctx, 1, 0, &run), STRATA_OK);
	strata_run_free(run);
	assert_int_equal(
		strata_test(ctx, STRATA_LATEST, STRATA_TEST_FROM_LIVE, &r),
		STRATA_OK);
	assert_true(r->from_live);
	assert_int_equal(r->start_version, 1);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->items[0].version, 2);
	strata_test_free(r);
	strata_test_free(NULL);
	assert_int_equal(entries(tmp), 0);
	strata_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes_and_no_live_file),
		cmocka_unit_test(test_broken_down_has_a_diff_and_stops),
		cmocka_unit_test(test_target_and_from_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
