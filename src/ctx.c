/* ctx.c - open and close a context; its settings and its last error. */
#include "ctx.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

const char *strata_libversion(void)
{
	return STRATA_VERSION;
}

int strata_open(strata **out, const char *url)
{
	strata *ctx = calloc(1, sizeof(*ctx));

	*out = ctx;
	if (!ctx)
		return STRATA_ENOMEM;
	ctx->err_msg = (struct sb)SB_INIT;
	ctx->table = strdup("strata");
	ctx->lock_timeout = 60;
	ctx->keep_backups = 10;
	ctx->auto_backup = -1;
	if (!ctx->table)
		return err_oom(ctx);
	return url ? strata_set_url(ctx, url) : STRATA_OK;
}

int strata_open_sqlite(strata **out, struct sqlite3 *db)
{
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
	struct sb url = SB_INIT;
	int rc;

	rc = strata_open(out, NULL);
	if (rc)
		return rc;
	if (!db)
		return err_set(*out, STRATA_EINVAL,
			       "no SQLite handle was given");
	/* A temporary or in-memory database has no file name. */
	sb_addf(&url, "sqlite:%s", file && *file ? file : ":memory:");
	if (url.failed)
		return err_oom(*out);
	rc = strata_set_url(*out, url.buf);
	sb_release(&url);
	if (!rc)
		(*out)->app_db = db;
	return rc;
}

int strata_set_url(strata *ctx, const char *url)
{
	struct strata_url u;
	int rc;

	err_clear(ctx);
	rc = url_parse(ctx, url, &u);
	if (rc)
		return rc;
	url_release(&ctx->url);
	ctx->url = u;
	ctx->has_url = true;
	return STRATA_OK;
}

void strata_close(strata *ctx)
{
	if (!ctx)
		return;
	url_release(&ctx->url);
	source_release(&ctx->src);
	free(ctx->listed);
	free(ctx->table);
	free(ctx->backup_dir);
	sb_release(&ctx->err_msg);
	free(ctx);
}

const char *strata_errmsg(const strata *ctx)
{
	if (!ctx)
		return "out of memory";
	if (!ctx->err_rc)
		return "no error";
	return ctx->err_msg.failed ? "out of memory" : ctx->err_msg.buf;
}

const char *strata_errloc(const strata *ctx)
{
	return ctx ? ctx->err_loc : "";
}

const char *strata_errstr(int rc)
{
	switch (rc) {
	case STRATA_OK: return "no error";
	case STRATA_ERROR: return "error";
	case STRATA_ENOMEM: return "out of memory";
	case STRATA_EINVAL: return "invalid argument or input";
	case STRATA_ECHECKSUM: return "an applied migration was modified";
	case STRATA_ELOCKED: return "timed out waiting for the lock";
	case STRATA_ESQL: return "the database rejected a statement";
	case STRATA_EORDER: return "a pending migration is out of order";
	case STRATA_EIRREVERSIBLE: return "the migration is irreversible";
	case STRATA_EDIRTY: return "the database is dirty";
	case STRATA_ENOTFOUND: return "not found";
	case STRATA_EIO: return "file or folder error";
	case STRATA_EUNSUPPORTED: return "not supported";
	}
	return "unknown error";
}

/* Replace *slot with a copy of value (NULL clears it). */
static int set_string(strata *ctx, char **slot, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return err_oom(ctx);
	free(*slot);
	*slot = copy;
	return STRATA_OK;
}

int strata_set_table(strata *ctx, const char *prefix)
{
	const char *p;

	err_clear(ctx);
	if (!prefix || !*prefix || strlen(prefix) > 48 ||
	    (*prefix >= '0' && *prefix <= '9'))
		return err_set(ctx, STRATA_EINVAL, "bad table prefix '%s'",
			       prefix ? prefix : "");
	/* The prefix becomes part of identifiers: keep it plain. */
	for (p = prefix; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return err_set(
				ctx, STRATA_EINVAL,
				"bad table prefix '%s': use letters, digits and '_'",
				prefix);
	return set_string(ctx, &ctx->table, prefix);
}

void strata_set_lock_timeout(strata *ctx, int seconds)
{
	ctx->lock_timeout = seconds < 0 ? 0 : seconds;
}

int strata_set_backup_dir(strata *ctx, const char *dir)
{
	err_clear(ctx);
	return set_string(ctx, &ctx->backup_dir, dir && *dir ? dir : NULL);
}

void strata_set_keep_backups(strata *ctx, int n)
{
	ctx->keep_backups = n < 0 ? 0 : n;
}

void strata_set_log(strata *ctx, strata_log_fn fn, void *payload)
{
	ctx->log_fn = fn;
	ctx->log_payload = payload;
}

void strata_set_progress(strata *ctx, strata_progress_fn fn, void *payload)
{
	ctx->progress_fn = fn;
	ctx->progress_payload = payload;
}

int strata_add_dir(strata *ctx, const char *dir)
{
	int rc;

	err_clear(ctx);
	rc = source_add_dir(ctx, &ctx->src, dir);
	return rc ? rc : source_finish(ctx, &ctx->src);
}

/*
 * The layout an array was compiled with is in its entries' struct_version
 * (strata.h).  There is one layout so far; a later one reads the first
 * entry's to step through the array and copies older entries over.
 */
static int check_layout(strata *ctx, const strata_migration *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		if (m[i].struct_version != STRATA_MIGRATION_VERSION)
			return err_set(
				ctx, STRATA_EINVAL,
				"embedded migration %zu: struct_version is %u, not STRATA_MIGRATION_VERSION (%u): set it, or generate the array with 'strata embed'",
				i, m[i].struct_version,
				STRATA_MIGRATION_VERSION);
	return STRATA_OK;
}

int strata_add_migrations(strata *ctx, const strata_migration *m, size_t n)
{
	int rc;

	err_clear(ctx);
	rc = check_layout(ctx, m, n);
	if (!rc)
		rc = source_add_array(ctx, &ctx->src, m, n);
	return rc ? rc : source_finish(ctx, &ctx->src);
}

int strata_list_migrations(strata *ctx, const strata_migration **out, size_t *n)
{
	strata_migration *view;

	err_clear(ctx);
	*out = NULL;
	*n = 0;
	view = calloc(ctx->src.n ? ctx->src.n : 1, sizeof(*view));
	if (!view)
		return err_oom(ctx);
	for (size_t i = 0; i < ctx->src.n; i++) {
		const struct migration *m = &ctx->src.items[i];
		view[i] = (strata_migration){
			.version = m->version,
			.name = m->name,
			.description = m->description,
			.up = m->up,
			.up_len = m->up_len,
			.down = m->down,
			.down_len = m->down_len,
			.flags = m->flags,
			.struct_version = STRATA_MIGRATION_VERSION,
		};
	}
	free(ctx->listed);
	ctx->listed = view;
	*out = view;
	*n = ctx->src.n;
	return STRATA_OK;
}

void strata_free(void *p)
{
	free(p);
}
