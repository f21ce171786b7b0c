/*
 * test_plan.c - pending/missing/modified/out-of-order, and up/down plans.
 * Migrations and applied rows are built by hand; the context is a zeroed
 * struct strata, so this links with plan.c err.c sb.c and source.c (for
 * source_find; it pulls in parse.c and checksum.c) and nothing else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ctx.h"
#include "err.h"
#include "migration.h"
#include "plan.h"

/* Everything one test uses, freed by teardown even when a test fails. */
struct fx {
	struct strata c;
	struct source src;
	struct applied_list al;
	struct plan plan;
	struct plan_diff diff;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c.err_msg = (struct sb)SB_INIT;
	*state = f;
	return 0;
}

static void src_free(struct source *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		free(src->items[i].name);
		free(src->items[i].path);
		free(src->items[i].up);
		free(src->items[i].down);
	}
	free(src->items);
	memset(src, 0, sizeof(*src));
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_release(&f->plan);
	plan_diff_release(&f->diff);
	applied_release(&f->al);
	src_free(&f->src);
	sb_release(&f->c.err_msg);
	free(f);
	return 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/*
 * Add a migration by hand, in version order.  'path' NULL is an embedded
 * one; 'down' NULL is irreversible; 'sum' is the checksum string.
 */
static void src_add(struct source *src, int64_t version, const char *name,
		    const char *path, const char *down, const char *sum)
{
	struct migration *m;

	if (src->n == src->cap) {
		size_t cap = src->cap ? src->cap * 2 : 8;
		struct migration *p = realloc(src->items, cap * sizeof(*p));

		assert_non_null(p);
		src->items = p;
		src->cap = cap;
	}
	m = &src->items[src->n++];
	memset(m, 0, sizeof(*m));
	m->version = version;
	m->name = xstrdup(name);
	m->description = NULL;
	m->path = path ? xstrdup(path) : NULL;
	m->up = xstrdup("SELECT 1;");
	m->up_len = strlen(m->up);
	m->down = down ? xstrdup(down) : NULL;
	m->down_len = down ? strlen(down) : 0;
	assert_true(strlen(sum) <= CHECKSUM_HEX_LEN);
	snprintf(m->checksum, sizeof(m->checksum), "%s", sum);
}

static void al_add(struct applied_list *al, int64_t version, const char *name,
		   const char *sum, const char *applied_at)
{
	assert_int_equal(applied_push(al, version, name, "", sum, applied_at, 7,
				      "me@host"),
			 STRATA_OK);
}

static const char *errmsg(const struct fx *f)
{
	return f->c.err_msg.buf;
}

static void reset_err(struct fx *f)
{
	err_clear(&f->c);
}

/* ---- applied list ------------------------------------------------------ */

static void test_plan_applied_push_sort_find(void **state)
{
	struct fx *f = *state;
	const char *name = "three";
	const struct applied *a;

	al_add(&f->al, 30, name, "c", "2026-01-01T00:00:03.000Z");
	al_add(&f->al, 10, "one", "a", NULL);
	assert_int_equal(
		applied_push(&f->al, 20, NULL, NULL, NULL, NULL, 5, NULL),
		STRATA_OK);
	for (int i = 0; i < 40; i++) /* forces the array to grow */
		al_add(&f->al, 100 + i, "x", "s", "t");
	assert_int_equal(f->al.n, 43);
	assert_true(f->al.cap >= f->al.n);

	applied_sort(&f->al);
	for (size_t i = 1; i < f->al.n; i++)
		assert_true(f->al.items[i - 1].version <
			    f->al.items[i].version);

	a = applied_find(&f->al, 30);
	assert_non_null(a);
	assert_int_equal(a->version, 30);
	assert_string_equal(a->name, "three");
	assert_ptr_not_equal(a->name, name); /* copied */
	assert_string_equal(a->applied_by, "me@host");
	assert_int_equal(a->execution_ms, 7);

	a = applied_find(&f->al, 20);
	assert_non_null(a);
	assert_null(a->name);
	assert_null(a->checksum);
	assert_null(a->applied_at);
	assert_null(a->applied_by);
	assert_int_equal(a->execution_ms, 5);

	assert_non_null(applied_find(&f->al, 10));
	assert_non_null(applied_find(&f->al, 139));
	assert_null(applied_find(&f->al, 0));
	assert_null(applied_find(&f->al, 25));
	assert_null(applied_find(&f->al, 140));
	assert_null(applied_find(&f->al, INT64_MAX));
}

