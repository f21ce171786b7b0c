/*
 * sqlite_backup.c - copies of a SQLite database with the online backup
 * API: consistent while other connections write (WAL content included),
 * in large steps, with progress; restore is the same copy the other way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"
#include "sqlite_int.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define STEP_PAGES 4096 /* 16 MiB of 4 KiB pages between progress reports */

static void report(strata *ctx, int64_t copied, int64_t total)
{
	strata_event ev = {
		.type = STRATA_EV_COPY,
		.copied = copied,
		.total = total,
	};

	if (ctx->progress_fn)
		ctx->progress_fn(&ev, ctx->progress_payload);
}

/*
 * Copy every page of src into dst; both are open connections.  A copy kept
 * waiting by another connection's lock gives up after the lock timeout.
 */
static int copy_pages(strata *ctx, sqlite3 *dst, sqlite3 *src, const char *what)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int64_t deadline = util_ms() + (int64_t)ctx->lock_timeout * 1000;
	int rc;

	if (!b)
		return err_set(ctx, STRATA_EIO, "%s: %s", what,
			       sqlite3_errmsg(dst));
	do {
		rc = sqlite3_backup_step(b, STEP_PAGES);
		report(ctx,
		       sqlite3_backup_pagecount(b) -
			       sqlite3_backup_remaining(b),
		       sqlite3_backup_pagecount(b));
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			struct timespec ts = { 0, 10 * 1000000L };
			if (util_ms() >= deadline)
				break;
			nanosleep(&ts, NULL);
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return err_set(
			ctx, STRATA_ELOCKED,
			"%s: the database stayed locked by another connection for %d s",
			what, ctx->lock_timeout);
	if (rc != SQLITE_DONE)
		return err_set(ctx, STRATA_EIO, "%s: %s", what,
			       sqlite3_errstr(rc));
	if (sqlite3_errcode(dst) != SQLITE_OK &&
	    sqlite3_errcode(dst) != SQLITE_DONE)
		return err_set(ctx, STRATA_EIO, "%s: %s", what,
			       sqlite3_errmsg(dst));
	return STRATA_OK;
}

static void pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
}

/* Put the database of db in rollback-journal (DELETE) mode. */
static bool rollback_mode(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=DELETE", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		ok = mode && !strcmp(mode, "delete");
	}
	sqlite3_finalize(st);
	return ok;
}

/* Copy pages with the backup API into the (empty) file at path. */
static int copy_with_api(struct sqlite_conn *s, const char *path)
{
	sqlite3 *dst = NULL;
	int rc;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		rc = err_set(s->base.ctx, STRATA_EIO, "cannot open '%s': %s",
			     path, dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return rc;
	}
	rc = copy_pages(s->base.ctx, dst, s->db, "backup failed");
	/*
	 * The copy carries the source's WAL mark in its header: made a
	 * rollback-journal database, opening it later (listing, inspecting,
	 * restoring) creates no -wal/-shm files beside it.
	 */
	if (!rc && !rollback_mode(dst))
		rc = err_set(s->base.ctx, STRATA_EIO,
			     "backup failed: cannot leave WAL mode in '%s': %s",
			     path, sqlite3_errmsg(dst));
	if (sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = err_set(s->base.ctx, STRATA_EIO, "cannot close '%s'",
			     path);
	return rc;
}

/*
 * Copy the file's bytes: while our read transaction holds SQLite's shared
 * lock, no writer can change a rollback-journal database file, so the
 * bytes are a consistent snapshot, copied at the speed of cp.
 */
static int copy_file_bytes(struct sqlite_conn *s, int out)
{
	const int64_t chunk = 64 << 20;
	int64_t page = 4096, done = 0;
	struct stat st;
	int in, rc = STRATA_OK;

	in = open(s->path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0) {
		rc = err_set(s->base.ctx, STRATA_EIO, "cannot read '%s': %s",
			     s->path, strerror(errno));
		goto out;
	}
	pragma_int(s->db, "PRAGMA page_size", &page);
	while (done < st.st_size) {
		ssize_t n = sendfile(out, in, NULL,
				     (size_t)(st.st_size - done < chunk
						      ? st.st_size - done
						      : chunk));
		if (n <= 0) {
			rc = err_set(s->base.ctx, STRATA_EIO,
				     "backup failed: cannot copy '%s': %s",
				     s->path,
				     n < 0 ? strerror(errno) : "short");
			break;
		}
		done += n;
		report(s->base.ctx, done / page, st.st_size / page);
	}
out:
	if (in >= 0)
		close(in);
	return rc;
}

static bool in_wal_mode(struct sqlite_conn *s)
{
	sqlite3_stmt *st;
	bool wal = true; /* when unsure, the backup API is always right */

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			wal = !strcmp((const char *)sqlite3_column_text(st, 0),
				      "wal");
		sqlite3_finalize(st);
	}
	return wal;
}

