/*
 * test_runner.c - up, down and redo over the fake engine (fake_engine.c),
 * failing at each of its methods in turn: the record the contract asks
 * for (SPEC sections 3 and 5), the first and most specific message, and
 * the earlier migrations kept.  Each case runs with both attempt
 * protocols (a server's running rows, a file engine's note).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_engine.h"
#include "strata.h"

#define S(x) x, sizeof(x) - 1

static const strata_migration three[] = {
	{ 1, "a", NULL, S("CREATE TABLE a1; CREATE TABLE a2;"),
	  S("DROP TABLE a2; DROP TABLE a1;"), 0, STRATA_MIGRATION_VERSION },
	{ 2, "b", NULL, S("CREATE TABLE b1;\nCREATE TABLE b2;"),
	  S("DROP TABLE b2;\nDROP TABLE b1;"), 0, STRATA_MIGRATION_VERSION },
	{ 3, "c", NULL, S("CREATE TABLE c1;"), S("DROP TABLE c1;"), 0,
	  STRATA_MIGRATION_VERSION },
};

static const strata_migration no_txn[] = {
	{ 1, "a", NULL, S("CREATE TABLE a1;"), S("DROP TABLE a1;"), 0,
	  STRATA_MIGRATION_VERSION },
	{ 2, "n", NULL, S("CREATE INDEX n1; CREATE INDEX n2;"),
	  S("DROP INDEX n2; DROP INDEX n1;"), STRATA_NO_TRANSACTION,
	  STRATA_MIGRATION_VERSION },
};

enum op { OP_UP, OP_DOWN2, OP_REDO };

struct outcome {
	int rc;
	char msg[600];
	char run_error[600];
	bool failed;
	int64_t failed_version;
};

/* A dead runner's note that could not be recorded stays for the next run. */
static bool note_may_stay;

/* Run op on a fresh context over the fake; nothing may stay open. */
static struct outcome run_op(enum op op, const strata_migration *m, size_t n)
{
	struct outcome o = { 0 };
	strata_run *run = NULL;
	strata *ctx = NULL;

	assert_int_equal(strata_open(&ctx, "fake://db"), STRATA_OK);
	strata_set_auto_backup(ctx, false);
	assert_int_equal(strata_add_migrations(ctx, m, n), STRATA_OK);
	if (op == OP_UP)
		o.rc = strata_up(ctx, STRATA_LATEST, 0, &run);
	else if (op == OP_DOWN2)
		o.rc = strata_down(ctx, STRATA_BASE, 2, 0, &run);
	else
		o.rc = strata_redo(ctx, 0, &run);
	snprintf(o.msg, sizeof(o.msg), "%s", strata_errmsg(ctx));
	if (run && run->failed) {
		o.failed = true;
		o.failed_version = run->failure.version;
		snprintf(o.run_error, sizeof(o.run_error), "%s", run->error);
	}
	strata_run_free(run);
	strata_close(ctx);
	assert_int_equal(fake.open_conns, 0);
	assert_int_equal(fake.locks_held, 0);
	assert_false(fake.in_txn);
	if (!note_may_stay) /* the attempt's note is cleared */
		assert_false(fake.note_present);
	return o;
}

static bool logged(const char *stmt)
{
	return strstr(fake.db.log, stmt) != NULL;
}

/* The newest history row of version v, or NULL. */
static const struct fake_hist *hist_of(int64_t v)
{
	for (size_t i = fake.db.n_hist; i-- > 0;)
		if (fake.db.hist[i].version == v)
			return &fake.db.hist[i];
	return NULL;
}

static void assert_has(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not hold '%s'", s, part);
}

/* ---- up: a failure in migration 2 of 3 ---------------------------------- */

struct up_case {
	enum fake_point point;
	int nth;            /* which call of point fails */
	int stmt;           /* exec: the statement that fails */
	bool implicit;      /* statements commit on their own */
	int only;           /* only for one protocol: 1 rows, 2 file; 0 both */
	const char *status; /* of migration 2's history row; NULL: none */
	const char *msg;
};

