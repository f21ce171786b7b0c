/* test_api.c - the public API end to end on real SQLite files and handles. */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"

static char dir[256];

static const strata_migration base[] = {
	{ 1, "create_servers", "servers",
	  "CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT);", 56,
	  "DROP TABLE servers;", 19, 0, STRATA_MIGRATION_VERSION },
	{ 3, "add_rack", NULL, "ALTER TABLE servers ADD COLUMN rack TEXT;", 41,
	  "ALTER TABLE servers DROP COLUMN rack;", 37, 0,
	  STRATA_MIGRATION_VERSION },
};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/strata-api-XXXXXX");
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

static void path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	path_in(path, sizeof(path), name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static strata *open_file(const char *db)
{
	char url[600], path[512];
	strata *ctx;

	path_in(path, sizeof(path), db);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	return ctx;
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_api_bad_url(void **state)
{
	strata *ctx;

	(void)state;
	assert_int_equal(strata_open(&ctx, "nosuch://x"), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(ctx), "nosuch"));
	strata_close(ctx);
	assert_int_equal(strata_open(&ctx, "postgres://u:pw1234@h:abc/db"),
			 STRATA_EINVAL);
	assert_null(strstr(strata_errmsg(ctx), "pw1234"));
	strata_close(ctx);
}

static void test_api_caller_handle_stays_open(void **state)
{
	strata_status *st;
	strata_run *run;
	sqlite3 *db;
	strata *ctx;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(strata_open_sqlite(&ctx, db), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, base, 2), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	assert_int_equal(run->n_done, 2);
	assert_null(run->backup); /* nothing to back up in memory */
	strata_run_free(run);
	assert_int_equal(strata_status_get(ctx, &st), STRATA_OK);
	assert_int_equal(st->n_applied, 2);
	assert_int_equal(st->n_pending, 0);
	assert_int_equal(st->current_version, 3);
	strata_status_free(st);
	strata_close(ctx);
	/* Still the caller's, and it sees what strata did. */
	assert_int_equal(count(db, "SELECT count(*) FROM strata_migrations"),
			 2);
	assert_int_equal(
		count(db,
		      "SELECT count(*) FROM pragma_table_info('servers') WHERE name = 'rack'"),
		1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_api_foreign_keys_setting_restored(void **state)
{
	strata_run *run;
	sqlite3 *db;
	strata *ctx;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	assert_int_equal(strata_open_sqlite(&ctx, db), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, base, 1), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	strata_run_free(run);
	strata_close(ctx);
	assert_int_equal(count(db, "PRAGMA foreign_keys"), 1);
	sqlite3_close(db);
}

static void test_api_caller_handle_in_transaction_refused(void **state)
{
	strata_run *run;
	sqlite3 *db;
	strata *ctx;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_exec(
		db, "CREATE TABLE mine (x); BEGIN; INSERT INTO mine VALUES (1)",
		NULL, NULL, NULL);
	assert_int_equal(strata_open_sqlite(&ctx, db), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, base, 1), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(ctx), "inside a transaction"));
	strata_run_free(run);
	strata_close(ctx);
	/* The application's transaction is untouched: still open, row there. */
	assert_int_equal(sqlite3_get_autocommit(db), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM mine"), 1);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

struct seen {
	int warnings, starts, dones, fails;
	char last_warning[512];
};

static void on_log(int level, const char *msg, void *payload)
{
	struct seen *s = payload;

	if (level == STRATA_LOG_WARN) {
		s->warnings++;
		snprintf(s->last_warning, sizeof(s->last_warning), "%s", msg);
	}
}

static void on_progress(const strata_event *ev, void *payload)
{
	struct seen *s = payload;

	s->starts += ev->type == STRATA_EV_START;
	s->dones += ev->type == STRATA_EV_DONE;
	s->fails += ev->type == STRATA_EV_FAIL;
}

static void test_api_folder_and_array_mixed(void **state)
{
	struct seen seen = { 0 };
	char mig[512];
	strata_run *run;
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "mixed");
	mkdir(mig, 0755);
	write_file(
		"mixed/002_add_ip.sql",
		"-- add ip\n-- strata:up\nALTER TABLE servers ADD COLUMN ip TEXT;\n-- strata:down\nALTER TABLE servers DROP COLUMN ip;\n");
	write_file("mixed/not-a-migration.sql", "SELECT 1;\n");
	ctx = open_file("mixed.db");
	strata_set_log(ctx, on_log, &seen);
	strata_set_progress(ctx, on_progress, &seen);
	assert_int_equal(strata_add_migrations(ctx, base, 2), STRATA_OK);
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(seen.warnings, 1);
	assert_non_null(strstr(seen.last_warning, "not-a-migration.sql"));
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	assert_int_equal(run->n_done, 3);
	assert_int_equal(run->done[1].version, 2);
	assert_int_equal(seen.starts, 3);
	assert_int_equal(seen.dones, 3);
	strata_run_free(run);
	assert_int_equal(strata_down(ctx, 1, 0, 0, &run), STRATA_OK);
	assert_int_equal(run->n_done, 2);
	assert_int_equal(run->done[0].version, 3);
	assert_non_null(run->backup); /* the file existed: backed up first */
	strata_run_free(run);
	strata_close(ctx);
}

static void test_api_duplicate_across_sources(void **state)
{
	char mig[512];
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "dup");
	mkdir(mig, 0755);
	write_file("dup/1_other.sql", "SELECT 1;\n");
	ctx = open_file("dup.db");
	assert_int_equal(strata_add_migrations(ctx, base, 2), STRATA_OK);
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(ctx), "1_other.sql"));
	strata_close(ctx);
}

