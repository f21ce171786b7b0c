/* status.c - the state of a database against its migrations; history. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "backup.h"
#include "err.h"
#include "session.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define RECENT_HISTORY 10

/*
 * A status and the memory behind its strings.  Callers see only 'pub';
 * strings are copied into 'strings', freed with the struct.
 */
struct status_box {
	strata_status pub;
	char **strings;
	size_t n_strings, cap_strings;
	bool oom;
	strata_history hist;
	char **backup_strings; /* two per backup */
	/* The session's applied rows, moved here: 'applied' and 'missing'
	 * point into their strings (no copy per row). */
	struct applied_list al;
};

static const char *keep(struct status_box *b, const char *s)
{
	char *copy;

	if (!s)
		return NULL;
	if (b->n_strings == b->cap_strings) {
		size_t cap = b->cap_strings ? b->cap_strings * 2 : 64;
		char **grown = realloc(b->strings, cap * sizeof(*grown));
		if (!grown) {
			b->oom = true;
			return NULL;
		}
		b->strings = grown;
		b->cap_strings = cap;
	}
	if (!(copy = strdup(s))) {
		b->oom = true;
		return NULL;
	}
	b->strings[b->n_strings++] = copy;
	return copy;
}

/* a is a row of b->al: its strings live as long as the box. */
static void applied_info(strata_applied_info *out, const struct applied *a)
{
	out->version = a->version;
	out->name = a->name;
	out->description = a->description;
	out->checksum = a->checksum;
	out->applied_at = a->applied_at;
	out->execution_ms = a->execution_ms;
	out->applied_by = a->applied_by;
}

static void file_info(struct status_box *b, strata_file_info *out,
		      const struct migration *m, bool out_of_order)
{
	out->version = m->version;
	out->name = keep(b, m->name);
	out->file = keep(b, m->path);
	out->out_of_order = out_of_order;
}

static void *alloc_n(struct status_box *b, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		b->oom = true;
	return p;
}

/* Add the attempt in progress (or left by a dead runner) as 'running'. */
static int add_running(struct session *s, struct status_box *b)
{
	struct attempt a = { .id = -1 };
	strata_history *h = &b->hist;
	strata_history_row *grown, *row;
	int rc;

	rc = track_attempt_peek(s->c, s->ctx->table, s->tables, &a);
	if (rc)
		return rc;
	if (a.holder)
		b->pub.lock_holder = keep(b, a.holder);
	if (a.present && a.id < 0) {
		grown = realloc(h->rows, (h->n + 1) * sizeof(*grown));
		if (!grown) {
			attempt_release(&a);
			return err_oom(s->ctx);
		}
		h->rows = grown;
		row = &h->rows[h->n++];
		memset(row, 0, sizeof(*row));
		row->id = -1;
		row->has_version = true;
		row->version = a.version;
		row->name = a.name ? strdup(a.name) : NULL;
		row->direction =
			strdup(a.direction == STRATA_DOWN ? "down" : "up");
		row->status = strdup("running");
		row->started_at = a.started_at ? strdup(a.started_at) : NULL;
		row->execution_ms = -1;
		row->statements_done = -1;
		if (!a.alive)
			row->error = strdup("its runner is gone");
		if ((a.name && !row->name) || !row->direction || !row->status ||
		    (a.started_at && !row->started_at) ||
		    (!a.alive && !row->error))
			rc = err_oom(s->ctx); /* the box frees the row */
	}
	attempt_release(&a);
	return rc;
}

