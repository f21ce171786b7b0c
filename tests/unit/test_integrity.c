/* test_integrity.c - the quick check around a run, keeping backups, and
 * restore's refusal of another database's backup, through the public API. */
#include <dirent.h>
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
#include "tmpdir.h"

static const strata_migration big = {
	1,
	"items",
	NULL,
	"CREATE TABLE items (id INTEGER PRIMARY KEY, pad TEXT);"
	"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
	"WHERE i < 2000) INSERT INTO items SELECT i, printf('%0300d', i) FROM c;",
	0,
	"DROP TABLE items;",
	0,
	0,
	STRATA_MIGRATION_VERSION
};
static const strata_migration small = {
	2,
	"tags",
	NULL,
	"CREATE TABLE tags (id INTEGER PRIMARY KEY);",
	0,
	"DROP TABLE tags;",
	0,
	0,
	STRATA_MIGRATION_VERSION
};
static const strata_migration bad = {
	3,
	"bad",
	NULL,
	"CREATE TABLE w (x);\nSELECT nope FROM nothing_here;",
	0,
	NULL,
	0,
	0,
	STRATA_MIGRATION_VERSION
};

static strata *open_db(const strata_migration *m, size_t n)
{
	char url[600];
	strata *ctx;
	strata_migration copy[3];

	for (size_t i = 0; i < n; i++) {
		copy[i] = m[i];
		copy[i].up_len = strlen(m[i].up);
		copy[i].down_len = m[i].down ? strlen(m[i].down) : 0;
	}
	snprintf(url, sizeof(url), "sqlite:%s/db.sqlite3", dir);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	assert_int_equal(strata_add_migrations(ctx, copy, n), STRATA_OK);
	return ctx;
}

static int up(const strata_migration *m, size_t n, unsigned flags)
{
	strata_run *run = NULL;
	strata *ctx = open_db(m, n);
	int rc = strata_up(ctx, STRATA_LATEST, flags, &run);

	strata_run_free(run);
	strata_close(ctx);
	return rc;
}

/* Garbage over one page in the middle of the file. */
static void damage_middle(void)
{
	char path[512];
	unsigned char junk[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/db.sqlite3", dir);
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	fseek(f, (size / 4096 / 2) * 4096, SEEK_SET);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
}

static int count_backups(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/backups", dir);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".bak"))
			n++;
	closedir(d);
	return n;
}

static void test_damaged_file_is_refused(void **state)
{
	strata_migration both[2] = { big, small };
	strata_repair_result *r = NULL;
	strata *ctx;

	(void)state;
	assert_int_equal(up(both, 1, 0), STRATA_OK);
	damage_middle();
	ctx = open_db(both, 2);
	{
		strata_run *run = NULL;
		assert_int_equal(strata_up(ctx, STRATA_LATEST, 0, &run),
				 STRATA_ERROR);
		assert_non_null(strstr(strata_errmsg(ctx), "quick_check"));
		assert_non_null(strstr(strata_errmsg(ctx),
				       "strata recover --output NEW.db"));
		assert_int_equal(run->n_done, 0);
		assert_null(run->backup);
		strata_run_free(run);
	}
	assert_int_equal(count_backups(), 0);
	assert_int_equal(strata_repair(ctx, false, &r), STRATA_ERROR);
	assert_null(r);
	assert_non_null(strstr(strata_errmsg(ctx), "recover"));
	strata_close(ctx);
	/* STRATA_NO_CHECK lets it through: the damage is in items only. */
	assert_int_equal(up(both, 2, STRATA_NO_CHECK | STRATA_NO_BACKUP),
			 STRATA_OK);
}

static void test_failed_run_keeps_no_backup(void **state)
{
	strata_migration all[3] = { big, small, bad };

	(void)state;
	assert_int_equal(up(all, 1, 0), STRATA_OK);
	assert_int_equal(up(all, 2, 0), STRATA_OK);
	assert_int_equal(count_backups(), 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(up(all, 3, 0), STRATA_ESQL);
	assert_int_equal(count_backups(), 1);
}

static void test_restore_of_another_database(void **state)
{
	strata_migration both[2] = { big, small };
	strata_backup_list *l = NULL, *o = NULL;
	char src[600], other[600], cmd[1400];
	char *backup = NULL;
	strata *ctx;

	(void)state;
	assert_int_equal(up(both, 1, 0), STRATA_OK);
	assert_int_equal(up(both, 2, 0), STRATA_OK);
	ctx = open_db(both, 2);
	assert_int_equal(strata_backups_list(ctx, &l), STRATA_OK);
	assert_int_equal(l->n, 1);
	snprintf(src, sizeof(src), "%s", l->items[0].path);
	snprintf(other, sizeof(other),
		 "%s/backups/else.db.20260101T000000Z.v1.bak", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, other);
	assert_int_equal(system(cmd), 0);
	strata_backup_list_free(l);

	assert_int_equal(strata_backups_list_other(ctx, &o), STRATA_OK);
	assert_int_equal(o->n, 1);
	assert_non_null(strstr(o->items[0].path, "else.db."));
	assert_int_equal(o->items[0].version, 1);
	strata_backup_list_free(o);

	assert_int_equal(strata_restore(ctx, other, &backup), STRATA_ERROR);
	assert_non_null(strstr(strata_errmsg(ctx), "'else.db'"));
	assert_null(backup);
	assert_int_equal(
		strata_restore_flags(ctx, other, STRATA_FORCE, &backup),
		STRATA_OK);
	assert_non_null(backup);
	strata_free(backup);
	/* Our own backup needs no --force. */
	assert_int_equal(
		strata_restore_flags(ctx, src, STRATA_NO_BACKUP, &backup),
		STRATA_OK);
	assert_null(backup);
	strata_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_damaged_file_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_run_keeps_no_backup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_restore_of_another_database, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