static void test_plan_applied_empty(void **state)
{
	struct fx *f = *state;
	struct applied_list empty = { 0 };

	(void)f;
	assert_null(applied_find(&empty, 1));
	applied_sort(&empty);
	applied_release(&empty);
	applied_release(&empty); /* twice is fine */
	assert_int_equal(empty.n, 0);
	assert_null(empty.items);
}

/* ---- the diff ---------------------------------------------------------- */

static void test_plan_diff_classifies(void **state)
{
	struct fx *f = *state;
	struct plan_diff *d = &f->diff;

	src_add(&f->src, 1, "a", "m/001_a.sql", "", "s1");
	src_add(&f->src, 2, "b", "m/002_b.sql", "", "s2");
	src_add(&f->src, 3, "c", "m/003_c.sql", "", "s3-new");
	src_add(&f->src, 5, "e", "m/005_e.sql", "", "s5");
	src_add(&f->src, 7, "g", "m/007_g.sql", "", "s7");
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 3, "c", "s3-old", "t3");
	al_add(&f->al, 4, "d", "s4", "t4");
	al_add(&f->al, 6, "f", "s6", "t6");

	assert_int_equal(plan_diff_build(&f->src, &f->al, d), STRATA_OK);
	assert_true(d->has_applied);
	assert_int_equal(d->max_applied, 6);

	assert_int_equal(d->n_pending, 3);
	assert_int_equal(f->src.items[d->pending[0].idx].version, 2);
	assert_true(d->pending[0].out_of_order);
	assert_int_equal(f->src.items[d->pending[1].idx].version, 5);
	assert_true(d->pending[1].out_of_order);
	assert_int_equal(f->src.items[d->pending[2].idx].version, 7);
	assert_false(d->pending[2].out_of_order);

	assert_int_equal(d->n_missing, 2);
	assert_int_equal(f->al.items[d->missing[0]].version, 4);
	assert_int_equal(f->al.items[d->missing[1]].version, 6);

	assert_int_equal(d->n_modified, 1);
	assert_int_equal(f->src.items[d->modified[0]].version, 3);

	plan_diff_release(d);
	assert_null(d->pending);
	assert_int_equal(d->n_pending, 0);
	plan_diff_release(d); /* a zeroed struct is fine */
}

static void test_plan_diff_null_checksum_is_modified(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "m/001_a.sql", "", "s1");
	assert_int_equal(applied_push(&f->al, 1, "a", "", NULL, "t", 0, NULL),
			 STRATA_OK);
	assert_int_equal(plan_diff_build(&f->src, &f->al, &f->diff), STRATA_OK);
	assert_int_equal(f->diff.n_modified, 1);
	assert_int_equal(f->diff.n_pending, 0);
	assert_int_equal(f->diff.n_missing, 0);
}