int sqlite_backup(struct engine_conn *c, const char *path)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int fd, rc;

	/* Private from the first byte: create it 0600 before anything writes.
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(c->ctx, STRATA_EIO, "cannot create '%s': %s",
			       path, strerror(errno));
	/*
	 * One read transaction on the source for the whole copy: every step
	 * reads the same snapshot, so writers elsewhere cannot make the copy
	 * restart (and, in WAL mode, are not blocked).
	 */
	rc = sqlite3_exec(s->db, "BEGIN; SELECT count(*) FROM sqlite_schema",
			  NULL, NULL, NULL) == SQLITE_OK
		     ? STRATA_OK
		     : sqlite_fail(s, "cannot start the backup");
	if (!rc && !in_wal_mode(s))
		rc = copy_file_bytes(s, fd);
	else if (!rc) /* the WAL holds content the file does not have yet */
		rc = copy_with_api(s, path);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	/* The copy must be on disk before the rename makes it a backup. */
	if (!rc && fsync(fd) != 0)
		rc = err_set(c->ctx, STRATA_EIO, "cannot sync '%s': %s", path,
			     strerror(errno));
	close(fd);
	return rc;
}

static bool has_sqlite_header(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
	     memcmp(head, magic, sizeof(magic)) == 0;
	close(fd);
	return ok;
}

/* Bytes 18-19 of the header say 2 (WAL) and no "-wal" file is beside it. */
static bool wal_marked_alone(const char *path)
{
	unsigned char head[20];
	struct sb wal = SB_INIT;
	struct stat st;
	bool alone;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	alone = read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
		(head[18] == 2 || head[19] == 2);
	close(fd);
	sb_addf(&wal, "%s-wal", path);
	alone = alone && !wal.failed && lstat(wal.buf, &st) != 0;
	sb_release(&wal);
	return alone;
}

/*
 * Open a file read-only.  A read-only connection to a WAL database still
 * creates its -wal and -shm files; a WAL-marked file with no -wal (a
 * backup an older strata wrote) holds all its content in itself, so it is
 * opened immutable: nothing is created beside it.
 */
static int open_readonly(const char *path, sqlite3 **db)
{
	struct sb uri = SB_INIT;
	int rc;

	if (!wal_marked_alone(path))
		return sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
	sb_adds(&uri, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p))
			sb_addc(&uri, (char)*p);
		else
			sb_addf(&uri, "%%%02X", *p);
	sb_adds(&uri, "?immutable=1");
	if (uri.failed) {
		*db = NULL;
		return SQLITE_NOMEM;
	}
	rc = sqlite3_open_v2(uri.buf, db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	sb_release(&uri);
	return rc;
}

