/* ops.c - init, stamp, unstamp, repair and schema: the smaller calls. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "integrity.h"
#include "session.h"
#include "target.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int strata_init(strata *ctx)
{
	struct session s;
	int rc;

	err_clear(ctx);
	rc = session_open(ctx, &s, SESSION_WRITE);
	if (!rc)
		rc = session_ensure_tables(&s);
	session_close(&s);
	return rc;
}

static int push_item(strata_run *res, const struct migration *m)
{
	strata_run_item *grown;

	grown = realloc(res->done, (res->n_done + 1) * sizeof(*grown));
	if (!grown)
		return STRATA_ENOMEM;
	res->done = grown;
	res->done[res->n_done] = (strata_run_item){
		.direction = STRATA_UP,
		.version = m->version,
		.name = strdup(m->name),
	};
	return res->done[res->n_done++].name ? STRATA_OK : STRATA_ENOMEM;
}

/* Stamp rows for every known, unapplied migration up to version. */
static int stamp_rows(struct session *s, int64_t version, strata_run *res)
{
	const struct source *src = &s->ctx->src;
	char now[ISO_TIME_LEN];
	int rc = STRATA_OK;

	util_now_iso(now);
	for (size_t i = 0; i < src->n && !rc; i++) {
		const struct migration *m = &src->items[i];
		if (m->version > version)
			break;
		if (applied_find(&s->al, m->version))
			continue;
		struct hist_row h = {
			.version = m->version,
			.name = m->name,
			.direction = "stamp",
			.status = "success",
			.started_at = now,
			.finished_at = now,
			.execution_ms = 0,
			.statements_done = 0,
		};
		rc = track_insert_applied(s->c, s->ctx->table, m, now, 0);
		if (!rc)
			rc = track_insert_history(s->c, s->ctx->table, &h);
		if (!rc && push_item(res, m))
			rc = err_oom(s->ctx);
	}
	return rc;
}

int strata_stamp(strata *ctx, int64_t version, strata_run **out)
{
	int64_t *cleared = NULL;
	size_t n_cleared = 0;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return err_oom(ctx);
	rc = target_check(ctx, version);
	if (rc)
		return rc;
	rc = session_open(ctx, &s, SESSION_WRITE);
	if (!rc)
		rc = session_ensure_tables(&s);
	if (!rc)
		rc = s.e->begin(s.c);
	if (!rc) {
		rc = stamp_rows(&s, version, *out);
		/* A stamp says the user completed a dirty migration by hand. */
		if (!rc)
			rc = track_clear_dirty(s.c, ctx->table, &cleared,
					       &n_cleared);
		if (!rc)
			rc = s.e->commit(s.c);
		if (rc)
			s.e->rollback(s.c);
	}
	free(cleared);
	session_close(&s);
	return rc;
}

int strata_unstamp(strata *ctx, int64_t version)
{
	const struct applied *a;
	char now[ISO_TIME_LEN];
	struct session s;
	int rc;

	err_clear(ctx);
	rc = session_open(ctx, &s, SESSION_WRITE_EXISTING);
	if (rc)
		goto out;
	a = applied_find(&s.al, version);
	if (!a) {
		rc = err_set(ctx, STRATA_ENOTFOUND,
			     "version %lld is not applied: nothing to delete",
			     (long long)version);
		goto out;
	}
	util_now_iso(now);
	struct hist_row h = {
		.version = version,
		.name = a->name,
		.direction = "stamp",
		.status = "success",
		.started_at = now,
		.finished_at = now,
		.execution_ms = 0,
		.statements_done = 0,
		.error = "deleted",
	};
	rc = s.e->begin(s.c);
	if (!rc) {
		rc = track_delete_applied(s.c, ctx->table, version);
		if (!rc)
			rc = track_insert_history(s.c, ctx->table, &h);
		if (!rc)
			rc = s.e->commit(s.c);
		if (rc)
			s.e->rollback(s.c);
	}
out:
	session_close(&s);
	return rc;
}

/* ---- repair ------------------------------------------------------------ */

