/* err.h - record an error on the context, and log through its callback. */
#ifndef STRATA_ERR_H
#define STRATA_ERR_H

#include "strata.h"

/*
 * Record 'rc' and its message on ctx and return rc, so a failing place
 * says what went wrong in one line: return err_set(ctx, STRATA_EINVAL, ...).
 * The first error of an operation wins: see err_clear().
 */
#define err_set(ctx, rc, ...) \
	err_set_at((ctx), (rc), __FILE__, __LINE__, __VA_ARGS__)
int err_set_at(strata *ctx, int rc, const char *file, int line, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));

/* Put "path:line: " or similar in front of the current message. */
void err_prefix(strata *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget the last error (done at the start of each public call). */
void err_clear(strata *ctx);

/* True while an error is recorded and not cleared. */
int err_code(const strata *ctx);

/* STRATA_ENOMEM with its message. */
int err_oom(strata *ctx);

/* Send a line to the log callback, if any. */
void log_msg(strata *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
