/*
 * backup.c - backups before a run and on demand: where they go, how they
 * are named, written under a temporary name and renamed into place, and
 * how many are kept.  The copying itself is the engine's.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"
#include "err.h"
#include "sb.h"
#include "util.h"

/* The file name every backup of this database starts with. */
static const char *base_name(const strata *ctx)
{
	const char *p;

	if (strcmp(ctx->url.engine, "sqlite") != 0)
		return ctx->url.dbname ? ctx->url.dbname : "database";
	p = strrchr(ctx->url.path, '/');
	return p ? p + 1 : ctx->url.path;
}

static const char *extension(const strata *ctx)
{
	if (!strcmp(ctx->url.engine, "postgres"))
		return ".dump";
	if (!strcmp(ctx->url.engine, "mysql"))
		return ".sql";
	return ".bak";
}

int backup_dir(const strata *ctx, char **out)
{
	struct sb dir = SB_INIT;
	const char *slash;

	if (ctx->backup_dir)
		sb_adds(&dir, ctx->backup_dir);
	else if (strcmp(ctx->url.engine, "sqlite") != 0)
		sb_adds(&dir, "backups");
	else if ((slash = strrchr(ctx->url.path, '/')))
		sb_addf(&dir, "%.*s/backups", (int)(slash - ctx->url.path),
			ctx->url.path);
	else
		sb_adds(&dir, "backups");
	*out = sb_detach(&dir);
	return *out ? STRATA_OK : STRATA_ENOMEM;
}

/* Create the folder (and parents) private to the user: mode 0700. */
static int make_private_dir(strata *ctx, const char *dir)
{
	struct sb part = SB_INIT;
	int rc = STRATA_OK;

	for (const char *p = dir;; p++) {
		if ((*p == '/' || !*p) && part.len &&
		    mkdir(part.buf, 0700) != 0 && errno != EEXIST) {
			rc = err_set(ctx, STRATA_EIO,
				     "cannot create backups folder '%s': %s",
				     part.buf, strerror(errno));
			break;
		}
		if (!*p)
			break;
		sb_addc(&part, *p);
	}
	if (!rc && part.failed)
		rc = err_oom(ctx);
	sb_release(&part);
	return rc;
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

/* Every complete backup of this database in dir, oldest first. */
static int scan(strata *ctx, const char *dir, struct found **out, size_t *n)
{
	const char *base = base_name(ctx), *ext = extension(ctx);
	struct found *list = NULL, *grown;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return STRATA_OK; /* no folder: no backups */
	while ((de = readdir(d))) {
		struct found f = { 0 };
		struct sb path = SB_INIT;
		struct stat st;
		if (!parse_backup_name(de->d_name, base, ext, f.stamp,
				       &f.suffix, &f.version))
			continue;
		sb_addf(&path, "%s/%s", dir, de->d_name);
		if (path.failed || stat(path.buf, &st) != 0 ||
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
	if (*n)
		qsort(list, *n, sizeof(*list), found_cmp);
	*out = list;
	return STRATA_OK;
}

static void found_free(struct found *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].path);
	free(list);
}

/* Keep the newest ctx->keep_backups (0 keeps all). */
static void prune(strata *ctx, const char *dir)
{
	struct found *list;
	size_t n;

	if (ctx->keep_backups <= 0 || scan(ctx, dir, &list, &n))
		return;
	for (size_t i = 0;
	     n > (size_t)ctx->keep_backups && i < n - (size_t)ctx->keep_backups;
	     i++)
		if (unlink(list[i].path) != 0)
			log_msg(ctx, STRATA_LOG_WARN,
				"cannot remove old backup '%s': %s",
				list[i].path, strerror(errno));
	found_free(list, n);
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
	char stamp[20];
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
	sb_addf(&path, "%s/%s.%s", dir, base_name(ctx), stamp);
	if (suffix > 1)
		sb_addf(&path, "-%d", suffix);
	sb_addf(&path, ".v%lld%s", (long long)version, extension(ctx));
	return sb_detach(&path);
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
		unlink(tmp.buf);
	sb_release(&tmp);
	return rc;
}

int backup_take(struct session *s, char **path_out)
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
	if (!rc && !(path = free_name(ctx, dir, version)))
		rc = err_oom(ctx);
	if (!rc)
		rc = write_backup(s, path);
	if (rc) {
		err_prefix(ctx, "backup failed, nothing was changed: ");
		free(path);
	} else {
		prune(ctx, dir);
		*path_out = path;
	}
	free(dir);
	return rc;
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

int backup_list(strata *ctx, bool read_versions, size_t *n_out,
		strata_backup_info **out, char ***strings)
{
	struct found *list = NULL;
	char *dir = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (backup_dir(ctx, &dir))
		return err_oom(ctx);
	rc = scan(ctx, dir, &list, &n);
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
		if (read_versions && e && e->inspect &&
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

struct backup_list_box {
	strata_backup_list pub;
	char **strings;
};

int strata_backups_list(strata *ctx, strata_backup_list **out)
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
	rc = backup_list(ctx, true, &b->pub.n, &b->pub.items, &b->strings);
	if (rc) {
		strata_backup_list_free(&b->pub);
		return rc;
	}
	*out = &b->pub;
	return STRATA_OK;
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
