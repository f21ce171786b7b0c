/*
 * sqlsplit.h - a PostgreSQL lexer that splits a body into statements.
 *
 * It knows what can hide a semicolon: single-quoted strings ('' escapes),
 * E'' strings (backslash escapes), double-quoted identifiers, dollar quotes
 * ($$...$$, $fn$...$fn$; $1 is a parameter, not a quote), line comments,
 * nested block comments and SQL-standard function bodies (BEGIN ATOMIC ...
 * END, where CASE ... END nests).  Anything left open at the end of the
 * body (a quote, a comment, a BEGIN ATOMIC) runs to the end: the rest is
 * one statement, and the server reports what is wrong with it.
 *
 * Pure: no allocation, no global state; the body need not be
 * NUL-terminated and may hold any bytes.
 */
#ifndef STRATA_SQLSPLIT_H
#define STRATA_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* One statement: body[off, off + len), from its first token to its last. */
struct sqlsplit_stmt {
	size_t off;
	size_t len;
};

/* An iterator over one body; fill it with sqlsplit_init(). */
struct sqlsplit {
	const char *sql;
	size_t len;
	size_t pos;
};

void sqlsplit_init(struct sqlsplit *it, const char *sql, size_t len);

/*
 * The next statement, in order, into *out.  Leading and trailing white
 * space and comments and the terminating ';' are left out; empty and
 * comment-only statements are skipped.  Returns false at the end.
 */
bool sqlsplit_next(struct sqlsplit *it, struct sqlsplit_stmt *out);

/* The number of statements in a body. */
size_t sqlsplit_count(const char *sql, size_t len);

/*
 * The index (0-based) of the statement holding byte 'off': the number of
 * statements that start at or before off, less one (0 when none does).
 * *out (may be NULL) is set to that statement when there is one.
 */
size_t sqlsplit_index_at(const char *sql, size_t len, size_t off,
			 struct sqlsplit_stmt *out);

/*
 * psql meta-commands (\connect, \copy, pg_dump's \restrict ...): a line
 * whose first byte other than a space or a tab is a backslash outside
 * quotes, comments and dollar quotes.  PostgreSQL has no backslash in its
 * syntax, so such a line is never SQL.  The next one at or after *pos
 * (which must be 0 or where the previous call left it): its span, from the
 * backslash to the end of its line (the newline left out), into *out, the
 * command's name (the bytes after the backslash up to a blank or another
 * backslash, possibly none) into *name_off and *name_len; *pos is moved
 * past it.  Returns false when there is none.
 */
bool sqlsplit_meta_next(const char *sql, size_t len, size_t *pos,
			struct sqlsplit_stmt *out, size_t *name_off,
			size_t *name_len);

/* Kinds of tokens, for callers that scan SQL themselves. */
enum sqlsplit_kind {
	SQLSPLIT_SPACE = 1,   /* white space */
	SQLSPLIT_COMMENT = 2, /* -- line or nested block comment */
	SQLSPLIT_SEMI = 3,    /* ';' */
	SQLSPLIT_WORD = 4,    /* identifier or keyword */
	SQLSPLIT_QUOTED = 5,  /* '', E'', "", $tag$ ... $tag$ */
	SQLSPLIT_OTHER = 6,   /* any other single byte */
};

/*
 * The token at byte 'pos' (< len): its kind, and *end set just past it.
 * A quoted token or comment left open ends at len.
 */
int sqlsplit_token(const char *sql, size_t len, size_t pos, size_t *end);

#endif
