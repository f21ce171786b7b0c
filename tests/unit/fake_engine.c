/*
 * fake_engine.c - an engine that keeps its "database" in memory (applied
 * rows, history rows, the attempt's note, a log of the statements that
 * ran), counts the calls of each method and fails on demand at each of
 * them, so the runner's contract (SPEC sections 3 and 5) can be tested at
 * every failure point without a server.
 *
 * How the runner finds it: src/engine.c has a test-only hook,
 * engine_register_test(), compiled in always but called only by tests.
 * Once a test registers this engine, url_parse() accepts its scheme
 * ("fake://db", through engine_test_scheme()) and engine_find() returns
 * it for the name "fake"; nothing else changes, and the CLI never
 * registers anything, so it accepts no such URL.
 *
 * The tracking statements reach it as the SQL text track.c writes (with
 * the names of its tracking_name: "<prefix>_migrations"), and the fake
 * interprets each shape it knows; any other query fails with "fake:
 * unsupported query", so a new tracking statement shows up here first.
 *
 * Transactions: begin snapshots the database, rollback restores the
 * snapshot, commit drops it.  With fake.implicit (or a no-transaction
 * migration) every statement commits on its own, as MySQL DDL does: the
 * transaction ends and exec reports implicit_commit.
 */
#include "fake_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct fake fake;

static const char *const point_names[FAKE_NPOINTS] = {
	[FAKE_CONNECT] = "connect",
	[FAKE_LOCK] = "lock",
	[FAKE_ATTEMPT_BEGIN] = "attempt_begin",
	[FAKE_ATTEMPT_END] = "attempt_end",
	[FAKE_BEGIN] = "begin",
	[FAKE_EXEC] = "exec",
	[FAKE_MIGRATION_CHECK] = "migration_check",
	[FAKE_INSERT_APPLIED] = "insert_applied",
	[FAKE_DELETE_APPLIED] = "delete_applied",
	[FAKE_HISTORY_INSERT] = "history_insert",
	[FAKE_HISTORY_FINISH] = "history_finish",
	[FAKE_COMMIT] = "commit",
	[FAKE_ROLLBACK] = "rollback",
	[FAKE_SESSION_RESET] = "session_reset",
	[FAKE_UNLOCK] = "unlock",
};

const char *fake_point_name(enum fake_point p)
{
	return point_names[p];
}

/* Count a call of p; true when this call is the one to fail. */
static bool hit(enum fake_point p)
{
	fake.calls[p]++;
	return fake.fail_at[p] && fake.calls[p] == fake.fail_at[p];
}

