/*
 * roundtrip.c - strata test: every migration's down proven to restore the
 * schema, on a scratch database the engine makes and drops.  The runner
 * is reused through the public calls: a second context on the scratch
 * URL, given the same migrations, runs strata_up/strata_down step by step
 * and strata_schema dumps the schema between the steps.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "err.h"
#include "session.h"
#include "textdiff.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define RUN_FLAGS \
	(STRATA_ALLOW_OUT_OF_ORDER | STRATA_IGNORE_CHECKSUMS | STRATA_NO_BACKUP)

/* The same migrations, their texts borrowed from ctx (which outlives t). */
static int copy_source(strata *t, const strata *ctx)
{
	const struct source *src = &ctx->src;

	if (!src->n)
		return STRATA_OK;
	t->src.items = calloc(src->n, sizeof(*t->src.items));
	if (!t->src.items)
		return err_oom(t);
	t->src.cap = src->n;
	for (size_t i = 0; i < src->n; i++) {
		const struct migration *m = &src->items[i];
		struct migration *c = &t->src.items[i];

		*c = *m;
		c->borrowed = true;
		c->description = m->description ? strdup(m->description) : NULL;
		c->path = m->path ? strdup(m->path) : NULL;
		c->down_path = m->down_path ? strdup(m->down_path) : NULL;
		t->src.n = i + 1;
		if ((m->description && !c->description) ||
		    (m->path && !c->path) || (m->down_path && !c->down_path))
			return err_oom(t);
	}
	return STRATA_OK;
}

/* A context on the scratch database, with ctx's settings and migrations. */
static int open_scratch(strata *ctx, const struct scratch *sc, strata **out)
{
	strata *t;
	int rc = strata_open(out, NULL);

	t = *out;
	if (rc)
		return rc == STRATA_ENOMEM ? err_oom(ctx) : rc;
	rc = scratch_url_copy(t, &t->url, &sc->url);
	if (!rc) {
		t->has_url = true;
		rc = strata_set_table(t, ctx->table);
	}
	if (!rc)
		rc = copy_source(t, ctx);
	if (rc)
		return err_set(ctx, rc, "%s", strata_errmsg(t));
	t->lock_timeout = ctx->lock_timeout;
	t->auto_backup = 0;
	t->log_fn = ctx->log_fn;
	t->log_payload = ctx->log_payload;
	return STRATA_OK;
}

struct test_run {
	strata *ctx, *t;
	strata_test_result *res;
	bool oom;
};

static strata_test_item *add_item(struct test_run *r, const struct migration *m,
				  int outcome)
{
	strata_test_result *res = r->res;
	strata_test_item *grown =
		realloc(res->items, (res->n + 1) * sizeof(*grown));
	strata_test_item *it;

	if (!grown) {
		r->oom = true;
		return NULL;
	}
	res->items = grown;
	it = &res->items[res->n++];
	memset(it, 0, sizeof(*it));
	it->version = m->version;
	it->outcome = outcome;
	it->name = strdup(m->name);
	it->file = m->path ? strdup(m->path) : NULL;
	if (!it->name || (m->path && !it->file))
		r->oom = true;
	return it;
}

static void set_text(struct test_run *r, const char **field, const char *s)
{
	*field = s ? strdup(s) : NULL;
	if (s && !*field)
		r->oom = true;
}

static void broken(struct test_run *r, strata_test_item *it, const char *phase,
		   const char *error)
{
	it->outcome = STRATA_TEST_BROKEN;
	set_text(r, &it->phase, phase);
	set_text(r, &it->error, error);
}

static int dump(struct test_run *r, char **out)
{
	int rc = strata_schema(r->t, STRATA_SCHEMA_JSON, out);

	if (rc)
		err_set(r->ctx, rc,
			"cannot read the scratch database's schema: %s",
			strata_errmsg(r->t));
	return rc;
}

/* Run one migration through up, down, compare, up again. */
static int test_one(struct test_run *r, const struct migration *m, bool *stop)
{
	strata_test_item *it = add_item(r, m, STRATA_TEST_REVERSIBLE);
	char *before = NULL, *after = NULL, label_a[96], label_b[96];
	strata_run *run = NULL;
	int rc;

	if (!it)
		return err_oom(r->ctx);
	rc = dump(r, &before);
	if (rc)
		return rc;
	if (strata_up(r->t, m->version, RUN_FLAGS, &run)) {
		broken(r, it, "up",
		       run && run->error ? run->error : strata_errmsg(r->t));
		*stop = true;
		goto out;
	}
	strata_run_free(run);
	run = NULL;
	if (!m->down) {
		it->outcome = STRATA_TEST_IRREVERSIBLE;
		goto out;
	}
	if (strata_down(r->t, STRATA_BASE, 1, RUN_FLAGS, &run)) {
		strata_status *st = NULL;

		broken(r, it, "down",
		       run && run->error ? run->error : strata_errmsg(r->t));
		/* Go on only from where the next up expects to start. */
		if (strata_status_get(r->t, &st) || st->dirty ||
		    !st->has_version || st->current_version != m->version)
			*stop = true;
		strata_status_free(st);
		goto out;
	}
	strata_run_free(run);
	run = NULL;
	rc = dump(r, &after);
	if (rc)
		goto out;
	if (strcmp(before, after) != 0) {
		const char *base = m->path ? strrchr(m->path, '/') : NULL;
		const char *dbase =
			m->down_path ? strrchr(m->down_path, '/') : NULL;
		char *diff;

		base = base ? base + 1 : m->path;
		dbase = dbase ? dbase + 1 : m->down_path ? m->down_path : base;
		if (base) {
			snprintf(label_a, sizeof(label_a), "before up (%s)",
				 base);
			snprintf(label_b, sizeof(label_b), "after down (%s)",
				 dbase);
		} else {
			snprintf(label_a, sizeof(label_a),
				 "before up (%" PRId64 "_%s)", m->version,
				 m->name);
			snprintf(label_b, sizeof(label_b),
				 "after down (%" PRId64 "_%s)", m->version,
				 m->name);
		}
		diff = textdiff_unified(before, after, label_a, label_b, 3);
		it->outcome = STRATA_TEST_BROKEN;
		set_text(r, &it->phase, "schema");
		if (!diff)
			r->oom = true;
		it->diff = diff;
	}
	if (strata_up(r->t, m->version, RUN_FLAGS, &run)) {
		const char *msg =
			run && run->error ? run->error : strata_errmsg(r->t);

		/* After a down that left something, the up often trips on it.
		 */
		if (it->outcome != STRATA_TEST_BROKEN)
			broken(r, it, "up again", msg);
		else
			set_text(r, &it->error, msg);
		*stop = true;
	}
out:
	strata_run_free(run);
	free(before);
	free(after);
	if (!rc && r->oom)
		rc = err_oom(r->ctx);
	return rc;
}

