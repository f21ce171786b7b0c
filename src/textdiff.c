/*
 * textdiff.c - a unified diff: common first and last lines set aside, the
 * middle aligned by a longest common subsequence of lines (quadratic, so
 * bounded), then hunks with context as "diff -u" prints them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "textdiff.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define MAX_CELLS (4u * 1024 * 1024) /* of the alignment table */

struct lines {
	const char **s;
	size_t *len;
	size_t n;
};

static int split(const char *text, struct lines *l)
{
	size_t cap = 1;

	for (const char *p = text; *p; p++)
		cap += *p == '\n';
	l->s = malloc(cap * sizeof(*l->s));
	l->len = malloc(cap * sizeof(*l->len));
	l->n = 0;
	if (!l->s || !l->len)
		return -1;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		l->s[l->n] = p;
		l->len[l->n++] = n;
		p += n + (nl != NULL);
	}
	return 0;
}

static bool same(const struct lines *a, size_t i, const struct lines *b,
		 size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->s[i], b->s[j], a->len[i]);
}

/* One edit-script entry: ' ' keep, '-' remove a[i], '+' add b[j]. */
struct op {
	char kind;
	size_t i, j;
};

static int script(const struct lines *a, const struct lines *b, struct op **out,
		  size_t *n_out)
{
	size_t pre = 0, suf = 0, na, nb, n = 0;
	uint32_t *t = NULL;
	struct op *ops = malloc((a->n + b->n + 1) * sizeof(*ops));

	if (!ops)
		return -1;
	while (pre < a->n && pre < b->n && same(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       same(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	na = a->n - pre - suf;
	nb = b->n - pre - suf;
	for (size_t k = 0; k < pre; k++)
		ops[n++] = (struct op){ ' ', k, k };
	if (na && nb && (na + 1) * (nb + 1) <= MAX_CELLS)
		t = calloc((na + 1) * (nb + 1), sizeof(*t));
	if (t) {
		/* t[i][j]: the LCS length of a[pre+i..] and b[pre+j..]. */
		for (size_t i = na; i-- > 0;)
			for (size_t j = nb; j-- > 0;)
				t[i * (nb + 1) + j] =
					same(a, pre + i, b, pre + j)
						? t[(i + 1) * (nb + 1) + j +
						    1] + 1
					: t[(i + 1) * (nb + 1) + j] >
							t[i * (nb + 1) + j + 1]
						? t[(i + 1) * (nb + 1) + j]
						: t[i * (nb + 1) + j + 1];
		size_t i = 0, j = 0;
		while (i < na || j < nb) {
			if (i < na && j < nb && same(a, pre + i, b, pre + j)) {
				ops[n++] = (struct op){ ' ', pre + i++,
							pre + j++ };
			} else if (i < na &&
				   (j == nb ||
				    t[(i + 1) * (nb + 1) + j] >=
					    t[i * (nb + 1) + j + 1])) {
				ops[n++] =
					(struct op){ '-', pre + i++, pre + j };
			} else {
				ops[n++] =
					(struct op){ '+', pre + i, pre + j++ };
			}
		}
		free(t);
	} else {
		for (size_t i = 0; i < na; i++)
			ops[n++] = (struct op){ '-', pre + i, pre };
		for (size_t j = 0; j < nb; j++)
			ops[n++] = (struct op){ '+', pre + na, pre + j };
	}
	for (size_t k = 0; k < suf; k++)
		ops[n++] = (struct op){ ' ', a->n - suf + k, b->n - suf + k };
	*out = ops;
	*n_out = n;
	return 0;
}

static void hunk(struct sb *sb, const struct lines *a, const struct lines *b,
		 const struct op *ops, size_t from, size_t to)
{
	size_t la = 0, lb = 0;

	for (size_t k = from; k < to; k++) {
		la += ops[k].kind != '+';
		lb += ops[k].kind != '-';
	}
	/* diff -u numbers an empty side by the line before it. */
	sb_addf(sb, "@@ -%zu,%zu +%zu,%zu @@\n", ops[from].i + (la ? 1 : 0), la,
		ops[from].j + (lb ? 1 : 0), lb);
	for (size_t k = from; k < to; k++) {
		const struct op *o = &ops[k];

		sb_addc(sb, o->kind);
		if (o->kind == '+')
			sb_add(sb, b->s[o->j], b->len[o->j]);
		else
			sb_add(sb, a->s[o->i], a->len[o->i]);
		sb_addc(sb, '\n');
	}
}

char *textdiff_unified(const char *a, const char *b, const char *label_a,
		       const char *label_b, int context)
{
	struct lines la = { 0 }, lb = { 0 };
	struct op *ops = NULL;
	size_t n = 0, ctx = context < 0 ? 0 : (size_t)context;
	struct sb sb = SB_INIT;
	char *out = NULL;

	if (split(a, &la) || split(b, &lb) || script(&la, &lb, &ops, &n))
		goto done;
	for (size_t k = 0; k < n;) {
		size_t start, end, last;

		while (k < n && ops[k].kind == ' ')
			k++;
		if (k == n)
			break;
		if (!sb.len)
			sb_addf(&sb, "--- %s\n+++ %s\n", label_a, label_b);
		start = k > ctx ? k - ctx : 0;
		/* Extend over changes closer than 2*ctx unchanged lines. */
		last = k;
		for (end = k; end < n; end++) {
			if (ops[end].kind != ' ')
				last = end;
			else if (end - last > 2 * ctx)
				break;
		}
		end = last + 1 + ctx < n ? last + 1 + ctx : n;
		hunk(&sb, &la, &lb, ops, start, end);
		k = last + 1;
	}
	out = sb_detach(&sb);
done:
	free(la.s);
	free(la.len);
	free(lb.s);
	free(lb.len);
	free(ops);
	sb_release(&sb);
	return out;
}