static void test_api_failure_reports_file_line(void **state)
{
	struct seen seen = { 0 };
	char mig[512];
	strata_run *run;
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "bad");
	mkdir(mig, 0755);
	write_file("bad/001_ok.sql", "CREATE TABLE a (x);\n");
	write_file(
		"bad/002_broken.sql",
		"-- broken\n-- strata:up\nCREATE TABLE b (x);\n\nINSERT INTO nope VALUES (1);\n");
	ctx = open_file("bad.db");
	strata_set_progress(ctx, on_progress, &seen);
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_ESQL);
	assert_non_null(strstr(strata_errmsg(ctx), "002_broken.sql:5: "));
	assert_non_null(strstr(strata_errmsg(ctx), "no such table: nope"));
	assert_true(run->failed);
	assert_int_equal(run->failure.version, 2);
	assert_int_equal(run->n_done, 1);
	assert_int_equal(seen.fails, 1);
	strata_run_free(run);
	strata_close(ctx);
}

static void test_api_refusals(void **state)
{
	char mig[512], db[512];
	strata_run *run = NULL;
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "ref");
	mkdir(mig, 0755);
	write_file("ref/001_a.sql", "CREATE TABLE a (x);\n");
	write_file(
		"ref/003_c.sql",
		"-- strata:up\nCREATE TABLE c (x);\n-- strata:down\nDROP TABLE c;\n");
	ctx = open_file("ref.db");
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	strata_run_free(run);
	strata_close(ctx);

	/* Out of order, then a modified file. */
	write_file("ref/002_b.sql", "CREATE TABLE b (x);\n");
	ctx = open_file("ref.db");
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_EORDER);
	strata_run_free(run);
	assert_int_equal(strata_down(ctx, STRATA_BASE, 0, 0, &run),
			 STRATA_EIRREVERSIBLE);
	assert_non_null(strstr(strata_errmsg(ctx), "001_a.sql"));
	strata_run_free(run);
	assert_int_equal(strata_unstamp(ctx, 2), STRATA_ENOTFOUND);
	strata_close(ctx);

	write_file("ref/001_a.sql", "CREATE TABLE a (x, y);\n");
	ctx = open_file("ref.db");
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(
		strata_up(ctx, STRATA_LATEST, STRATA_ALLOW_OUT_OF_ORDER, &run),
		STRATA_ECHECKSUM);
	strata_run_free(run);
	strata_close(ctx);

	/* The lock: held elsewhere, a run gives up after its timeout. */
	path_in(db, sizeof(db), "ref.db.strata.lock");
	int fd = open(db, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	ctx = open_file("ref.db");
	strata_set_lock_timeout(ctx, 0);
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(
		strata_up(ctx, STRATA_LATEST,
			  STRATA_ALLOW_OUT_OF_ORDER | STRATA_IGNORE_CHECKSUMS,
			  &run),
		STRATA_ELOCKED);
	strata_run_free(run);
	strata_close(ctx);
	close(fd);
}