static const struct up_case up_cases[] = {
	{ FAKE_ATTEMPT_BEGIN, 2, 0, false, 0, NULL,
	  "fake: attempt_begin failed" },
	{ FAKE_SESSION_RESET, 1, 0, false, 0, NULL,
	  "fake: session_reset failed" },
	{ FAKE_BEGIN, 2, 0, false, 0, "failed", "fake: begin failed" },
	{ FAKE_EXEC, 2, 1, false, 0, "failed", "fake: statement 1 failed" },
	{ FAKE_EXEC, 2, 2, false, 0, "failed", "fake: statement 2 failed" },
	/* A statement had committed on its own before the failure: dirty. */
	{ FAKE_EXEC, 2, 2, true, 0, "dirty", "fake: statement 2 failed" },
	/* ... but not when the very first one failed. */
	{ FAKE_EXEC, 2, 1, true, 0, "failed", "fake: statement 1 failed" },
	{ FAKE_MIGRATION_CHECK, 2, 0, false, 0, "failed",
	  "fake: migration_check failed" },
	{ FAKE_INSERT_APPLIED, 2, 0, false, 0, "failed",
	  "fake: insert_applied failed" },
	{ FAKE_HISTORY_FINISH, 2, 0, false, 1, "failed",
	  "fake: history_finish failed" },
	{ FAKE_HISTORY_INSERT, 2, 0, false, 2, "failed",
	  "fake: history_insert failed" },
	{ FAKE_COMMIT, 2, 0, false, 0, "failed", "fake: commit failed" },
};

static void check_up_case(const struct up_case *uc, bool rows)
{
	struct outcome o;
	const struct fake_hist *h;

	fake_reset(rows);
	fake.fail_at[uc->point] = uc->nth;
	fake.fail_stmt = uc->stmt;
	fake.implicit = uc->implicit;
	o = run_op(OP_UP, three, 3);
	print_message("  %s #%d stmt %d%s (%s)\n", fake_point_name(uc->point),
		      uc->nth, uc->stmt, uc->implicit ? " implicit" : "",
		      rows ? "rows" : "file");

	assert_int_not_equal(o.rc, STRATA_OK);
	assert_has(o.msg, uc->msg);
	assert_true(o.failed == (uc->status != NULL));
	/* Migration 1 stays applied, 2 is not, 3 never ran. */
	assert_non_null(fake_applied_row(1));
	assert_null(fake_applied_row(2));
	assert_null(fake_applied_row(3));
	assert_true(logged("CREATE TABLE a2"));
	assert_false(logged("CREATE TABLE c1"));
	assert_string_equal(hist_of(1)->status, "success");
	h = hist_of(2);
	if (!uc->status) { /* the attempt never started */
		assert_null(h);
		assert_false(logged("b1"));
		return;
	}
	assert_non_null(h);
	assert_string_equal(h->status, uc->status);
	assert_string_equal(h->direction, "up");
	/* The engine's message, as the run reports it. */
	assert_string_equal(h->error, o.msg);
	assert_string_equal(o.run_error, o.msg);
	assert_int_equal(o.failed_version, 2);
	assert_has(o.msg, "embedded migration 2_b:");
	/* Rolled back, unless a statement had committed on its own. */
	assert_true(logged("CREATE TABLE b1") == !strcmp(uc->status, "dirty"));
	assert_false(logged("CREATE TABLE b2"));
	if (uc->point == FAKE_EXEC)
		assert_int_equal(h->statements_done, uc->stmt - 1);
	/* Only one history row for migration 2. */
	assert_int_equal(fake.db.n_hist, 2);
}

