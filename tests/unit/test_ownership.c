/*
 * test_ownership.c - strata.h's one rule: on failure a pointer output is
 * NULL (a count 0, a flag false), except where a function says otherwise;
 * embedded arrays are copied and carry their layout version.
 */
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
#include "tmpdir.h"

static int sentinel;
#define JUNK ((void *)&sentinel)

/* A context on a SQLite file that does not exist (yet). */
static strata *open_missing(void)
{
	char url[512];
	strata *ctx = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/none.db", dir);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	return ctx;
}

static void test_no_url_outputs_are_null(void **state)
{
	strata *ctx = NULL;
	strata_plan *plan = JUNK;
	strata_status *st = JUNK;
	strata_history *h = JUNK;
	strata_repair_result *rep = JUNK;
	strata_backup_list *bl = JUNK;
	char *path = JUNK;

	(void)state;
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	assert_int_equal(strata_plan_up(ctx, STRATA_LATEST, 0, &plan),
			 STRATA_EINVAL);
	assert_null(plan);
	plan = JUNK;
	assert_int_equal(strata_plan_down(ctx, STRATA_BASE, 1, 0, &plan),
			 STRATA_EINVAL);
	assert_null(plan);
	assert_int_equal(strata_status_get(ctx, &st), STRATA_EINVAL);
	assert_null(st);
	assert_int_equal(strata_history_get(ctx, &h), STRATA_EINVAL);
	assert_null(h);
	assert_int_equal(strata_repair(ctx, false, &rep), STRATA_EINVAL);
	assert_null(rep);
	assert_int_equal(strata_backups_list(ctx, &bl), STRATA_EINVAL);
	assert_null(bl);
	assert_int_equal(strata_backup(ctx, NULL, &path), STRATA_EINVAL);
	assert_null(path);
	path = JUNK;
	assert_int_equal(strata_restore(ctx, "x.db", &path), STRATA_EINVAL);
	assert_null(path);
	strata_close(ctx);
}

static void test_missing_database_outputs_are_null(void **state)
{
	strata *ctx = open_missing();
	strata_check_result *chk = JUNK;
	strata_recover_result *rec = JUNK;
	char out[512], *text = JUNK, *path = JUNK;

	(void)state;
	assert_int_equal(strata_check(ctx, &chk), STRATA_ENOTFOUND);
	assert_null(chk);
	snprintf(out, sizeof(out), "%s/salvage.db", dir);
	assert_int_equal(strata_recover(ctx, out, &rec), STRATA_ENOTFOUND);
	assert_null(rec);
	assert_int_equal(strata_schema(ctx, STRATA_SCHEMA_SQL, &text),
			 STRATA_ENOTFOUND);
	assert_null(text);
	text = JUNK;
	assert_int_equal(strata_schema(ctx, 99, &text), STRATA_EINVAL);
	assert_null(text);
	assert_int_equal(strata_backup(ctx, NULL, &path), STRATA_ENOTFOUND);
	assert_null(path);
	path = JUNK;
	snprintf(out, sizeof(out), "%s/nothing-here.db", dir);
	assert_int_not_equal(strata_restore(ctx, out, &path), STRATA_OK);
	assert_null(path);
	/* A missing database has nothing to repair: success, a result. */
	strata_repair_result *rep = JUNK;
	assert_int_equal(strata_repair(ctx, false, &rep), STRATA_OK);
	assert_non_null(rep);
	assert_true(rep != JUNK);
	strata_repair_free(rep);
	strata_close(ctx);
}

static void test_new_file_and_init_dir_failures(void **state)
{
	strata *ctx = open_missing();
	char *path = JUNK;
	bool created = true;

	(void)state;
	assert_int_equal(strata_new_file(ctx, dir, "bad name", false, &path),
			 STRATA_EINVAL);
	assert_null(path);
	assert_string_equal(
		strata_errmsg(ctx),
		"bad migration name 'bad name': use letters, digits, '_' and '-'");
	path = JUNK;
	assert_int_equal(strata_new_file(ctx, dir, NULL, false, &path),
			 STRATA_EINVAL);
	assert_null(path);
	assert_int_equal(strata_init_dir(ctx, "", &created), STRATA_EINVAL);
	assert_false(created);
	strata_close(ctx);
}

/* The stated exceptions: a context, a run report. */
static void test_exceptions_keep_their_output(void **state)
{
	strata *ctx = JUNK;
	strata_run *run = JUNK;

	(void)state;
	assert_int_equal(strata_open(&ctx, "nosuch://x"), STRATA_EINVAL);
	assert_non_null(ctx);
	assert_true(ctx != JUNK);
	assert_string_not_equal(strata_errmsg(ctx), "no error");
	strata_close(ctx);
	ctx = JUNK;
	assert_int_equal(strata_open_sqlite(&ctx, NULL), STRATA_EINVAL);
	assert_non_null(ctx);
	assert_true(ctx != JUNK);
	strata_close(ctx);

	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_EINVAL);
	assert_non_null(run);
	assert_true(run != JUNK);
	assert_int_equal(run->n_done, 0);
	strata_run_free(run);
	run = JUNK;
	assert_int_equal(strata_down(ctx, STRATA_BASE, 1, 0, &run),
			 STRATA_EINVAL);
	assert_true(run && run != JUNK);
	strata_run_free(run);
	run = JUNK;
	assert_int_equal(strata_redo(ctx, 0, &run), STRATA_EINVAL);
	assert_true(run && run != JUNK);
	strata_run_free(run);
	run = JUNK;
	assert_int_equal(strata_stamp(ctx, 1, &run), STRATA_EINVAL);
	assert_true(run && run != JUNK);
	strata_run_free(run);
	strata_close(ctx);
}

