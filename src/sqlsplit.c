/* sqlsplit.c - split a PostgreSQL body into statements with a real lexer. */
#include "sqlsplit.h"

#include <stdint.h>
#include <string.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* PostgreSQL takes every byte >= 0x80 as a letter (multibyte names). */
static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static bool is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* A dollar-quote tag is an identifier without '$'. */
static bool is_tag_cont(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Past a -- comment: it ends at a newline (either kind), kept outside. */
static size_t skip_line_comment(const char *s, size_t n, size_t i)
{
	i += 2;
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

/* Past a block comment; they nest, as in PostgreSQL (not as in C). */
static size_t skip_block_comment(const char *s, size_t n, size_t i)
{
	size_t depth = 1;

	i += 2;
	while (i < n) {
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
		} else {
			i++;
		}
	}
	return n;
}

/*
 * Past a quoted string or identifier whose opening quote is at i-1.  The
 * quote doubled is one quote; with 'backslash' (E'' strings) a backslash
 * also escapes the next byte.
 */
static size_t skip_quoted(const char *s, size_t n, size_t i, char q,
			  bool backslash)
{
	while (i < n) {
		if (backslash && s[i] == '\\') {
			i += 2;
		} else if (s[i] == q) {
			if (i + 1 < n && s[i + 1] == q)
				i += 2;
			else
				return i + 1;
		} else {
			i++;
		}
	}
	return n;
}

/*
 * The length of the opening delimiter of a dollar quote at i ("$$" or
 * "$tag$"), or 0 when the '$' there opens none ($1, a lone '$').
 */
static size_t dollar_open_len(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j < n && s[j] == '$')
		return 2;
	if (j >= n || !is_ident_start((unsigned char)s[j]))
		return 0;
	while (j < n && is_tag_cont((unsigned char)s[j]))
		j++;
	return j < n && s[j] == '$' ? j + 1 - i : 0;
}

/* Past the dollar quote that opens at i with a delimiter of dlen bytes. */
static size_t skip_dollar(const char *s, size_t n, size_t i, size_t dlen)
{
	const char *delim = s + i;
	size_t j = i + dlen;

	while (j + dlen <= n) {
		const char *d = memchr(s + j, '$', n - j);

		if (!d || (size_t)(d - s) + dlen > n)
			return n;
		j = (size_t)(d - s);
		if (memcmp(s + j, delim, dlen) == 0)
			return j + dlen;
		j++;
	}
	return n;
}