static void test_plan_diff_empty(void **state)
{
	struct fx *f = *state;
	struct plan_diff *d = &f->diff;

	assert_int_equal(plan_diff_build(&f->src, &f->al, d), STRATA_OK);
	assert_false(d->has_applied);
	assert_int_equal(d->n_pending, 0);
	assert_int_equal(d->n_missing, 0);
	assert_int_equal(d->n_modified, 0);
	plan_diff_release(d);

	/* Files only: all pending, none out of order. */
	src_add(&f->src, 1, "a", "m/001_a.sql", "", "s1");
	src_add(&f->src, 2, "b", "m/002_b.sql", "", "s2");
	assert_int_equal(plan_diff_build(&f->src, &f->al, d), STRATA_OK);
	assert_false(d->has_applied);
	assert_int_equal(d->n_pending, 2);
	assert_false(d->pending[0].out_of_order);
	assert_false(d->pending[1].out_of_order);
	plan_diff_release(d);

	/* Rows only: all missing. */
	src_free(&f->src);
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 2, "b", "s2", "t2");
	assert_int_equal(plan_diff_build(&f->src, &f->al, d), STRATA_OK);
	assert_true(d->has_applied);
	assert_int_equal(d->max_applied, 2);
	assert_int_equal(d->n_pending, 0);
	assert_int_equal(d->n_missing, 2);
	assert_int_equal(d->n_modified, 0);
}

static void test_plan_empty_plans(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	plan_release(&f->plan);
	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	plan_release(&f->plan);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 3, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	assert_int_equal(err_code(&f->c), 0);

	/* Everything applied: up has nothing to do. */
	src_add(&f->src, 1, "a", "m/001_a.sql", "", "s1");
	al_add(&f->al, 1, "a", "s1", "t1");
	plan_release(&f->plan);
	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 0);
}

/* ---- up ---------------------------------------------------------------- */

static void test_plan_up_targets(void **state)
{
	struct fx *f = *state;
	int64_t v;

	for (v = 1; v <= 5; v++)
		src_add(&f->src, v, "m", NULL, "", "s");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 5);
	for (v = 1; v <= 5; v++) {
		const struct plan_step *s = &f->plan.steps[v - 1];

		assert_int_equal(s->direction, STRATA_UP);
		assert_int_equal(s->version, v);
		assert_ptr_equal(s->m, &f->src.items[v - 1]);
		assert_null(s->a);
		assert_false(s->out_of_order);
	}
	plan_release(&f->plan);
	assert_null(f->plan.steps);

	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 3, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 3);
	assert_int_equal(f->plan.steps[2].version, 3);
	plan_release(&f->plan);

	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 0, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	plan_release(&f->plan);

	/* Two applied: the rest from 3, up to a target between versions. */
	al_add(&f->al, 1, "m", "s", "t1");
	al_add(&f->al, 2, "m", "s", "t2");
	src_add(&f->src, 10, "m", NULL, "", "s");
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 7, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 3);
	assert_int_equal(f->plan.steps[0].version, 3);
	assert_int_equal(f->plan.steps[2].version, 5);
	plan_release(&f->plan);

	/* A target below the current version does nothing. */
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 1, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	assert_int_equal(err_code(&f->c), 0);
}

static void test_plan_up_refuses_modified(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", "", "s1");
	src_add(&f->src, 2, "x", "migrations/002_x.sql", "", "changed");
	src_add(&f->src, 3, "c", "migrations/003_c.sql", "", "s3");
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 2, "x", "s2", "t2");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_ECHECKSUM);
	assert_int_equal(err_code(&f->c), STRATA_ECHECKSUM);
	assert_string_equal(
		errmsg(f),
		"migration 'migrations/002_x.sql' was modified after it was applied (checksum changed); restore it, or accept the change with 'strata repair --yes'");
	assert_int_equal(f->plan.n, 0);
	assert_null(f->plan.steps);

	/* A target below the modified one still refuses: it is validation. */
	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 1, 0, &f->plan),
			 STRATA_ECHECKSUM);

	/* The override plans the pending one. */
	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, STRATA_LATEST,
				 STRATA_IGNORE_CHECKSUMS, &f->plan),
			 STRATA_OK);
	assert_int_equal(err_code(&f->c), 0);
	assert_int_equal(f->plan.n, 1);
	assert_int_equal(f->plan.steps[0].version, 3);
}

