/* parse.c - one migration file: markers, directives, description, bodies. */
#include "migration.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define PAIR_MARKER_MSG \
	"marker line in a pair-form file (.up.sql/.down.sql hold bodies only)"

/* A text after normalisation: no BOM, LF line ends, NUL-terminated. */
struct text {
	char *buf;
	size_t len;
};

/* What one line says. */
enum marker { M_NONE, M_UP, M_DOWN, M_NO_TXN, M_UNKNOWN };

/* Another tool whose markers a file may hold. */
enum tool { T_NONE, T_DBMATE, T_GOOSE, T_SQL_MIGRATE };

/* What a scan of a file found; lines are 1-based, 0 when absent. */
struct scan {
	int up_ln, down_ln, txn_ln;
	size_t up_start;   /* just after the up marker line */
	size_t down_off;   /* the start of the down marker line */
	size_t down_start; /* just after the down marker line */
	const char *desc;  /* first comment text before the up marker */
	size_t desc_len;
	const char *lead; /* first comment text among the leading comments */
	size_t lead_len;
	int sql_ln;     /* the first line that is not blank or a comment */
	enum tool tool; /* another tool's markers seen, from line tool_ln */
	int tool_ln;
	int strata_ln; /* the first strata marker or directive */
};

/* Which rules a scan applies. */
enum form { FORM_SINGLE, FORM_PAIR_UP, FORM_PAIR_DOWN };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes long),
 * or 0: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* True if the 8 bytes at s are all ASCII and none of them is a CR. */
static bool plain_word(const unsigned char *s)
{
	const uint64_t ones = 0x0101010101010101u;
	const uint64_t highs = 0x8080808080808080u;
	uint64_t w, x;

	memcpy(&w, s, sizeof(w));
	x = w ^ (ones * '\r'); /* a zero byte where w has a CR */
	return !((w | ((x - ones) & ~x)) & highs);
}

/* The 1-based line of offset 'off' in s. */
static int line_of(const char *s, size_t off)
{
	const char *p = s, *end = s + off;
	int line = 1;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p++;
	}
	return line;
}

/* True if s[0..n) starts with a UTF-8 byte order mark. */
static bool is_bom(const unsigned char *s, size_t n)
{
	return n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf;
}

/*
 * Check and normalise raw text into *out: leading BOMs dropped, CRLF
 * (and any run of CRs before a LF) turned into LF, so that normalising
 * twice changes nothing and a body embedded back reads the same.  'label'
 * names the text in messages; 'what' is NULL for a file and "up body" or
 * "down body" for an embedded body.  Either may be empty (a 0-byte file is
 * an empty body).  Line numbers are those of the original.
 */
static int normalise(strata *ctx, const char *label, const char *what,
		     const char *src, size_t len, struct text *out)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, j = 0, n;
	int line;
	char *buf;

	out->buf = NULL;
	out->len = 0;
	while (is_bom(s + i, len - i))
		i += 3;
	if (memchr(s + i, '\0', len - i))
		return what ? err_set(ctx, STRATA_EINVAL,
				      "%s: %s contains a NUL byte", label, what)
			    : err_set(ctx, STRATA_EINVAL,
				      "%s: contains a NUL byte", label);
	buf = malloc(len - i + 1);
	if (!buf)
		return err_oom(ctx);
	while (i < len) {
		while (len - i >= 8 && plain_word(s + i)) {
			memcpy(buf + j, s + i, 8);
			i += 8;
			j += 8;
		}
		if (i == len)
			break;
		if (s[i] < 0x80) {
			if (s[i] == '\r') {
				size_t k = i + 1;
				while (k < len && s[k] == '\r')
					k++;
				if (k < len && s[k] == '\n') {
					i = k;
					continue;
				}
			}
			buf[j++] = (char)s[i++];
			continue;
		}
		n = utf8_len(s + i, len - i);
		if (!n) {
			free(buf);
			line = line_of(src, i);
			return what ? err_set(ctx, STRATA_EINVAL,
					      "%s: %s is not valid UTF-8 text (line %d)",
					      label, what, line)
				    : err_set(ctx, STRATA_EINVAL,
					      "%s:%d: not valid UTF-8 text",
					      label, line);
		}
		memcpy(buf + j, s + i, n);
		i += n;
		j += n;
	}
	buf[j] = '\0';
	out->buf = buf;
	out->len = j;
	return STRATA_OK;
}