int sqlsplit_token(const char *sql, size_t len, size_t pos, size_t *end)
{
	const unsigned char c = (unsigned char)sql[pos];
	size_t i = pos, d;

	if (is_space(c)) {
		while (i < len && is_space((unsigned char)sql[i]))
			i++;
		*end = i;
		return SQLSPLIT_SPACE;
	}
	if (c == '-' && pos + 1 < len && sql[pos + 1] == '-') {
		*end = skip_line_comment(sql, len, pos);
		return SQLSPLIT_COMMENT;
	}
	if (c == '/' && pos + 1 < len && sql[pos + 1] == '*') {
		*end = skip_block_comment(sql, len, pos);
		return SQLSPLIT_COMMENT;
	}
	if (c == ';') {
		*end = pos + 1;
		return SQLSPLIT_SEMI;
	}
	if (c == '\'' || c == '"') {
		*end = skip_quoted(sql, len, pos + 1, (char)c, false);
		return SQLSPLIT_QUOTED;
	}
	if (c == '$' && (d = dollar_open_len(sql, len, pos)) > 0) {
		*end = skip_dollar(sql, len, pos, d);
		return SQLSPLIT_QUOTED;
	}
	if (is_ident_start(c)) {
		/* E'...' (any case): only when the E stands alone. */
		if ((c == 'E' || c == 'e') && pos + 1 < len &&
		    sql[pos + 1] == '\'') {
			*end = skip_quoted(sql, len, pos + 2, '\'', true);
			return SQLSPLIT_QUOTED;
		}
		i++;
		while (i < len && is_ident_cont((unsigned char)sql[i]))
			i++;
		*end = i;
		return SQLSPLIT_WORD;
	}
	*end = pos + 1;
	return SQLSPLIT_OTHER;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	size_t i;

	for (i = 0; i < n && kw[i]; i++) {
		char c = w[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return false;
	}
	return i == n && !kw[i];
}

void sqlsplit_init(struct sqlsplit *it, const char *sql, size_t len)
{
	it->sql = sql;
	it->len = len;
	it->pos = 0;
}

bool sqlsplit_next(struct sqlsplit *it, struct sqlsplit_stmt *out)
{
	const char *s = it->sql;
	size_t n = it->len, i = it->pos, end;
	size_t start = SIZE_MAX, last = 0;
	/*
	 * Inside BEGIN ATOMIC ... END a ';' ends nothing.  'atomic' counts the
	 * ENDs still owed: one for the block, one more for each CASE in it.
	 */
	size_t atomic = 0;
	bool after_begin = false;

	while (i < n) {
		int kind = sqlsplit_token(s, n, i, &end);

		if (kind == SQLSPLIT_SPACE || kind == SQLSPLIT_COMMENT) {
			i = end;
			continue;
		}
		if (kind == SQLSPLIT_SEMI && !atomic) {
			i = end;
			if (start == SIZE_MAX)
				continue; /* an empty statement */
			break;
		}
		if (kind == SQLSPLIT_WORD) {
			size_t wn = end - i;

			if (after_begin && word_is(s + i, wn, "atomic"))
				atomic++;
			else if (atomic && word_is(s + i, wn, "case"))
				atomic++;
			else if (atomic && word_is(s + i, wn, "end"))
				atomic--;
			after_begin = word_is(s + i, wn, "begin");
		} else {
			after_begin = false;
		}
		if (start == SIZE_MAX)
			start = i;
		last = end;
		i = end;
	}
	it->pos = i;
	if (start == SIZE_MAX)
		return false;
	out->off = start;
	out->len = last - start;
	return true;
}

size_t sqlsplit_count(const char *sql, size_t len)
{
	struct sqlsplit it;
	struct sqlsplit_stmt st;
	size_t n = 0;

	sqlsplit_init(&it, sql, len);
	while (sqlsplit_next(&it, &st))
		n++;
	return n;
}

size_t sqlsplit_index_at(const char *sql, size_t len, size_t off,
			 struct sqlsplit_stmt *out)
{
	struct sqlsplit it;
	struct sqlsplit_stmt st;
	size_t n = 0;

	sqlsplit_init(&it, sql, len);
	while (sqlsplit_next(&it, &st) && st.off <= off) {
		if (out)
			*out = st;
		n++;
	}
	return n ? n - 1 : 0;
}

/* Only spaces and tabs stand between the line's start and byte i. */
static bool starts_line(const char *s, size_t i)
{
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	return i == 0 || s[i - 1] == '\n' || s[i - 1] == '\r';
}

bool sqlsplit_meta_next(const char *sql, size_t len, size_t *pos,
			struct sqlsplit_stmt *out, size_t *name_off,
			size_t *name_len)
{
	size_t i = *pos, end;

	while (i < len) {
		int kind = sqlsplit_token(sql, len, i, &end);
		size_t j;

		if (kind != SQLSPLIT_OTHER || sql[i] != '\\' ||
		    !starts_line(sql, i)) {
			i = end;
			continue;
		}
		for (j = i + 1; j < len && !is_space((unsigned char)sql[j]) &&
				sql[j] != '\\';
		     j++)
			;
		*name_off = i + 1;
		*name_len = j - (i + 1);
		while (j < len && sql[j] != '\n')
			j++;
		if (j - 1 > i && sql[j - 1] == '\r')
			j--; /* CRLF: the line ends before its CR */
		out->off = i;
		out->len = j - i;
		*pos = j;
		return true;
	}
	*pos = len;
	return false;
}
