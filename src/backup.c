/*
 * backup.c - backups before a run and on demand: where they go, how they
 * are named, written under a temporary name and renamed into place, and
 * how many are kept.  The copying itself is the engine's.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"
#include "sb.h"
#include "track.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* Is the database one local file (its backups go beside it)? */
static bool file_engine(const strata *ctx)
{
	const struct engine_info *e = engine_info_named(ctx->url.engine);

	return e && (e->forms & URL_FORM_FILE) && ctx->url.path;
}

/*
 * The file name every backup of this database starts with: the SQLite
 * file's own name, or the server database's name made safe as one file
 * name.  A server name is the server's to choose ("a/../b" is a valid
 * PostgreSQL name): every '/', '\\', control byte and a leading '.'
 * becomes '_', so the dump stays inside the backups folder.  malloc'd.
 */
static char *base_name(const strata *ctx)
{
	const char *p;
	char *out;

	if (!file_engine(ctx)) {
		p = ctx->url.dbname && *ctx->url.dbname ? ctx->url.dbname
							: "database";
		out = strdup(p);
		for (char *q = out; q && *q; q++)
			if (*q == '/' || *q == '\\' ||
			    (unsigned char)*q < 0x20 || *q == 0x7f ||
			    (q == out && *q == '.'))
				*q = '_';
		return out;
	}
	p = strrchr(ctx->url.path, '/');
	return strdup(p ? p + 1 : ctx->url.path);
}

static const char *extension(const strata *ctx)
{
	const struct engine_info *e = engine_info_named(ctx->url.engine);

	return e && e->dump_ext ? e->dump_ext : ".bak";
}

int backup_dir(const strata *ctx, char **out)
{
	struct sb dir = SB_INIT;
	const char *slash;

	if (ctx->backup_dir)
		sb_adds(&dir, ctx->backup_dir);
	else if (!file_engine(ctx))
		sb_adds(&dir, "backups");
	else if ((slash = strrchr(ctx->url.path, '/')))
		sb_addf(&dir, "%.*s/backups", (int)(slash - ctx->url.path),
			ctx->url.path);
	else
		sb_adds(&dir, "backups");
	*out = sb_detach(&dir);
	return *out ? STRATA_OK : STRATA_ENOMEM;
}

/*
 * Refuse a backups folder that others could turn against the user: a
 * symlink (lstat: the link itself, trailing slashes stripped so they do
 * not follow it), not a folder, or writable by group or others (they
 * could plant or swap backups and temporary files).  A missing folder is
 * fine when 'missing_ok' (nothing to read there).
 */