static void test_plan_up_refuses_modified_names_all(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", "", "new1");
	src_add(&f->src, 2, "b", NULL, "", "new2");
	src_add(&f->src, 3, "c", "migrations/003_c.sql", "", "new3");
	src_add(&f->src, 4, "d", "migrations/004_d.sql", "", "s4");
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 2, "b", "s2", "t2");
	al_add(&f->al, 3, "c", "s3", "t3");
	al_add(&f->al, 4, "d", "s4", "t4");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_ECHECKSUM);
	assert_string_equal(
		errmsg(f),
		"3 applied migrations were modified after they were applied: 'migrations/001_a.sql', embedded migration 2_b, 'migrations/003_c.sql'; restore them, or accept the changes with 'strata repair --yes'");

	/* One embedded migration alone. */
	src_free(&f->src);
	applied_release(&f->al);
	reset_err(f);
	src_add(&f->src, 2, "b", NULL, "", "new2");
	al_add(&f->al, 2, "b", "s2", "t2");
	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_ECHECKSUM);
	assert_string_equal(
		errmsg(f),
		"embedded migration 2_b was modified after it was applied (checksum changed); restore it, or accept the change with 'strata repair --yes'");
}

static void test_plan_up_refuses_out_of_order(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", "", "s1");
	src_add(&f->src, 2, "x", "migrations/002_x.sql", "", "s2");
	src_add(&f->src, 5, "e", "migrations/005_e.sql", "", "s5");
	src_add(&f->src, 6, "f", "migrations/006_f.sql", "", "s6");
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 5, "e", "s5", "t5");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_EORDER);
	assert_int_equal(err_code(&f->c), STRATA_EORDER);
	assert_string_equal(
		errmsg(f),
		"migration 'migrations/002_x.sql' (version 2) is older than the latest applied version 5; apply it with --allow-out-of-order");
	assert_int_equal(f->plan.n, 0);
	assert_null(f->plan.steps);

	/* Only pending migrations up to the target count. */
	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 1, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 0);

	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, STRATA_LATEST,
				 STRATA_ALLOW_OUT_OF_ORDER, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 2);
	assert_int_equal(f->plan.steps[0].version, 2);
	assert_true(f->plan.steps[0].out_of_order);
	assert_ptr_equal(f->plan.steps[0].m, &f->src.items[1]);
	assert_int_equal(f->plan.steps[1].version, 6);
	assert_false(f->plan.steps[1].out_of_order);
}

static void test_plan_up_out_of_order_names_all(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 2, "b", "migrations/002_b.sql", "", "s2");
	src_add(&f->src, 3, "c", NULL, "", "s3");
	src_add(&f->src, 4, "d", "migrations/004_d.sql", "", "s4");
	al_add(&f->al, 9, "z", "s9", "t9");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_EORDER);
	assert_string_equal(
		errmsg(f),
		"3 pending migrations are older than the latest applied version 9: 'migrations/002_b.sql' (version 2), embedded migration 3_c (version 3), 'migrations/004_d.sql' (version 4); apply them with --allow-out-of-order");

	/* Up to 3 names only those two. */
	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, 3, 0, &f->plan),
			 STRATA_EORDER);
	assert_string_equal(
		errmsg(f),
		"2 pending migrations are older than the latest applied version 9: 'migrations/002_b.sql' (version 2), embedded migration 3_c (version 3); apply them with --allow-out-of-order");
}

static void test_plan_up_checksum_before_order(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", "", "changed");
	src_add(&f->src, 2, "b", "migrations/002_b.sql", "", "s2");
	al_add(&f->al, 1, "a", "s1", "t1");
	al_add(&f->al, 3, "c", "s3", "t3");

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_ECHECKSUM);
	reset_err(f);
	assert_int_equal(plan_up(&f->c, &f->src, &f->al, STRATA_LATEST,
				 STRATA_IGNORE_CHECKSUMS, &f->plan),
			 STRATA_EORDER);
	reset_err(f);
	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST,
			STRATA_IGNORE_CHECKSUMS | STRATA_ALLOW_OUT_OF_ORDER,
			&f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 1);
	assert_int_equal(f->plan.steps[0].version, 2);
}