static void test_up_every_failure_point(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(up_cases) / sizeof(up_cases[0]); i++) {
		if (up_cases[i].only != 2)
			check_up_case(&up_cases[i], true);
		if (up_cases[i].only != 1)
			check_up_case(&up_cases[i], false);
	}
	fake_done();
}

/* The rollback's own failure does not replace the migration's message. */
static void test_up_rollback_failure_keeps_first_message(void **state)
{
	struct outcome o;

	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		fake_reset(rows);
		fake.fail_at[FAKE_EXEC] = 2;
		fake.fail_stmt = 2;
		fake.fail_at[FAKE_ROLLBACK] = 1;
		o = run_op(OP_UP, three, 3);
		assert_int_equal(o.rc, STRATA_ESQL);
		assert_has(o.msg, "fake: statement 2 failed");
		assert_null(strstr(o.msg, "rollback"));
		assert_int_equal(fake.calls[FAKE_ROLLBACK], 1);
		assert_string_equal(hist_of(2)->status, "failed");
		assert_string_equal(hist_of(2)->error, o.msg);
	}
	fake_done();
}

/* A dirty run refuses the next one, which writes nothing. */
static void test_up_dirty_then_refused(void **state)
{
	struct fake_db before;
	struct outcome o;

	(void)state;
	fake_reset(true);
	fake.fail_at[FAKE_EXEC] = 2;
	fake.fail_stmt = 2;
	fake.implicit = true;
	o = run_op(OP_UP, three, 3);
	assert_int_equal(o.rc, STRATA_ESQL);
	assert_string_equal(hist_of(2)->status, "dirty");

	fake_rearm();
	memcpy(&before, &fake.db, sizeof(before));
	o = run_op(OP_UP, three, 3);
	assert_int_equal(o.rc, STRATA_EDIRTY);
	assert_has(o.msg, "dirty");
	assert_false(o.failed);
	assert_memory_equal(&before, &fake.db, sizeof(before));
	assert_int_equal(fake.calls[FAKE_EXEC], 0);
	assert_int_equal(fake.calls[FAKE_ATTEMPT_BEGIN], 0);
	fake_done();
}

/* A no-transaction migration: each statement commits on its own. */
static void test_up_no_transaction(void **state)
{
	struct outcome o;

	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		fake_reset(rows);
		fake.fail_at[FAKE_EXEC] = 2;
		fake.fail_stmt = 2;
		o = run_op(OP_UP, no_txn, 2);
		assert_int_equal(o.rc, STRATA_ESQL);
		assert_string_equal(hist_of(2)->status, "dirty");
		assert_true(logged("CREATE INDEX n1"));
		assert_null(fake_applied_row(2));

		fake_reset(rows);
		fake.fail_at[FAKE_EXEC] = 2;
		fake.fail_stmt = 1;
		o = run_op(OP_UP, no_txn, 2);
		assert_string_equal(hist_of(2)->status, "failed");
		assert_false(logged("CREATE INDEX n1"));

		/* It worked, but its record could not be committed. */
		fake_reset(rows);
		fake.fail_at[FAKE_COMMIT] = 2;
		o = run_op(OP_UP, no_txn, 2);
		assert_has(o.msg, "fake: commit failed");
		assert_string_equal(hist_of(2)->status, "dirty");
		assert_null(fake_applied_row(2));
	}
	fake_done();
}

/* ---- refusals before any migration starts: nothing written -------------- */

static void refused(bool rows, int expect_rc, const char *msg)
{
	struct fake_db before;
	struct outcome o;

	memcpy(&before, &fake.db, sizeof(before));
	o = run_op(OP_UP, three, 3);
	assert_int_equal(o.rc, expect_rc);
	assert_has(o.msg, msg);
	assert_false(o.failed);
	assert_memory_equal(&before, &fake.db, sizeof(before));
	assert_int_equal(fake.calls[FAKE_ATTEMPT_BEGIN], 0);
	assert_int_equal(fake.calls[FAKE_EXEC], 0);
	(void)rows;
}

