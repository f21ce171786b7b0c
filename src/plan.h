/* plan.h - compare migrations with applied rows; decide what runs. */
#ifndef STRATA_PLAN_H
#define STRATA_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration.h"

/* One row of PREFIX_migrations (without the stored SQL, read on demand). */
struct applied {
	int64_t version;
	char *name;
	char *description;
	char *checksum;
	char *applied_at; /* UTC ISO-8601 with milliseconds: sorts as time */
	int64_t execution_ms;
	char *applied_by;
};

/* The rows' strings, copied into a few large blocks (one free each). */
struct applied_block;

struct applied_list {
	struct applied *items; /* sorted by version (applied_sort) */
	size_t n, cap;
	struct applied_block *blocks; /* newest first */
};

/*
 * Append a row (strings copied into the list's blocks, not one malloc
 * each; NULL stays NULL); STRATA_ENOMEM on failure.
 */
int applied_push(struct applied_list *al, int64_t version, const char *name,
		 const char *description, const char *checksum,
		 const char *applied_at, int64_t execution_ms,
		 const char *applied_by);
/* By version; a list read in order (the usual case) is only checked. */
void applied_sort(struct applied_list *al);
const struct applied *applied_find(const struct applied_list *al,
				   int64_t version);
void applied_release(struct applied_list *al);

/* A pending migration, and whether it is below the highest applied. */
struct pending {
	size_t idx; /* into source items */
	bool out_of_order;
};

/* Files against rows, in one merge walk: O(n + m) after sorting. */
struct plan_diff {
	struct pending *pending; /* version order */
	size_t n_pending;
	size_t *missing; /* into applied items: applied, no file */
	size_t n_missing;
	size_t *modified; /* into source items: applied, checksum differs */
	size_t n_modified;
	bool has_applied;
	int64_t max_applied;
};

int plan_diff_build(const struct source *src, const struct applied_list *al,
		    struct plan_diff *out);
void plan_diff_release(struct plan_diff *d);

struct plan_step {
	int direction; /* STRATA_UP, STRATA_DOWN */
	int64_t version;
	const struct migration *m; /* NULL: the file is gone (down only) */
	const struct applied *a;   /* down: the applied row */
	bool out_of_order;
};

struct plan {
	struct plan_step *steps;
	size_t n;
};

/*
 * Steps for up to 'target' (STRATA_LATEST: all pending).  Refuses with
 * STRATA_ECHECKSUM (naming every modified file) unless
 * STRATA_IGNORE_CHECKSUMS, and STRATA_EORDER (naming the migration) for an
 * out-of-order pending one unless STRATA_ALLOW_OUT_OF_ORDER.
 */
int plan_up(strata *ctx, const struct source *src,
	    const struct applied_list *al, int64_t target, unsigned flags,
	    struct plan *out);

/*
 * Steps for down: the 'steps' most recently applied (steps > 0), or every
 * applied migration above 'target', most recently applied first (by
 * applied_at, then version).  A step whose file exists but has no down
 * section makes the whole plan STRATA_EIRREVERSIBLE; steps whose file is
 * gone have m == NULL and the runner looks for stored SQL.
 */
int plan_down(strata *ctx, const struct source *src,
	      const struct applied_list *al, int64_t target, int steps,
	      struct plan *out);

void plan_release(struct plan *p);

#endif