/*
 * Classify one line (without its '\n'):
 *   [blanks] "--" [blanks] "strata" [blanks] ":" [blanks] WORD [blanks]
 * with "strata" and WORD in any case.  Anything else is M_NONE, even a
 * marker followed by more text.  *word is set for M_UNKNOWN.
 */
static enum marker marker_of(const char *p, size_t n, const char **word,
			     size_t *word_len)
{
	const char *end = p + n, *w;

	while (p < end && is_blank(*p))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return M_NONE;
	p += 2;
	while (p < end && is_blank(*p))
		p++;
	if (end - p < 6 || strncasecmp(p, "strata", 6) != 0)
		return M_NONE;
	p += 6;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p != ':')
		return M_NONE;
	p++;
	while (p < end && is_blank(*p))
		p++;
	for (w = p; p < end && is_word_char(*p); p++)
		;
	*word = w;
	*word_len = (size_t)(p - w);
	while (p < end && is_blank(*p))
		p++;
	if (p != end || !*word_len)
		return M_NONE;
	if (*word_len == 2 && strncasecmp(w, "up", 2) == 0)
		return M_UP;
	if (*word_len == 4 && strncasecmp(w, "down", 4) == 0)
		return M_DOWN;
	if (*word_len == 14 && strncasecmp(w, "no-transaction", 14) == 0)
		return M_NO_TXN;
	return M_UNKNOWN;
}

static const char *const tool_name[] = { "strata", "dbmate", "goose",
					 "sql-migrate" };

/* What another tool's marker line says. */
enum tkind { K_UP, K_DOWN, K_NO_TXN, K_BEGIN, K_END, K_IGNORED, K_BAD };

struct tmark {
	enum tkind kind;
	bool no_txn; /* an up/down marker with transaction:false/notransaction
		      */
};

static bool word_is(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && strncasecmp(p, w, n) == 0 &&
	       ((size_t)(end - p) == n || is_blank(p[n]));
}

/* The words after a dbmate up/down marker: transaction:false matters. */
static bool dbmate_no_txn(const char *p, const char *end)
{
	while (p < end) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		for (w = p; p < end && !is_blank(*p); p++)
			;
		if (p - w == 17 && strncasecmp(w, "transaction:false", 17) == 0)
			return true;
	}
	return false;
}

/*
 * Classify one line as another tool's marker: dbmate "-- migrate:up
 * [options]", goose "-- +goose Up" (Down, StatementBegin, StatementEnd,
 * NO TRANSACTION, ENVSUB OFF), sql-migrate "-- +migrate Up [notransaction]"
 * (Down, StatementBegin, StatementEnd).  Returns the tool, T_NONE for any
 * other line; a line that starts like a marker and says something else
 * is K_BAD (a typo must not silently change how a migration runs).
 */
static enum tool tool_of(const char *p, size_t n, struct tmark *m)
{
	const char *end = p + n;

