/*
 * runner.c - up, down and redo: lock, plan, then each migration with its
 * tracking rows in one transaction, one commit per migration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "backup.h"
#include "err.h"
#include "integrity.h"
#include "session.h"
#include "target.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const char no_txn_line[] = "-- strata:no-transaction\n";

/* One migration to run in one direction, resolved before anything runs. */
struct job {
	int direction;
	int64_t version;
	const char *name;
	const struct migration *m; /* NULL: stored down SQL */
	const char *sql;
	size_t len;
	unsigned flags;
	const char *where; /* the file, for messages */
	int first_line;    /* of sql in that file */
	bool stored;
	bool out_of_order;
	char *owned_sql;
	char *owned_where; /* where, when no file names it (rare) */
};

struct run {
	struct session s;
	strata_run *res;
	size_t cap;
	int64_t t0;
	bool ran_one;     /* a migration ran on this session */
	bool check_after; /* the quick check ran before: run it after too */
};

static void jobs_free(struct job *jobs, size_t n)
{
	if (!jobs)
		return;
	for (size_t i = 0; i < n; i++) {
		free(jobs[i].owned_sql);
		free(jobs[i].owned_where);
	}
	free(jobs);
}

/* Where a job's SQL comes from: its file, or a name kept in the job. */
static int job_where(struct job *j, const struct migration *m, const char *text)
{
	char buf[160];

	if (m && m->path && !text) {
		j->where = m->path;
		return STRATA_OK;
	}
	if (!text)
		text = session_where(m, buf, sizeof(buf));
	j->where = j->owned_where = strdup(text);
	return j->where ? STRATA_OK : STRATA_ENOMEM;
}

static int job_up(struct job *j, const struct migration *m)
{
	memset(j, 0, sizeof(*j));
	j->direction = STRATA_UP;
	j->version = m->version;
	j->name = m->name;
	j->m = m;
	j->sql = m->up;
	j->len = m->up_len;
	j->flags = m->flags;
	j->first_line = m->up_line;
	return job_where(j, m, NULL);
}

/* A down from the file's current down section, or from the stored SQL. */
static int job_down(struct session *s, struct job *j,
		    const struct plan_step *st)
{
	const struct migration *m = st->m;
	int rc;

	memset(j, 0, sizeof(*j));
	j->direction = STRATA_DOWN;
	j->version = st->version;
	j->name = m ? m->name : st->a->name;
	j->m = m;
	if (m) {
		j->sql = m->down;
		j->len = m->down_len;
		j->flags = m->flags;
		j->first_line = m->down_line;
		if (m->down_path) {
			j->where = m->down_path;
			return STRATA_OK;
		}
		return job_where(j, m, NULL) ? err_oom(s->ctx) : STRATA_OK;
	}
	rc = track_stored_down(s->c, s->ctx->table, st->version, &j->owned_sql);
	if (rc)
		return rc;
	if (!j->owned_sql)
		return err_set(
			s->ctx, STRATA_EIRREVERSIBLE,
			"migration %lld_%s is irreversible: its file is gone and no down SQL was stored; nothing was rolled back",
			(long long)st->version, j->name);
	j->stored = true;
	j->sql = j->owned_sql;
	j->len = strlen(j->owned_sql);
	if (!strncmp(j->sql, no_txn_line, sizeof(no_txn_line) - 1))
		j->flags |= STRATA_NO_TRANSACTION;
	{
		char buf[160];
		snprintf(buf, sizeof(buf), "stored down SQL of %lld_%s",
			 (long long)j->version, j->name);
		j->first_line = 1;
		return job_where(j, NULL, buf) ? err_oom(s->ctx) : STRATA_OK;
	}
}

/* Turn plan steps into jobs; any irreversible step refuses them all. */
static int jobs_from_plan(struct session *s, const struct plan *p,
			  struct job **out)
{
	struct job *jobs = calloc(p->n ? p->n : 1, sizeof(*jobs));
	int rc = STRATA_OK;