static int check_dir(strata *ctx, const char *dir, bool missing_ok)
{
	size_t n = strlen(dir);
	struct stat st;
	char *path;
	int rc = STRATA_OK;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	path = strndup(dir, n);
	if (!path)
		return err_oom(ctx);
	if (lstat(path, &st) != 0) {
		if (!(missing_ok && errno == ENOENT))
			rc = err_set(ctx, STRATA_EIO,
				     "cannot use backups folder '%s': %s", dir,
				     strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		rc = err_set(
			ctx, STRATA_EIO,
			"refusing backups folder '%s': it is a symbolic link (give the real folder with --backup-dir)",
			dir);
	} else if (!S_ISDIR(st.st_mode)) {
		rc = err_set(ctx, STRATA_EIO,
			     "cannot use backups folder '%s': not a folder",
			     dir);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = err_set(
			ctx, STRATA_EIO,
			"refusing backups folder '%s': it is writable by %s (mode %04o; chmod 700 it)",
			dir, st.st_mode & S_IWOTH ? "others" : "its group",
			(unsigned)(st.st_mode & 07777));
	}
	free(path);
	return rc;
}

/* Create the folder (and parents) private to the user: mode 0700. */
static int make_private_dir(strata *ctx, const char *dir)
{
	size_t bad;

	if (util_mkdir_p(dir, 0700, NULL, &bad) != 0) {
		if (errno == ENOMEM)
			return err_oom(ctx);
		return err_set(ctx, STRATA_EIO,
			       "cannot create backups folder '%.*s': %s",
			       (int)bad, dir, strerror(errno));
	}
	return check_dir(ctx, dir, false);
}

/*
 * Parse "<base>.<YYYYMMDDTHHMMSSZ>[-N].v<version><ext>": the stamp, the
 * suffix N (1 when absent) and the version.
 */
static bool parse_backup_name(const char *file, const char *base,
			      const char *ext, char stamp[17], int *suffix,
			      int64_t *version)
{
	size_t nb = strlen(base), ne = strlen(ext), n = strlen(file);
	const char *p, *end;
	char *num_end;

	if (n < nb + 1 + 16 + 3 + ne || strncmp(file, base, nb) != 0 ||
	    file[nb] != '.' || strcmp(file + n - ne, ext) != 0)
		return false;
	p = file + nb + 1;
	end = file + n - ne;
	for (int i = 0; i < 16; i++)
		if (i == 8    ? p[i] != 'T'
		    : i == 15 ? p[i] != 'Z'
			      : (p[i] < '0' || p[i] > '9'))
			return false;
	memcpy(stamp, p, 16);
	stamp[16] = '\0';
	p += 16;
	*suffix = 1;
	if (*p == '-') {
		*suffix = (int)strtol(p + 1, &num_end, 10);
		if (num_end == p + 1)
			return false;
		p = num_end;
	}
	if (p[0] != '.' || p[1] != 'v' || p[2] < '0' || p[2] > '9')
		return false;
	*version = strtoll(p + 2, &num_end, 10);
	return num_end == end;
}

/*
 * A backup name of any database: the shortest "<base>" before a
 * ".<stamp>[-N].v<version><ext>" that parses; *base malloc'd.
 */
static bool parse_any_name(const char *file, const char *ext, char **base,
			   char stamp[17], int *suffix, int64_t *version)
{
	for (const char *p = strchr(file, '.'); p; p = strchr(p + 1, '.')) {
		char *b;
		if (p == file)
			continue;
		if (!(b = strndup(file, (size_t)(p - file))))
			return false;
		if (parse_backup_name(file, b, ext, stamp, suffix, version)) {
			*base = b;
			return true;
		}
		free(b);
	}
	return false;
}

struct found {
	char *path;
	char stamp[17];
	int suffix;
	int64_t version;
	int64_t size;
};

static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = strcmp(x->stamp, y->stamp);

	return c ? c : (x->suffix > y->suffix) - (x->suffix < y->suffix);
}

/* Every complete backup in dir, oldest first: this database's, or others'. */
static int scan_which(strata *ctx, const char *dir, bool others,
		      struct found **out, size_t *n)
{
	const char *ext = extension(ctx);
	struct found *list = NULL, *grown;
	char *base = base_name(ctx);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if (!base)
		return err_oom(ctx);
	d = opendir(dir);
	if (!d) {
		free(base);
		return STRATA_OK; /* no folder: no backups */
	}
	while ((de = readdir(d))) {
		struct found f = { 0 };
		struct sb path = SB_INIT;
		struct stat st;
		char *other = NULL;
		bool ours = parse_backup_name(de->d_name, base, ext, f.stamp,
					      &f.suffix, &f.version);
		if (others && !ours &&
		    parse_any_name(de->d_name, ext, &other, f.stamp, &f.suffix,
				   &f.version)) {
			free(other);
		} else if (others || !ours) {
			continue;
		}
		sb_addf(&path, "%s/%s", dir, de->d_name);
		if (path.failed || lstat(path.buf, &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			sb_release(&path);
			continue;
		}
		f.size = (int64_t)st.st_size;
		f.path = sb_detach(&path);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(list, cap * sizeof(*grown));
			if (!grown) {
				free(f.path);
				break;
			}
			list = grown;
		}
		list[(*n)++] = f;
	}
	closedir(d);
	free(base);
	if (*n)
		qsort(list, *n, sizeof(*list), found_cmp);
	*out = list;
	return STRATA_OK;
}

static int scan(strata *ctx, const char *dir, struct found **out, size_t *n)
{
	return scan_which(ctx, dir, false, out, n);
}

static void found_free(struct found *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].path);
	free(list);
}

/* SQLite's files beside a database file. */
static const char *const side_suffix[] = { "-journal", "-wal", "-shm" };

