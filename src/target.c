/* target.c - checks before a run: a target some migration has, a database
 * that exists; a connection that waits for a server starting up. */
#include "target.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "engine.h"
#include "err.h"
#include "session.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int target_check(strata *ctx, int64_t target)
{
	const struct source *src = &ctx->src;
	int64_t hi = src->n ? src->items[src->n - 1].version : 0;
	struct session s;
	bool known, any = src->n > 0;
	int rc;

	if (target == 0 || target == STRATA_LATEST || source_find(src, target))
		return STRATA_OK;
	/* A migration whose file is gone still has its applied row. */
	rc = session_open(ctx, &s, SESSION_READ);
	known = !rc && applied_find(&s.al, target) != NULL;
	if (!rc && s.al.n) {
		int64_t top = s.al.items[s.al.n - 1].version;

		hi = any && hi > top ? hi : top;
		any = true;
	}
	session_close(&s);
	if (rc || known)
		return rc;
	if (!any)
		return err_set(ctx, STRATA_EINVAL,
			       "no migration has version %" PRId64
			       ": there are no migrations (give 0 or head)",
			       target);
	return err_set(ctx, STRATA_EINVAL,
		       "no migration has version %" PRId64
		       ": the highest is %" PRId64
		       " (give the version of a migration, 'head' for the"
		       " latest, or 0; 'strata status' lists them)",
		       target, hi);
}

int target_need_db(strata *ctx)
{
	const struct engine *e;
	bool exists = true;
	int rc;

	if (!ctx->has_url)
		return err_set(ctx, STRATA_EINVAL, "no database URL was given");
	e = engine_find(ctx, &ctx->url);
	if (!e)
		return err_code(ctx);
	rc = e->exists(ctx, &ctx->url, &exists);
	if (rc)
		return rc;
	if (!exists)
		return err_set(ctx, STRATA_ENOTFOUND,
			       "database '%s' does not exist",
			       ctx->url.masked ? ctx->url.masked : "");
	return STRATA_OK;
}

/* Case-insensitive strstr. */
static bool has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) ==
			       tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/*
 * A failure that a server which is not up yet gives: refused, no socket
 * yet, starting or shutting down, a connection cut while it starts.  An
 * authentication failure or a bad database name is never waited for.
 */
static bool not_up_yet(const char *msg)
{
	static const char *const signs[] = {
		"connection refused",
		"no such file or directory",
		"is starting up",
		"is shutting down",
		"not yet accepting connections",
		"in recovery mode",
		"could not connect",
		"server closed the connection",
		"timeout expired",
		"MySQL error 2002)",
		"MySQL error 2003)",
		"MySQL error 2006)",
		"MySQL error 2013)",
		"MySQL error 1053)",
	};

	for (size_t i = 0; i < sizeof(signs) / sizeof(signs[0]); i++)
		if (has_text(msg, signs[i]))
			return true;
	return false;
}

int target_connect(strata *ctx, const struct engine *e,
		   struct engine_conn **out, int mode)
{
	int64_t deadline = util_ms() + (int64_t)ctx->connect_wait * 1000;
	bool noted = false;
	int rc;

	for (;;) {
		rc = e->connect(out, ctx, &ctx->url, (enum connect_mode)mode);
		if (!rc || ctx->connect_wait <= 0 || (e->caps & ENGINE_FILE) ||
		    rc != STRATA_EIO || !not_up_yet(strata_errmsg(ctx)))
			return rc;
		if (util_ms() >= deadline) {
			err_prefix(ctx, "gave up after waiting %d s: ",
				   ctx->connect_wait);
			return rc;
		}
		if (!noted)
			log_msg(ctx, STRATA_LOG_NOTE,
				"waiting up to %d s for the database: %s",
				ctx->connect_wait, strata_errmsg(ctx));
		noted = true;
		err_clear(ctx);
		{
			int64_t left = deadline - util_ms();
			int64_t ms = left < 500 ? (left > 0 ? left : 1) : 500;
			struct timespec ts = { (time_t)(ms / 1000),
					       (long)(ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

void strata_set_connect_wait(strata *ctx, int seconds)
{
	ctx->connect_wait = seconds < 0 ? 0 : seconds;
}