	*out = NULL;
	if (!jobs)
		return err_oom(s->ctx);
	for (size_t i = 0; i < p->n && !rc; i++) {
		if (p->steps[i].direction == STRATA_UP) {
			if (job_up(&jobs[i], p->steps[i].m))
				rc = err_oom(s->ctx);
			jobs[i].out_of_order = p->steps[i].out_of_order;
		} else {
			rc = job_down(s, &jobs[i], &p->steps[i]);
		}
	}
	if (rc) {
		jobs_free(jobs, p->n);
		return rc;
	}
	*out = jobs;
	return STRATA_OK;
}

static void emit(struct run *r, int type, const struct job *j, int64_t ms,
		 const char *error)
{
	strata *ctx = r->s.ctx;
	strata_event ev = {
		.type = type,
		.direction = j->direction,
		.version = j->version,
		.name = j->name,
		.execution_ms = ms,
		.error = error,
		.stored_sql = j->stored,
		.no_transaction = (j->flags & STRATA_NO_TRANSACTION) != 0,
	};

	if (ctx->progress_fn)
		ctx->progress_fn(&ev, ctx->progress_payload);
}

static int push_done(struct run *r, const struct job *j, int64_t ms)
{
	strata_run *res = r->res;
	strata_run_item *grown;
	char *name;

	if (res->n_done == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		grown = realloc(res->done, cap * sizeof(*grown));
		if (!grown)
			return err_oom(r->s.ctx);
		res->done = grown;
		r->cap = cap;
	}
	if (!(name = strdup(j->name)))
		return err_oom(r->s.ctx);
	res->done[res->n_done++] = (strata_run_item){
		.direction = j->direction,
		.version = j->version,
		.name = name,
		.execution_ms = ms,
	};
	return STRATA_OK;
}

/* The tracking writes of a migration that worked, inside its transaction;
 * *ms is the execution time recorded (and reported). */
static int record_success(struct run *r, const struct job *j,
			  const struct attempt *a, int64_t t0, long statements,
			  int64_t *ms)
{
	struct session *s = &r->s;
	const char *prefix = s->ctx->table;
	char finished[ISO_TIME_LEN];
	int rc;

	*ms = util_ms() - t0;
	util_now_iso(finished);
	if (j->direction == STRATA_UP)
		rc = track_insert_applied(s->c, prefix, j->m, finished, *ms);
	else
		rc = track_delete_applied(s->c, prefix, j->version);
	if (rc)
		return rc;
	struct hist_row h = {
		.version = j->version,
		.name = j->name,
		.direction = j->direction == STRATA_UP ? "up" : "down",
		.status = "success",
		.started_at = a->started_at,
		.finished_at = finished,
		.execution_ms = *ms,
		.statements_done = statements,
		.backup_path = r->res->backup,
	};
	return track_attempt_record(s->c, prefix, a, &h);
}

/* After the rollback: the attempt on record as failed (or dirty). */
static void record_failure(struct run *r, const struct job *j,
			   const struct attempt *a, int64_t ms,
			   const struct exec_info *info)
{
	struct session *s = &r->s;
	char finished[ISO_TIME_LEN];
	struct hist_row h = {
		.version = j->version,
		.name = j->name,
		.direction = j->direction == STRATA_UP ? "up" : "down",
		.status = attempt_status(info->implicit_commit),
		.started_at = a->started_at,
		.finished_at = finished,
		.execution_ms = ms,
		.statements_done = info->statements_done,
		.error = strata_errmsg(s->ctx),
		.backup_path = r->res->backup,
	};

	util_now_iso(finished);
	/* A failure here must not replace the migration's own message. */
	track_attempt_record(s->c, s->ctx->table, a, &h);
}

/* exec's on_commit: a statement committed on its own, put it on record. */
struct commit_note {
	struct session *s;
	const struct attempt *a;
};

static void note_commit(void *arg, long statements_done)
{
	struct commit_note *n = arg;

	track_attempt_committed(n->s->c, n->s->ctx->table, n->a,
				statements_done);
}

/*
 * Is the run lock still ours?  A server may have ended its session, and
 * then another runner may be at work: this one stops before 'doing' the
 * job (running, committing) and says what that leaves.
 */