/* The length of "-journal", "-wal" or "-shm" ending name, else 0. */
static size_t side_len(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(side_suffix) / sizeof(*side_suffix);
	     i++) {
		size_t k = strlen(side_suffix[i]);
		if (n > k && !strcmp(name + n - k, side_suffix[i]))
			return k;
	}
	return 0;
}

/* Is this file name a backup of this database (complete), on its own? */
static bool is_backup_name(const char *name, size_t n, const char *base,
			   const char *ext)
{
	char stamp[17], *copy = strndup(name, n);
	int suffix;
	int64_t version;
	bool ok = copy &&
		  parse_backup_name(copy, base, ext, stamp, &suffix, &version);

	free(copy);
	return ok;
}

/*
 * A temporary file of this database's backups:
 * "<backup name>.tmp-<pid>", with or without SQLite's "-journal", "-wal"
 * or "-shm" after it.  *pid is the writer's.
 */
static bool is_temp_name(const char *name, const char *base, const char *ext,
			 long *pid)
{
	size_t n = strlen(name), k = side_len(name, n);
	const char *end = name + n - k, *p = end;

	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == end || end - p > 9 || p - name < 5 ||
	    strncmp(p - 5, ".tmp-", 5) != 0)
		return false;
	*pid = strtol(p, NULL, 10);
	return *pid > 0 &&
	       is_backup_name(name, (size_t)(p - 5 - name), base, ext);
}

/*
 * Is the process that wrote a temporary file gone?  This process's own
 * are never touched: another thread's session may be writing one.
 */
static bool writer_gone(long pid)
{
	return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
	       errno == ESRCH;
}

static void remove_file(strata *ctx, const char *path, const char *what)
{
	if (unlink(path) != 0 && errno != ENOENT)
		log_msg(ctx, STRATA_LOG_WARN, "cannot remove %s '%s': %s", what,
			path, strerror(errno));
}

/*
 * Remove what interrupted backups left in the folder (when a session
 * opens the database, before a backup is written and when pruning): the
 * temporary files of this database's backups whose writer process is no
 * longer running on this machine (a live writer's are left alone), and
 * the SQLite side files beside a backup: "-shm" always, "-wal" and
 * "-journal" when empty or when the backup itself is gone (a backup is
 * never written once complete, so they hold nothing).
 */
static void clean_stale(strata *ctx, const char *dir)
{
	const char *ext = extension(ctx);
	char *base = base_name(ctx);
	struct dirent *de;
	DIR *d;

	if (!base || !(d = opendir(dir))) {
		free(base);
		return;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		size_t n = strlen(name), k = side_len(name, n);
		struct sb path = SB_INIT, owner = SB_INIT;
		struct stat st;
		bool stale = false;
		long pid;

		if (is_temp_name(name, base, ext, &pid))
			stale = writer_gone(pid);
		else if (k && is_backup_name(name, n - k, base, ext)) {
			sb_addf(&owner, "%s/%.*s", dir, (int)(n - k), name);
			stale = !strcmp(name + n - k, "-shm") ||
				(!owner.failed && lstat(owner.buf, &st) != 0);
			if (!stale) {
				sb_addf(&path, "%s/%s", dir, name);
				stale = !path.failed &&
					lstat(path.buf, &st) == 0 &&
					S_ISREG(st.st_mode) && st.st_size == 0;
				sb_release(&path);
			}
		}
		if (stale) {
			sb_addf(&path, "%s/%s", dir, name);
			if (!path.failed)
				remove_file(
					ctx, path.buf,
					"a leftover of an interrupted backup");
		}
		sb_release(&path);
		sb_release(&owner);
	}
	closedir(d);
	free(base);
}

void backup_clean(strata *ctx)
{
	char *dir = NULL;
	struct stat st;
	size_t n;

	if (backup_dir(ctx, &dir) || !dir)
		return;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	/* Only in a folder that passes check_dir: never through a link. */
	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		clean_stale(ctx, dir);
	free(dir);
}

/* Remove a backup and any SQLite side file beside it. */
static void remove_backup(strata *ctx, const char *path)
{
	if (unlink(path) != 0)
		log_msg(ctx, STRATA_LOG_WARN,
			"cannot remove old backup '%s': %s", path,
			strerror(errno));
	for (size_t j = 0; j < sizeof(side_suffix) / sizeof(*side_suffix);
	     j++) {
		struct sb side = SB_INIT;
		sb_addf(&side, "%s%s", path, side_suffix[j]);
		if (!side.failed)
			remove_file(ctx, side.buf, "old backup file");
		sb_release(&side);
	}
}

