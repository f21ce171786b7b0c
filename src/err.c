/* err.c - the last error of a context, and its log callback. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

#include "ctx.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int err_set_at(strata *ctx, int rc, const char *file, int line, const char *fmt,
	       ...)
{
	va_list ap;

	if (!ctx || ctx->err_rc)
		return rc; /* the first, most specific message wins */
	ctx->err_rc = rc;
	sb_reset(&ctx->err_msg);
	va_start(ap, fmt);
	sb_vaddf(&ctx->err_msg, fmt, ap);
	va_end(ap);
	snprintf(ctx->err_loc, sizeof(ctx->err_loc), "%s:%d", file, line);
	return rc;
}

void err_prefix(strata *ctx, const char *fmt, ...)
{
	struct sb msg = SB_INIT;
	va_list ap;

	if (!ctx || !ctx->err_rc)
		return;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	sb_add(&msg, ctx->err_msg.buf, ctx->err_msg.len);
	if (msg.failed) {
		sb_release(&msg);
		return;
	}
	sb_release(&ctx->err_msg);
	ctx->err_msg = msg;
}

void err_clear(strata *ctx)
{
	if (!ctx)
		return;
	ctx->err_rc = 0;
	sb_reset(&ctx->err_msg);
	ctx->err_loc[0] = '\0';
}

int err_code(const strata *ctx)
{
	return ctx ? ctx->err_rc : 0;
}

int err_oom(strata *ctx)
{
	return err_set(ctx, STRATA_ENOMEM, "out of memory");
}

void log_msg(strata *ctx, int level, const char *fmt, ...)
{
	struct sb msg = SB_INIT;
	va_list ap;

	if (!ctx || !ctx->log_fn)
		return;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (!msg.failed)
		ctx->log_fn(level, msg.buf, ctx->log_payload);
	sb_release(&msg);
}