static int lock_held(struct run *r, const struct job *j, const char *doing,
		     const char *left)
{
	strata *ctx = r->s.ctx;
	char *why;
	int rc;

	if (!r->s.e->lock_verify || !(rc = r->s.e->lock_verify(r->s.c)))
		return STRATA_OK;
	if (rc != STRATA_ELOCKED || !(why = strdup(strata_errmsg(ctx))))
		return rc;
	err_clear(ctx);
	rc = err_set(ctx, rc, "%s; stopped before %s %lld_%s; %s", why, doing,
		     (long long)j->version, j->name, left);
	free(why);
	return rc;
}

static int run_job(struct run *r, const struct job *j)
{
	struct session *s = &r->s;
	const struct engine *e = s->e;
	struct engine_conn *c = s->c;
	struct commit_note note = { s, NULL };
	struct exec_info info = { .err_off = -1 };
	bool txn = !(j->flags & STRATA_NO_TRANSACTION);
	bool exec_failed = false;
	char started[ISO_TIME_LEN];
	int64_t t0, ms = 0;
	unsigned how = 0;
	bool recorded;
	int rc;

	/*
	 * Each migration starts from the session as strata opened it; the
	 * reset, the attempt's record and the BEGIN go together (one round
	 * trip on the servers), unless a hook comes before the BEGIN.
	 */
	if (r->ran_one)
		how |= ATTEMPT_RESET;
	if (txn && !e->migration_begin)
		how |= ATTEMPT_BEGIN;
	r->ran_one = true;
	util_now_iso(started);
	struct attempt a = {
		.present = true,
		.id = -1,
		.version = j->version,
		.name = (char *)j->name,
		.direction = j->direction,
		.started_at = started,
	};
	rc = track_attempt_begin(c, s->ctx->table, &a, how, &recorded);
	if (rc && !recorded) {
		err_prefix(s->ctx, "%s: cannot record the attempt: ", j->where);
		return rc;
	}
	note.a = &a;
	info.on_commit = note_commit;
	info.arg = &note;
	if (j->stored)
		log_msg(s->ctx, STRATA_LOG_NOTE,
			"using stored down SQL for %lld_%s (its file is gone)",
			(long long)j->version, j->name);
	emit(r, STRATA_EV_START, j, 0, NULL);
	t0 = util_ms();
	if (rc) {
		/* On record, but its transaction did not open: it failed. */
		e->rollback(c);
	} else if (txn) {
		if (!(how & ATTEMPT_BEGIN)) {
			rc = e->migration_begin ? e->migration_begin(c)
						: STRATA_OK;
			if (!rc)
				rc = e->begin(c);
		}
		if (!rc) {
			rc = e->exec(c, j->sql, j->len, j->flags, &info);
			exec_failed = rc != 0;
		}
		/*
		 * A statement that committed implicitly ended the transaction:
		 * the tracking writes get one of their own, one commit.
		 */
		if (!rc && info.implicit_commit)
			rc = e->begin(c);
		if (!rc && e->migration_check)
			rc = e->migration_check(c, s->ctx->table);
		if (!rc)
			rc = record_success(r, j, &a, t0, info.statements_done,
					    &ms);
		if (!rc)
			rc = lock_held(r, j, "committing",
				       "nothing of it was committed");
		if (!rc)
			rc = e->commit(c);
		if (rc)
			e->rollback(c);
		if (e->migration_end)
			e->migration_end(c);
	} else {
		/* Its statements commit as they run: none without the lock. */
		rc = lock_held(r, j, "running", "nothing of it ran");
		if (!rc) {
			rc = e->exec(c, j->sql, j->len, j->flags, &info);
			exec_failed = rc != 0;
		}
		if (!rc)
			rc = e->begin(c);
		if (!rc)
			rc = record_success(r, j, &a, t0, info.statements_done,
					    &ms);
		if (!rc)
			rc = lock_held(r, j, "recording",
				       "its statements ran (no transaction)"
				       " but it is not recorded as applied");
		if (!rc)
			rc = e->commit(c);
		if (rc && !exec_failed)
			e->rollback(c);
	}
	if (info.note[0]) /* one per migration, from the engine */
		log_msg(s->ctx, STRATA_LOG_NOTE, "%s:%d: %s", j->where,
			migration_line_at(j->sql, j->len, j->first_line,
					  info.note_off),
			info.note);
	if (rc) {
		ms = util_ms() - t0;
		if (exec_failed)
			err_prefix(s->ctx, "%s:%d: ", j->where,
				   migration_line_at(j->sql, j->len,
						     j->first_line,
						     info.err_off));
		else
			err_prefix(s->ctx, "%s: ", j->where);
		record_failure(r, j, &a, ms, &info);
		r->res->failed = true;
		/*
		 * Copies for the caller.  If memory ran out here they stay
		 * NULL: the migration's own code and message (strata_errmsg)
		 * are what the caller acts on, not this out of memory.
		 */
		r->res->failure = (strata_run_item){
			.direction = j->direction,
			.version = j->version,
			.name = strdup(j->name),
			.execution_ms = ms,
		};
		r->res->error = strdup(strata_errmsg(s->ctx));
		emit(r, STRATA_EV_FAIL, j, ms, strata_errmsg(s->ctx));
		track_attempt_end(c);
		return rc;
	}
	if (track_attempt_end(c))
		err_clear(
			s->ctx); /* the migration committed: only a note lost */
	/* The time reported is the one recorded. */
	rc = push_done(r, j, ms);
	emit(r, STRATA_EV_DONE, j, ms, NULL);
	return rc;
}

