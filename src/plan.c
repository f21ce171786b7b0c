/* plan.c - compare migrations with applied rows; decide what runs. */
#include "plan.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* ---- applied rows ------------------------------------------------------ */

/* malloc(n * size) with the product checked; NULL for n == 0 too. */
static void *alloc_array(size_t n, size_t size)
{
	if (!n || !size || n > SIZE_MAX / size)
		return NULL;
	return malloc(n * size);
}

struct applied_block {
	struct applied_block *next;
	size_t used, cap;
	char data[];
};

#define APPLIED_BLOCK (64u * 1024u)

/* A copy of s in the list's blocks; *ok false on OOM (NULL stays NULL). */
static char *arena_dup(struct applied_list *al, const char *s, bool *ok)
{
	struct applied_block *b = al->blocks;
	size_t n;
	char *d;

	if (!s || !*ok)
		return NULL;
	n = strlen(s) + 1;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > APPLIED_BLOCK ? n : APPLIED_BLOCK;

		if (!(b = malloc(sizeof(*b) + cap))) {
			*ok = false;
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = al->blocks;
		al->blocks = b;
	}
	d = b->data + b->used;
	memcpy(d, s, n);
	b->used += n;
	return d;
}

int applied_push(struct applied_list *al, int64_t version, const char *name,
		 const char *description, const char *checksum,
		 const char *applied_at, int64_t execution_ms,
		 const char *applied_by)
{
	struct applied row = { 0 };
	bool ok = true;

	if (al->n == al->cap) {
		size_t cap = al->cap ? al->cap : 16;
		struct applied *p;

		if (al->cap) {
			if (al->cap > SIZE_MAX / 2 / sizeof(*p))
				return STRATA_ENOMEM;
			cap = al->cap * 2;
		}
		p = realloc(al->items, cap * sizeof(*p));
		if (!p)
			return STRATA_ENOMEM;
		al->items = p;
		al->cap = cap;
	}

	row.version = version;
	row.execution_ms = execution_ms;
	row.name = arena_dup(al, name, &ok);
	row.description = arena_dup(al, description, &ok);
	row.checksum = arena_dup(al, checksum, &ok);
	row.applied_at = arena_dup(al, applied_at, &ok);
	row.applied_by = arena_dup(al, applied_by, &ok);
	if (!ok)
		return STRATA_ENOMEM; /* what was copied goes with the list */
	al->items[al->n++] = row;
	return STRATA_OK;
}