/* Is list[i] older than another backup of the same version? */
static bool superseded(const struct found *list, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (list[j].path && list[j].version == list[i].version)
			return true;
	return false;
}

/*
 * Keep ctx->keep_backups (0 keeps all), and clean up.  The first to go
 * are the older copies of a version that has a newer backup (repeated
 * runs at one version), oldest first; the newest backup of a version
 * goes only when more versions than that are kept, oldest first.
 */
static void prune(strata *ctx, const char *dir)
{
	struct found *list;
	size_t n, left;

	if (ctx->keep_backups <= 0 || scan(ctx, dir, &list, &n)) {
		clean_stale(ctx, dir);
		return;
	}
	left = n;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n && left > (size_t)ctx->keep_backups;
		     i++) {
			if (!list[i].path ||
			    (pass == 0 && !superseded(list, n, i)))
				continue;
			remove_backup(ctx, list[i].path);
			free(list[i].path);
			list[i].path = NULL;
			left--;
		}
	found_free(list, n);
	clean_stale(ctx, dir);
}

/* The suffix after every backup already taken in this second. */
static int next_suffix(const struct found *list, size_t n, const char *stamp)
{
	int next = 1;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].stamp, stamp) && list[i].suffix >= next)
			next = list[i].suffix + 1;
	return next;
}

/*
 * A name that sorts after every backup already there (a suffix past the
 * highest one taken in the same second, whatever its version), so names
 * sort in the order the backups were taken:
 * "<base>.<stamp>[-N].v<version><ext>".
 */
static char *free_name(strata *ctx, const char *dir, int64_t version)
{
	struct found *list = NULL;
	struct sb path = SB_INIT;
	char stamp[20], *base;
	time_t now = time(NULL);
	struct tm tm;
	size_t n = 0;
	int suffix = 1;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (scan(ctx, dir, &list, &n))
		return NULL;
	suffix = next_suffix(list, n, stamp);
	found_free(list, n);
	if (!(base = base_name(ctx)))
		return NULL;
	sb_addf(&path, "%s/%s.%s", dir, base, stamp);
	free(base);
	if (suffix > 1)
		sb_addf(&path, "-%d", suffix);
	sb_addf(&path, ".v%lld%s", (long long)version, extension(ctx));
	return sb_detach(&path);
}

/* A failed copy leaves nothing: the file and any SQLite side file. */
static void remove_with_sides(const char *path)
{
	(void)unlink(path);
	for (size_t i = 0; i < sizeof(side_suffix) / sizeof(*side_suffix);
	     i++) {
		struct sb side = SB_INIT;
		sb_addf(&side, "%s%s", path, side_suffix[i]);
		if (!side.failed)
			(void)unlink(side.buf);
		sb_release(&side);
	}
}

/* Copy into 'final' through a temporary name, so a partial file never shows. */
static int write_backup(struct session *s, const char *final)
{
	struct sb tmp = SB_INIT;
	int rc;

	sb_addf(&tmp, "%s.tmp-%ld", final, (long)getpid());
	if (tmp.failed)
		return err_oom(s->ctx);
	unlink(tmp.buf);
	rc = s->e->backup(s->c, tmp.buf);
	if (!rc && rename(tmp.buf, final) != 0)
		rc = err_set(s->ctx, STRATA_EIO,
			     "cannot rename '%s' to '%s': %s", tmp.buf, final,
			     strerror(errno));
	if (rc)
		remove_with_sides(tmp.buf);
	sb_release(&tmp);
	return rc;
}