static int run_jobs(struct run *r, const struct job *jobs, size_t n,
		    unsigned flags)
{
	char *backup = NULL;
	int rc;

	/* A damaged file is refused before its backup (integrity.c). */
	rc = integrity_before(&r->s, flags, &r->check_after);
	/* The backup comes first: if it fails, nothing runs. */
	if (!rc && backup_wanted(&r->s, flags)) {
		rc = backup_take_unpruned(&r->s, &backup);
		r->res->backup = backup;
		if (!rc)
			log_msg(r->s.ctx, STRATA_LOG_INFO, "backup: %s",
				backup);
	}
	if (!rc)
		rc = session_ensure_tables(&r->s);

	for (size_t i = 0; i < n && !rc; i++)
		rc = run_job(r, &jobs[i]);
	/* A failed run that changed nothing keeps no backup of its own. */
	if (backup && backup_settle(&r->s, backup, !rc || r->res->n_done)) {
		free(backup);
		r->res->backup = NULL;
	}
	return rc;
}

/* Applied migrations whose files are gone are worth a warning, not a stop. */
static void warn_missing(struct session *s)
{
	for (size_t i = 0; i < s->al.n; i++) {
		const struct applied *a = &s->al.items[i];
		if (!source_find(&s->ctx->src, a->version))
			log_msg(s->ctx, STRATA_LOG_WARN,
				"applied migration %lld_%s has no file in the migrations folder",
				(long long)a->version, a->name ? a->name : "");
	}
}

/* mode: SESSION_WRITE (up), or SESSION_WRITE_EXISTING (down, redo: they
 * never create a database, a missing server database reads as empty). */
static int run_start(strata *ctx, struct run *r, strata_run **out,
		     enum session_mode mode)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->t0 = util_ms();
	*out = r->res = calloc(1, sizeof(*r->res));
	if (!r->res)
		return err_oom(ctx);
	rc = session_open(ctx, &r->s, mode);
	if (!rc)
		rc = session_check_dirty(&r->s);
	return rc;
}

static int run_end(struct run *r, int rc)
{
	if (r->check_after && r->res && r->res->n_done)
		rc = integrity_after(&r->s, rc);
	if (r->res)
		r->res->total_ms = util_ms() - r->t0;
	session_close(&r->s);
	return rc;
}

/*
 * The start-up check every application pays on each boot: read the state
 * once, without the lock, and plan.  Nothing to do means nothing to lock;
 * a refusal (dirty, modified, out of order) writes nothing either way.
 * Otherwise, or when a dead runner left its attempt on record (the one
 * write a no-op run may make), the run takes the lock and reads the state
 * again.
 */