	while (p < end && is_blank(*p))
		p++;
	if (end - p < 3 || p[0] != '-' || p[1] != '-')
		return T_NONE;
	p += 2;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	m->no_txn = false;
	m->kind = K_BAD;
	if (*p == 'm' || *p == 'M') {
		if (end - p < 8 || strncasecmp(p, "migrate:", 8) != 0)
			return T_NONE;
		p += 8;
		if (word_is(p, end, "up")) {
			m->kind = K_UP;
			m->no_txn = dbmate_no_txn(p + 2, end);
		} else if (word_is(p, end, "down")) {
			m->kind = K_DOWN;
			m->no_txn = dbmate_no_txn(p + 4, end);
		}
		return T_DBMATE;
	}
	if (*p != '+')
		return T_NONE;
	p++;
	if (word_is(p, end, "goose")) {
		p += 5;
		while (p < end && is_blank(*p))
			p++;
		if (word_is(p, end, "up") && end - p == 2)
			m->kind = K_UP;
		else if (word_is(p, end, "down") && end - p == 4)
			m->kind = K_DOWN;
		else if (word_is(p, end, "statementbegin") && end - p == 14)
			m->kind = K_BEGIN;
		else if (word_is(p, end, "statementend") && end - p == 12)
			m->kind = K_END;
		else if (word_is(p, end, "no")) {
			p += 2;
			while (p < end && is_blank(*p))
				p++;
			if (word_is(p, end, "transaction") && end - p == 11)
				m->kind = K_NO_TXN;
		} else if (word_is(p, end, "envsub")) {
			p += 6;
			while (p < end && is_blank(*p))
				p++;
			if (word_is(p, end, "off") && end - p == 3)
				m->kind = K_IGNORED;
		}
		return T_GOOSE;
	}
	if (word_is(p, end, "migrate")) {
		p += 7;
		while (p < end && is_blank(*p))
			p++;
		if (word_is(p, end, "up") || word_is(p, end, "down")) {
			m->kind = (*p == 'u' || *p == 'U') ? K_UP : K_DOWN;
			p += m->kind == K_UP ? 2 : 4;
			while (p < end && is_blank(*p))
				p++;
			if (word_is(p, end, "notransaction") && end - p == 13)
				m->no_txn = true;
			else if (p != end)
				m->kind = K_BAD;
		} else if (word_is(p, end, "statementbegin") && end - p == 14) {
			m->kind = K_BEGIN;
		} else if (word_is(p, end, "statementend") && end - p == 12) {
			m->kind = K_END;
		}
		return T_SQL_MIGRATE;
	}
	return T_NONE;
}

/*
 * If the line is a "--" comment, true with its text (the "--" and the
 * blanks around the text removed) in *t.
 */
static bool comment_of(const char *p, size_t n, const char **t, size_t *tn)
{
	const char *end = p + n;

	while (p < end && is_blank(*p))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return false;
	p += 2;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	*t = p;
	*tn = (size_t)(end - p);
	return true;
}

/*
 * True if the line holds only white space and comments ("--" to the end
 * of the line, or a block comment, which may go on over several lines:
 * *in_block carries that from line to line).
 */
static bool only_comments(const char *p, size_t n, bool *in_block)
{
	const char *end = p + n;

	while (p < end) {
		if (*in_block) {
			while (p < end &&
			       !(p[0] == '*' && end - p > 1 && p[1] == '/'))
				p++;
			if (p == end)
				return true;
			*in_block = false;
			p += 2;
		} else if (is_ws(*p)) {
			p++;
		} else if (end - p > 1 && p[0] == '-' && p[1] == '-') {
			return true;
		} else if (end - p > 1 && p[0] == '/' && p[1] == '*') {
			*in_block = true;
			p += 2;
		} else {
			return false;
		}
	}
	return true;
}

/* The line of the first up marker at or after offset 'off', or 0. */
static int find_up(const struct text *t, size_t off, int ln)
{
	const char *w;
	size_t wn;

	while (off < t->len) {
		const char *p = t->buf + off;
		const char *nl = memchr(p, '\n', t->len - off);
		size_t n = nl ? (size_t)(nl - p) : t->len - off;

		if (marker_of(p, n, &w, &wn) == M_UP)
			return ln;
		off += n + 1;
		ln++;
	}
	return 0;
}

/* Walk the lines of t: markers, directives and the description. */
static int scan(strata *ctx, const char *path, const struct text *t,
		enum form form, struct scan *s)
{
	size_t off = 0;
	int ln = 1;
	bool in_block = false; /* inside a leading block comment */