static int cmp_version(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int applied_cmp(const void *pa, const void *pb)
{
	const struct applied *a = pa;
	const struct applied *b = pb;

	return cmp_version(a->version, b->version);
}

void applied_sort(struct applied_list *al)
{
	size_t i = 1;

	while (i < al->n && al->items[i - 1].version < al->items[i].version)
		i++;
	if (i < al->n)
		qsort(al->items, al->n, sizeof(*al->items), applied_cmp);
}

const struct applied *applied_find(const struct applied_list *al,
				   int64_t version)
{
	size_t lo = 0, hi = al->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v = al->items[mid].version;

		if (v == version)
			return &al->items[mid];
		if (v < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void applied_release(struct applied_list *al)
{
	while (al->blocks) {
		struct applied_block *next = al->blocks->next;

		free(al->blocks);
		al->blocks = next;
	}
	free(al->items);
	al->items = NULL;
	al->n = al->cap = 0;
}

/* ---- the diff ---------------------------------------------------------- */

/*
 * A row recorded without a checksum cannot vouch for its file, so it
 * counts as modified: 'repair --yes' records the file's checksum.
 */
static bool checksum_differs(const struct migration *m, const struct applied *a)
{
	return !a->checksum || strcmp(m->checksum, a->checksum) != 0;
}

int plan_diff_build(const struct source *src, const struct applied_list *al,
		    struct plan_diff *out)
{
	size_t i = 0, j = 0;

	memset(out, 0, sizeof(*out));
	if (al->n) {
		out->has_applied = true;
		out->max_applied = al->items[al->n - 1].version;
	}

	/*
	 * Upper bounds, so the walk never reallocates: every file may be
	 * pending or modified, every row may be missing.
	 */
	if (src->n) {
		out->pending = alloc_array(src->n, sizeof(*out->pending));
		out->modified = alloc_array(src->n, sizeof(*out->modified));
		if (!out->pending || !out->modified)
			goto oom;
	}
	if (al->n) {
		out->missing = alloc_array(al->n, sizeof(*out->missing));
		if (!out->missing)
			goto oom;
	}

	while (i < src->n || j < al->n) {
		const struct migration *m = i < src->n ? &src->items[i] : NULL;
		const struct applied *a = j < al->n ? &al->items[j] : NULL;

		/* Both inputs are sorted by version: one pass merges them. */
		assert(!m || i == 0 || src->items[i - 1].version < m->version);
		assert(!a || j == 0 || al->items[j - 1].version < a->version);

		if (m && (!a || m->version < a->version)) {
			struct pending *p = &out->pending[out->n_pending++];

			p->idx = i++;
			p->out_of_order = out->has_applied &&
					  m->version < out->max_applied;
		} else if (a && (!m || a->version < m->version)) {
			out->missing[out->n_missing++] = j++;
		} else {
			if (checksum_differs(m, a))
				out->modified[out->n_modified++] = i;
			i++;
			j++;
		}
	}
	return STRATA_OK;

oom:
	plan_diff_release(out);
	return STRATA_ENOMEM;
}

void plan_diff_release(struct plan_diff *d)
{
	free(d->pending);
	free(d->missing);
	free(d->modified);
	memset(d, 0, sizeof(*d));
}

/* ---- messages ---------------------------------------------------------- */

/* "'migrations/002_x.sql'", or "embedded migration 2_x" without a file. */
static void add_subject(struct sb *sb, const struct migration *m)
{
	if (m->path)
		sb_addf(sb, "'%s'", m->path);
	else
		sb_addf(sb, "embedded migration %" PRId64 "_%s", m->version,
			m->name ? m->name : "");
}

/* "migration 'path'" or "embedded migration 2_x", to open a sentence. */
static void add_subject_long(struct sb *sb, const struct migration *m)
{
	if (m->path)
		sb_adds(sb, "migration ");
	add_subject(sb, m);
}

/* Record the message built in sb as error rc (or out of memory). */
static int err_from_sb(strata *ctx, int rc, struct sb *sb)
{
	if (sb->failed) {
		sb_release(sb);
		return err_oom(ctx);
	}
	rc = err_set(ctx, rc, "%s", sb->buf);
	sb_release(sb);
	return rc;
}

static int refuse_modified(strata *ctx, const struct source *src,
			   const struct plan_diff *d)
{
	struct sb sb = SB_INIT;
	size_t k;

	if (d->n_modified == 1) {
		add_subject_long(&sb, &src->items[d->modified[0]]);
		sb_adds(&sb,
			" was modified after it was applied (checksum changed); restore it, or accept the change with 'strata repair --yes'");
		return err_from_sb(ctx, STRATA_ECHECKSUM, &sb);
	}
	sb_addf(&sb,
		"%zu applied migrations were modified after they were applied: ",
		d->n_modified);
	for (k = 0; k < d->n_modified; k++) {
		if (k)
			sb_adds(&sb, ", ");
		add_subject(&sb, &src->items[d->modified[k]]);
	}
	sb_adds(&sb,
		"; restore them, or accept the changes with 'strata repair --yes'");
	return err_from_sb(ctx, STRATA_ECHECKSUM, &sb);
}

/* ---- up ---------------------------------------------------------------- */

static int plan_alloc(strata *ctx, struct plan *out, size_t n)
{
	if (!n)
		return STRATA_OK;
	out->steps = alloc_array(n, sizeof(*out->steps));
	if (!out->steps)
		return err_oom(ctx);
	return STRATA_OK;
}

static int refuse_out_of_order(strata *ctx, const struct source *src,
			       const struct plan_diff *d, int64_t target,
			       size_t n_late)
{
	struct sb sb = SB_INIT;
	size_t k, seen = 0;

	if (n_late > 1) {
		sb_addf(&sb, "%zu pending migrations are older", n_late);
		sb_addf(&sb, " than the latest applied version %" PRId64 ": ",
			d->max_applied);
	}
	for (k = 0; k < d->n_pending; k++) {
		const struct pending *p = &d->pending[k];
		const struct migration *m = &src->items[p->idx];

		if (!p->out_of_order || m->version > target)
			continue;
		if (n_late == 1) {
			add_subject_long(&sb, m);
			sb_addf(&sb, " (version %" PRId64 ")", m->version);
			sb_addf(&sb,
				" is older than the latest applied version %" PRId64,
				d->max_applied);
			sb_adds(&sb, "; apply it with --allow-out-of-order");
			break;
		}
		if (seen++)
			sb_adds(&sb, ", ");
		add_subject(&sb, m);
		sb_addf(&sb, " (version %" PRId64 ")", m->version);
	}
	if (n_late > 1)
		sb_adds(&sb, "; apply them with --allow-out-of-order");
	return err_from_sb(ctx, STRATA_EORDER, &sb);
}

int plan_up(strata *ctx, const struct source *src,
	    const struct applied_list *al, int64_t target, unsigned flags,
	    struct plan *out)
{
	struct plan_diff d;
	size_t k, n = 0, n_late = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = plan_diff_build(src, al, &d);
	if (rc)
		return err_oom(ctx);

	if (d.n_modified && !(flags & STRATA_IGNORE_CHECKSUMS)) {
		rc = refuse_modified(ctx, src, &d);
		goto out;
	}

	for (k = 0; k < d.n_pending; k++) {
		const struct pending *p = &d.pending[k];

		if (src->items[p->idx].version > target)
			break; /* pending is in version order */
		n++;
		if (p->out_of_order)
			n_late++;
	}
	if (n_late && !(flags & STRATA_ALLOW_OUT_OF_ORDER)) {
		rc = refuse_out_of_order(ctx, src, &d, target, n_late);
		goto out;
	}

	rc = plan_alloc(ctx, out, n);
	if (rc)
		goto out;
	for (k = 0; k < n; k++) {
		const struct pending *p = &d.pending[k];
		struct plan_step *s = &out->steps[k];

		s->direction = STRATA_UP;
		s->m = &src->items[p->idx];
		s->version = s->m->version;
		s->a = NULL;
		s->out_of_order = p->out_of_order;
	}
	out->n = n;
out:
	plan_diff_release(&d);
	return rc;
}

/* ---- down -------------------------------------------------------------- */

/* NULL sorts as the oldest time. */
static int cmp_applied_at(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Most recently applied first: applied_at descending, then version. */
static int recent_first_cmp(const void *pa, const void *pb)
{
	const struct applied *a = *(const struct applied *const *)pa;
	const struct applied *b = *(const struct applied *const *)pb;
	int c = cmp_applied_at(b->applied_at, a->applied_at);

	return c ? c : cmp_version(b->version, a->version);
}

static int refuse_irreversible(strata *ctx, const struct plan *p)
{
	struct sb sb = SB_INIT;
	size_t k, n = 0, seen = 0;

	for (k = 0; k < p->n; k++)
		if (p->steps[k].m && !p->steps[k].m->down)
			n++;
	if (n > 1)
		sb_addf(&sb,
			"%zu migrations have no down section and are irreversible: ",
			n);
	for (k = 0; k < p->n; k++) {
		const struct migration *m = p->steps[k].m;

		if (!m || m->down)
			continue;
		if (n == 1) {
			add_subject_long(&sb, m);
			sb_adds(&sb,
				" has no down section: it is irreversible; nothing was rolled back");
			break;
		}
		if (seen++)
			sb_adds(&sb, ", ");
		add_subject(&sb, m);
	}
	if (n > 1)
		sb_adds(&sb, "; nothing was rolled back");
	return err_from_sb(ctx, STRATA_EIRREVERSIBLE, &sb);
}

int plan_down(strata *ctx, const struct source *src,
	      const struct applied_list *al, int64_t target, int steps,
	      struct plan *out)
{
	const struct applied **order = NULL;
	size_t k, n = 0;
	bool irreversible = false;
	int rc = STRATA_OK;

	memset(out, 0, sizeof(*out));
	if (!al->n)
		return STRATA_OK;

	order = alloc_array(al->n, sizeof(*order));
	if (!order)
		return err_oom(ctx);
	for (k = 0; k < al->n; k++)
		if (steps > 0 || al->items[k].version > target)
			order[n++] = &al->items[k];
	if (n > 1)
		qsort(order, n, sizeof(*order), recent_first_cmp);
	if (steps > 0 && (size_t)steps < n)
		n = (size_t)steps;

	rc = plan_alloc(ctx, out, n);
	if (rc)
		goto out;
	for (k = 0; k < n; k++) {
		struct plan_step *s = &out->steps[k];

		s->direction = STRATA_DOWN;
		s->version = order[k]->version;
		s->a = order[k];
		s->m = source_find(src, s->version);
		s->out_of_order = false;
		if (s->m && !s->m->down)
			irreversible = true;
	}
	out->n = n;
	if (irreversible) {
		rc = refuse_irreversible(ctx, out);
		plan_release(out);
	}
out:
	free(order);
	return rc;
}

void plan_release(struct plan *p)
{
	free(p->steps);
	p->steps = NULL;
	p->n = 0;
}
