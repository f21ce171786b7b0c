/* track.c - rows of the tracking tables, through the engine's query. */
#include "track.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/*
 * A tracking statement from a template: every "%s_migrations" and
 * "%s_history" becomes the table's name as the engine writes it (quoted,
 * qualified).  NULL (message set) on OOM.
 */
char *track_sql(struct engine_conn *c, const char *prefix, const char *tmpl)
{
	static const char *const tables[] = { "migrations", "history" };
	struct sb sql = SB_INIT;
	const char *p;
	char *out;

	while ((p = strstr(tmpl, "%s_"))) {
		size_t i;

		sb_add(&sql, tmpl, (size_t)(p - tmpl));
		for (i = 0; i < 2; i++) {
			size_t n = strlen(tables[i]);

			if (!strncmp(p + 3, tables[i], n) &&
			    !(isalnum((unsigned char)p[3 + n]) ||
			      p[3 + n] == '_')) {
				c->eng->tracking_name(c, prefix, tables[i],
						      &sql);
				tmpl = p + 3 + n;
				break;
			}
		}
		if (i == 2) { /* another name: the prefix, as it is */
			sb_adds(&sql, prefix);
			sb_addc(&sql, '_');
			tmpl = p + 3;
		}
	}
	sb_adds(&sql, tmpl);
	out = sb_detach(&sql);
	if (!out)
		err_oom(c->ctx);
	return out;
}

static int run(struct engine_conn *c, const char *fmt, const char *prefix,
	       const struct sql_param *p, int np, row_fn fn, void *payload)
{
	char *sql = track_sql(c, prefix, fmt);
	int rc;

	if (!sql)
		return STRATA_ENOMEM;
	rc = c->eng->query(c, sql, p, np, fn, payload);
	free(sql);
	return rc;
}

static int64_t num(const char *v)
{
	return v ? strtoll(v, NULL, 10) : -1;
}

struct applied_read {
	struct applied_list *al;
	bool plan_only;
	int rc;
};

static int applied_row(void *payload, int ncol, const char *const *v)
{
	struct applied_read *r = payload;

	(void)ncol;
	if (r->plan_only)
		r->rc = applied_push(r->al, num(v[0]), v[1], NULL, v[2], NULL,
				     -1, NULL);
	else
		r->rc = applied_push(r->al, num(v[0]), v[1], v[2], v[3], v[4],
				     num(v[5]), v[6]);
	return r->rc;
}

int track_read_applied(struct engine_conn *c, const char *prefix,
		       bool plan_only, struct applied_list *out)
{
	struct applied_read r = { out, plan_only, 0 };
	int rc;

	rc = run(c,
		 plan_only ? "SELECT version, name, checksum FROM %s_migrations"
			   : "SELECT version, name, description, checksum,"
			     " applied_at, execution_ms, applied_by"
			     " FROM %s_migrations",
		 prefix, NULL, 0, applied_row, &r);
	if (!rc && r.rc)
		rc = err_oom(c->ctx);
	if (!rc)
		applied_sort(out);
	return rc;
}

char *track_down_text(const struct migration *m)
{
	struct sb sql = SB_INIT;

	if (!m->down)
		return NULL;
	if (m->flags & STRATA_NO_TRANSACTION)
		sb_adds(&sql, "-- strata:no-transaction\n");
	sb_add(&sql, m->down, m->down_len);
	return sb_detach(&sql);
}

int track_insert_applied(struct engine_conn *c, const char *prefix,
			 const struct migration *m, const char *applied_at,
			 int64_t execution_ms)
{
	char *down = track_down_text(m);
	int rc;

	if (m->down && !down)
		return err_oom(c->ctx);
	struct sql_param p[] = {
		PINT(m->version),      PTEXT(m->name),
		PTEXT(m->description), PTEXT(m->checksum),
		PTEXT(CHECKSUM_ALGO),  PTEXT(applied_at),
		PINT(execution_ms),    PTEXT(util_user_host()),
		PTEXT(m->up),          PTEXT(down),
	};
	rc = run(c,
		 "INSERT INTO %s_migrations (version, name, description,"
		 " checksum, checksum_algo, applied_at, execution_ms,"
		 " applied_by, up_sql, down_sql)"
		 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		 prefix, p, 10, NULL, NULL);
	free(down);
	return rc;
}

int track_delete_applied(struct engine_conn *c, const char *prefix,
			 int64_t version)
{
	return run(c, "DELETE FROM %s_migrations WHERE version = ?", prefix,
		   &PINT(version), 1, NULL, NULL);
}

