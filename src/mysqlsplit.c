/* mysqlsplit.c - split a MySQL/MariaDB body into statements. */
#include "mysqlsplit.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

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

/* ---- compound statements ---------------------------------------------- */

/*
 * With the default ';' in force, a statement that holds a compound body
 * (CREATE ... TRIGGER/PROCEDURE/FUNCTION/EVENT, ALTER ... EVENT, MariaDB's
 * BEGIN NOT ATOMIC and top-level IF/CASE/LOOP/WHILE/REPEAT/FOR) ends only
 * at a ';' outside every block.  The words of such a statement are read one
 * by one ("lexemes") and the blocks counted: each END closes one block
 * (END IF, END LOOP, END CASE, END lbl alike), and these open one:
 *
 *	BEGIN, CASE               always (a CASE expression ends with END too)
 *	LOOP, WHILE               always (reserved words: nothing else)
 *	IF, REPEAT, FOR           where a statement starts (IF(), REPEAT() and
 *	                          IF EXISTS, FOR EACH ROW, CURSOR FOR are not)
 *
 * A word right after '.' or '@', or right before '.', is a name (NEW.end,
 * @begin); quoted names are never words.
 */

enum lexeme {
	LX_NONE, /* the start of the statement */
	LX_WORD, /* a word that is none of the keywords below */
	LX_QUOTED,
	LX_SEMI,
	LX_COLON,
	LX_LPAREN,
	LX_RPAREN,
	LX_EQ,
	LX_AT,
	LX_OTHER,
	KW_AGGREGATE,
	KW_ALTER,
	KW_BEGIN,
	KW_CASE,
	KW_CREATE,
	KW_CURRENT_USER,
	KW_DATA,
	KW_DEFINER,
	KW_DETERMINISTIC,
	KW_DO,
	KW_ELSE,
	KW_END,
	KW_EVENT,
	KW_FOR,
	KW_FUNCTION,
	KW_IF,
	KW_INVOKER,
	KW_LOOP,
	KW_NOT,
	KW_OR,
	KW_PROCEDURE,
	KW_REPEAT,
	KW_REPLACE,
	KW_ROW,
	KW_SECURITY,
	KW_SQL,
	KW_THEN,
	KW_TRIGGER,
	KW_WHILE,
};

static const struct {
	const char *word;
	enum lexeme lx;
} keywords[] = {
	{ "aggregate", KW_AGGREGATE },
	{ "alter", KW_ALTER },
	{ "begin", KW_BEGIN },
	{ "case", KW_CASE },
	{ "create", KW_CREATE },
	{ "current_user", KW_CURRENT_USER },
	{ "data", KW_DATA },
	{ "definer", KW_DEFINER },
	{ "deterministic", KW_DETERMINISTIC },
	{ "do", KW_DO },
	{ "else", KW_ELSE },
	{ "end", KW_END },
	{ "event", KW_EVENT },
	{ "for", KW_FOR },
	{ "function", KW_FUNCTION },
	{ "if", KW_IF },
	{ "invoker", KW_INVOKER },
	{ "loop", KW_LOOP },
	{ "not", KW_NOT },
	{ "or", KW_OR },
	{ "procedure", KW_PROCEDURE },
	{ "repeat", KW_REPEAT },
	{ "replace", KW_REPLACE },
	{ "row", KW_ROW },
	{ "security", KW_SECURITY },
	{ "sql", KW_SQL },
	{ "then", KW_THEN },
	{ "trigger", KW_TRIGGER },
	{ "while", KW_WHILE },
};

enum cstate {
	CS_START,   /* nothing read yet */
	CS_HEADER,  /* CREATE/ALTER, before the kind of object */
	CS_BEGIN,   /* BEGIN: NOT ATOMIC follows, or it is a transaction's */
	CS_LABEL,   /* a word: a label if ':' follows */
	CS_LABELED, /* label ':' */
	CS_PLAIN,   /* an ordinary statement: the next ';' ends it */
	CS_BODY,    /* a compound statement: count its blocks */
};

struct compound {
	enum cstate state;
	enum lexeme prev;
	size_t depth;   /* blocks open */
	uint64_t exprs; /* bit d set: block d + 1 is a CASE expression */
	bool after_eq;  /* header: the last lexeme was '=' or '@' */
	bool versioned; /* inside a versioned comment's code */
};

static bool is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static enum lexeme keyword(const char *w, size_t n)
{
	char low[16];

	if (n >= sizeof(low))
		return LX_WORD;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];

		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(low, keywords[i].word))
			return keywords[i].lx;
	return LX_WORD;
}

static bool top_is_expr(const struct compound *c)
{
	return c->depth > 0 && c->depth <= 64 &&
	       ((c->exprs >> (c->depth - 1)) & 1u);
}

static void push(struct compound *c, bool expr)
{
	if (c->depth < 64) {
		if (expr)
			c->exprs |= (uint64_t)1 << c->depth;
		else
			c->exprs &= ~((uint64_t)1 << c->depth);
	}
	c->depth++;
}

/*
 * Does a statement start here (after c->prev)?  'wide' adds what can stand
 * before a routine's body when it is not a BEGIN block: the parameter
 * list's ')', a COMMENT '...', a characteristic.
 */
static bool at_statement(const struct compound *c, bool wide)
{
	if (top_is_expr(c))
		return false; /* WHEN/THEN/ELSE of a CASE expression */
	switch (c->prev) {
	case LX_NONE:
	case LX_SEMI:
	case LX_COLON:
	case KW_BEGIN:
	case KW_THEN:
	case KW_ELSE:
	case KW_DO:
	case KW_LOOP:
	case KW_REPEAT:
	case KW_ROW: return true;
	case LX_RPAREN:
	case LX_QUOTED:
	case KW_DETERMINISTIC:
	case KW_SQL:
	case KW_DATA:
	case KW_DEFINER:
	case KW_INVOKER: return wide && c->depth == 0;
	default: return false;
	}
}