static void test_refusals_write_nothing(void **state)
{
	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		fake_reset(rows);
		fake.fail_at[FAKE_LOCK] = 1;
		refused(rows, STRATA_ELOCKED, "fake: lock wait timed out");

		fake_reset(rows);
		fake.fail_at[FAKE_CONNECT] = 1;
		refused(rows, STRATA_ERROR, "fake: cannot connect");

		fake_reset(rows);
		fake.fail_at[FAKE_CONNECT] = 2; /* the locked session's */
		refused(rows, STRATA_ERROR, "fake: cannot connect");

		fake_reset(rows);
		fake_add_hist(1, "a", "up", "dirty");
		refused(rows, STRATA_EDIRTY, "the database is dirty");

		fake_reset(rows);
		fake_add_applied(1, "a", "0000", "DROP TABLE a2;");
		fake_add_hist(1, "a", "up", "success");
		refused(rows, STRATA_ECHECKSUM, "1_a");
	}
	fake_done();
}

/* ---- down and redo ------------------------------------------------------ */

/* All three applied, counts cleared. */
static void applied_three(bool rows)
{
	fake_reset(rows);
	assert_int_equal(run_op(OP_UP, three, 3).rc, STRATA_OK);
	assert_int_equal(fake.db.n_applied, 3);
	fake_rearm();
}

struct down_case {
	enum fake_point point;
	int nth;
	int stmt;
	bool implicit;
	int only;
	const char *status;
	const char *msg;
};

/* 'down --steps 2': 3 goes, then 2 fails. */
static const struct down_case down_cases[] = {
	{ FAKE_ATTEMPT_BEGIN, 2, 0, false, 0, NULL,
	  "fake: attempt_begin failed" },
	{ FAKE_BEGIN, 2, 0, false, 0, "failed", "fake: begin failed" },
	{ FAKE_EXEC, 2, 2, false, 0, "failed", "fake: statement 2 failed" },
	{ FAKE_EXEC, 2, 2, true, 0, "dirty", "fake: statement 2 failed" },
	{ FAKE_MIGRATION_CHECK, 2, 0, false, 0, "failed",
	  "fake: migration_check failed" },
	{ FAKE_DELETE_APPLIED, 2, 0, false, 0, "failed",
	  "fake: delete_applied failed" },
	{ FAKE_HISTORY_FINISH, 2, 0, false, 1, "failed",
	  "fake: history_finish failed" },
	{ FAKE_HISTORY_INSERT, 2, 0, false, 2, "failed",
	  "fake: history_insert failed" },
	{ FAKE_COMMIT, 2, 0, false, 0, "failed", "fake: commit failed" },
};

static void check_down_case(const struct down_case *dc, bool rows)
{
	const struct fake_hist *h;
	struct outcome o;
	size_t n_hist;

	applied_three(rows);
	n_hist = fake.db.n_hist;
	fake.fail_at[dc->point] = dc->nth;
	fake.fail_stmt = dc->stmt;
	fake.implicit = dc->implicit;
	o = run_op(OP_DOWN2, three, 3);
	assert_int_not_equal(o.rc, STRATA_OK);
	assert_has(o.msg, dc->msg);
	/* 3 was rolled back, 2 stays applied, 1 untouched. */
	assert_null(fake_applied_row(3));
	assert_non_null(fake_applied_row(2));
	assert_non_null(fake_applied_row(1));
	assert_true(logged("DROP TABLE c1"));
	assert_string_equal(hist_of(3)->direction, "down");
	assert_string_equal(hist_of(3)->status, "success");
	h = hist_of(2);
	if (!dc->status) {
		assert_string_equal(h->direction, "up"); /* its old row */
		assert_int_equal(fake.db.n_hist, n_hist + 1);
		return;
	}
	assert_string_equal(h->direction, "down");
	assert_string_equal(h->status, dc->status);
	assert_string_equal(h->error, o.msg);
	assert_string_equal(o.run_error, o.msg);
	assert_int_equal(o.failed_version, 2);
	assert_true(logged("DROP TABLE b2") == !strcmp(dc->status, "dirty"));
	assert_false(logged("DROP TABLE b1"));
	assert_int_equal(fake.db.n_hist, n_hist + 2);
}

