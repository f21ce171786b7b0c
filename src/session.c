/* session.c - one connection for one public call: open, lock, read state. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "err.h"
#include "target.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

const char *session_where(const struct migration *m, char *buf, size_t size)
{
	if (m->path)
		return m->path;
	snprintf(buf, size, "embedded migration %lld_%s", (long long)m->version,
		 m->name);
	return buf;
}

int session_ensure_tables(struct session *s)
{
	int rc;

	if (s->tables)
		return STRATA_OK;
	rc = s->e->tracking_create(s->c, s->ctx->table);
	if (!rc)
		s->tables = true;
	return rc;
}

static int push_recovered(struct session *s, int64_t version)
{
	int64_t *grown =
		realloc(s->recovered, (s->n_recovered + 1) * sizeof(*grown));

	if (!grown)
		return err_oom(s->ctx);
	s->recovered = grown;
	s->recovered[s->n_recovered++] = version;
	return STRATA_OK;
}

/*
 * Did a dead attempt commit any statement on its own?  Server engines put
 * that on record when it happens (track_attempt_committed); a lock-file
 * record does not say, so a no-transaction migration of a file engine is
 * presumed to have committed some of its statements.
 */
static bool dead_attempt_implicit(struct session *s, const struct attempt *a)
{
	const struct migration *m = source_find(&s->ctx->src, a->version);

	if (s->e->insert_id)
		return a->implicit;
	return m && (m->flags & STRATA_NO_TRANSACTION);
}

/*
 * A runner that died mid-migration left its attempt on record.  If the
 * migration had not committed, record the attempt as failed/interrupted
 * (dirty when some of it had committed on its own); if it had, a
 * 'running' row is closed as the success it was; either way the record
 * is then cleared.
 */
static int recover_dead_attempt(struct session *s)
{
	struct attempt a = { .id = -1 };
	char now[ISO_TIME_LEN];
	bool applied, committed;
	int rc;

	rc = track_attempt_peek(s->c, s->ctx->table, s->tables, &a);
	if (rc || !a.present || a.alive)
		goto out;
	applied = applied_find(&s->al, a.version) != NULL;
	committed = a.direction == STRATA_UP ? applied : !applied;
	util_now_iso(now);
	struct hist_row h = {
		.version = a.version,
		.name = a.name,
		.direction = a.direction == STRATA_DOWN ? "down" : "up",
		.status = committed ? "success"
				    : attempt_status(
					      dead_attempt_implicit(s, &a)),
		.started_at = a.started_at ? a.started_at : "",
		.finished_at = now,
		.execution_ms = -1,
		.statements_done = -1,
		.error = committed ? "interrupted after its commit"
				   : "interrupted",
	};
	if (!committed) {
		/* Room first: a recorded attempt must then be cleared. */
		rc = push_recovered(s, a.version);
		if (!rc)
			rc = session_ensure_tables(s);
		if (!rc)
			rc = track_attempt_record(s->c, s->ctx->table, &a, &h);
		if (rc && s->n_recovered)
			s->n_recovered--;
		if (!rc)
			log_msg(s->ctx, STRATA_LOG_WARN,
				"recorded the interrupted %s of %lld_%s as %s",
				h.direction, (long long)a.version,
				a.name ? a.name : "", h.status);
	} else if (a.id > 0) {
		/* Its 'running' row outlived the commit: close it. */
		rc = track_attempt_record(s->c, s->ctx->table, &a, &h);
	}
	if (!rc)
		rc = track_attempt_end(s->c);
out:
	attempt_release(&a);
	return rc;
}

int session_open(strata *ctx, struct session *s, enum session_mode mode)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	if (!ctx->has_url)
		return err_set(ctx, STRATA_EINVAL, "no database URL was given");
	s->e = engine_find(ctx, &ctx->url);
	if (!s->e)
		return err_code(ctx);
	rc = s->e->exists(ctx, &ctx->url, &s->existed);
	if (rc)
		return rc;
	if (!s->existed && mode != SESSION_WRITE)
		return STRATA_OK; /* nothing there: everything is pending */
	rc = target_connect(ctx, s->e, &s->c,
			    mode == SESSION_WRITE ? CONNECT_CREATE
						  : CONNECT_EXISTING);
	if (!rc)
		backup_clean(ctx); /* what an interrupted backup left */
	if (rc || mode == SESSION_CONNECT)
		return rc; /* a damaged file may not even have readable tables
			    */
	if (mode != SESSION_READ && mode != SESSION_PLAN) {
		rc = s->e->lock(s->c, ctx->lock_timeout);
		if (rc)
			return rc;
		s->locked = true;
	}
	rc = s->e->tracking_exists(s->c, ctx->table, &s->tables);
	if (rc)
		err_prefix(ctx, "cannot read database '%s': ", ctx->url.masked);
	if (!rc && s->tables)
		rc = track_read_applied(s->c, ctx->table, mode == SESSION_PLAN,
					&s->al);
	if (!rc && s->locked)
		rc = recover_dead_attempt(s);
	return rc;
}

int session_open_existing(strata *ctx, struct session *s,
			  enum session_mode mode)
{
	int rc = session_open(ctx, s, mode);

	if (!rc && !s->c)
		rc = err_set(ctx, STRATA_ENOTFOUND,
			     "database '%s' does not exist", ctx->url.masked);
	return rc;
}

void session_close(struct session *s)
{
	if (s->c) {
		if (s->locked)
			s->e->unlock(s->c);
		s->e->close(s->c);
	}
	applied_release(&s->al);
	free(s->recovered);
	memset(s, 0, sizeof(*s));
}

static int dirty_error(struct session *s, int64_t version)
{
	return err_set(
		s->ctx, STRATA_EDIRTY,
		"the database is dirty: migration %lld failed after some of its statements had committed; fix the schema by hand, then run 'strata repair' (or 'strata stamp %lld' if you completed it)",
		(long long)version, (long long)version);
}

int session_check_dirty(struct session *s)
{
	int64_t version;
	bool dirty;
	int rc;

	if (!s->tables)
		return STRATA_OK;
	rc = track_dirty(s->c, s->ctx->table, &dirty, &version);
	return rc || !dirty ? rc : dirty_error(s, version);
}

int session_startup_check(struct session *s, bool *dead)
{
	struct attempt a = { .id = -1 };
	int64_t version;
	bool dirty;
	int rc;

	*dead = false;
	if (!s->c)
		return STRATA_OK;
	rc = track_open_attempts(s->c, s->ctx->table, s->tables, &dirty,
				 &version, &a);
	*dead = !rc && a.present && !a.alive;
	attempt_release(&a);
	if (rc || *dead || !dirty)
		return rc;
	return dirty_error(s, version);
}
