/* mysqlsplit.c - split a MySQL/MariaDB body into statements. */
#include "mysqlsplit.h"

#include "banned.h"
#include <string.h>
#include <strings.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* The server's rule: "--" starts a comment only before a space or control. */
static bool dash_comment_at(const char *s, size_t len, size_t pos)
{
	return pos + 1 < len && s[pos] == '-' && s[pos + 1] == '-' &&
	       (pos + 2 == len || (unsigned char)s[pos + 2] <= ' ' ||
		s[pos + 2] == 0x7f);
}

/* Length of a versioned comment's opening at pos (/x!, /xM!), or 0. */
static size_t versioned_open(const char *s, size_t len, size_t pos)
{
	if (pos + 2 < len && s[pos] == '/' && s[pos + 1] == '*' &&
	    s[pos + 2] == '!')
		return 3;
	if (pos + 3 < len && s[pos] == '/' && s[pos + 1] == '*' &&
	    s[pos + 2] == 'M' && s[pos + 3] == '!')
		return 4;
	return 0;
}

int mysqlsplit_token(const char *sql, size_t len, size_t pos, size_t *end)
{
	const char *s = sql;
	size_t i = pos;
	char c = s[i];

	if (is_space(c)) {
		while (i < len && is_space(s[i]))
			i++;
		*end = i;
		return MYSQLSPLIT_SPACE;
	}
	if (c == '#' || dash_comment_at(s, len, i)) {
		while (i < len && s[i] != '\n')
			i++;
		*end = i < len ? i + 1 : len;
		return MYSQLSPLIT_COMMENT;
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		size_t v = versioned_open(s, len, i);

		if (v) {
			*end = i + v;
			return MYSQLSPLIT_OTHER;
		}
		/* Not nested: the first star-slash closes it. */
		for (i += 2; i + 1 < len; i++) {
			if (s[i] == '*' && s[i + 1] == '/') {
				*end = i + 2;
				return MYSQLSPLIT_COMMENT;
			}
		}
		*end = len;
		return MYSQLSPLIT_COMMENT;
	}
	if (c == '\'' || c == '"' || c == '`') {
		for (i++; i < len; i++) {
			if (c != '`' && s[i] == '\\') {
				i++; /* the escaped byte, whatever it is */
				continue;
			}
			if (s[i] != c)
				continue;
			if (i + 1 < len && s[i + 1] == c) {
				i++; /* a doubled quote */
				continue;
			}
			*end = i + 1;
			return MYSQLSPLIT_QUOTED;
		}
		*end = len;
		return MYSQLSPLIT_QUOTED;
	}
	*end = i + 1;
	return MYSQLSPLIT_OTHER;
}

void mysqlsplit_init(struct mysqlsplit *it, const char *sql, size_t len)
{
	it->sql = sql;
	it->len = len;
	it->pos = 0;
	it->delim_off = 0;
	it->delim_len = 0;
}

static bool delim_at(const struct mysqlsplit *it, size_t pos)
{
	if (!it->delim_len)
		return it->sql[pos] == ';';
	return it->len - pos >= it->delim_len &&
	       memcmp(it->sql + pos, it->sql + it->delim_off, it->delim_len) ==
		       0;
}

/*
 * At pos (the first token of a statement): a DELIMITER line?  If so, take
 * its terminator and move it->pos past the line.
 */