/* Open a file read-only, and refuse what is not a sound database. */
static int open_checked(strata *ctx, const char *path, bool verify,
			sqlite3 **out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *first = NULL;
	int rc = STRATA_OK, step;

	*out = NULL;
	if (access(path, F_OK) != 0)
		return err_set(ctx, STRATA_ENOTFOUND, "'%s' does not exist",
			       path);
	/* SQLite takes an empty file for an empty database: not a backup. */
	if (!has_sqlite_header(path))
		return err_set(
			ctx, STRATA_ERROR,
			"'%s' is not a SQLite database (no SQLite header)",
			path);
	if (open_readonly(path, &db) != SQLITE_OK) {
		rc = err_set(ctx, STRATA_ERROR, "cannot open '%s': %s", path,
			     db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	if (sqlite3_prepare_v2(db,
			       verify ? "PRAGMA integrity_check(20)"
				      : "SELECT count(*) FROM sqlite_schema",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(ctx, STRATA_ERROR,
			     "'%s' is not a usable SQLite database: %s", path,
			     sqlite3_errmsg(db));
		goto out;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		first = (const char *)sqlite3_column_text(st, 0);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = err_set(ctx, STRATA_ERROR,
			     "'%s' is not a usable SQLite database: %s", path,
			     sqlite3_errmsg(db));
	else if (verify && (!first || strcmp(first, "ok") != 0))
		rc = err_set(ctx, STRATA_ERROR,
			     "'%s' failed its integrity check: %s", path,
			     first ? first : "no answer");
out:
	sqlite3_finalize(st);
	if (rc)
		sqlite3_close(db);
	else
		*out = db;
	return rc;
}

static int64_t read_version(sqlite3 *db, const char *prefix)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t v = -1;

	snprintf(sql, sizeof(sql), "SELECT max(version) FROM %s_migrations",
		 prefix);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1; /* no tracking tables */
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	else
		v = 0;
	sqlite3_finalize(st);
	return v;
}

int sqlite_inspect(strata *ctx, const char *path, const char *prefix,
		   bool verify, int64_t *version)
{
	sqlite3 *db;
	int rc;

	*version = -1;
	rc = open_checked(ctx, path, verify, &db);
	if (rc)
		return rc;
	*version = read_version(db, prefix);
	sqlite3_close(db);
	return STRATA_OK;
}

/*
 * "<database>.strata-restore", beside the real database file (from the
 * lock file's path): the staging copy of a restore.  Only the holder of
 * the run lock uses it, so one fixed name is enough.  NULL for :memory:.
 */
static char *staging_path(const struct sqlite_conn *s)
{
	static const char lock_ext[] = ".strata.lock";
	size_t n, k = sizeof(lock_ext) - 1;
	struct sb out = SB_INIT;

	if (!s->lock_path || (n = strlen(s->lock_path)) <= k)
		return NULL;
	sb_addf(&out, "%.*s.strata-restore", (int)(n - k), s->lock_path);
	return sb_detach(&out);
}

static const char *const staging_side[] = { "", "-journal", "-wal", "-shm" };

/* Remove a staging copy and its side files (before use, after a crash). */
static void staging_remove(const char *path)
{
	for (size_t i = 0; i < sizeof(staging_side) / sizeof(*staging_side);
	     i++) {
		struct sb f = SB_INIT;
		sb_addf(&f, "%s%s", path, staging_side[i]);
		if (!f.failed)
			(void)unlink(f.buf);
		sb_release(&f);
	}
}

void sqlite_staging_clean(struct sqlite_conn *s)
{
	char *path = staging_path(s);

	if (path)
		staging_remove(path);
	free(path);
}

/*
 * Without the run lock: a staging copy is there (one lstat when not)
 * and no runner holds the lock, so the restore that wrote it is dead.
 */
void sqlite_staging_clean_unlocked(struct sqlite_conn *s)
{
	char *path = staging_path(s);
	struct stat st;
	int fd;

	if (path && lstat(path, &st) == 0 && s->lock_fd < 0 &&
	    (fd = open(s->lock_path,
		       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			staging_remove(path);
			flock(fd, LOCK_UN);
		}
		close(fd);
	}
	free(path);
}

/*
 * Open the staging database: a new file, private (0600) from its first
 * byte, never a file or link someone left there; without a file of our
 * own (:memory:), SQLite's private temporary database.
 */
static int open_staging(strata *ctx, const char *path, sqlite3 **out)
{
	int fd, rc = STRATA_OK;

	*out = NULL;
	if (path) {
		staging_remove(path);
		fd = open(path,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
		if (fd < 0)
			return err_set(ctx, STRATA_EIO,
				       "restore failed: cannot create '%s': %s",
				       path, strerror(errno));
		close(fd);
	}
	if (sqlite3_open_v2(path ? path : "", out, SQLITE_OPEN_READWRITE,
			    NULL) != SQLITE_OK) {
		rc = err_set(ctx, STRATA_EIO,
			     "restore failed: cannot open '%s': %s",
			     path ? path : "a staging copy",
			     *out ? sqlite3_errmsg(*out) : "out of memory");
		sqlite3_close(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Restore in one step.  The backup is copied into a staging copy beside
 * the live database ("<database>.strata-restore", so it needs no other
 * file system's room), put in rollback-journal mode; 'stage' adds the
 * restore history row there; then the staged copy is copied into the
 * live database with the backup API, whose write to its destination is
 * one transaction (rollback journal or WAL, seen by other connections
 * as one commit): the live database is the old one or the restored one
 * with its row, never in between, and the lock file is untouched.  The
 * staging copy is removed after, and by the next run that takes the lock
 * if this one was killed.
 */
int sqlite_restore(struct engine_conn *c, const char *path,
		   int (*stage)(struct engine_conn *staged, void *arg),
		   void *arg)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	struct sqlite_conn staged = { .base = { .ctx = c->ctx,
						.eng = &engine_sqlite },
				      .lock_fd = -1,
				      .stale = { .id = -1 } };
	char *tmp_path = staging_path(s);
	sqlite3 *src, *tmp = NULL;
	int rc;

	if (s->lock_path && !tmp_path)
		return err_oom(c->ctx);
	rc = open_checked(c->ctx, path, true, &src);
	if (!rc) {
		rc = open_staging(c->ctx, tmp_path, &tmp);
		if (!rc)
			rc = copy_pages(c->ctx, tmp, src, "restore failed");
		sqlite3_close(src);
	}
	if (!rc && !rollback_mode(tmp))
		rc = err_set(c->ctx, STRATA_EIO,
			     "restore failed: cannot prepare the copy: %s",
			     sqlite3_errmsg(tmp));
	if (!rc) {
		sqlite3_extended_result_codes(tmp, 1);
		staged.db = tmp;
		staged.path = tmp_path;
		rc = stage(&staged.base, arg);
	}
	if (!rc)
		rc = copy_pages(c->ctx, s->db, tmp, "restore failed");
	sqlite3_close(tmp);
	if (tmp_path)
		staging_remove(tmp_path);
	free(tmp_path);
	return rc;
}
