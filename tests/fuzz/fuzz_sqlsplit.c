/*
 * fuzz_sqlsplit.c - libFuzzer target for the statement splitter.  For any
 * bytes it checks that the statements come in order, lie inside the body,
 * do not overlap, are not empty, that what lies between them holds no
 * statement (only white space, comments and semicolons), that a
 * statement split on its own is exactly itself, and that psql
 * meta-command lines come in order, each one line from its backslash.
 * See README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copied to the heap so ASan sees a read past the end. */
static size_t count_in(const char *sql, size_t off, size_t len)
{
	char *copy = malloc(len ? len : 1);
	size_t n;

	if (!copy)
		abort();
	for (size_t i = 0; i < len; i++)
		copy[i] = sql[off + i];
	n = sqlsplit_count(copy, len);
	free(copy);
	return n;
}

static void check_alone(const char *sql, const struct sqlsplit_stmt *st)
{
	char *copy = malloc(st->len);
	struct sqlsplit it;
	struct sqlsplit_stmt one;

	if (!copy)
		abort();
	for (size_t i = 0; i < st->len; i++)
		copy[i] = sql[st->off + i];
	sqlsplit_init(&it, copy, st->len);
	if (!sqlsplit_next(&it, &one) || one.off != 0 || one.len != st->len)
		abort();
	if (sqlsplit_next(&it, &one))
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	struct sqlsplit it;
	struct sqlsplit_stmt st, at;
	size_t prev_end = 0, n = 0;

	sqlsplit_init(&it, sql, size);
	while (sqlsplit_next(&it, &st)) {
		if (st.len == 0 || st.off < prev_end || st.off > size ||
		    st.len > size - st.off)
			abort();
		if (count_in(sql, prev_end, st.off - prev_end) != 0)
			abort();
		check_alone(sql, &st);
		if (sqlsplit_index_at(sql, size, st.off, &at) != n ||
		    at.off != st.off || at.len != st.len)
			abort();
		prev_end = st.off + st.len;
		n++;
	}
	if (count_in(sql, prev_end, size - prev_end) != 0)
		abort();
	if (sqlsplit_count(sql, size) != n)
		abort();
	/* psql meta-command lines: in order, each a backslash's own line. */
	for (size_t pos = 0, last = 0, name, nlen;
	     sqlsplit_meta_next(sql, size, &pos, &at, &name, &nlen);
	     last = pos) {
		if (at.off < last || at.len == 0 || at.off + at.len > size ||
		    sql[at.off] != '\\' || name != at.off + 1 ||
		    name + nlen > at.off + at.len || pos < at.off + at.len ||
		    pos > size || memchr(sql + at.off, '\n', at.len))
			abort();
	}
	for (size_t i = 0; i < size;) {
		size_t end;
		int kind = sqlsplit_token(sql, size, i, &end);

		if (end <= i || end > size || kind < SQLSPLIT_SPACE ||
		    kind > SQLSPLIT_OTHER)
			abort();
		i = end;
	}
	return 0;
}