static bool delimiter_line(struct mysqlsplit *it, size_t pos)
{
	static const char word[] = "delimiter";
	const size_t wlen = sizeof(word) - 1;
	const char *s = it->sql;
	size_t i, start;

	if (it->len - pos <= wlen)
		return false;
	for (i = 0; i < wlen; i++) {
		char c = s[pos + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	i = pos + wlen;
	if (s[i] != ' ' && s[i] != '\t')
		return false;
	while (i < it->len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	start = i;
	while (i < it->len && !is_space(s[i]))
		i++;
	if (i == start)
		return false; /* no terminator given: let the server say so */
	it->delim_off = start;
	it->delim_len = i - start;
	if (it->delim_len == 1 && s[start] == ';')
		it->delim_len = 0;
	while (i < it->len && s[i] != '\n')
		i++;
	it->pos = i < it->len ? i + 1 : i;
	return true;
}

/*
 * Is the comment s[pos, end) goose's or sql-migrate's annotation
 * "-- +goose WORD" / "-- +migrate WORD" (any case, blanks around)?
 */
static bool annotation(const char *s, size_t pos, size_t end, const char *word)
{
	size_t n = strlen(word);

	if (end - pos < 3 || s[pos] != '-' || s[pos + 1] != '-')
		return false;
	pos += 2;
	while (pos < end && (s[pos] == ' ' || s[pos] == '\t'))
		pos++;
	if (end - pos > 6 && strncasecmp(s + pos, "+goose", 6) == 0)
		pos += 6;
	else if (end - pos > 8 && strncasecmp(s + pos, "+migrate", 8) == 0)
		pos += 8;
	else
		return false;
	if (s[pos] != ' ' && s[pos] != '\t')
		return false;
	while (pos < end && (s[pos] == ' ' || s[pos] == '\t'))
		pos++;
	if (end - pos < n || strncasecmp(s + pos, word, n) != 0)
		return false;
	for (pos += n; pos < end; pos++)
		if (!is_space(s[pos]))
			return false;
	return true;
}

/*
 * A goose/sql-migrate "StatementBegin" block that starts after the
 * comment ending at 'from': everything up to the "StatementEnd" comment
 * is one statement (its last ';' left out), sent as it is.  False when
 * the block holds nothing; it->pos is moved past the block either way.
 */
static bool statement_block(struct mysqlsplit *it, size_t from,
			    struct mysqlsplit_stmt *out)
{
	const char *s = it->sql;
	size_t i = from, end = from, start = 0, last = 0;
	bool any = false;
	int kind;

	while (i < it->len) {
		kind = mysqlsplit_token(s, it->len, i, &end);
		if (kind == MYSQLSPLIT_COMMENT &&
		    annotation(s, i, end, "statementend"))
			break;
		if (kind != MYSQLSPLIT_SPACE && kind != MYSQLSPLIT_COMMENT) {
			if (!any)
				start = i;
			any = true;
			if (!(s[i] == ';' && end == i + 1))
				last = end;
		}
		i = end;
	}
	it->pos = i < it->len ? end : it->len;
	if (!any || last <= start)
		return false;
	out->off = start;
	out->len = last - start;
	return true;
}

bool mysqlsplit_next(struct mysqlsplit *it, struct mysqlsplit_stmt *out)
{
	const char *s = it->sql;
	size_t len = it->len;

	for (;;) {
		size_t i = it->pos, end, start, last = 0;
		bool any = false;
		int kind;

		/* Skip what stands between statements. */
		while (i < len) {
			if (delim_at(it, i)) {
				i += it->delim_len ? it->delim_len : 1;
				continue;
			}
			kind = mysqlsplit_token(s, len, i, &end);
			if (kind == MYSQLSPLIT_COMMENT &&
			    annotation(s, i, end, "statementbegin"))
				break;
			if (kind != MYSQLSPLIT_SPACE &&
			    kind != MYSQLSPLIT_COMMENT)
				break;
			i = end;
		}
		if (i < len &&
		    mysqlsplit_token(s, len, i, &end) == MYSQLSPLIT_COMMENT) {
			if (statement_block(it, end, out))
				return true;
			continue;
		}
		if (i >= len) {
			it->pos = len;
			return false;
		}
		if (delimiter_line(it, i))
			continue;
		start = i;
		while (i < len && !delim_at(it, i)) {
			kind = mysqlsplit_token(s, len, i, &end);
			if (kind != MYSQLSPLIT_SPACE &&
			    kind != MYSQLSPLIT_COMMENT) {
				last = end;
				any = true;
			}
			i = end;
		}
		if (i < len)
			i += it->delim_len ? it->delim_len : 1;
		it->pos = i;
		if (!any)
			continue;
		out->off = start;
		out->len = last - start;
		return true;
	}
}

size_t mysqlsplit_count(const char *sql, size_t len)
{
	struct mysqlsplit it;
	struct mysqlsplit_stmt st;
	size_t n = 0;

	mysqlsplit_init(&it, sql, len);
	while (mysqlsplit_next(&it, &st))
		n++;
	return n;
}
