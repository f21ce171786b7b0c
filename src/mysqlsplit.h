/*
 * mysqlsplit.h - a MySQL/MariaDB lexer that splits a body into statements.
 *
 * It knows what can hide a terminator: '...' and "..." strings (backslash
 * escapes and doubled quotes), `backtick` identifiers (doubled backticks),
 * '-- ' comments (two dashes, then a space or a control character, as the
 * server wants), '#' comments and non-nested block comments.  A versioned
 * comment (slash-star-bang, or slash-star-M-bang) is code: the server runs
 * what it holds, so it is part of the statement.
 *
 * It also follows the mysql client's DELIMITER directive: a statement that
 * starts with the word DELIMITER (any case) followed by a space or a tab
 * makes the next word on that line the terminator, until the next such
 * line.  The directive line itself is not a statement.  That is how
 * triggers and procedures with BEGIN ... END; bodies are written:
 *
 *	DELIMITER $$
 *	CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN ...; END$$
 *	DELIMITER ;
 *
 * Without DELIMITER (the default ';' in force) the same bodies are kept
 * whole too: a statement that holds a compound body (CREATE [OR REPLACE]
 * [DEFINER=...] TRIGGER/PROCEDURE/FUNCTION/EVENT, ALTER EVENT, MariaDB's
 * BEGIN NOT ATOMIC and top-level IF/CASE/LOOP/WHILE/REPEAT/FOR, labels
 * allowed) ends at the first ';' outside its BEGIN ... END, IF ... END IF,
 * LOOP, WHILE, REPEAT, CASE and FOR blocks.  A plain BEGIN; BEGIN WORK or
 * START TRANSACTION stays a statement of its own.  The rules are in
 * mysqlsplit.c; a body they misjudge (BEGIN or END used as a bare name
 * inside it) can still be written with DELIMITER.
 *
 * As in the mysql client, a DELIMITER terminator is recognised anywhere
 * outside quotes and comments, even inside a word.  Anything left open at
 * the end of the body (a quote, a comment, a block) runs to the end: the
 * rest is one statement, and the server reports what is wrong with it.
 *
 * Pure: no allocation, no global state; the body need not be
 * NUL-terminated and may hold any bytes.
 */
#ifndef STRATA_MYSQLSPLIT_H
#define STRATA_MYSQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* One statement: body[off, off + len), from its first token to its last. */
struct mysqlsplit_stmt {
	size_t off;
	size_t len;
};

/* An iterator over one body; fill it with mysqlsplit_init(). */
struct mysqlsplit {
	const char *sql;
	size_t len;
	size_t pos;
	size_t delim_off; /* the terminator: sql[delim_off, +delim_len) */
	size_t delim_len; /* 0: the default ';' */
};

void mysqlsplit_init(struct mysqlsplit *it, const char *sql, size_t len);

/*
 * The next statement, in order, into *out.  Leading and trailing white
 * space and comments and the terminator are left out; empty and
 * comment-only statements and DELIMITER lines are skipped.  Returns false
 * at the end.
 */
bool mysqlsplit_next(struct mysqlsplit *it, struct mysqlsplit_stmt *out);

/* The number of statements in a body. */
size_t mysqlsplit_count(const char *sql, size_t len);

/* Kinds of tokens, for callers that scan SQL themselves. */
enum mysqlsplit_kind {
	MYSQLSPLIT_SPACE = 1,   /* white space */
	MYSQLSPLIT_COMMENT = 2, /* '-- ', '#' or block comment */
	MYSQLSPLIT_QUOTED = 3,  /* '...', "...", `...` */
	MYSQLSPLIT_OTHER = 4,   /* any other single byte (';' included) */
};

/*
 * The token at byte 'pos' (< len): its kind, and *end set just past it.
 * A quoted token or comment left open ends at len.  The opening of a
 * versioned comment is an OTHER token of its own length (its contents are
 * code); its closing star-slash is two OTHER bytes.
 */
int mysqlsplit_token(const char *sql, size_t len, size_t pos, size_t *end);

#endif