static int up_needed(strata *ctx, int64_t target, unsigned flags, bool *needed)
{
	struct plan p = { 0 };
	struct session s;
	bool dead = false;
	int rc;

	*needed = true;
	rc = session_open(ctx, &s, SESSION_PLAN);
	if (!rc && s.existed) {
		warn_missing(&s);
		/* Dirty refuses; a dead runner's attempt takes the lock. */
		rc = session_startup_check(&s, &dead);
	}
	/* No tracking tables: another tool's table refuses (adopt.c). */
	if (!rc && s.existed && !s.tables)
		rc = adopt_hint(&s, true);
	if (!rc && s.existed && !dead) {
		rc = plan_up(ctx, &ctx->src, &s.al, target, flags, &p);
		*needed = rc || p.n > 0;
	}
	plan_release(&p);
	session_close(&s);
	return rc;
}

int strata_up(strata *ctx, int64_t target, unsigned flags, strata_run **out)
{
	struct plan p = { 0 };
	struct job *jobs = NULL;
	struct run r;
	bool needed;
	int rc;

	err_clear(ctx);
	*out = NULL;
	rc = target_check(ctx, target);
	if (!rc)
		rc = up_needed(ctx, target, flags, &needed);
	if (rc || !needed || (flags & STRATA_DRY_RUN))
		return (*out = calloc(1, sizeof(**out))) ? rc : err_oom(ctx);
	rc = run_start(ctx, &r, out, SESSION_WRITE);
	if (!rc)
		rc = plan_up(ctx, &ctx->src, &r.s.al, target, flags, &p);
	/* A first run leaves the file with its tracking tables. */
	if (!rc && !r.s.existed)
		rc = session_ensure_tables(&r.s);
	if (!rc && p.n)
		rc = jobs_from_plan(&r.s, &p, &jobs);
	if (!rc && jobs)
		rc = run_jobs(&r, jobs, p.n, flags);
	jobs_free(jobs, p.n);
	plan_release(&p);
	return run_end(&r, rc);
}

int strata_down(strata *ctx, int64_t target, int steps, unsigned flags,
		strata_run **out)
{
	struct plan p = { 0 };
	struct job *jobs = NULL;
	struct run r;
	int rc;

	err_clear(ctx);
	if (flags & STRATA_DRY_RUN) /* a dry run is a plan: strata_plan_down */
		return (*out = calloc(1, sizeof(**out))) ? STRATA_OK
							 : err_oom(ctx);
	/* A mistyped path is an error: down never creates a database. */
	rc = target_need_db(ctx);
	if (!rc && !steps && target != STRATA_BASE)
		rc = target_check(ctx, target);
	if (rc)
		return (*out = calloc(1, sizeof(**out))) ? rc : err_oom(ctx);
	rc = run_start(ctx, &r, out, SESSION_WRITE_EXISTING);
	if (!rc)
		rc = plan_down(ctx, &ctx->src, &r.s.al, target, steps, &p);
	if (!rc && p.n)
		rc = jobs_from_plan(&r.s, &p, &jobs);
	if (!rc && jobs)
		rc = run_jobs(&r, jobs, p.n, flags);
	jobs_free(jobs, p.n);
	plan_release(&p);
	return run_end(&r, rc);
}

int strata_redo(strata *ctx, unsigned flags, strata_run **out)
{
	const struct migration *m = NULL;
	struct plan p = { 0 };
	struct job *jobs = NULL;
	struct job again;
	struct run r;
	int rc;

	err_clear(ctx);
	if (flags & STRATA_DRY_RUN)
		return (*out = calloc(1, sizeof(**out))) ? STRATA_OK
							 : err_oom(ctx);
	rc = target_need_db(ctx);
	if (rc)
		return (*out = calloc(1, sizeof(**out))) ? rc : err_oom(ctx);
	rc = run_start(ctx, &r, out, SESSION_WRITE_EXISTING);
	if (!rc)
		rc = plan_down(ctx, &ctx->src, &r.s.al, STRATA_BASE, 1, &p);
	if (!rc && p.n) {
		m = p.steps[0].m;
		if (!m)
			rc = err_set(ctx, STRATA_ENOTFOUND,
				     "cannot redo %lld_%s: its file is gone",
				     (long long)p.steps[0].version,
				     p.steps[0].a->name);
	}
	if (!rc && p.n)
		rc = jobs_from_plan(&r.s, &p, &jobs);
	if (!rc && jobs) {
		rc = job_up(&again, m) ? err_oom(ctx) : STRATA_OK;
		if (!rc)
			rc = run_jobs(&r, jobs, 1, flags);
		if (!rc)
			rc = run_job(&r, &again);
		free(again.owned_where);
	}
	jobs_free(jobs, p.n);
	plan_release(&p);
	return run_end(&r, rc);
}