/* The array is copied: the caller may free it as soon as the call returns. */
static void test_embedded_array_is_copied(void **state)
{
	strata_migration *arr = calloc(2, sizeof(*arr));
	char *up = strdup("CREATE TABLE t (x);\r\n"), *name = strdup("make_t");
	const strata_migration *m = JUNK;
	strata *ctx = NULL;
	size_t n = 99;

	(void)state;
	assert_non_null(arr);
	arr[0] = (strata_migration)STRATA_MIGRATION_INIT;
	arr[0].version = 7;
	arr[0].name = name;
	arr[0].up = up;
	arr[0].up_len = strlen(up);
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, arr, 1), STRATA_OK);
	memset(up, 'X', strlen(up));
	memset(name, 'Y', strlen(name));
	free(up);
	free(name);
	free(arr);
	assert_int_equal(strata_list_migrations(ctx, &m, &n), STRATA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].version, 7);
	assert_string_equal(m[0].name, "make_t");
	/* normalised as a file's body is: CRLF to LF, trimmed */
	assert_int_equal(m[0].up_len, strlen("CREATE TABLE t (x);"));
	assert_memory_equal(m[0].up, "CREATE TABLE t (x);", m[0].up_len);
	assert_null(m[0].down);
	assert_int_equal(m[0].struct_version, STRATA_MIGRATION_VERSION);
	strata_close(ctx);
}

static void test_struct_version_is_required(void **state)
{
	strata_migration arr[2] = { STRATA_MIGRATION_INIT,
				    STRATA_MIGRATION_INIT };
	const strata_migration *m;
	strata *ctx = NULL;
	size_t n;

	(void)state;
	arr[0].version = 1;
	arr[0].name = "one";
	arr[0].up = "SELECT 1;";
	arr[0].up_len = 9;
	arr[1] = arr[0];
	arr[1].version = 2;
	arr[1].name = "two";
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	arr[1].struct_version = 0;
	assert_int_equal(strata_add_migrations(ctx, arr, 2), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(ctx),
			       "embedded migration 1: struct_version is 0"));
	arr[1].struct_version = STRATA_MIGRATION_VERSION + 1;
	assert_int_equal(strata_add_migrations(ctx, arr, 2), STRATA_EINVAL);
	/* Nothing was added by the refused calls. */
	assert_int_equal(strata_list_migrations(ctx, &m, &n), STRATA_OK);
	assert_int_equal(n, 0);
	arr[1].struct_version = STRATA_MIGRATION_VERSION;
	assert_int_equal(strata_add_migrations(ctx, arr, 2), STRATA_OK);
	assert_int_equal(strata_list_migrations(ctx, &m, &n), STRATA_OK);
	assert_int_equal(n, 2);
	strata_close(ctx);
}

/*
 * A body read from a file and embedded back (what 'strata embed' does)
 * reads the same: normalising twice changes nothing.
 */
static void test_embedding_a_parsed_body_changes_nothing(void **state)
{
	static const char text[] = "\xef\xbb\xbf\xef\xbb\xbf-- twice marked\r\n"
				   "-- strata:up\r\n"
				   "\xef\xbb\xbf SELECT 'a\r\r\nb';\r\n"
				   "-- strata:down\r\r\n"
				   "SELECT 2;\r\n";
	const strata_migration *m, *again;
	strata_migration copy;
	strata *files = NULL, *emb = NULL;
	char path[512];
	size_t n;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/001_odd.sql", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f),
			 sizeof(text) - 1);
	fclose(f);
	assert_int_equal(strata_open(&files, NULL), STRATA_OK);
	assert_int_equal(strata_add_dir(files, dir), STRATA_OK);
	assert_int_equal(strata_list_migrations(files, &m, &n), STRATA_OK);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].description, "twice marked");
	assert_int_equal(m[0].up_len, strlen("SELECT 'a\nb';"));
	assert_memory_equal(m[0].up, "SELECT 'a\nb';", m[0].up_len);
	assert_memory_equal(m[0].down, "SELECT 2;", m[0].down_len);
	copy = m[0];
	assert_int_equal(strata_open(&emb, NULL), STRATA_OK);
	assert_int_equal(strata_add_migrations(emb, &copy, 1), STRATA_OK);
	assert_int_equal(strata_list_migrations(emb, &again, &n), STRATA_OK);
	assert_int_equal(again[0].up_len, m[0].up_len);
	assert_memory_equal(again[0].up, m[0].up, m[0].up_len);
	assert_int_equal(again[0].down_len, m[0].down_len);
	strata_close(emb);
	strata_close(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_url_outputs_are_null),
		cmocka_unit_test_setup_teardown(
			test_missing_database_outputs_are_null, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_new_file_and_init_dir_failures, setup, teardown),
		cmocka_unit_test(test_exceptions_keep_their_output),
		cmocka_unit_test(test_embedded_array_is_copied),
		cmocka_unit_test(test_struct_version_is_required),
		cmocka_unit_test_setup_teardown(
			test_embedding_a_parsed_body_changes_nothing, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
