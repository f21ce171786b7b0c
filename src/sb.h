/* sb.h - a growable string buffer whose allocation failures are sticky. */
#ifndef STRATA_SB_H
#define STRATA_SB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct sb {
	char *buf; /* never NULL after SB_INIT; always NUL-terminated */
	size_t len, cap;
	bool failed; /* sticky: the buffer is freed, later appends do nothing */
};

extern char sb_empty[];
/* clang-format off */
#define SB_INIT { .buf = sb_empty }
/* clang-format on */

void sb_add(struct sb *sb, const char *data, size_t len);
void sb_adds(struct sb *sb, const char *s);
void sb_addc(struct sb *sb, char c);
void sb_addf(struct sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* An SQL identifier in double quotes, inner quotes doubled (SQLite,
 * PostgreSQL). */
void sb_add_ident(struct sb *sb, const char *name);
/* The same in backticks, inner backticks doubled (MySQL). */
void sb_add_backticked(struct sb *sb, const char *name);
void sb_reset(struct sb *sb);   /* empty it, keep the memory */
void sb_release(struct sb *sb); /* free the memory, back to SB_INIT */
char *sb_detach(struct sb *sb); /* caller frees; NULL if it failed */

#endif
