/* restore.c - put a backup back: verify it, back up the present, copy it in
 * with its history row in one step. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup.h"
#include "err.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/*
 * The restore history row goes into the restored database itself: for a
 * file, into the engine's staged copy, which then replaces the live
 * database in one step, so the row and the restored content arrive
 * together; on a server, into the restored tracking table just after
 * the restore (a separate step: a failure there leaves the restore done).
 */
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

struct stage_arg {
	struct session *s;
	const char *started, *backup;
	int64_t *version;
};

/* Write the restore row into the staged copy, before it goes live. */
static int stage_row(struct engine_conn *staged, void *arg)
{
	struct stage_arg *a = arg;
	struct session t = { .ctx = a->s->ctx, .e = a->s->e, .c = staged };

	return record_restore(&t, a->started, a->backup, a->version);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Servers dump before a restore unless told not to; files as a run does. */
static bool restore_backup_wanted(const struct session *s, unsigned flags)
{
	if (s->e->caps & ENGINE_FILE)
		return backup_wanted(s, flags);
	return !(flags & STRATA_NO_BACKUP) && s->ctx->auto_backup != 0;
}

/* A backup named for another database needs STRATA_FORCE. */
static int check_name(strata *ctx, const char *file, unsigned flags)
{
	char *other = backup_name_other(ctx, file);
	int rc = STRATA_OK;

	if (other && !(flags & STRATA_FORCE))
		rc = err_set(
			ctx, STRATA_ERROR,
			"refusing to restore '%s': its name says it is a backup of '%s', not of this database (--force restores it anyway, after the same checks and a backup of this one)",
			file, other);
	else if (other)
		log_msg(ctx, STRATA_LOG_WARN,
			"restoring '%s', a backup of '%s', into this database (--force)",
			file, other);
	free(other);
	return rc;
}

int strata_restore_flags(strata *ctx, const char *file, unsigned flags,
			 char **backup_out)
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
	rc = check_name(ctx, file, flags);
	if (rc)
		return rc;
	/* The whole file is read and checked before anything is dropped. */
	rc = e->inspect(ctx, file, ctx->table, true, &version);
	if (rc) {
		err_prefix(ctx, "refusing to restore: ");
		return rc;
	}
	util_now_iso(started);
	rc = session_open(ctx, &s, SESSION_WRITE);
	if (!rc && restore_backup_wanted(&s, flags)) {
		rc = backup_take(&s, &backup);
		if (!rc)
			log_msg(ctx, STRATA_LOG_INFO, "backup: %s", backup);
	}
	if (!rc) {
		struct stage_arg a = { &s, started, backup, &version };
		rc = e->restore(s.c, file, stage_row, &a);
	}
	session_close(&s);
	if (backup_out)
		*backup_out = backup;
	else
		free(backup);
	return rc;
}

int strata_restore(strata *ctx, const char *file, char **backup_out)
{
	return strata_restore_flags(ctx, file, 0, backup_out);
}
