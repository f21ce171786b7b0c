/*
 * test_oom.c - the allocation-failure pass: strata_up, strata_down and
 * strata_status_get on a real SQLite file, with the Nth allocation of
 * strata's own code failing, for N = 1, 2, 3, ... until a run needs fewer
 * than N allocations.  Every run must return STRATA_OK or STRATA_ENOMEM
 * (never crash; ASan finds the leaks: make BUILD=build/asan
 * SANITIZE=address,undefined unit), and leave the database as it was or
 * with whole migrations applied, as a fresh context then sees it, and
 * able to finish the job.
 *
 * The Makefile links this binary alone with -Wl,--wrap=malloc,calloc,
 * realloc,strdup,strndup: the calls of this file and of the library's
 * objects go to the __wrap_ functions below.  SQLite, libc and the other
 * shared libraries allocate through the real malloc, unwrapped: what is
 * tested is our code's handling of its own allocations.
 */
#include <execinfo.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"

/* ---- the wrappers ------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long alloc_count; /* allocations since arming */
static long fail_at;     /* the one that fails; 0: none */

/* STRATA_OOM_TRACE=1 prints where each injected failure happens. */
static int injected(void)
{
	if (!fail_at || ++alloc_count != fail_at)
		return 0;
	if (getenv("STRATA_OOM_TRACE")) {
		void *frames[8];

		fprintf(stderr, "allocation %ld fails:\n", fail_at);
		backtrace_symbols_fd(frames, backtrace(frames, 8), 2);
	}
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return injected() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return injected() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return injected() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return injected() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return injected() ? NULL : __real_strndup(s, n);
}

static void arm(long n)
{
	alloc_count = 0;
	fail_at = n;
}

/* True when the armed failure happened. */
static int disarm(void)
{
	int hit = fail_at && alloc_count >= fail_at;

	fail_at = 0;
	return hit;
}

/* ---- the database ------------------------------------------------------- */

static char dir[256], db_path[300], url[320];

#define ONE                                        \
	"-- strata:up\nCREATE TABLE t1 (a INT);\n" \
	"CREATE INDEX t1_a ON t1 (a);\n-- strata:down\nDROP TABLE t1;\n"
#define TWO                                        \
	"-- strata:up\nCREATE TABLE t2 (a INT);\n" \
	"INSERT INTO t2 VALUES (1);\n-- strata:down\nDROP TABLE t2;\n"
#define THREE \
	"-- strata:up\nCREATE TABLE t3 (a INT);\n-- strata:down\nDROP TABLE t3;\n"

/* Three folders: good, with a failing fourth, with 002 modified. */
static const char *const files[][3] = {
	{ "good", "001_one.sql", ONE },
	{ "good", "002_two.sql", TWO },
	{ "good", "003_three.sql", THREE },
	{ "bad", "001_one.sql", ONE },
	{ "bad", "002_two.sql", TWO },
	{ "bad", "003_three.sql", THREE },
	{ "bad", "004_four.sql",
	  "CREATE TABLE t4 (a INT);\nINSERT INTO nowhere VALUES (1);\n" },
	{ "mod", "001_one.sql", ONE },
	{ "mod", "002_two.sql",
	  "-- strata:up\nCREATE TABLE t2 (a INT);\n"
	  "INSERT INTO t2 VALUES (2);\n-- strata:down\nDROP TABLE t2;\n" },
	{ "mod", "003_three.sql", THREE },
};
#define NFILES 3 /* migrations that can be applied */

static int setup(void **state)
{
	char path[512];

	(void)state;
	/* In memory where there is a tmpfs: hundreds of runs, many commits. */
	snprintf(dir, sizeof(dir), "%s/strata-oom-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/%s/%s", dir, files[i][0],
			 files[i][1]);
		assert_non_null(f = fopen(path, "w"));
		fputs(files[i][2], f);
		fclose(f);
	}
	snprintf(db_path, sizeof(db_path), "%s/app.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", db_path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A context on the database with a folder read (nothing injected). */
static strata *open_ctx(const char *folder)
{
	char mig[300];
	strata *ctx = NULL;

	snprintf(mig, sizeof(mig), "%s/%s", dir, folder);
	assert_int_equal(strata_open(&ctx, url), STRATA_OK);
	assert_int_equal(strata_add_dir(ctx, mig), STRATA_OK);
	return ctx;
}

/*
 * The database with its first 'applied' migrations, backups gone; with
 * 'note', the lock file holds the attempt of a runner that died while
 * applying that version.
 */
static void prepare(int applied, int note)
{
	char cmd[600];
	strata_run *run = NULL;
	strata *ctx;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/app.db* '%s'/backups", dir,
		 dir);
	assert_int_equal(system(cmd), 0);
	if (applied) {
		ctx = open_ctx("good");
		assert_int_equal(
			strata_up(ctx, applied, STRATA_NO_BACKUP, &run),
			STRATA_OK);
		strata_run_free(run);
		strata_close(ctx);
	}
	if (note) {
		char path[400];
		FILE *f;

		snprintf(path, sizeof(path), "%s.strata.lock", db_path);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f,
			"pid=999999 host=gone since=2026-01-01T00:00:00Z"
			" version=%d direction=up"
			" started_at=2026-01-01T00:00:00Z name=n%d\n",
			note, note);
		fclose(f);
	}
}