static int take(struct session *s, char **path_out, bool prune_now)
{
	strata *ctx = s->ctx;
	int64_t version = s->al.n ? s->al.items[s->al.n - 1].version : 0;
	char *dir = NULL, *path = NULL;
	int rc;

	*path_out = NULL;
	if (!s->e->backup)
		return err_set(ctx, STRATA_EUNSUPPORTED,
			       "backups are not supported for %s", s->e->name);
	if (backup_dir(ctx, &dir))
		return err_oom(ctx);
	rc = make_private_dir(ctx, dir);
	if (!rc)
		clean_stale(ctx, dir);
	if (!rc && !(path = free_name(ctx, dir, version)))
		rc = err_oom(ctx);
	if (!rc)
		rc = write_backup(s, path);
	if (rc) {
		err_prefix(ctx, "backup failed, nothing was changed: ");
		free(path);
	} else {
		if (prune_now)
			prune(ctx, dir);
		*path_out = path;
	}
	free(dir);
	return rc;
}

int backup_take(struct session *s, char **path_out)
{
	return take(s, path_out, true);
}

int backup_take_unpruned(struct session *s, char **path_out)
{
	return take(s, path_out, false);
}

/*
 * Did the failed run leave the database as it was?  Not when it is
 * dirty now (statements that committed on their own; the run refuses
 * to start on a dirty database, so the row is this run's).
 */
static bool unchanged(struct session *s)
{
	bool dirty = true;
	int64_t v;

	/* Unsure: keep it.  The run's own error message stays (first wins). */
	if (!s->c || !s->tables || track_dirty(s->c, s->ctx->table, &dirty, &v))
		return false;
	return !dirty;
}

/* The history rows that name 'path' name no backup now. */
static int unlink_rows(struct session *s, const char *path)
{
	char sql[128];
	struct sql_param p = PTEXT(path);

	snprintf(
		sql, sizeof(sql),
		"UPDATE %s_history SET backup_path = NULL WHERE backup_path = ?",
		s->ctx->table);
	return s->e->query(s->c, sql, &p, 1, NULL, NULL);
}

bool backup_settle(struct session *s, const char *path, bool changed)
{
	strata *ctx = s->ctx;
	char *dir = NULL;
	bool removed = false;

	if (!changed && unchanged(s)) {
		/* The row first: never a row naming a file that is gone. */
		if (unlink_rows(s, path) == STRATA_OK) {
			remove_with_sides(path);
			removed = true;
			log_msg(ctx, STRATA_LOG_INFO,
				"removed backup %s: the run failed and changed nothing",
				path);
		} else {
			log_msg(ctx, STRATA_LOG_WARN,
				"keeping backup %s: its history row could not be updated",
				path);
		}
	}
	if (!backup_dir(ctx, &dir) && dir)
		prune(ctx, dir);
	free(dir);
	return removed;
}

bool backup_wanted(const struct session *s, unsigned flags)
{
	const strata *ctx = s->ctx;

	if (flags & STRATA_NO_BACKUP || !s->existed || ctx->auto_backup == 0)
		return false;
	if (s->e->caps & ENGINE_FILE) {
		/*
		 * Nothing to keep in a new file, nor in the empty one an
		 * application's sqlite3_open_v2() has just created.
		 */
		struct stat st;

		return strcmp(ctx->url.path, ":memory:") != 0 &&
		       !(stat(ctx->url.path, &st) == 0 && st.st_size == 0);
	}
	return ctx->auto_backup == 1;
}

void strata_set_auto_backup(strata *ctx, bool on)
{
	ctx->auto_backup = on ? 1 : 0;
}

int strata_backup(strata *ctx, const char *output, char **path_out)
{
	struct session s;
	int rc;

	err_clear(ctx);
	*path_out = NULL;
	rc = session_open_existing(ctx, &s, SESSION_WRITE_EXISTING);
	if (!rc && !output)
		rc = backup_take(&s, path_out);
	else if (!rc) {
		struct stat st;
		char *dir = strdup(output), *slash;
		if (dir && (slash = strrchr(dir, '/')))
			*slash = '\0';
		if (stat(output, &st) == 0)
			rc = err_set(ctx, STRATA_EIO,
				     "'%s' already exists: choose a new file",
				     output);
		else if (dir && strchr(output, '/') &&
			 (stat(*dir ? dir : "/", &st) != 0 ||
			  !S_ISDIR(st.st_mode)))
			rc = err_set(
				ctx, STRATA_EIO,
				"cannot write '%s': folder '%s' does not exist",
				output, dir);
		else if (!s.e->backup)
			rc = err_set(ctx, STRATA_EUNSUPPORTED,
				     "backups are not supported for %s",
				     s.e->name);
		else
			rc = write_backup(&s, output);
		if (!rc && !(*path_out = strdup(output)))
			rc = err_oom(ctx);
		free(dir);
	}
	session_close(&s);
	return rc;
}