/* ---- down -------------------------------------------------------------- */

/* Versions 1, 2, 3 applied in that order, all reversible. */
static void three_applied(struct fx *f)
{
	src_add(&f->src, 1, "a", "m/001_a.sql", "DROP TABLE a;", "s1");
	src_add(&f->src, 2, "b", "m/002_b.sql", "DROP TABLE b;", "s2");
	src_add(&f->src, 3, "c", "m/003_c.sql", "DROP TABLE c;", "s3");
	al_add(&f->al, 1, "a", "s1", "2026-01-01T00:00:01.000Z");
	al_add(&f->al, 2, "b", "s2", "2026-01-01T00:00:02.000Z");
	al_add(&f->al, 3, "c", "s3", "2026-01-01T00:00:03.000Z");
}

static void assert_down(const struct plan *p, const int64_t *want, size_t n)
{
	size_t k;

	assert_int_equal(p->n, n);
	for (k = 0; k < n; k++) {
		assert_int_equal(p->steps[k].direction, STRATA_DOWN);
		assert_int_equal(p->steps[k].version, want[k]);
		assert_non_null(p->steps[k].a);
		assert_int_equal(p->steps[k].a->version, want[k]);
	}
}

static void test_plan_down_steps(void **state)
{
	struct fx *f = *state;
	const int64_t want[] = { 3, 2, 1 };

	three_applied(f);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 1, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 1);
	assert_ptr_equal(f->plan.steps[0].m, &f->src.items[2]);
	assert_ptr_equal(f->plan.steps[0].a, &f->al.items[2]);
	plan_release(&f->plan);

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 2, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 2);
	plan_release(&f->plan);

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 10, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 3);
	plan_release(&f->plan);

	/* With steps, the target is not what limits it. */
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 2, 3, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 3);
	assert_int_equal(err_code(&f->c), 0);
}

static void test_plan_down_to_target(void **state)
{
	struct fx *f = *state;
	const int64_t want[] = { 3, 2, 1 };

	three_applied(f);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 1, 0, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 2);
	plan_release(&f->plan);

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 3, 0, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 0);
	plan_release(&f->plan);

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 99, 0, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 0);
	plan_release(&f->plan);

	/* A target between versions: 2 stays. */
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 2, 0, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, want, 1);
	plan_release(&f->plan);
}

static void test_plan_down_to_base(void **state)
{
	struct fx *f = *state;
	const int64_t want[] = { 3, 2, 1 };

	three_applied(f);
	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_down(&f->plan, want, 3);
	for (size_t k = 0; k < 3; k++)
		assert_ptr_equal(f->plan.steps[k].m, &f->src.items[2 - k]);
}

static void test_plan_down_most_recently_applied(void **state)
{
	struct fx *f = *state;
	const int64_t by_time[] = { 2, 5, 1 };
	const int64_t tie[] = { 3, 2, 5, 1 };
	const int64_t above2[] = { 3, 5 };

	/* 2 was applied out of order, after 5.  Empty downs are valid. */
	src_add(&f->src, 1, "a", "m/001_a.sql", "", "s1");
	src_add(&f->src, 2, "b", "m/002_b.sql", "", "s2");
	src_add(&f->src, 3, "c", "m/003_c.sql", "", "s3");
	src_add(&f->src, 5, "e", "m/005_e.sql", "", "s5");
	al_add(&f->al, 1, "a", "s1", "2026-01-01T00:00:01.000Z");
	al_add(&f->al, 2, "b", "s2", "2026-01-03T00:00:00.000Z");
	al_add(&f->al, 5, "e", "s5", "2026-01-02T00:00:00.000Z");

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 1, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, by_time, 1);
	plan_release(&f->plan);
	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_down(&f->plan, by_time, 3);
	plan_release(&f->plan);

	/* Same applied_at as 2: the higher version goes first. */
	al_add(&f->al, 3, "c", "s3", "2026-01-03T00:00:00.000Z");
	applied_sort(&f->al);
	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_down(&f->plan, tie, 4);
	plan_release(&f->plan);

	/* down 2: the versions above 2, most recently applied first. */
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 2, 0, &f->plan),
			 STRATA_OK);
	assert_down(&f->plan, above2, 2);
}