	memset(s, 0, sizeof(*s));
	while (off < t->len) {
		const char *p = t->buf + off, *w = NULL, *ct;
		const char *nl = memchr(p, '\n', t->len - off);
		size_t n = nl ? (size_t)(nl - p) : t->len - off;
		size_t next = nl ? off + n + 1 : t->len, wn = 0, cn;
		enum marker mk = marker_of(p, n, &w, &wn);

		struct tmark tm;
		enum tool tl = mk == M_NONE ? tool_of(p, n, &tm) : T_NONE;

		if (tl != T_NONE && form != FORM_SINGLE)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: %s marker in a file that holds a body only",
				path, ln, tool_name[tl]);
		if (mk != M_NONE && s->tool)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: strata marker in a file with %s markers (line %d): one file, one format",
				path, ln, tool_name[s->tool], s->tool_ln);
		if (tl != T_NONE && s->strata_ln)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: %s marker in a file with strata markers (line %d): one file, one format",
				path, ln, tool_name[tl], s->strata_ln);
		if (tl != T_NONE && s->tool && tl != s->tool)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: %s marker in a file with %s markers (line %d): one file, one format",
				path, ln, tool_name[tl], tool_name[s->tool],
				s->tool_ln);
		if (tl != T_NONE && !s->tool) {
			s->tool = tl;
			s->tool_ln = ln;
		}
		if (mk != M_NONE && !s->strata_ln)
			s->strata_ln = ln;
		if (mk == M_UNKNOWN)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: unknown strata marker '%.*s' (expected up, down or no-transaction)",
				path, ln, (int)wn, w);
		if ((mk == M_UP || mk == M_DOWN) && form != FORM_SINGLE)
			return err_set(ctx, STRATA_EINVAL,
				       "%s:%d: " PAIR_MARKER_MSG, path, ln);
		if (mk == M_UP) {
			if (s->up_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: second up marker (the first is on line %d)",
					path, ln, s->up_ln);
			s->up_ln = ln;
			s->up_start = next;
		} else if (mk == M_DOWN) {
			if (s->down_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: second down marker (the first is on line %d)",
					path, ln, s->down_ln);
			if (!s->up_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: down marker %s", path, ln,
					find_up(t, next, ln + 1)
						? "before the up marker"
						: "without an up marker");
			s->down_ln = ln;
			s->down_off = off;
			s->down_start = next;
		} else if (mk == M_NO_TXN) {
			if (form == FORM_PAIR_DOWN)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: '-- strata:no-transaction' belongs in the .up.sql (it applies to both files)",
					path, ln);
			if (s->up_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: '-- strata:no-transaction' must stand before the up marker",
					path, ln);
			if (form == FORM_PAIR_UP && s->sql_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: '-- strata:no-transaction' must stand among the leading comment lines",
					path, ln);
			if (s->txn_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: second no-transaction directive (the first is on line %d)",
					path, ln, s->txn_ln);
			s->txn_ln = ln;
		} else if (tl != T_NONE) {
			/* read again by scan_tool() */
		} else if (!in_block && comment_of(p, n, &ct, &cn)) {
			if (cn && !s->desc && !s->up_ln) {
				s->desc = ct;
				s->desc_len = cn;
			}
			if (cn && !s->lead && !s->sql_ln) {
				s->lead = ct;
				s->lead_len = cn;
			}
		} else if (!s->sql_ln && !only_comments(p, n, &in_block)) {
			s->sql_ln = ln;
		}
		off = next;
		ln++;
	}
	/* dbmate refuses this too: such a statement would never run. */
	if (form == FORM_SINGLE && !s->tool && s->up_ln && s->sql_ln &&
	    s->sql_ln < s->up_ln)
		return err_set(
			ctx, STRATA_EINVAL,
			"%s:%d: statement before the up marker (move it below '-- strata:up')",
			path, s->sql_ln);
	return STRATA_OK;
}

/*
 * Walk the lines of a file written with tool tl's markers into *s
 * (up_ln/up_start, down_ln/down_off/down_start, txn_ln, desc): one up
 * marker, then at most one down marker; StatementBegin/StatementEnd in
 * pairs inside a section (the lines stay in the body as comments: the
 * engines' splitters keep such a block one statement); only comments
 * before the up marker.
 */
static int scan_tool(strata *ctx, const char *path, const struct text *t,
		     enum tool tl, struct scan *s)
{
	const char *what = tool_name[tl];
	size_t off = 0;
	int ln = 1, block = 0; /* the line of an open StatementBegin */
	bool in_block = false; /* inside a leading block comment */