static void test_down_every_failure_point(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(down_cases) / sizeof(down_cases[0]);
	     i++) {
		if (down_cases[i].only != 2)
			check_down_case(&down_cases[i], true);
		if (down_cases[i].only != 1)
			check_down_case(&down_cases[i], false);
	}
	fake_done();
}

static void test_redo_failures(void **state)
{
	struct outcome o;

	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		/* The down fails: 3 stays applied, the up never runs. */
		applied_three(rows);
		fake.fail_at[FAKE_EXEC] = 1;
		o = run_op(OP_REDO, three, 3);
		assert_int_equal(o.rc, STRATA_ESQL);
		assert_has(o.msg, "fake: statement 1 failed");
		assert_non_null(fake_applied_row(3));
		assert_int_equal(fake.calls[FAKE_EXEC], 1);
		assert_string_equal(hist_of(3)->direction, "down");
		assert_string_equal(hist_of(3)->status, "failed");
		assert_false(logged("DROP TABLE c1"));

		/* The up fails: the down stays, 3 is not applied. */
		applied_three(rows);
		fake.fail_at[FAKE_EXEC] = 2;
		o = run_op(OP_REDO, three, 3);
		assert_int_equal(o.rc, STRATA_ESQL);
		assert_null(fake_applied_row(3));
		assert_non_null(fake_applied_row(2));
		assert_string_equal(hist_of(3)->direction, "up");
		assert_string_equal(hist_of(3)->status, "failed");
		assert_string_equal(hist_of(3)->error, o.msg);
		assert_true(logged("DROP TABLE c1"));

		/* The session reset between the two fails: nothing of the up.
		 */
		applied_three(rows);
		fake.fail_at[FAKE_SESSION_RESET] = 1;
		o = run_op(OP_REDO, three, 3);
		assert_has(o.msg, "fake: session_reset failed");
		assert_null(fake_applied_row(3));
		assert_string_equal(hist_of(3)->direction, "down");
		assert_string_equal(hist_of(3)->status, "success");

		/* And it works. */
		applied_three(rows);
		o = run_op(OP_REDO, three, 3);
		assert_int_equal(o.rc, STRATA_OK);
		assert_non_null(fake_applied_row(3));
		assert_int_equal(fake.calls[FAKE_COMMIT], 2);
	}
	fake_done();
}

/* ---- a dead runner's attempt ------------------------------------------- */

/* Migration 1 applied, and a runner died in migration 2. */
static void dead_in_two(bool rows, bool implicit)
{
	fake_reset(rows);
	assert_int_equal(run_op(OP_UP, three, 1).rc, STRATA_OK);
	fake_rearm();
	if (rows) {
		fake_add_hist(2, "b", "up", "running");
		if (implicit)
			fake.db.hist[fake.db.n_hist - 1].statements_done = 1;
	} else {
		fake.note_present = true;
		fake.note_version = 2;
		snprintf(fake.note_name, sizeof(fake.note_name), "b");
		fake.note_direction = STRATA_UP;
	}
}