static void test_plan_down_refuses_irreversible(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", "DROP TABLE a;", "s1");
	src_add(&f->src, 2, "b", "migrations/002_b.sql", "", "s2");
	src_add(&f->src, 3, "x", "migrations/003_x.sql", NULL, "s3");
	src_add(&f->src, 4, "d", "migrations/004_d.sql", "DROP TABLE d;", "s4");
	al_add(&f->al, 1, "a", "s1", "2026-01-01T00:00:01.000Z");
	al_add(&f->al, 2, "b", "s2", "2026-01-01T00:00:02.000Z");
	al_add(&f->al, 3, "x", "s3", "2026-01-01T00:00:03.000Z");
	al_add(&f->al, 4, "d", "s4", "2026-01-01T00:00:04.000Z");

	/* Rolling back 4 alone is fine. */
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 1, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 1);
	plan_release(&f->plan);

	/* Down to 1 reaches 3, which has no down section. */
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 1, 0, &f->plan),
			 STRATA_EIRREVERSIBLE);
	assert_int_equal(err_code(&f->c), STRATA_EIRREVERSIBLE);
	assert_string_equal(
		errmsg(f),
		"migration 'migrations/003_x.sql' has no down section: it is irreversible; nothing was rolled back");
	assert_int_equal(f->plan.n, 0);
	assert_null(f->plan.steps);

	/* Two steps reach 3: refused as a whole. */
	reset_err(f);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 2, &f->plan),
			 STRATA_EIRREVERSIBLE);
	assert_int_equal(f->plan.n, 0);

	reset_err(f);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 2, 0, &f->plan),
			 STRATA_EIRREVERSIBLE);
	reset_err(f);
	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 3, 0, &f->plan),
			 STRATA_OK);
	assert_int_equal(f->plan.n, 1);
	assert_int_equal(f->plan.steps[0].version, 4);
	assert_string_equal(f->plan.steps[0].m->down, "DROP TABLE d;");
}

static void test_plan_down_irreversible_names_all(void **state)
{
	struct fx *f = *state;

	src_add(&f->src, 1, "a", "migrations/001_a.sql", NULL, "s1");
	src_add(&f->src, 2, "b", NULL, NULL, "s2");
	al_add(&f->al, 1, "a", "s1", "2026-01-01T00:00:01.000Z");
	al_add(&f->al, 2, "b", "s2", "2026-01-01T00:00:02.000Z");

	assert_int_equal(plan_down(&f->c, &f->src, &f->al, 0, 1, &f->plan),
			 STRATA_EIRREVERSIBLE);
	assert_string_equal(
		errmsg(f),
		"embedded migration 2_b has no down section: it is irreversible; nothing was rolled back");
	reset_err(f);
	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_EIRREVERSIBLE);
	assert_string_equal(
		errmsg(f),
		"2 migrations have no down section and are irreversible: embedded migration 2_b, 'migrations/001_a.sql'; nothing was rolled back");
}

static void test_plan_down_file_gone(void **state)
{
	struct fx *f = *state;
	const int64_t want[] = { 3, 2, 1 };

	/* 2 and 3 were applied on another branch: their files are gone. */
	src_add(&f->src, 1, "a", "m/001_a.sql", "DROP TABLE a;", "s1");
	al_add(&f->al, 1, "a", "s1", "2026-01-01T00:00:01.000Z");
	al_add(&f->al, 2, "b", "s2", "2026-01-01T00:00:02.000Z");
	al_add(&f->al, 3, "c", "s3", "2026-01-01T00:00:03.000Z");

	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_down(&f->plan, want, 3);
	assert_null(f->plan.steps[0].m);
	assert_null(f->plan.steps[1].m);
	assert_ptr_equal(f->plan.steps[2].m, &f->src.items[0]);
	assert_string_equal(f->plan.steps[1].a->name, "b");
	plan_release(&f->plan);

	/* Up is not stopped by missing files: they are a warning. */
	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, 0);
	assert_int_equal(err_code(&f->c), 0);
}