/*
 * Bring the scratch database to the live state: a copy of the file, or
 * (servers) the live version's migrations applied again.
 */
static int start_from_live(struct session *live, const struct scratch *sc,
			   int64_t *version)
{
	*version = live->al.n ? live->al.items[live->al.n - 1].version : 0;
	if (!live->c)
		return STRATA_OK; /* no database yet: the same as base */
	/* A file is copied whole, tables strata does not track included. */
	if ((live->e->caps & ENGINE_FILE) && sc->file)
		return live->e->backup(live->c, sc->file);
	return STRATA_OK; /* servers: after the scratch context is open */
}

static int replay_live(struct test_run *r, int64_t version)
{
	strata_run *run = NULL;
	int rc = strata_up(r->t, version, RUN_FLAGS, &run);

	if (rc)
		err_set(r->ctx, rc,
			"cannot bring the scratch database to the live version %" PRId64
			": %s",
			version,
			run && run->error ? run->error : strata_errmsg(r->t));
	strata_run_free(run);
	return rc;
}

int strata_test(strata *ctx, int64_t target, unsigned flags,
		strata_test_result **out)
{
	struct test_run r = { .ctx = ctx };
	struct session live;
	struct scratch sc;
	const struct engine *e;
	int64_t start = 0;
	bool stop = false, from_live = flags & STRATA_TEST_FROM_LIVE;
	int rc;

	err_clear(ctx);
	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	if (target != STRATA_LATEST && target != 0 &&
	    !source_find(&ctx->src, target))
		return err_set(ctx, STRATA_ENOTFOUND,
			       "no migration has version %" PRId64, target);
	r.res = calloc(1, sizeof(*r.res));
	if (!r.res)
		return err_oom(ctx);
	r.res->from_live = from_live;
	rc = session_open(ctx, &live, SESSION_READ);
	if (rc) {
		strata_test_free(r.res);
		return rc;
	}
	e = live.e;
	if (!e->scratch_create || !e->scratch_drop) {
		session_close(&live);
		strata_test_free(r.res);
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"strata test: the %s engine cannot make a scratch database",
			e->name);
	}
	rc = e->scratch_create(ctx, &ctx->url, &sc);
	if (!rc && from_live)
		rc = start_from_live(&live, &sc, &start);
	session_close(&live);
	if (!rc)
		rc = open_scratch(ctx, &sc, &r.t);
	if (!rc && from_live && start && !(e->caps & ENGINE_FILE))
		rc = replay_live(&r, start);
	if (!rc && strata_init(r.t))
		rc = err_set(ctx, err_code(r.t) ? err_code(r.t) : STRATA_ERROR,
			     "cannot prepare the scratch database: %s",
			     strata_errmsg(r.t));
	r.res->start_version = start;
	if (!rc && sc.what && !(r.res->scratch = strdup(sc.what)))
		rc = err_oom(ctx);
	for (size_t i = 0; !rc && i < ctx->src.n; i++) {
		const struct migration *m = &ctx->src.items[i];

		if (m->version > target)
			break;
		if (m->version <= start)
			continue;
		if (stop) {
			if (!add_item(&r, m, STRATA_TEST_UNTESTED) || r.oom)
				rc = err_oom(ctx);
			continue;
		}
		rc = test_one(&r, m, &stop);
	}
	strata_close(r.t);
	if (sc.name || sc.url.engine)
		e->scratch_drop(ctx, &ctx->url, &sc);
	if (rc) {
		strata_test_free(r.res);
		return rc;
	}
	for (size_t i = 0; i < r.res->n; i++) {
		switch (r.res->items[i].outcome) {
		case STRATA_TEST_REVERSIBLE: r.res->n_reversible++; break;
		case STRATA_TEST_IRREVERSIBLE: r.res->n_irreversible++; break;
		case STRATA_TEST_BROKEN: r.res->n_broken++; break;
		default: r.res->n_untested++; break;
		}
	}
	r.res->ok = r.res->n_broken == 0;
	*out = r.res;
	return STRATA_OK;
}

void strata_test_free(strata_test_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		strata_test_item *it = &r->items[i];

		free((char *)it->name);
		free((char *)it->file);
		free((char *)it->phase);
		free((char *)it->error);
		free((char *)it->diff);
	}
	free(r->items);
	free((char *)r->scratch);
	free(r);
}