int track_update_applied(struct engine_conn *c, const char *prefix,
			 const struct migration *m)
{
	char *down = track_down_text(m);
	int rc;

	if (m->down && !down)
		return err_oom(c->ctx);
	struct sql_param p[] = {
		PTEXT(m->checksum), PTEXT(CHECKSUM_ALGO), PTEXT(m->description),
		PTEXT(m->up),       PTEXT(down),          PINT(m->version),
	};
	rc = run(c,
		 "UPDATE %s_migrations SET checksum = ?, checksum_algo = ?,"
		 " description = ?, up_sql = ?, down_sql = ? WHERE version = ?",
		 prefix, p, 6, NULL, NULL);
	free(down);
	return rc;
}

struct text_read {
	char *value;
	bool oom;
};

static int text_row(void *payload, int ncol, const char *const *v)
{
	struct text_read *r = payload;

	(void)ncol;
	if (v[0] && !(r->value = strdup(v[0])))
		r->oom = true;
	return 1;
}

int track_stored_down(struct engine_conn *c, const char *prefix,
		      int64_t version, char **out)
{
	struct text_read r = { NULL, false };
	int rc;

	rc = run(c, "SELECT down_sql FROM %s_migrations WHERE version = ?",
		 prefix, &PINT(version), 1, text_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	*out = r.value;
	return rc;
}

struct sql_pair_read {
	char *up, *down;
	bool oom;
};

static int sql_pair_row(void *payload, int ncol, const char *const *v)
{
	struct sql_pair_read *r = payload;

	(void)ncol;
	if ((v[0] && !(r->up = strdup(v[0]))) ||
	    (v[1] && !(r->down = strdup(v[1]))))
		r->oom = true;
	return 1;
}

int track_stored_sql(struct engine_conn *c, const char *prefix, int64_t version,
		     char **up, char **down)
{
	struct sql_pair_read r = { NULL, NULL, false };
	int rc;

	rc = run(c,
		 "SELECT up_sql, down_sql FROM %s_migrations WHERE version = ?",
		 prefix, &PINT(version), 1, sql_pair_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	if (rc) {
		free(r.up);
		free(r.down);
		r.up = r.down = NULL;
	}
	*up = r.up;
	*down = r.down;
	return rc;
}

int track_insert_history(struct engine_conn *c, const char *prefix,
			 const struct hist_row *h)
{
	struct sql_param p[] = {
		h->version >= 0 ? PINT(h->version) : PNULL,
		PTEXT(h->name),
		PTEXT(h->direction),
		PTEXT(h->status),
		PTEXT(h->started_at),
		PTEXT(h->finished_at),
		h->execution_ms >= 0 ? PINT(h->execution_ms) : PNULL,
		h->statements_done >= 0 ? PINT(h->statements_done) : PNULL,
		PTEXT(h->error),
		PTEXT(h->backup_path),
		PTEXT(util_user_host()),
	};
	return run(c,
		   "INSERT INTO %s_history (version, name, direction, status,"
		   " started_at, finished_at, execution_ms, statements_done,"
		   " error, backup_path, applied_by)"
		   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		   prefix, p, 11, NULL, NULL);
}

int track_finish_history(struct engine_conn *c, const char *prefix, int64_t id,
			 const struct hist_row *h)
{
	struct sql_param p[] = {
		PTEXT(h->status),
		PTEXT(h->finished_at),
		h->execution_ms >= 0 ? PINT(h->execution_ms) : PNULL,
		h->statements_done >= 0 ? PINT(h->statements_done) : PNULL,
		PTEXT(h->error),
		PTEXT(h->backup_path),
		PINT(id),
	};
	return run(c,
		   "UPDATE %s_history SET status = ?, finished_at = ?,"
		   " execution_ms = ?, statements_done = ?, error = ?,"
		   " backup_path = ? WHERE id = ?",
		   prefix, p, 7, NULL, NULL);
}

struct versions_read {
	int64_t *v;
	size_t n, cap;
	bool oom;
};

static int version_row(void *payload, int ncol, const char *const *v)
{
	struct versions_read *r = payload;

	(void)ncol;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		int64_t *grown = realloc(r->v, cap * sizeof(*grown));
		if (!grown) {
			r->oom = true;
			return 1;
		}
		r->v = grown;
		r->cap = cap;
	}
	r->v[r->n++] = num(v[0]);
	return 0;
}

int track_clear_dirty(struct engine_conn *c, const char *prefix,
		      int64_t **versions, size_t *n)
{
	struct versions_read r = { 0 };
	int rc;

	rc = run(c, "SELECT version FROM %s_history WHERE status = 'dirty'",
		 prefix, NULL, 0, version_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	if (!rc && r.n)
		rc = run(c,
			 "UPDATE %s_history SET status = 'failed'"
			 " WHERE status = 'dirty'",
			 prefix, NULL, 0, NULL, NULL);
	if (rc) {
		free(r.v);
		r.v = NULL;
		r.n = 0;
	}
	*versions = r.v;
	*n = r.n;
	return rc;
}

int track_dirty(struct engine_conn *c, const char *prefix, bool *dirty,
		int64_t *version)
{
	struct versions_read r = { 0 };
	int rc;

	rc = run(c,
		 "SELECT version FROM %s_history WHERE status = 'dirty'"
		 " ORDER BY id DESC LIMIT 1",
		 prefix, NULL, 0, version_row, &r);
	*dirty = r.n > 0;
	*version = r.n ? r.v[0] : -1;
	free(r.v);
	return rc;
}

struct history_read {
	strata_history *h;
	size_t cap;
	bool oom;
};

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

static int history_row(void *payload, int ncol, const char *const *v)
{
	struct history_read *r = payload;
	strata_history_row *row;

	(void)ncol;
	if (r->h->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		strata_history_row *grown =
			realloc(r->h->rows, cap * sizeof(*grown));
		if (!grown) {
			r->oom = true;
			return 1;
		}
		r->h->rows = grown;
		r->cap = cap;
	}
	row = &r->h->rows[r->h->n++];
	memset(row, 0, sizeof(*row));
	row->id = num(v[0]);
	row->has_version = v[1] != NULL;
	row->version = num(v[1]);
	row->name = dup_or_null(v[2], &r->oom);
	row->direction = dup_or_null(v[3], &r->oom);
	row->status = dup_or_null(v[4], &r->oom);
	row->started_at = dup_or_null(v[5], &r->oom);
	row->finished_at = dup_or_null(v[6], &r->oom);
	row->execution_ms = num(v[7]);
	row->statements_done = num(v[8]);
	row->error = dup_or_null(v[9], &r->oom);
	row->backup_path = dup_or_null(v[10], &r->oom);
	row->applied_by = dup_or_null(v[11], &r->oom);
	return r->oom;
}

int track_read_history(struct engine_conn *c, const char *prefix, size_t limit,
		       strata_history *out)
{
	struct history_read r = { out, 0, false };
	int rc;

	/* Newest first with the limit, then turned to oldest first. */
	rc = run(c,
		 limit ? "SELECT id, version, name, direction, status,"
			 " started_at, finished_at, execution_ms,"
			 " statements_done, error, backup_path, applied_by"
			 " FROM %s_history ORDER BY id DESC LIMIT ?"
		       : "SELECT id, version, name, direction, status,"
			 " started_at, finished_at, execution_ms,"
			 " statements_done, error, backup_path, applied_by"
			 " FROM %s_history ORDER BY id DESC",
		 prefix, limit ? &PINT((int64_t)limit) : NULL, limit ? 1 : 0,
		 history_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	for (size_t i = 0; i < out->n / 2; i++) {
		strata_history_row t = out->rows[i];
		out->rows[i] = out->rows[out->n - 1 - i];
		out->rows[out->n - 1 - i] = t;
	}
	return rc;
}

void track_history_release(strata_history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		strata_history_row *r = &h->rows[i];
		free((char *)r->name);
		free((char *)r->direction);
		free((char *)r->status);
		free((char *)r->started_at);
		free((char *)r->finished_at);
		free((char *)r->error);
		free((char *)r->backup_path);
		free((char *)r->applied_by);
	}
	free(h->rows);
	h->rows = NULL;
	h->n = 0;
}

/* ---- the attempt in progress --------------------------------------------- */

/*
 * Server engines (those with insert_id) record an attempt as a 'running'
 * history row committed before the migration starts; the migration's own
 * transaction turns it into its final row.  File engines record it in the
 * lock file (their attempt_* methods) and insert the final row instead.
 */
static bool row_protocol(const struct engine_conn *c)
{
	return c->eng->insert_id != NULL;
}

const char *attempt_status(bool implicit_commit)
{
	return implicit_commit ? "dirty" : "failed";
}

int track_attempt_begin(struct engine_conn *c, const char *prefix,
			struct attempt *a, unsigned how, bool *recorded)
{
	const struct engine *e = c->eng;
	char *sql;
	int rc = STRATA_OK;

	a->id = -1;
	*recorded = false;
	if (!row_protocol(c)) {
		if ((how & ATTEMPT_RESET) && e->session_reset)
			rc = e->session_reset(c);
		if (!rc)
			rc = e->attempt_begin(c, a, &a->id);
		*recorded = !rc;
		if (!rc && (how & ATTEMPT_BEGIN))
			rc = e->begin(c);
		return rc;
	}
	if (!e->session_reset)
		how &= ~ATTEMPT_RESET;
	struct sql_param p[5] = {
		PINT(a->version),
		PTEXT(a->name),
		PTEXT(a->direction == STRATA_DOWN ? "down" : "up"),
		PTEXT(a->started_at),
		PTEXT(util_user_host()),
	};
	sql = track_sql(c, prefix,
			"INSERT INTO %s_history (version, name, direction,"
			" status, started_at, applied_by)"
			" SELECT ?, ?, ?, 'running', ?, ?");
	if (!sql)
		return STRATA_ENOMEM;
	rc = e->insert_id(c, sql, p, 5, how, &a->id);
	free(sql);
	*recorded = a->id > 0;
	if (!rc && a->id <= 0)
		rc = err_set(c->ctx, STRATA_ESQL,
			     "cannot record the attempt: no history id");
	return rc;
}

void track_attempt_committed(struct engine_conn *c, const char *prefix,
			     const struct attempt *a, long statements_done)
{
	struct sql_param p[2] = { PINT(statements_done), PINT(a->id) };

	/* Outside any transaction: on record at once, for a killed runner. */
	if (row_protocol(c) && a->id > 0 &&
	    run(c, "UPDATE %s_history SET statements_done = ? WHERE id = ?",
		prefix, p, 2, NULL, NULL))
		err_clear(c->ctx); /* only a later recovery is less exact */
}

int track_attempt_record(struct engine_conn *c, const char *prefix,
			 const struct attempt *a, const struct hist_row *h)
{
	if (row_protocol(c) && a->id > 0)
		return track_finish_history(c, prefix, a->id, h);
	return track_insert_history(c, prefix, h);
}

int track_attempt_end(struct engine_conn *c)
{
	return row_protocol(c) ? STRATA_OK : c->eng->attempt_end(c);
}

struct running_read {
	struct attempt *a;
	bool oom;
};

static int running_row(void *payload, int ncol, const char *const *v)
{
	struct running_read *r = payload;
	struct attempt *a = r->a;

	(void)ncol;
	a->present = true;
	a->id = num(v[0]);
	a->version = num(v[1]);
	a->name = dup_or_null(v[2], &r->oom);
	a->direction = v[3] && !strcmp(v[3], "down") ? STRATA_DOWN : STRATA_UP;
	a->started_at = dup_or_null(v[4], &r->oom);
	a->implicit = v[5] != NULL;
	return 1;
}

int track_attempt_peek(struct engine_conn *c, const char *prefix, bool tables,
		       struct attempt *a)
{
	struct running_read r = { a, false };
	int rc;

	if (!row_protocol(c))
		return c->eng->attempt_peek(c, prefix, a);
	attempt_release(a);
	if (!tables) /* no history table: no row */
		return STRATA_OK;
	rc = run(c,
		 "SELECT id, version, name, direction, started_at,"
		 " statements_done FROM %s_history WHERE status = 'running'"
		 " ORDER BY id DESC LIMIT 1",
		 prefix, NULL, 0, running_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	if (rc || !a->present)
		return rc;
	/* Held by us: the row is a dead runner's.  By another: it runs. */
	return c->eng->lock_held_elsewhere(c, prefix, &a->alive, &a->holder);
}

struct open_read {
	bool *dirty;
	int64_t *dirty_version;
	struct attempt *a;
	bool oom;
};

static int open_row(void *payload, int ncol, const char *const *v)
{
	struct open_read *r = payload;

	if (v[6] && !strcmp(v[6], "dirty")) {
		if (!*r->dirty) {
			*r->dirty = true;
			*r->dirty_version = num(v[1]);
		}
	} else if (!r->a->present) {
		struct running_read rr = { r->a, false };

		running_row(&rr, ncol, v);
		r->oom = r->oom || rr.oom;
	}
	return 0;
}

int track_open_attempts(struct engine_conn *c, const char *prefix, bool tables,
			bool *dirty, int64_t *dirty_version, struct attempt *a)
{
	struct open_read r = { dirty, dirty_version, a, false };
	int rc;

	*dirty = false;
	*dirty_version = -1;
	attempt_release(a);
	if (!row_protocol(c)) {
		rc = tables ? track_dirty(c, prefix, dirty, dirty_version)
			    : STRATA_OK;
		return rc ? rc : c->eng->attempt_peek(c, prefix, a);
	}
	if (!tables)
		return STRATA_OK;
	/* Both kinds of open row in one query (the partial index's rows). */
	rc = run(c,
		 "SELECT id, version, name, direction, started_at,"
		 " statements_done, status FROM %s_history"
		 " WHERE status IN ('running', 'dirty') ORDER BY id DESC",
		 prefix, NULL, 0, open_row, &r);
	if (!rc && r.oom)
		rc = err_oom(c->ctx);
	if (rc || !a->present)
		return rc;
	return c->eng->lock_held_elsewhere(c, prefix, &a->alive, &a->holder);
}