/* "20261122T015608Z" as "2026-11-22T01:56:08Z". */
static void stamp_iso(const char *stamp, char out[24])
{
	snprintf(out, 24, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", stamp, stamp + 4,
		 stamp + 6, stamp + 9, stamp + 11, stamp + 13);
}

static int list_which(strata *ctx, bool read_versions, bool others,
		      size_t *n_out, strata_backup_info **out, char ***strings)
{
	struct found *list = NULL;
	char *dir = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (backup_dir(ctx, &dir))
		return err_oom(ctx);
	/* Backups offered to restore come from a folder only the user owns. */
	rc = read_versions ? check_dir(ctx, dir, true) : STRATA_OK;
	if (!rc)
		rc = scan_which(ctx, dir, others, &list, &n);
	free(dir);
	if (rc || !n)
		return rc;
	*out = calloc(n, sizeof(**out));
	*strings = calloc(n * 2, sizeof(**strings));
	if (!*out || !*strings) {
		found_free(list, n);
		return err_oom(ctx);
	}
	for (size_t i = 0; i < n; i++) {
		strata_backup_info *b = &(*out)[i];
		char iso[24];
		const struct engine *e = engine_find(ctx, &ctx->url);
		int64_t v = list[i].version;
		stamp_iso(list[i].stamp, iso);
		if (read_versions && !others && e && e->inspect &&
		    (e->caps & ENGINE_FILE) &&
		    e->inspect(ctx, list[i].path, ctx->table, false, &v)) {
			err_clear(ctx); /* unreadable: the name's version */
			v = list[i].version;
		}
		(*strings)[2 * i] = list[i].path;
		(*strings)[2 * i + 1] = strdup(iso);
		list[i].path = NULL;
		b->path = (*strings)[2 * i];
		b->created_at = (*strings)[2 * i + 1];
		b->size = list[i].size;
		b->version = v < 0 ? 0 : v;
	}
	*n_out = n;
	found_free(list, n);
	return STRATA_OK;
}

int backup_list(strata *ctx, bool read_versions, size_t *n_out,
		strata_backup_info **out, char ***strings)
{
	return list_which(ctx, read_versions, false, n_out, out, strings);
}

char *backup_name_other(const strata *ctx, const char *file)
{
	const char *name = strrchr(file, '/');
	char *base = NULL, *ours, stamp[17];
	int suffix;
	int64_t version;

	name = name ? name + 1 : file;
	if (!parse_any_name(name, extension(ctx), &base, stamp, &suffix,
			    &version))
		return NULL;
	ours = base_name(ctx);
	/* Ours parses too when its name is a prefix of the other's. */
	if (ours && parse_backup_name(name, ours, extension(ctx), stamp,
				      &suffix, &version)) {
		free(base);
		base = NULL;
	}
	free(ours);
	return base;
}

struct backup_list_box {
	strata_backup_list pub;
	char **strings;
};

static int lists(strata *ctx, bool others, strata_backup_list **out)
{
	struct backup_list_box *b = calloc(1, sizeof(*b));
	int rc;

	err_clear(ctx);
	*out = NULL;
	if (!b)
		return err_oom(ctx);
	if (!ctx->has_url) {
		free(b);
		return err_set(ctx, STRATA_EINVAL, "no database URL was given");
	}
	rc = list_which(ctx, true, others, &b->pub.n, &b->pub.items,
			&b->strings);
	if (rc) {
		strata_backup_list_free(&b->pub);
		return rc;
	}
	*out = &b->pub;
	return STRATA_OK;
}

int strata_backups_list(strata *ctx, strata_backup_list **out)
{
	return lists(ctx, false, out);
}

int strata_backups_list_other(strata *ctx, strata_backup_list **out)
{
	return lists(ctx, true, out);
}

void strata_backup_list_free(strata_backup_list *l)
{
	struct backup_list_box *b = (struct backup_list_box *)l;

	if (!b)
		return;
	for (size_t i = 0; b->strings && i < 2 * b->pub.n; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->pub.items);
	free(b);
}