static int fill(struct session *s, struct status_box *b)
{
	strata *ctx = s->ctx;
	strata_status *st = &b->pub;
	struct plan_diff d = { 0 };
	int64_t dirty_version;
	int rc;

	st->database = keep(b, ctx->url.masked);
	st->engine = keep(b, s->e->name);
	st->exists = s->existed;
	st->format = mig_format_name(ctx->src.format);
	rc = plan_diff_build(&ctx->src, &s->al, &d);
	if (rc)
		return err_oom(ctx);
	if (s->al.n) {
		st->has_version = true;
		st->current_version = s->al.items[s->al.n - 1].version;
	}
	st->applied = alloc_n(b, s->al.n, sizeof(*st->applied));
	st->pending = alloc_n(b, d.n_pending, sizeof(*st->pending));
	st->missing = alloc_n(b, d.n_missing, sizeof(*st->missing));
	st->modified = alloc_n(b, d.n_modified, sizeof(*st->modified));
	if (b->oom) {
		plan_diff_release(&d);
		return err_oom(ctx);
	}
	/* The rows go with the box (session_close then frees nothing). */
	b->al = s->al;
	memset(&s->al, 0, sizeof(s->al));
	for (size_t i = 0; i < b->al.n; i++)
		applied_info(&st->applied[st->n_applied++], &b->al.items[i]);
	for (size_t i = 0; i < d.n_pending; i++)
		file_info(b, &st->pending[st->n_pending++],
			  &ctx->src.items[d.pending[i].idx],
			  d.pending[i].out_of_order);
	for (size_t i = 0; i < d.n_missing; i++)
		applied_info(&st->missing[st->n_missing++],
			     &b->al.items[d.missing[i]]);
	for (size_t i = 0; i < d.n_modified; i++)
		file_info(b, &st->modified[st->n_modified++],
			  &ctx->src.items[d.modified[i]], false);
	plan_diff_release(&d);
	rc = backup_list(ctx, false, &st->n_backups, &st->backups,
			 &b->backup_strings);
	if (rc)
		return rc;
	if (!s->c)
		return b->oom ? err_oom(ctx) : STRATA_OK;
	if (s->tables) {
		rc = track_dirty(s->c, ctx->table, &st->dirty, &dirty_version);
		if (!rc)
			rc = track_read_history(s->c, ctx->table,
						RECENT_HISTORY, &b->hist);
		if (rc)
			return rc;
	} else if ((rc = adopt_hint(s, false))) {
		return rc; /* another tool's table: a warning */
	}
	rc = add_running(s, b);
	st->history = b->hist.rows;
	st->n_history = b->hist.n;
	return b->oom ? err_oom(ctx) : rc;
}

/* Open the database for reading and fill a new box with 'fill'. */
static int read_box(strata *ctx,
		    int (*fill_fn)(struct session *s, struct status_box *b),
		    struct status_box **out)
{
	struct status_box *b;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return err_oom(ctx);
	rc = session_open(ctx, &s, SESSION_READ);
	if (!rc)
		rc = fill_fn(&s, b);
	session_close(&s);
	if (!rc && b->oom)
		rc = err_oom(ctx);
	if (rc) {
		strata_status_free(&b->pub);
		return rc;
	}
	*out = b;
	return STRATA_OK;
}

int strata_status_get(strata *ctx, strata_status **out)
{
	struct status_box *b;
	int rc = read_box(ctx, fill, &b);

	*out = rc ? NULL : &b->pub;
	return rc;
}

void strata_status_free(strata_status *st)
{
	struct status_box *b = (struct status_box *)st;

	if (!b)
		return;
	for (size_t i = 0; i < b->n_strings; i++)
		free(b->strings[i]);
	free(b->strings);
	free(st->applied);
	free(st->pending);
	free(st->missing);
	free(st->modified);
	for (size_t i = 0; b->backup_strings && i < 2 * st->n_backups; i++)
		free(b->backup_strings[i]);
	free(b->backup_strings);
	free(st->backups);
	track_history_release(&b->hist);
	applied_release(&b->al);
	free(b);
}

static int fill_history(struct session *s, struct status_box *b)
{
	int rc = STRATA_OK;

	if (s->tables)
		rc = track_read_history(s->c, s->ctx->table, 0, &b->hist);
	if (!rc && s->c)
		rc = add_running(s, b);
	return rc;
}

int strata_history_get(strata *ctx, strata_history **out)
{
	struct status_box *b;
	int rc = read_box(ctx, fill_history, &b);

	/* The history is the part of the box the caller sees. */
	*out = rc ? NULL : &b->hist;
	return rc;
}

void strata_history_free(strata_history *h)
{
	struct status_box *b;

	if (!h)
		return;
	/* h is the 'hist' member of a status_box (see strata_history_get). */
	b = (struct status_box *)(void *)((char *)h -
					  offsetof(struct status_box, hist));
	strata_status_free(&b->pub);
}
