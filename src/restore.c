/* restore.c - put a backup back: verify it, back up the present, copy it in. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup.h"
#include "banned.h"
#include "err.h"
#include "track.h"
#include "util.h"

/* The restore history row goes into the restored database itself. */
static int record_restore(struct session *s, const char *started,
			  const char *backup, int64_t *version)
{
	struct applied_list al = { 0 };
	char finished[ISO_TIME_LEN];
	int rc;

	s->tables = false;
	rc = s->e->tracking_exists(s->c, s->ctx->table, &s->tables);
	if (!rc)
		rc = session_ensure_tables(s);
	if (!rc)
		rc = track_read_applied(s->c, s->ctx->table, false, &al);
	*version = al.n ? al.items[al.n - 1].version : 0;
	util_now_iso(finished);
	struct hist_row h = {
		.version = *version,
		.direction = "restore",
		.status = "success",
		.started_at = started,
		.finished_at = finished,
		.execution_ms = -1,
		.statements_done = -1,
		.backup_path = backup,
	};
	if (!rc)
		rc = track_insert_history(s->c, s->ctx->table, &h);
	applied_release(&al);
	return rc;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int strata_restore(strata *ctx, const char *file, char **backup_out)
{
	const struct engine *e;
	char started[ISO_TIME_LEN];
	char *backup = NULL;
	struct session s = { 0 };
	int64_t version;
	int rc;

	err_clear(ctx);
	if (backup_out)
		*backup_out = NULL;
	if (!ctx->has_url)
		return err_set(ctx, STRATA_EINVAL, "no database URL was given");
	if (!(e = engine_find(ctx, &ctx->url)))
		return err_code(ctx);
	if (!e->restore || !e->inspect)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"restore is not supported for %s: use the server's own tools",
			e->name);
	/* The live file itself, a damaged or a foreign file: refused first. */
	if ((e->caps & ENGINE_FILE) && same_file(file, ctx->url.path))
		return err_set(
			ctx, STRATA_ERROR,
			"refusing to restore: '%s' is the live database itself",
			file);
	rc = e->inspect(ctx, file, ctx->table, true, &version);
	if (rc) {
		err_prefix(ctx, "refusing to restore: ");
		return rc;
	}
	util_now_iso(started);
	rc = session_open(ctx, &s, SESSION_WRITE);
	if (!rc && backup_wanted(&s, 0))
		rc = backup_take(&s, &backup);
	if (!rc)
		rc = e->restore(s.c, file);
	if (!rc)
		rc = record_restore(&s, started, backup, &version);
	session_close(&s);
	if (backup_out)
		*backup_out = backup;
	else
		free(backup);
	return rc;
}