static int repair_checksums(struct session *s, strata_repair_result *r)
{
	struct plan_diff d = { 0 };

	if (plan_diff_build(&s->ctx->src, &s->al, &d))
		return err_oom(s->ctx);
	r->checksums =
		calloc(d.n_modified ? d.n_modified : 1, sizeof(*r->checksums));
	if (!r->checksums) {
		plan_diff_release(&d);
		return err_oom(s->ctx);
	}
	for (size_t i = 0; i < d.n_modified; i++) {
		const struct migration *m = &s->ctx->src.items[d.modified[i]];
		const struct applied *a = applied_find(&s->al, m->version);
		strata_repair_checksum *c = &r->checksums[r->n_checksums++];
		c->version = m->version;
		c->name = strdup(m->name);
		c->old_checksum = strdup(a->checksum ? a->checksum : "");
		c->new_checksum = strdup(m->checksum);
		if (!c->name || !c->old_checksum || !c->new_checksum) {
			plan_diff_release(&d);
			return err_oom(s->ctx); /* strata_repair_free frees */
		}
	}
	plan_diff_release(&d);
	return STRATA_OK;
}

static int repair_write(struct session *s, bool yes, strata_repair_result *r)
{
	const char *prefix = s->ctx->table;
	char now[ISO_TIME_LEN];
	int rc;

	util_now_iso(now);
	struct hist_row h = {
		.version = -1,
		.direction = "repair",
		.status = "success",
		.started_at = now,
		.finished_at = now,
		.execution_ms = 0,
		.statements_done = 0,
	};
	rc = track_clear_dirty(s->c, prefix, &r->dirty_cleared,
			       &r->n_dirty_cleared);
	for (size_t i = 0; !rc && i < r->n_dirty_cleared; i++) {
		h.version = r->dirty_cleared[i];
		rc = track_insert_history(s->c, prefix, &h);
	}
	if (rc || !yes || !r->n_checksums)
		return rc;
	for (size_t i = 0; !rc && i < r->n_checksums; i++)
		rc = track_update_applied(
			s->c, prefix,
			source_find(&s->ctx->src, r->checksums[i].version));
	h.version = -1;
	if (!rc)
		rc = track_insert_history(s->c, prefix, &h);
	if (!rc)
		r->checksums_written = true;
	return rc;
}

int strata_repair(strata *ctx, bool yes, strata_repair_result **out)
{
	strata_repair_result *r;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = r = calloc(1, sizeof(*r));
	if (!r)
		return err_oom(ctx);
	rc = session_open(ctx, &s, SESSION_WRITE_EXISTING);
	if (!rc)
		rc = integrity_refuse(&s, "repair");
	if (!rc && s.n_recovered) {
		r->interrupted = s.recovered;
		r->n_interrupted = s.n_recovered;
		s.recovered = NULL;
		s.n_recovered = 0;
	}
	if (!rc && s.tables)
		rc = repair_checksums(&s, r);
	if (!rc && s.tables) {
		rc = s.e->begin(s.c);
		if (!rc)
			rc = repair_write(&s, yes, r);
		if (!rc)
			rc = s.e->commit(s.c);
		if (rc)
			s.e->rollback(s.c);
	}
	session_close(&s);
	if (rc) {
		strata_repair_free(r);
		*out = NULL;
	}
	return rc;
}

void strata_repair_free(strata_repair_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_checksums; i++) {
		free((char *)r->checksums[i].name);
		free((char *)r->checksums[i].old_checksum);
		free((char *)r->checksums[i].new_checksum);
	}
	free(r->checksums);
	free(r->interrupted);
	free(r->dirty_cleared);
	free(r);
}

/* ---- schema ------------------------------------------------------------ */

int strata_schema(strata *ctx, int format, char **out)
{
	struct session s;
	int rc;

	err_clear(ctx);
	*out = NULL;
	if (format != STRATA_SCHEMA_SQL && format != STRATA_SCHEMA_JSON)
		return err_set(ctx, STRATA_EINVAL, "unknown schema format %d",
			       format);
	rc = session_open_existing(ctx, &s, SESSION_READ);
	if (!rc)
		rc = s.e->schema_dump(s.c, ctx->table, format, out);
	session_close(&s);
	return rc;
}