/* One lexeme of a compound statement's body. */
static void body_lexeme(struct compound *c, enum lexeme lx)
{
	if (c->prev == KW_END && lx != KW_END)
		return; /* END IF, END LOOP, END CASE, END lbl: one END */
	switch (lx) {
	case KW_BEGIN:
	case KW_LOOP:
	case KW_WHILE: push(c, false); break;
	case KW_CASE: push(c, !at_statement(c, true)); break;
	case KW_IF:
	case KW_REPEAT:
		if (at_statement(c, true))
			push(c, false);
		break;
	case KW_FOR:
		if (at_statement(c, false))
			push(c, false);
		break;
	case KW_END:
		if (c->depth)
			c->depth--;
		break;
	default: break;
	}
}

static bool is_word_lexeme(enum lexeme lx)
{
	return lx == LX_WORD || lx >= KW_AGGREGATE;
}

static void feed(struct compound *c, enum lexeme lx)
{
	switch (c->state) {
	case CS_START:
		if (lx == KW_CREATE || lx == KW_ALTER)
			c->state = CS_HEADER;
		else if (lx == KW_BEGIN)
			c->state = CS_BEGIN;
		else if (lx == KW_IF || lx == KW_CASE || lx == KW_LOOP ||
			 lx == KW_WHILE || lx == KW_REPEAT || lx == KW_FOR) {
			c->state = CS_BODY;
			body_lexeme(c, lx);
		} else if (is_word_lexeme(lx))
			c->state = CS_LABEL;
		else
			c->state = CS_PLAIN;
		break;
	case CS_BEGIN:
		if (lx == KW_NOT) {
			c->state = CS_BODY;
			push(c, false);
		} else {
			c->state = CS_PLAIN; /* BEGIN [WORK]: a transaction's */
		}
		break;
	case CS_LABEL: c->state = lx == LX_COLON ? CS_LABELED : CS_PLAIN; break;
	case CS_LABELED:
		if (lx == KW_BEGIN || lx == KW_LOOP || lx == KW_WHILE ||
		    lx == KW_REPEAT || lx == KW_FOR) {
			c->state = CS_BODY;
			push(c, false);
		} else {
			c->state = CS_PLAIN;
		}
		break;
	case CS_HEADER:
		if (lx == KW_TRIGGER || lx == KW_PROCEDURE ||
		    lx == KW_FUNCTION || lx == KW_EVENT)
			c->state = CS_BODY;
		else if (!c->after_eq && lx != KW_OR && lx != KW_REPLACE &&
			 lx != KW_AGGREGATE && lx != KW_DEFINER &&
			 lx != KW_SQL && lx != KW_SECURITY &&
			 lx != KW_INVOKER && lx != KW_CURRENT_USER &&
			 lx != LX_EQ && lx != LX_AT && lx != LX_LPAREN &&
			 lx != LX_RPAREN && lx != LX_QUOTED)
			c->state = CS_PLAIN; /* a table, a view, an index... */
		c->after_eq = lx == LX_EQ || lx == LX_AT;
		break;
	case CS_BODY: body_lexeme(c, lx); break;
	case CS_PLAIN: break;
	}
	c->prev = lx;
}

/*
 * Read the lexeme at sql[i] (a token of kind 'kind' ending at *end) into
 * c; *end may move on (a whole word, a versioned comment's opening and its
 * version number).
 */
static void read_lexeme(struct compound *c, const char *s, size_t len, size_t i,
			int kind, size_t *end)
{
	unsigned char b = (unsigned char)s[i];
	enum lexeme lx;

	if (kind == MYSQLSPLIT_QUOTED) {
		feed(c, LX_QUOTED);
		return;
	}
	if (*end - i > 1) { /* a versioned comment opens: its code counts */
		size_t j = *end;

		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		*end = j;
		c->versioned = true;
		return;
	}
	if (c->versioned && b == '*' && i + 1 < len && s[i + 1] == '/') {
		*end = i + 2;
		c->versioned = false;
		return;
	}
	if (is_word_byte(b)) {
		size_t j = i + 1;

		while (j < len && is_word_byte((unsigned char)s[j]))
			j++;
		*end = j;
		if ((i > 0 && (s[i - 1] == '.' || s[i - 1] == '@')) ||
		    (j < len && s[j] == '.'))
			lx = LX_WORD;
		else
			lx = keyword(s + i, j - i);
		feed(c, lx);
		return;
	}
	switch (b) {
	case ';': lx = LX_SEMI; break;
	case ':': lx = LX_COLON; break;
	case '(': lx = LX_LPAREN; break;
	case ')': lx = LX_RPAREN; break;
	case '=': lx = LX_EQ; break;
	case '@': lx = LX_AT; break;
	default: lx = LX_OTHER;
	}
	feed(c, lx);
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
		struct compound c = { 0 };
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
		/* A DELIMITER of one's own: the client looks for it alone. */
		c.state = it->delim_len ? CS_PLAIN : CS_START;
		while (i < len) {
			if (delim_at(it, i) &&
			    (c.state != CS_BODY || c.depth == 0))
				break;
			kind = mysqlsplit_token(s, len, i, &end);
			if (kind != MYSQLSPLIT_SPACE &&
			    kind != MYSQLSPLIT_COMMENT) {
				if (c.state != CS_PLAIN)
					read_lexeme(&c, s, len, i, kind, &end);
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