static int table_exists(sqlite3 *db, int k)
{
	char sql[100];
	sqlite3_stmt *st;
	int found;

	snprintf(sql, sizeof(sql),
		 "SELECT 1 FROM sqlite_master WHERE name = 't%d'", k);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* History rows of version v recorded as interrupted. */
static int interrupted(const strata_status *st, int64_t v)
{
	int n = 0;

	for (size_t i = 0; i < st->n_history; i++)
		n += st->history[i].id > 0 && st->history[i].version == v &&
		     st->history[i].error &&
		     !strcmp(st->history[i].error, "interrupted");
	return n;
}

/*
 * The applied migrations are 1..k for some k, each with its table and no
 * other; no dirty row; *n_interrupted as interrupted(note).  Returns k.
 */
static int whole_migrations(const char *folder, int note, int *n_interrupted,
			    size_t *n_modified)
{
	strata_status *st = NULL;
	strata *ctx = open_ctx(folder);
	sqlite3 *db;
	size_t k;

	assert_int_equal(strata_status_get(ctx, &st), STRATA_OK);
	assert_false(st->dirty);
	k = st->n_applied;
	for (size_t i = 0; i < k; i++)
		assert_int_equal(st->applied[i].version, (int64_t)i + 1);
	*n_interrupted = note ? interrupted(st, note) : 0;
	if (n_modified)
		*n_modified = st->n_modified;
	strata_status_free(st);
	strata_close(ctx);
	if (access(db_path, F_OK) != 0) {
		assert_int_equal(k, 0);
		return 0;
	}
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	for (int i = 1; i <= NFILES + 1; i++)
		assert_int_equal(table_exists(db, i), i <= (int)k);
	sqlite3_close(db);
	return (int)k;
}

enum op { OP_UP, OP_DOWN, OP_STATUS, OP_REPAIR };

struct scenario {
	enum op op;
	const char *folder;
	int applied; /* before */
	int note;    /* a dead runner's attempt of that version, or 0 */
	int fails;   /* the run fails by itself with this code */
};

static const char *op_name(enum op op)
{
	return op == OP_UP       ? "up"
	       : op == OP_DOWN   ? "down"
	       : op == OP_STATUS ? "status"
				 : "repair";
}

static int run_op(const struct scenario *sc, strata *ctx)
{
	strata_repair_result *rep = NULL;
	strata_status *st = NULL;
	strata_run *run = NULL;
	int rc;

	if (sc->op == OP_UP)
		rc = strata_up(ctx, STRATA_LATEST, 0, &run);
	else if (sc->op == OP_DOWN)
		rc = strata_down(ctx, STRATA_BASE, 0, 0, &run);
	else if (sc->op == OP_STATUS)
		rc = strata_status_get(ctx, &st);
	else
		rc = strata_repair(ctx, true, &rep);
	/* What a call returns is whole (a run's done items even if it failed).
	 */
	if (run) {
		for (size_t i = 0; i < run->n_done; i++)
			assert_non_null(run->done[i].name);
		if (rc == STRATA_OK)
			assert_false(run->failed);
	}
	if (st && rc == STRATA_OK) {
		for (size_t i = 0; i < st->n_applied; i++)
			assert_non_null(st->applied[i].name);
		for (size_t i = 0; i < st->n_pending; i++)
			assert_non_null(st->pending[i].name);
		for (size_t i = 0; i < st->n_history; i++) {
			assert_non_null(st->history[i].status);
			assert_non_null(st->history[i].direction);
		}
		if (sc->note)
			assert_non_null(
				st->lock_holder == NULL
					? st->history[st->n_history - 1].error
					: st->lock_holder);
	}
	if (rep && rc == STRATA_OK)
		for (size_t i = 0; i < rep->n_checksums; i++) {
			assert_non_null(rep->checksums[i].name);
			assert_non_null(rep->checksums[i].old_checksum);
			assert_non_null(rep->checksums[i].new_checksum);
		}
	if (rc == STRATA_OK && sc->op == OP_STATUS)
		assert_int_equal(st->n_applied, sc->applied);
	strata_run_free(run);
	strata_status_free(st);
	strata_repair_free(rep);
	return rc;
}

/* Run the scenario with allocation n failing; true when it happened. */
static int one_pass(const struct scenario *sc, long n)
{
	strata *ctx;
	int rc, hit, k, n_int, expect = sc->fails;
	size_t n_mod;

	prepare(sc->applied, sc->note);
	ctx = open_ctx(sc->folder);
	arm(n);
	rc = run_op(sc, ctx);
	hit = disarm();
	if (rc != expect && rc != STRATA_ENOMEM)
		fail_msg("%s with allocation %ld failing: rc %d: %s",
			 op_name(sc->op), n, rc, strata_errmsg(ctx));
	if (!hit)
		assert_int_equal(rc, expect);
	if (rc == STRATA_ENOMEM)
		assert_non_null(strstr(strata_errmsg(ctx), "memory"));
	strata_close(ctx);

	/* Whole migrations only, in the direction asked. */
	k = whole_migrations(sc->folder, sc->note, &n_int, NULL);
	assert_true(n_int <= 1);
	if (sc->op == OP_UP)
		assert_true(k >= sc->applied &&
			    (rc != STRATA_OK || k == NFILES));
	else if (sc->op == OP_DOWN)
		assert_true(k <= sc->applied && (rc != STRATA_OK || k == 0));
	else
		assert_int_equal(k, sc->applied);
	if (sc->op == OP_STATUS)
		return hit;

	/* Nothing is stuck: the job can be finished, the attempt recorded. */
	ctx = open_ctx(sc->folder);
	rc = run_op(sc, ctx);
	if (rc != expect)
		fail_msg("after allocation %ld failed: %s", n,
			 strata_errmsg(ctx));
	strata_close(ctx);
	k = whole_migrations(sc->folder, sc->note, &n_int, &n_mod);
	assert_int_equal(k, sc->op == OP_UP     ? NFILES
			    : sc->op == OP_DOWN ? 0
						: sc->applied);
	if (n_int != (sc->note ? 1 : 0))
		fail_msg("after allocation %ld failed: %d interrupted rows", n,
			 n_int);
	if (sc->op == OP_REPAIR)
		assert_int_equal(n_mod, 0);
	return hit;
}

static long every_allocation(const struct scenario *sc)
{
	long n = 1;

	while (one_pass(sc, n))
		n++;
	print_message("  %s (%s, %d applied, note %d): %ld allocations\n",
		      op_name(sc->op), sc->folder, sc->applied, sc->note,
		      n - 1);
	return n - 1;
}

static void test_up(void **state)
{
	(void)state;
	assert_true(every_allocation(
			    &(struct scenario){ OP_UP, "good", 0, 0, 0 }) > 10);
	assert_true(every_allocation(
			    &(struct scenario){ OP_UP, "good", 1, 0, 0 }) > 10);
	/* A dead runner's attempt is recorded first. */
	assert_true(every_allocation(
			    &(struct scenario){ OP_UP, "good", 1, 2, 0 }) > 10);
	/* The fourth migration fails: its failure is recorded. */
	assert_true(every_allocation(&(struct scenario){ OP_UP, "bad", 1, 0,
							 STRATA_ESQL }) > 10);
}

static void test_down(void **state)
{
	(void)state;
	assert_true(every_allocation(&(struct scenario){ OP_DOWN, "good",
							 NFILES, 0, 0 }) > 10);
}

static void test_status(void **state)
{
	(void)state;
	assert_true(every_allocation(&(struct scenario){ OP_STATUS, "good", 2,
							 0, 0 }) > 10);
	assert_true(every_allocation(&(struct scenario){ OP_STATUS, "good", 0,
							 0, 0 }) > 1);
	assert_true(every_allocation(&(struct scenario){ OP_STATUS, "good", 1,
							 2, 0 }) > 10);
}

static void test_repair(void **state)
{
	(void)state;
	assert_true(every_allocation(&(struct scenario){ OP_REPAIR, "mod", 2, 3,
							 0 }) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_repair),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
