/* sb.c - a growable string buffer whose allocation failures are sticky. */
#include "sb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

char sb_empty[1];

static bool sb_grow(struct sb *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->failed)
		return false;
	if (extra > (size_t)-1 / 2 - sb->len - 1)
		goto fail;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->cap ? sb->buf : NULL, cap);
	if (!p)
		goto fail;
	if (!sb->cap)
		p[0] = '\0';
	sb->buf = p;
	sb->cap = cap;
	return true;
fail:
	/*
	 * Nothing is kept of a failed buffer: a caller that gives up on it
	 * (return err_oom) leaks nothing, even without sb_release.
	 */
	if (sb->cap)
		free(sb->buf);
	sb->buf = sb_empty;
	sb->len = sb->cap = 0;
	sb->failed = true;
	return false;
}

void sb_add(struct sb *sb, const char *data, size_t len)
{
	if (!sb_grow(sb, len))
		return;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct sb *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addc(struct sb *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if (!sb_grow(sb, (size_t)n))
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

static void add_quoted(struct sb *sb, const char *name, char q)
{
	sb_addc(sb, q);
	for (; *name; name++) {
		if (*name == q)
			sb_addc(sb, q);
		sb_addc(sb, *name);
	}
	sb_addc(sb, q);
}

void sb_add_ident(struct sb *sb, const char *name)
{
	add_quoted(sb, name, '"');
}

void sb_add_backticked(struct sb *sb, const char *name)
{
	add_quoted(sb, name, '`');
}

void sb_reset(struct sb *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->cap)
		sb->buf[0] = '\0';
}

void sb_release(struct sb *sb)
{
	if (sb->cap)
		free(sb->buf);
	sb->buf = sb_empty;
	sb->len = sb->cap = 0;
	sb->failed = false;
}

char *sb_detach(struct sb *sb)
{
	char *p;

	if (sb->failed) {
		sb_release(sb);
		return NULL;
	}
	p = sb->cap ? sb->buf : strdup("");
	sb->buf = sb_empty;
	sb->len = sb->cap = 0;
	return p;
}