/* ---- scale ------------------------------------------------------------- */

#define BIG 100000

static void test_plan_diff_100k(void **state)
{
	struct fx *f = *state;
	char sum[CHECKSUM_HEX_LEN + 1];
	char name[32];
	int64_t v;

	memset(sum, 'a', CHECKSUM_HEX_LEN);
	sum[CHECKSUM_HEX_LEN] = '\0';
	f->src.items = calloc(BIG, sizeof(*f->src.items));
	assert_non_null(f->src.items);
	f->src.cap = BIG;

	/*
	 * Files 1..BIG; every version applied except multiples of 10 (so
	 * those are pending out of order); 7, 17, ... changed; and 50 rows
	 * above BIG whose files are gone.  Rows are pushed in reverse to make
	 * applied_sort work.
	 */
	for (v = 1; v <= BIG; v++) {
		struct migration *m = &f->src.items[f->src.n++];

		snprintf(name, sizeof(name), "m%" PRId64, v);
		m->version = v;
		m->name = xstrdup(name);
		m->up = xstrdup("SELECT 1;");
		m->up_len = 9;
		m->down = xstrdup("");
		memcpy(m->checksum, sum, sizeof(sum));
		if (v % 10 == 7)
			m->checksum[0] = 'b';
	}
	for (v = BIG + 50; v >= 1; v--) {
		if (v % 10 == 0 && v <= BIG)
			continue;
		al_add(&f->al, v, "m", sum, "2026-01-01T00:00:00.000Z");
	}
	applied_sort(&f->al);
	assert_non_null(applied_find(&f->al, BIG + 1));
	assert_null(applied_find(&f->al, 10));

	assert_int_equal(plan_diff_build(&f->src, &f->al, &f->diff), STRATA_OK);
	assert_int_equal(f->diff.n_pending, BIG / 10);
	assert_true(f->diff.pending[0].out_of_order);
	assert_int_equal(f->diff.n_missing, 50);
	assert_int_equal(f->diff.n_modified, BIG / 10);
	assert_int_equal(f->diff.max_applied, BIG + 50);

	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST, 0, &f->plan),
		STRATA_ECHECKSUM);
	assert_true(
		strstr(errmsg(f), "10000 applied migrations were modified") ==
		errmsg(f));
	reset_err(f);
	assert_int_equal(
		plan_up(&f->c, &f->src, &f->al, STRATA_LATEST,
			STRATA_IGNORE_CHECKSUMS | STRATA_ALLOW_OUT_OF_ORDER,
			&f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, BIG / 10);
	plan_release(&f->plan);

	assert_int_equal(
		plan_down(&f->c, &f->src, &f->al, STRATA_BASE, 0, &f->plan),
		STRATA_OK);
	assert_int_equal(f->plan.n, f->al.n);
	assert_int_equal(f->plan.steps[0].version, BIG + 50);
	assert_null(f->plan.steps[0].m);
	assert_int_equal(f->plan.steps[f->plan.n - 1].version, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_plan_applied_push_sort_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_applied_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_diff_classifies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_diff_null_checksum_is_modified, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_plan_diff_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_empty_plans, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_up_targets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_up_refuses_modified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_up_refuses_modified_names_all, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_up_refuses_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_up_out_of_order_names_all, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_up_checksum_before_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_down_steps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_down_to_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_down_to_base, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_down_most_recently_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_down_refuses_irreversible, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_down_irreversible_names_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_down_file_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_diff_100k, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
