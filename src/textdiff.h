/* textdiff.h - a unified diff of two texts, line by line. */
#ifndef STRATA_TEXTDIFF_H
#define STRATA_TEXTDIFF_H

/*
 * The lines of 'a' and 'b' compared as "diff -u" does: "--- label_a",
 * "+++ label_b", then hunks "@@ -l,n +l,n @@" with 'context' unchanged
 * lines around each change, removed lines "-", added "+".  Equal texts
 * give "".  The caller frees the result; NULL when memory ran out.  Long
 * texts whose changed middles are too large to align line by line are
 * shown as one hunk: every old line removed, every new one added.
 */
char *textdiff_unified(const char *a, const char *b, const char *label_a,
		       const char *label_b, int context);

#endif
