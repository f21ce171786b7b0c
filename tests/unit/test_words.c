/* test_words.c - strata_show, targets, a database that must exist, and the
 * connect wait, through the public API on real SQLite files. */
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
#include "util.h"

static char dir[256];

static const strata_migration two[] = {
	{ 1, "create_a", "a", "CREATE TABLE a (x);", 19, "DROP TABLE a;", 13, 0,
	  STRATA_MIGRATION_VERSION },
	{ 3, "create_b", NULL, "CREATE TABLE b (x);", 19, NULL, 0, 0,
	  STRATA_MIGRATION_VERSION },
};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/strata-words-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static strata *open_db(const char *name)
{
	char url[512];
	strata *ctx = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/%s", dir, name);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, two, 2), STRATA_OK);
	return ctx;
}

static bool exists_in_dir(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_show_pending_then_applied(void **state)
{
	strata *ctx = open_db("show.db");
	strata_migration_info *i = NULL;
	strata_run *run = NULL;

	(void)state;
	assert_int_equal(strata_show(ctx, 1, &i), STRATA_OK);
	assert_true(i->has_file);
	assert_false(i->applied);
	assert_null(i->file); /* embedded */
	assert_int_equal(i->up_len, 19);
	assert_memory_equal(i->up, "CREATE TABLE a (x);", 19);
	assert_null(i->stored_up);
	strata_migration_info_free(i);
	assert_false(exists_in_dir("show.db")); /* show creates nothing */

	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	strata_run_free(run);
	assert_int_equal(strata_show(ctx, 3, &i), STRATA_OK);
	assert_true(i->applied);
	assert_string_equal(i->applied_checksum, i->checksum);
	assert_false(i->modified);
	assert_null(i->down);        /* irreversible file */
	assert_null(i->stored_down); /* and nothing stored */
	assert_non_null(i->stored_up);
	assert_string_equal(i->stored_up, "CREATE TABLE b (x);");
	assert_non_null(i->applied_at);
	assert_true(i->execution_ms >= 0);
	strata_migration_info_free(i);

	i = (strata_migration_info *)1;
	assert_int_equal(strata_show(ctx, 2, &i), STRATA_ENOTFOUND);
	assert_null(i);
	assert_non_null(
		strstr(strata_errmsg(ctx), "no migration has version 2"));
	strata_migration_info_free(NULL);
	strata_close(ctx);
}

static void test_targets_no_migration_has(void **state)
{
	strata *ctx = open_db("targets.db");
	strata_plan *plan = NULL;
	strata_run *run = NULL;

	(void)state;
	assert_int_equal(strata_up(ctx, 7, 0, &run), STRATA_EINVAL);
	strata_run_free(run);
	assert_non_null(strstr(strata_errmsg(ctx), "the highest is 3"));
	assert_false(exists_in_dir("targets.db"));
	assert_int_equal(strata_plan_up(ctx, 4, 0, &plan), STRATA_EINVAL);
	strata_plan_free(plan);
	plan = NULL;
	assert_int_equal(strata_stamp(ctx, 9, &run), STRATA_EINVAL);
	strata_run_free(run);
	assert_false(exists_in_dir("targets.db"));

	/* between two migrations: no migration has it either */
	assert_int_equal(strata_plan_up(ctx, 2, 0, &plan), STRATA_EINVAL);
	assert_null(plan);
	assert_int_equal(strata_plan_up(ctx, 1, 0, &plan), STRATA_OK);
	assert_int_equal(plan->n, 1);
	assert_int_equal(plan->steps[0].version, 1);
	strata_plan_free(plan);
	assert_int_equal(strata_stamp(ctx, STRATA_LATEST, &run), STRATA_OK);
	assert_int_equal(run->n_done, 2);
	strata_run_free(run);
	strata_close(ctx);
}

static void test_down_and_redo_never_create(void **state)
{
	strata *ctx = open_db("typo.db");
	strata_plan *plan = NULL;
	strata_run *run = NULL;

	(void)state;
	assert_int_equal(strata_down(ctx, STRATA_BASE, 1, 0, &run),
			 STRATA_ENOTFOUND);
	assert_non_null(run);
	strata_run_free(run);
	run = NULL;
	assert_non_null(strstr(strata_errmsg(ctx), "does not exist"));
	assert_int_equal(strata_redo(ctx, 0, &run), STRATA_ENOTFOUND);
	strata_run_free(run);
	assert_int_equal(strata_plan_down(ctx, STRATA_BASE, 1, 0, &plan),
			 STRATA_ENOTFOUND);
	assert_null(plan);
	assert_false(exists_in_dir("typo.db"));
	strata_close(ctx);
}

static void test_connect_wait_is_no_op_for_sqlite(void **state)
{
	strata *ctx = open_db("wait.db");
	strata_run *run = NULL;
	int64_t t0 = util_ms();

	(void)state;
	strata_set_connect_wait(ctx, 5);
	strata_set_connect_wait(ctx, -3); /* counts as 0 */
	strata_set_connect_wait(ctx, 5);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	strata_run_free(run);
	assert_true(util_ms() - t0 < 3000);
	strata_close(ctx);
}

/* A server that refuses: retried until the wait runs out, then the last error.
 */
static void test_connect_wait_retries_a_refused_server(void **state)
{
	strata_status *st = NULL;
	strata *ctx = NULL;
	int64_t t0;
	int rc;

	(void)state;
	assert_int_equal(strata_open(&ctx, "postgres://u:pw@127.0.0.1:1/db"),
			 STRATA_OK);
	t0 = util_ms();
	rc = strata_status_get(ctx, &st);
	if (rc == STRATA_EUNSUPPORTED) { /* no libpq in this build */
		strata_close(ctx);
		skip();
	}
	assert_int_not_equal(rc, STRATA_OK);
	assert_null(strstr(strata_errmsg(ctx), "gave up"));
	assert_true(util_ms() - t0 < 1000); /* no wait without the setting */

	strata_set_connect_wait(ctx, 1);
	t0 = util_ms();
	rc = strata_status_get(ctx, &st);
	assert_int_equal(rc, STRATA_EIO);
	assert_true(util_ms() - t0 >= 900);
	assert_non_null(
		strstr(strata_errmsg(ctx), "gave up after waiting 1 s"));
	assert_null(strstr(strata_errmsg(ctx), ":pw@"));
	strata_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_show_pending_then_applied,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_targets_no_migration_has,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_and_redo_never_create,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_connect_wait_is_no_op_for_sqlite, setup, teardown),
		cmocka_unit_test(test_connect_wait_retries_a_refused_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
