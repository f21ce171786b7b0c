/*
 * fuzz_mysqlsplit.c - libFuzzer target for the MySQL/MariaDB splitter.  For
 * any bytes it checks that the statements come in order, lie inside the
 * body, do not overlap and are not empty, that the count agrees, and that
 * the tokens tile the body.  When the body holds no DELIMITER (the word,
 * any case) it also checks that what lies between statements holds none
 * and that the body split from a statement's start begins with exactly
 * that statement (with DELIMITER lines the terminator depends on what came
 * before).  See README.md.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mysqlsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copied to the heap so ASan sees a read past the end. */
static char *copy_of(const char *sql, size_t off, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	for (size_t i = 0; i < len; i++)
		copy[i] = sql[off + i];
	return copy;
}

static size_t count_in(const char *sql, size_t off, size_t len)
{
	char *copy = copy_of(sql, off, len);
	size_t n = mysqlsplit_count(copy, len);

	free(copy);
	return n;
}

/*
 * The body from the statement's start on splits first into the statement
 * itself: what came before it does not change where it ends.  (What comes
 * after does: "--" ends a statement before a '-' or a ';' but is a comment
 * at the very end of a body.)
 */
static void check_alone(const char *sql, size_t size,
			const struct mysqlsplit_stmt *st)
{
	size_t n = size - st->off;
	char *copy = copy_of(sql, st->off, n);
	struct mysqlsplit it;
	struct mysqlsplit_stmt one;

	mysqlsplit_init(&it, copy, n);
	if (!mysqlsplit_next(&it, &one) || one.off != 0 || one.len != st->len)
		abort();
	free(copy);
}

static bool has_delimiter_word(const char *s, size_t n)
{
	static const char w[] = "delimiter";

	for (size_t i = 0; i + sizeof(w) - 1 <= n; i++) {
		size_t k = 0;

		while (k < sizeof(w) - 1 && (s[i + k] | 0x20) == w[k])
			k++;
		if (k == sizeof(w) - 1)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	bool plain = !has_delimiter_word(sql, size);
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	size_t prev_end = 0, n = 0;

	mysqlsplit_init(&it, sql, size);
	while (mysqlsplit_next(&it, &st)) {
		if (st.len == 0 || st.off < prev_end || st.off > size ||
		    st.len > size - st.off)
			abort();
		if (plain) {
			if (count_in(sql, prev_end, st.off - prev_end) != 0)
				abort();
			check_alone(sql, size, &st);
		}
		prev_end = st.off + st.len;
		n++;
	}
	if (plain && count_in(sql, prev_end, size - prev_end) != 0)
		abort();
	if (mysqlsplit_count(sql, size) != n)
		abort();
	for (size_t i = 0; i < size;) {
		size_t end;
		int kind = mysqlsplit_token(sql, size, i, &end);

		if (end <= i || end > size || kind < MYSQLSPLIT_SPACE ||
		    kind > MYSQLSPLIT_OTHER)
			abort();
		i = end;
	}
	return 0;
}