	memset(s, 0, sizeof(*s));
	while (off < t->len) {
		const char *p = t->buf + off, *ct;
		const char *nl = memchr(p, '\n', t->len - off);
		size_t n = nl ? (size_t)(nl - p) : t->len - off;
		size_t next = nl ? off + n + 1 : t->len, cn;
		struct tmark tm;

		if (tool_of(p, n, &tm) == T_NONE) {
			if (!s->up_ln && !in_block &&
			    comment_of(p, n, &ct, &cn)) {
				if (cn && !s->desc) {
					s->desc = ct;
					s->desc_len = cn;
				}
			} else if (!s->up_ln && !s->down_ln &&
				   !only_comments(p, n, &in_block)) {
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: statement before the %s up marker",
					path, ln, what);
			}
			off = next;
			ln++;
			continue;
		}
		if (tm.kind == K_BAD)
			return err_set(ctx, STRATA_EINVAL,
				       "%s:%d: unknown %s marker '%.*s'", path,
				       ln, what, (int)n, p);
		if ((tm.kind == K_UP || tm.kind == K_DOWN) && block)
			return err_set(
				ctx, STRATA_EINVAL,
				"%s:%d: %s section marker inside the StatementBegin block of line %d",
				path, ln, what, block);
		if (tm.kind == K_UP) {
			if (s->up_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: second %s up marker (the first is on line %d)",
					path, ln, what, s->up_ln);
			if (s->down_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: %s up marker after the down marker (line %d): put the up section first",
					path, ln, what, s->down_ln);
			s->up_ln = ln;
			s->up_start = next;
		} else if (tm.kind == K_DOWN) {
			if (s->down_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: second %s down marker (the first is on line %d)",
					path, ln, what, s->down_ln);
			s->down_ln = ln;
			s->down_off = off;
			s->down_start = next;
		} else if (tm.kind == K_NO_TXN) {
			s->txn_ln = ln;
		} else if (tm.kind == K_BEGIN) {
			if (block)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: StatementBegin inside the StatementBegin block of line %d",
					path, ln, block);
			if (!s->up_ln && !s->down_ln)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: StatementBegin before the %s up marker",
					path, ln, what);
			block = ln;
		} else if (tm.kind == K_END) {
			if (!block)
				return err_set(
					ctx, STRATA_EINVAL,
					"%s:%d: StatementEnd without a StatementBegin",
					path, ln);
			block = 0;
		}
		if (tm.no_txn && !s->txn_ln)
			s->txn_ln = ln;
		off = next;
		ln++;
	}
	if (block)
		return err_set(ctx, STRATA_EINVAL,
			       "%s:%d: StatementBegin without a StatementEnd",
			       path, block);
	if (!s->up_ln)
		return err_set(ctx, STRATA_EINVAL,
			       "%s:%d: %s down marker without an up marker",
			       path, s->down_ln, what);
	return STRATA_OK;
}

/*
 * Trim the body t[start..end) whose first line is 'first_line' and copy
 * it into *out (malloc'd, NUL-terminated); *line is where it starts.
 * A BOM at its start goes too: normalising the body again (embedding it)
 * would drop it.
 */
static int body(strata *ctx, const struct text *t, size_t start, size_t end,
		int first_line, char **out, size_t *out_len, int *line)
{
	const char *p = t->buf + start, *e = t->buf + end;
	int ln = first_line;
	char *copy;

	while (p < e && (is_ws(*p) ||
			 is_bom((const unsigned char *)p, (size_t)(e - p)))) {
		if (*p == '\n')
			ln++;
		p += is_ws(*p) ? 1 : 3;
	}
	while (e > p && is_ws(e[-1]))
		e--;
	copy = malloc((size_t)(e - p) + 1);
	if (!copy)
		return err_oom(ctx);
	memcpy(copy, p, (size_t)(e - p));
	copy[e - p] = '\0';
	*out = copy;
	*out_len = (size_t)(e - p);
	*line = p < e ? ln : first_line;
	return STRATA_OK;
}