void strata_run_free(strata_run *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->n_done; i++)
		free((char *)run->done[i].name);
	free(run->done);
	free((char *)run->failure.name);
	free((char *)run->error);
	free((char *)run->backup);
	free(run);
}

/* ---- plans without running (dry runs) ---------------------------------- */

static int plan_export(struct session *s, const struct plan *p,
		       strata_plan **out)
{
	strata_plan *sp = calloc(1, sizeof(*sp));
	struct job *jobs = NULL;
	int rc;

	*out = NULL;
	if (!sp)
		return err_oom(s->ctx);
	rc = jobs_from_plan(s, p, &jobs);
	if (!rc && p->n && !(sp->steps = calloc(p->n, sizeof(*sp->steps))))
		rc = err_oom(s->ctx);
	for (size_t i = 0; !rc && i < p->n; i++) {
		const struct job *j = &jobs[i];
		strata_step *st = &sp->steps[sp->n++];
		st->direction = j->direction;
		st->version = j->version;
		st->flags = j->flags;
		st->stored_sql = j->stored;
		st->out_of_order = j->out_of_order;
		st->sql_len = j->len;
		st->name = strdup(j->name);
		st->sql = strndup(j->sql ? j->sql : "", j->len);
		st->file = j->stored || !j->m || !j->m->path ? NULL
							     : strdup(j->where);
		if (!st->name || !st->sql ||
		    (!j->stored && j->m && j->m->path && !st->file))
			rc = err_oom(s->ctx);
	}
	jobs_free(jobs, p->n);
	if (rc) {
		strata_plan_free(sp);
		return rc;
	}
	*out = sp;
	return STRATA_OK;
}

/* A dry run of either direction: read the state, plan, export; no lock. */
static int plan_public(strata *ctx, int direction, int64_t target, int steps,
		       unsigned flags, strata_plan **out)
{
	struct session s;
	struct plan p = { 0 };
	int rc;

	err_clear(ctx);
	*out = NULL;
	rc = direction == STRATA_DOWN ? target_need_db(ctx)
				      : target_check(ctx, target);
	if (!rc && direction == STRATA_DOWN && !steps && target != STRATA_BASE)
		rc = target_check(ctx, target);
	if (rc)
		return rc;
	rc = session_open(ctx, &s, SESSION_READ);
	if (!rc)
		rc = session_check_dirty(&s);
	if (!rc && direction == STRATA_UP)
		rc = plan_up(ctx, &ctx->src, &s.al, target, flags, &p);
	else if (!rc)
		rc = plan_down(ctx, &ctx->src, &s.al, target, steps, &p);
	if (!rc)
		rc = plan_export(&s, &p, out);
	plan_release(&p);
	session_close(&s);
	return rc;
}

int strata_plan_up(strata *ctx, int64_t target, unsigned flags,
		   strata_plan **out)
{
	return plan_public(ctx, STRATA_UP, target, 0, flags, out);
}

int strata_plan_down(strata *ctx, int64_t target, int steps, unsigned flags,
		     strata_plan **out)
{
	return plan_public(ctx, STRATA_DOWN, target, steps, flags, out);
}

void strata_plan_free(strata_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		free((char *)plan->steps[i].name);
		free((char *)plan->steps[i].sql);
		free((char *)plan->steps[i].file);
	}
	free(plan->steps);
	free(plan);
}