static int fail(struct engine_conn *c, enum fake_point p)
{
	return err_set(c->ctx, STRATA_ESQL, "fake: %s failed",
		       fake_point_name(p));
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* ---- connection, lock, transactions ------------------------------------- */

static int fk_exists(strata *ctx, const struct strata_url *url, bool *out)
{
	(void)ctx;
	(void)url;
	*out = true;
	return STRATA_OK;
}

static int fk_connect(struct engine_conn **out, strata *ctx,
		      const struct strata_url *url, enum connect_mode mode)
{
	struct engine_conn *c;

	(void)url;
	(void)mode;
	*out = NULL;
	fake.calls[FAKE_CONNECT]++;
	if (fake.fail_at[FAKE_CONNECT] &&
	    fake.calls[FAKE_CONNECT] == fake.fail_at[FAKE_CONNECT])
		return err_set(ctx, STRATA_ERROR, "fake: cannot connect");
	if (!(c = calloc(1, sizeof(*c))))
		return err_oom(ctx);
	c->eng = fake.rows ? &fake_rows_engine : &fake_file_engine;
	c->ctx = ctx;
	fake.open_conns++;
	*out = c;
	return STRATA_OK;
}

static void fk_close(struct engine_conn *c)
{
	if (!c)
		return;
	if (fake.in_txn) { /* a server rolls back a dropped session */
		fake.db = fake.snap;
		fake.in_txn = false;
	}
	fake.open_conns--;
	free(c);
}

static int fk_lock(struct engine_conn *c, int timeout_s)
{
	if (hit(FAKE_LOCK))
		return err_set(c->ctx, STRATA_ELOCKED,
			       "fake: lock wait timed out after %d s",
			       timeout_s);
	fake.locks_held++;
	return STRATA_OK;
}

static void fk_unlock(struct engine_conn *c)
{
	(void)c;
	fake.calls[FAKE_UNLOCK]++;
	fake.locks_held--;
}

static int fk_begin(struct engine_conn *c)
{
	if (hit(FAKE_BEGIN))
		return fail(c, FAKE_BEGIN);
	if (fake.in_txn)
		return err_set(c->ctx, STRATA_ESQL,
			       "fake: begin inside a transaction");
	fake.snap = fake.db;
	fake.in_txn = true;
	return STRATA_OK;
}

static int fk_commit(struct engine_conn *c)
{
	if (hit(FAKE_COMMIT))
		return fail(c, FAKE_COMMIT);
	if (!fake.in_txn)
		return err_set(c->ctx, STRATA_ESQL,
			       "fake: commit outside a transaction");
	fake.in_txn = false;
	return STRATA_OK;
}

static int fk_rollback(struct engine_conn *c)
{
	bool failing = hit(FAKE_ROLLBACK);

	if (fake.in_txn) {
		fake.db = fake.snap;
		fake.in_txn = false;
	}
	return failing ? fail(c, FAKE_ROLLBACK) : STRATA_OK;
}

static int fk_session_reset(struct engine_conn *c)
{
	return hit(FAKE_SESSION_RESET) ? fail(c, FAKE_SESSION_RESET)
				       : STRATA_OK;
}

static int fk_migration_check(struct engine_conn *c, const char *prefix)
{
	(void)prefix;
	return hit(FAKE_MIGRATION_CHECK) ? fail(c, FAKE_MIGRATION_CHECK)
					 : STRATA_OK;
}

/* A statement that completed commits on its own (MySQL DDL). */
static void implicit_commit(struct exec_info *info)
{
	fake.in_txn = false; /* the transaction ended with it */
	if (info->implicit_commit)
		return;
	info->implicit_commit = true;
	if (info->on_commit)
		info->on_commit(info->arg, info->statements_done);
}

/* Statements are split at ';'; the failing call fails at fake.fail_stmt. */
static int fk_exec(struct engine_conn *c, const char *sql, size_t len,
		   unsigned flags, struct exec_info *info)
{
	bool failing = hit(FAKE_EXEC);
	int fail_stmt = fake.fail_stmt > 0 ? fake.fail_stmt : 1;
	size_t i = 0;

	info->statements_done = 0;
	info->err_off = -1;
	info->implicit_commit = false;
	while (i < len) {
		size_t start, end;

		while (i < len && (sql[i] == ' ' || sql[i] == '\n' ||
				   sql[i] == '\t' || sql[i] == '\r'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && sql[i] != ';')
			i++;
		end = i;
		if (i < len)
			i++;
		if (failing && info->statements_done + 1 == fail_stmt) {
			info->err_off = (long)start;
			return err_set(c->ctx, STRATA_ESQL,
				       "fake: statement %d failed", fail_stmt);
		}
		size_t used = strlen(fake.db.log);
		snprintf(fake.db.log + used, sizeof(fake.db.log) - used,
			 "%.*s\n", (int)(end - start), sql + start);
		info->statements_done++;
		if (fake.implicit || (flags & STRATA_NO_TRANSACTION))
			implicit_commit(info);
	}
	if (failing) /* fewer statements than fail_stmt: fail at the end */
		return err_set(c->ctx, STRATA_ESQL, "fake: statement %d failed",
			       fail_stmt);
	return STRATA_OK;
}

/* ---- tracking tables ---------------------------------------------------- */

static void fk_tracking_name(struct engine_conn *c, const char *prefix,
			     const char *table, struct sb *out)
{
	(void)c;
	sb_addf(out, "%s_%s", prefix, table);
}

static int fk_tracking_exists(struct engine_conn *c, const char *prefix,
			      bool *out)
{
	(void)c;
	(void)prefix;
	*out = fake.db.tables;
	return STRATA_OK;
}

static int fk_tracking_create(struct engine_conn *c, const char *prefix)
{
	(void)c;
	(void)prefix;
	fake.db.tables = true;
	return STRATA_OK;
}

static const char *ptext(const struct sql_param *p, int np, int i)
{
	return i < np && p[i].type == P_TEXT ? p[i].s : NULL;
}

static int64_t pint(const struct sql_param *p, int np, int i)
{
	return i < np && p[i].type == P_INT ? p[i].i : -1;
}

static bool starts(const char *s, const char *with)
{
	return !strncmp(s, with, strlen(with));
}

static int hist_push(struct engine_conn *c, int64_t version, const char *name,
		     const char *direction, const char *status,
		     long statements_done, const char *error, int64_t *id)
{
	struct fake_hist *h;

	if (fake.db.n_hist == FAKE_MAX_HISTORY)
		return err_set(c->ctx, STRATA_ESQL, "fake: history full");
	h = &fake.db.hist[fake.db.n_hist++];
	memset(h, 0, sizeof(*h));
	h->id = ++fake.db.next_id;
	h->version = version;
	copy(h->name, sizeof(h->name), name);
	copy(h->direction, sizeof(h->direction), direction);
	copy(h->status, sizeof(h->status), status);
	copy(h->error, sizeof(h->error), error);
	h->statements_done = statements_done;
	if (id)
		*id = h->id;
	return STRATA_OK;
}

static struct fake_hist *hist_by_id(int64_t id)
{
	for (size_t i = 0; i < fake.db.n_hist; i++)
		if (fake.db.hist[i].id == id)
			return &fake.db.hist[i];
	return NULL;
}

static struct fake_applied *applied_by_version(int64_t v)
{
	for (size_t i = 0; i < fake.db.n_applied; i++)
		if (fake.db.applied[i].version == v)
			return &fake.db.applied[i];
	return NULL;
}

/* Up to 12 columns of one history row, as track.c's SELECTs name them. */
static int hist_cols(const struct fake_hist *h, const char *const *names, int n,
		     row_fn fn, void *payload)
{
	char id[24], ver[24], stm[24];
	const char *v[12];

	snprintf(id, sizeof(id), "%" PRId64, h->id);
	snprintf(ver, sizeof(ver), "%" PRId64, h->version);
	snprintf(stm, sizeof(stm), "%ld", h->statements_done);
	for (int i = 0; i < n; i++) {
		const char *k = names[i];
		v[i] = !strcmp(k, "id")           ? id
		       : !strcmp(k, "version")    ? ver
		       : !strcmp(k, "name")       ? h->name
		       : !strcmp(k, "direction")  ? h->direction
		       : !strcmp(k, "status")     ? h->status
		       : !strcmp(k, "started_at") ? "2026-01-01T00:00:00Z"
		       : !strcmp(k, "statements_done")
			       ? (h->statements_done >= 0 ? stm : NULL)
		       : !strcmp(k, "error") ? (h->error[0] ? h->error : NULL)
		       : !strcmp(k, "applied_by") ? "fake@host"
						  : NULL;
	}
	return fn(payload, n, v);
}

/* Every applied row: all the columns, or (plan_only) version, name, checksum.
 */
static int select_applied(row_fn fn, void *payload, bool plan_only)
{
	for (size_t i = 0; i < fake.db.n_applied; i++) {
		const struct fake_applied *a = &fake.db.applied[i];
		char ver[24];
		const char *v[7] = { ver,
				     a->name,
				     NULL,
				     a->checksum,
				     "2026-01-01T00:00:00Z",
				     "0",
				     "fake@host" };

		const char *plan[3] = { ver, a->name, a->checksum };

		snprintf(ver, sizeof(ver), "%" PRId64, a->version);
		if (plan_only ? fn(payload, 3, plan) : fn(payload, 7, v))
			break;
	}
	return STRATA_OK;
}

static int insert_applied(struct engine_conn *c, const struct sql_param *p,
			  int np)
{
	struct fake_applied *a;

	if (hit(FAKE_INSERT_APPLIED))
		return fail(c, FAKE_INSERT_APPLIED);
	if (applied_by_version(pint(p, np, 0)))
		return err_set(c->ctx, STRATA_ESQL, "fake: duplicate version");
	if (fake.db.n_applied == FAKE_MAX_APPLIED)
		return err_set(c->ctx, STRATA_ESQL, "fake: applied full");
	a = &fake.db.applied[fake.db.n_applied++];
	memset(a, 0, sizeof(*a));
	a->version = pint(p, np, 0);
	copy(a->name, sizeof(a->name), ptext(p, np, 1));
	copy(a->checksum, sizeof(a->checksum), ptext(p, np, 3));
	a->has_down = ptext(p, np, 9) != NULL;
	copy(a->down, sizeof(a->down), ptext(p, np, 9));
	return STRATA_OK;
}

static int delete_applied(struct engine_conn *c, int64_t version)
{
	struct fake_applied *a;

	if (hit(FAKE_DELETE_APPLIED))
		return fail(c, FAKE_DELETE_APPLIED);
	if ((a = applied_by_version(version))) {
		size_t i = (size_t)(a - fake.db.applied);
		memmove(a, a + 1,
			(fake.db.n_applied - i - 1) * sizeof(*fake.db.applied));
		fake.db.n_applied--;
	}
	return STRATA_OK;
}

static int fk_query(struct engine_conn *c, const char *sql,
		    const struct sql_param *p, int np, row_fn fn, void *payload)
{
	static const char *const peek_cols[] = {
		"id",         "version",         "name",  "direction",
		"started_at", "statements_done", "status"
	};
	static const char *const hist_all[] = {
		"id",         "version",   "name", "direction",       "status",
		"started_at", "-",         "-",    "statements_done", "error",
		"-",          "applied_by"
	};
	bool mig = strstr(sql, "_migrations") != NULL;

	if (starts(sql, "SELECT version, name, description, checksum") && mig)
		return select_applied(fn, payload, false);
	if (starts(sql, "SELECT version, name, checksum") && mig)
		return select_applied(fn, payload, true);
	if (starts(sql, "INSERT INTO") && mig)
		return insert_applied(c, p, np);
	if (starts(sql, "DELETE FROM") && mig)
		return delete_applied(c, pint(p, np, 0));
	if (starts(sql, "UPDATE") && mig) {
		struct fake_applied *a = applied_by_version(pint(p, np, 5));
		if (a) {
			copy(a->checksum, sizeof(a->checksum), ptext(p, np, 0));
			a->has_down = ptext(p, np, 4) != NULL;
			copy(a->down, sizeof(a->down), ptext(p, np, 4));
		}
		return STRATA_OK;
	}
	if (starts(sql, "SELECT down_sql") && mig) {
		struct fake_applied *a = applied_by_version(pint(p, np, 0));
		const char *v[1];
		if (a) {
			v[0] = a->has_down ? a->down : NULL;
			fn(payload, 1, v);
		}
		return STRATA_OK;
	}
	if (starts(sql, "INSERT INTO") && strstr(sql, "VALUES")) {
		if (hit(FAKE_HISTORY_INSERT))
			return fail(c, FAKE_HISTORY_INSERT);
		return hist_push(c, pint(p, np, 0), ptext(p, np, 1),
				 ptext(p, np, 2), ptext(p, np, 3),
				 (long)pint(p, np, 7), ptext(p, np, 8), NULL);
	}
	if (starts(sql, "UPDATE") && strstr(sql, "SET status = ?,")) {
		struct fake_hist *h = hist_by_id(pint(p, np, 6));
		if (hit(FAKE_HISTORY_FINISH))
			return fail(c, FAKE_HISTORY_FINISH);
		if (h) {
			copy(h->status, sizeof(h->status), ptext(p, np, 0));
			h->statements_done = (long)pint(p, np, 3);
			copy(h->error, sizeof(h->error), ptext(p, np, 4));
		}
		return STRATA_OK;
	}
	if (starts(sql, "UPDATE") && strstr(sql, "SET statements_done = ?")) {
		struct fake_hist *h = hist_by_id(pint(p, np, 1));
		if (h)
			h->statements_done = (long)pint(p, np, 0);
		return STRATA_OK;
	}
	if (starts(sql, "UPDATE") && strstr(sql, "SET status = 'failed'")) {
		for (size_t i = 0; i < fake.db.n_hist; i++)
			if (!strcmp(fake.db.hist[i].status, "dirty"))
				copy(fake.db.hist[i].status,
				     sizeof(fake.db.hist[i].status), "failed");
		return STRATA_OK;
	}
	/* Every SELECT of history rows: newest first. */
	bool dirty_only = starts(sql, "SELECT version FROM");
	bool running_only = strstr(sql, "status = 'running'") != NULL;
	bool open = strstr(sql, "status IN ('running', 'dirty')") != NULL;
	bool all = starts(sql, "SELECT id, version, name, direction, status,");
	int64_t limit = all && np ? pint(p, np, 0) : -1;
	if (!dirty_only && !running_only && !open && !all)
		return err_set(c->ctx, STRATA_ESQL,
			       "fake: unsupported query: %.70s", sql);
	for (size_t i = fake.db.n_hist; i-- > 0 && limit != 0;) {
		const struct fake_hist *h = &fake.db.hist[i];
		bool is_dirty = !strcmp(h->status, "dirty");
		bool is_running = !strcmp(h->status, "running");
		int stop;

		if ((dirty_only && !is_dirty) ||
		    (running_only && !is_running) ||
		    (open && !is_dirty && !is_running))
			continue;
		if (dirty_only)
			stop = hist_cols(h, (const char *const[]){ "version" },
					 1, fn, payload);
		else if (all)
			stop = hist_cols(h, hist_all, 12, fn, payload);
		else
			stop = hist_cols(h, peek_cols, open ? 7 : 6, fn,
					 payload);
		if (limit > 0)
			limit--;
		if (stop)
			break;
	}
	return STRATA_OK;
}

/* ---- the attempt protocols ---------------------------------------------- */

/* As a server engine: the reset, the committed row, then the BEGIN. */
static int fk_insert_id(struct engine_conn *c, const char *sql,
			const struct sql_param *p, int np, unsigned how,
			int64_t *id)
{
	int rc = (how & ATTEMPT_RESET) ? fk_session_reset(c) : STRATA_OK;

	(void)sql;
	if (rc)
		return rc;
	if (hit(FAKE_ATTEMPT_BEGIN))
		return fail(c, FAKE_ATTEMPT_BEGIN);
	if (fake.in_txn)
		return err_set(c->ctx, STRATA_ESQL,
			       "fake: running row inside a transaction");
	rc = hist_push(c, pint(p, np, 0), ptext(p, np, 1), ptext(p, np, 2),
		       "running", -1, NULL, id);
	return !rc && (how & ATTEMPT_BEGIN) ? fk_begin(c) : rc;
}

static int fk_lock_held_elsewhere(struct engine_conn *c, const char *prefix,
				  bool *held, char **holder)
{
	(void)prefix;
	*held = fake.other_holder;
	if (holder) {
		*holder =
			fake.other_holder ? strdup("pid 1 on fakehost") : NULL;
		if (fake.other_holder && !*holder)
			return err_oom(c->ctx);
	}
	return STRATA_OK;
}

static int fk_attempt_begin(struct engine_conn *c, const struct attempt *a,
			    int64_t *history_id)
{
	*history_id = -1;
	if (hit(FAKE_ATTEMPT_BEGIN))
		return fail(c, FAKE_ATTEMPT_BEGIN);
	fake.note_present = true;
	fake.note_version = a->version;
	copy(fake.note_name, sizeof(fake.note_name), a->name);
	fake.note_direction = a->direction;
	return STRATA_OK;
}

static int fk_attempt_end(struct engine_conn *c)
{
	if (hit(FAKE_ATTEMPT_END))
		return fail(c, FAKE_ATTEMPT_END);
	fake.note_present = false;
	return STRATA_OK;
}

static int fk_attempt_peek(struct engine_conn *c, const char *prefix,
			   struct attempt *a)
{
	(void)prefix;
	attempt_release(a);
	if (!fake.note_present)
		return STRATA_OK;
	a->present = true;
	a->version = fake.note_version;
	a->direction = fake.note_direction;
	a->alive = fake.other_holder;
	a->name = strdup(fake.note_name);
	a->started_at = strdup("2026-01-01T00:00:00Z");
	if (!a->name || !a->started_at) {
		attempt_release(a);
		return err_oom(c->ctx);
	}
	return STRATA_OK;
}

static const char *const fake_schemes[] = { "fake", NULL };
static const struct engine_info fake_info = {
	.name = "fake",
	.label = "the fake engine",
	.schemes = fake_schemes,
	.forms = URL_FORM_SERVER,
	.dump_ext = ".dump",
	.dialect = SCRIPT_SQLITE,
};

#define FAKE_COMMON                                                            \
	.name = "fake", .caps = 0, .exists = fk_exists, .connect = fk_connect, \
	.close = fk_close, .exec = fk_exec, .begin = fk_begin,                 \
	.commit = fk_commit, .rollback = fk_rollback, .query = fk_query,       \
	.tracking_name = fk_tracking_name,                                     \
	.tracking_exists = fk_tracking_exists,                                 \
	.tracking_create = fk_tracking_create, .lock = fk_lock,                \
	.unlock = fk_unlock, .session_reset = fk_session_reset,                \
	.migration_check = fk_migration_check

const struct engine fake_rows_engine = {
	FAKE_COMMON,
	.insert_id = fk_insert_id,
	.lock_held_elsewhere = fk_lock_held_elsewhere,
};

const struct engine fake_file_engine = {
	FAKE_COMMON,
	.attempt_begin = fk_attempt_begin,
	.attempt_end = fk_attempt_end,
	.attempt_peek = fk_attempt_peek,
};

/* ---- set-up and inspection ---------------------------------------------- */

void fake_reset(bool rows)
{
	memset(&fake, 0, sizeof(fake));
	fake.rows = rows;
	engine_register_test(rows ? &fake_rows_engine : &fake_file_engine);
	engine_info_register_test(&fake_info);
}

void fake_rearm(void)
{
	memset(fake.calls, 0, sizeof(fake.calls));
	memset(fake.fail_at, 0, sizeof(fake.fail_at));
	fake.fail_stmt = 0;
	fake.implicit = false;
	fake.other_holder = false;
}

void fake_done(void)
{
	engine_register_test(NULL);
	engine_info_register_test(NULL);
}

void fake_add_applied(int64_t version, const char *name, const char *checksum,
		      const char *down)
{
	struct fake_applied *a = &fake.db.applied[fake.db.n_applied++];

	fake.db.tables = true;
	memset(a, 0, sizeof(*a));
	a->version = version;
	copy(a->name, sizeof(a->name), name);
	copy(a->checksum, sizeof(a->checksum), checksum);
	a->has_down = down != NULL;
	copy(a->down, sizeof(a->down), down);
}

void fake_add_hist(int64_t version, const char *name, const char *direction,
		   const char *status)
{
	fake.db.tables = true;
	fake.db.hist[fake.db.n_hist].id = ++fake.db.next_id;
	fake.db.hist[fake.db.n_hist].version = version;
	copy(fake.db.hist[fake.db.n_hist].name,
	     sizeof(fake.db.hist[fake.db.n_hist].name), name);
	copy(fake.db.hist[fake.db.n_hist].direction,
	     sizeof(fake.db.hist[fake.db.n_hist].direction), direction);
	copy(fake.db.hist[fake.db.n_hist].status,
	     sizeof(fake.db.hist[fake.db.n_hist].status), status);
	fake.db.hist[fake.db.n_hist].statements_done = -1;
	fake.db.n_hist++;
}

const struct fake_applied *fake_applied_row(int64_t version)
{
	return applied_by_version(version);
}

const struct fake_hist *fake_last_hist(void)
{
	return fake.db.n_hist ? &fake.db.hist[fake.db.n_hist - 1] : NULL;
}