static char *dup_span(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Free what fill_common may have set on a migration being built. */
static void drop(struct migration *m)
{
	free(m->description);
	free(m->path);
	free(m->down_path);
	free(m->up);
	free(m->down);
}

/* Copy the built fields of 'b' into *m, leaving version and name alone. */
static void hand_over(struct migration *m, const struct migration *b)
{
	m->description = b->description;
	m->path = b->path;
	m->down_path = b->down_path;
	m->up = b->up;
	m->up_len = b->up_len;
	m->up_line = b->up_line;
	m->down = b->down;
	m->down_len = b->down_len;
	m->down_line = b->down_line;
	m->flags = b->flags;
	m->format = b->format;
	memcpy(m->checksum, b->checksum, sizeof(m->checksum));
	m->borrowed = false;
}

int parse_single(strata *ctx, const char *path, const char *text, size_t len,
		 struct migration *m)
{
	struct migration b = { 0 };
	struct text t;
	struct scan s;
	int rc;

	rc = normalise(ctx, path, NULL, text, len, &t);
	if (rc)
		return rc;
	rc = scan(ctx, path, &t, FORM_SINGLE, &s);
	if (!rc && s.tool) {
		enum tool tl = s.tool;

		rc = scan_tool(ctx, path, &t, tl, &s);
		b.format = tl == T_DBMATE  ? FMT_DBMATE
			   : tl == T_GOOSE ? FMT_GOOSE
					   : FMT_SQL_MIGRATE;
	}
	if (rc)
		goto out;
	if (s.up_ln)
		rc = body(ctx, &t, s.up_start, s.down_ln ? s.down_off : t.len,
			  s.up_ln + 1, &b.up, &b.up_len, &b.up_line);
	else
		rc = body(ctx, &t, 0, t.len, 1, &b.up, &b.up_len, &b.up_line);
	if (!rc && s.down_ln)
		rc = body(ctx, &t, s.down_start, t.len, s.down_ln + 1, &b.down,
			  &b.down_len, &b.down_line);
	if (rc)
		goto out;
	b.description = s.up_ln ? dup_span(s.desc, s.desc_len)
				: dup_span(s.lead, s.lead_len);
	b.path = strdup(path);
	if (!b.description || !b.path) {
		rc = err_oom(ctx);
		goto out;
	}
	b.flags = s.txn_ln ? STRATA_NO_TRANSACTION : 0;
	checksum_sha256_hex(b.up, b.up_len, b.checksum);
	hand_over(m, &b);
out:
	if (rc)
		drop(&b);
	free(t.buf);
	return rc;
}

int parse_pair(strata *ctx, const char *up_path, const char *up_text,
	       size_t up_len, const char *down_path, const char *down_text,
	       size_t down_len, struct migration *m)
{
	struct migration b = { 0 };
	struct text t, d = { 0 };
	struct scan s, ds;
	int rc;

	rc = normalise(ctx, up_path, NULL, up_text, up_len, &t);
	if (rc)
		return rc;
	rc = scan(ctx, up_path, &t, FORM_PAIR_UP, &s);
	if (!rc && down_text) {
		rc = normalise(ctx, down_path, NULL, down_text, down_len, &d);
		if (!rc)
			rc = scan(ctx, down_path, &d, FORM_PAIR_DOWN, &ds);
	}
	if (!rc)
		rc = body(ctx, &t, 0, t.len, 1, &b.up, &b.up_len, &b.up_line);
	if (!rc && down_text)
		rc = body(ctx, &d, 0, d.len, 1, &b.down, &b.down_len,
			  &b.down_line);
	if (rc)
		goto out;
	b.description = dup_span(s.lead, s.lead_len);
	b.path = strdup(up_path);
	b.down_path = down_text ? strdup(down_path) : NULL;
	if (!b.description || !b.path || (down_text && !b.down_path)) {
		rc = err_oom(ctx);
		goto out;
	}
	b.flags = s.txn_ln ? STRATA_NO_TRANSACTION : 0;
	b.format = FMT_GOLANG_MIGRATE;
	checksum_sha256_hex(b.up, b.up_len, b.checksum);
	hand_over(m, &b);
out:
	if (rc)
		drop(&b);
	free(t.buf);
	free(d.buf);
	return rc;
}

/* [A-Za-z0-9_.-]+: what `strata embed` writes for a file's name. */
static bool embedded_name_ok(const char *name)
{
	const char *p = name;

	if (!p || !*p)
		return false;
	for (; *p; p++)
		if (!is_word_char(*p) && *p != '.')
			return false;
	return true;
}

int parse_embedded(strata *ctx, size_t idx, const strata_migration *e,
		   struct migration *m)
{
	struct migration b = { 0 };
	struct text t = { 0 };
	char label[64];
	int rc;

	snprintf(label, sizeof(label), "embedded migration %zu", idx);
	if (!embedded_name_ok(e->name))
		return err_set(
			ctx, STRATA_EINVAL,
			"%s: bad name '%s' (use letters, digits, '_' and '-')",
			label, e->name ? e->name : "");
	if (e->version < 0)
		return err_set(ctx, STRATA_EINVAL,
			       "%s: negative version %" PRId64, label,
			       e->version);
	if (!e->up)
		return err_set(ctx, STRATA_EINVAL, "%s: no up body", label);
	rc = normalise(ctx, label, "up body", e->up, e->up_len, &t);
	if (!rc)
		rc = body(ctx, &t, 0, t.len, 1, &b.up, &b.up_len, &b.up_line);
	free(t.buf);
	t.buf = NULL;
	if (!rc && e->down) {
		rc = normalise(ctx, label, "down body", e->down, e->down_len,
			       &t);
		if (!rc)
			rc = body(ctx, &t, 0, t.len, 1, &b.down, &b.down_len,
				  &b.down_line);
		free(t.buf);
	}
	if (rc)
		goto fail;
	b.name = strdup(e->name);
	b.description = strdup(e->description ? e->description : "");
	if (!b.name || !b.description) {
		rc = err_oom(ctx);
		goto fail;
	}
	b.version = e->version;
	b.flags = e->flags;
	checksum_sha256_hex(b.up, b.up_len, b.checksum);
	*m = b;
	return STRATA_OK;
fail:
	free(b.name);
	drop(&b);
	return rc;
}

bool parse_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

bool migration_name_ok(const char *name)
{
	const char *p = name;

	if (!p || !*p)
		return false;
	for (; *p; p++)
		if (!is_word_char(*p))
			return false;
	return true;
}

bool parse_name_text_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || !parse_utf8_ok(s, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return false;
	return true;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

enum name_fit parse_name(const char *file, int64_t *version, size_t *name_off,
			 size_t *name_len, int *kind)
{
	const char *p = file;
	size_t n, stem;
	int64_t v = 0;
	bool big = false;
	int k;

	if (!p || *p < '0' || *p > '9')
		return NAME_ODD;
	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';

		if (v > (INT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (*p++ != '_')
		return NAME_ODD;
	n = strlen(file);
	if (has_suffix(file, n, ".down.sql"))
		k = 2, stem = n - 9;
	else if (has_suffix(file, n, ".up.sql"))
		k = 1, stem = n - 7;
	else if (has_suffix(file, n, ".sql"))
		k = 0, stem = n - 4;
	else
		return NAME_ODD;
	if (stem <= (size_t)(p - file) ||
	    !parse_name_text_ok(p, stem - (size_t)(p - file)))
		return NAME_ODD;
	if (big)
		return NAME_TOO_BIG;
	if (version)
		*version = v;
	if (name_off)
		*name_off = (size_t)(p - file);
	if (name_len)
		*name_len = stem - (size_t)(p - file);
	if (kind)
		*kind = k;
	return NAME_OK;
}

bool parse_file_name(const char *file, int64_t *version, char **name_out,
		     int *kind)
{
	size_t off, len;

	if (parse_name(file, version, &off, &len, kind) != NAME_OK)
		return false;
	if (name_out) {
		*name_out = dup_span(file + off, len);
		if (!*name_out)
			return false;
	}
	return true;
}

const char *mig_format_name(int format)
{
	static const char *const names[FMT_COUNT] = {
		"strata",      "golang-migrate", "dbmate", "goose",
		"sql-migrate", "flyway",         "diesel", "prisma",
	};

	return format >= 0 && format < FMT_COUNT ? names[format] : "strata";
}

int migration_line_at(const char *body, size_t len, int first_line, long off)
{
	const char *p = body, *end;
	int line = first_line;

	if (off <= 0 || !body)
		return first_line;
	end = body + ((size_t)off < len ? (size_t)off : len);
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p++;
	}
	return line;
}

void migration_release(struct migration *m)
{
	if (!m)
		return;
	if (!m->borrowed) {
		free(m->name);
		free(m->up);
		free(m->down);
	}
	free(m->description);
	free(m->path);
	free(m->down_path);
	memset(m, 0, sizeof(*m));
}