static void test_dead_attempt_recorded(void **state)
{
	const struct fake_hist *h;
	struct outcome o;
	int n;

	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		/* Recorded failed/interrupted, then the run goes on. */
		dead_in_two(rows, false);
		o = run_op(OP_UP, three, 3);
		assert_int_equal(o.rc, STRATA_OK);
		assert_int_equal(fake.db.n_applied, 3);
		n = 0;
		for (size_t i = 0; i < fake.db.n_hist; i++)
			if (fake.db.hist[i].version == 2 &&
			    !strcmp(fake.db.hist[i].error, "interrupted")) {
				assert_string_equal(fake.db.hist[i].status,
						    "failed");
				n++;
			}
		assert_int_equal(n, 1);
		assert_string_equal(hist_of(2)->status, "success");

		/* Recording it fails: nothing runs, the record stays. */
		dead_in_two(rows, false);
		fake.fail_at[rows ? FAKE_HISTORY_FINISH : FAKE_HISTORY_INSERT] =
			1;
		note_may_stay = true;
		o = run_op(OP_UP, three, 3);
		note_may_stay = false;
		assert_int_not_equal(o.rc, STRATA_OK);
		assert_int_equal(fake.calls[FAKE_EXEC], 0);
		assert_null(fake_applied_row(2));
		if (!rows) {
			assert_true(fake.note_present);
			assert_int_equal(fake.db.n_hist, 1);
		} else {
			h = hist_of(2);
			assert_string_equal(h->status, "running");
		}

		/* Its runner is alive: the run waits its turn (lock). */
		dead_in_two(rows, false);
		fake.other_holder = true;
		fake.fail_at[FAKE_LOCK] = 1;
		note_may_stay = true;
		o = run_op(OP_UP, three, 3);
		note_may_stay = false;
		assert_int_equal(o.rc, STRATA_ELOCKED);
		assert_int_equal(fake.calls[FAKE_EXEC], 0);
		assert_null(hist_of(2) ? strstr(hist_of(2)->error, "interr")
				       : NULL);
	}
	/* A server attempt that had committed a statement: dirty. */
	dead_in_two(true, true);
	o = run_op(OP_UP, three, 3);
	assert_int_equal(o.rc, STRATA_EDIRTY);
	assert_string_equal(hist_of(2)->status, "dirty");
	assert_string_equal(hist_of(2)->error, "interrupted");
	assert_null(fake_applied_row(2));
	assert_int_equal(fake.calls[FAKE_EXEC], 0);
	fake_done();
}

/* The happy path: one commit per migration, the lock taken once. */
static void test_up_counts(void **state)
{
	struct outcome o;

	(void)state;
	for (int rows = 0; rows < 2; rows++) {
		fake_reset(rows);
		o = run_op(OP_UP, three, 3);
		assert_int_equal(o.rc, STRATA_OK);
		assert_int_equal(fake.calls[FAKE_COMMIT], 3);
		assert_int_equal(fake.calls[FAKE_BEGIN], 3);
		assert_int_equal(fake.calls[FAKE_ROLLBACK], 0);
		assert_int_equal(fake.calls[FAKE_LOCK], 1);
		assert_int_equal(fake.calls[FAKE_UNLOCK], 1);
		assert_int_equal(fake.calls[FAKE_SESSION_RESET], 2);
		assert_int_equal(fake.calls[FAKE_ATTEMPT_BEGIN], 3);
		assert_int_equal(fake.db.n_applied, 3);
		assert_int_equal(fake.db.n_hist, 3);
		for (size_t i = 0; i < 3; i++)
			assert_string_equal(fake.db.hist[i].status, "success");

		/* Nothing pending: no lock, no write. */
		fake_rearm();
		o = run_op(OP_UP, three, 3);
		assert_int_equal(o.rc, STRATA_OK);
		assert_int_equal(fake.calls[FAKE_LOCK], 0);
		assert_int_equal(fake.db.n_hist, 3);
	}
	fake_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_counts),
		cmocka_unit_test(test_up_every_failure_point),
		cmocka_unit_test(test_up_rollback_failure_keeps_first_message),
		cmocka_unit_test(test_up_dirty_then_refused),
		cmocka_unit_test(test_up_no_transaction),
		cmocka_unit_test(test_refusals_write_nothing),
		cmocka_unit_test(test_down_every_failure_point),
		cmocka_unit_test(test_redo_failures),
		cmocka_unit_test(test_dead_attempt_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