static void test_api_dirty_no_transaction(void **state)
{
	char mig[512];
	strata_run *run;
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "dirty");
	mkdir(mig, 0755);
	write_file(
		"dirty/001_half.sql",
		"-- strata:no-transaction\n-- strata:up\nCREATE TABLE t (x);\nINSERT INTO missing VALUES (1);\n");
	ctx = open_file("dirty.db");
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_ESQL);
	strata_run_free(run);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_EDIRTY);
	strata_run_free(run);
	strata_close(ctx);
}

static void test_api_backup_modes_and_restore(void **state)
{
	char mig[512], *backup = NULL;
	strata_backup_list *list;
	strata_run *run;
	struct stat st;
	strata *ctx;

	(void)state;
	path_in(mig, sizeof(mig), "bk");
	mkdir(mig, 0755);
	write_file(
		"bk/001_a.sql",
		"-- strata:up\nCREATE TABLE a (x);\n-- strata:down\nDROP TABLE a;\n");
	write_file(
		"bk/002_b.sql",
		"-- strata:up\nCREATE TABLE b (x);\n-- strata:down\nDROP TABLE b;\n");
	ctx = open_file("bk.db");
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	assert_int_equal(strata_up(ctx, 1, 0, &run), STRATA_OK);
	assert_null(run->backup); /* a new file: nothing to keep */
	strata_run_free(run);
	assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run), STRATA_OK);
	assert_non_null(run->backup);
	assert_int_equal(stat(run->backup, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	backup = strdup(run->backup);
	strata_run_free(run);
	assert_int_equal(strata_backups_list(ctx, &list), STRATA_OK);
	assert_int_equal(list->n, 1);
	assert_int_equal(list->items[0].version, 1);
	strata_backup_list_free(list);
	/* Back to version 1. */
	assert_int_equal(strata_restore(ctx, backup, NULL), STRATA_OK);
	strata_status *s;
	assert_int_equal(strata_status_get(ctx, &s), STRATA_OK);
	assert_int_equal(s->current_version, 1);
	assert_int_equal(s->n_pending, 1);
	strata_status_free(s);
	/* A file that is not a database is refused. */
	write_file("garbage.bak",
		   "this is not a database at all, not even close\n");
	char garbage[512];
	path_in(garbage, sizeof(garbage), "garbage.bak");
	assert_int_not_equal(strata_restore(ctx, garbage, NULL), STRATA_OK);
	free(backup);
	strata_close(ctx);
}

static void test_api_errstr(void **state)
{
	(void)state;
	for (int rc = 0; rc >= STRATA_EUNSUPPORTED; rc--)
		assert_string_not_equal(strata_errstr(rc), "unknown error");
	assert_string_equal(strata_errstr(12345), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_bad_url),
		cmocka_unit_test(test_api_caller_handle_stays_open),
		cmocka_unit_test(test_api_foreign_keys_setting_restored),
		cmocka_unit_test(test_api_caller_handle_in_transaction_refused),
		cmocka_unit_test(test_api_folder_and_array_mixed),
		cmocka_unit_test(test_api_duplicate_across_sources),
		cmocka_unit_test(test_api_failure_reports_file_line),
		cmocka_unit_test(test_api_refusals),
		cmocka_unit_test(test_api_dirty_no_transaction),
		cmocka_unit_test(test_api_backup_modes_and_restore),
		cmocka_unit_test(test_api_errstr),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
