/* source.c - a migrations folder or an embedded array -> sorted migrations. */
#include "migration.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/*
 * Kinds of migration files.  The pair form's files and strata's single
 * file share a folder; the others each make a folder of their own.
 */
enum kind {
	K_SINGLE,      /* <v>_<name>.sql: strata, dbmate, goose, sql-migrate */
	K_PAIR_UP,     /* <v>_<name>.up.sql */
	K_PAIR_DOWN,   /* <v>_<name>.down.sql */
	K_FLYWAY,      /* V<v>__<desc>.sql */
	K_FLYWAY_UNDO, /* U<v>__<desc>.sql */
	K_DIESEL_UP,   /* <v>_<name>/up.sql */
	K_DIESEL_DOWN, /* <v>_<name>/down.sql */
	K_PRISMA,      /* <v>_<name>/migration.sql */
};

/* A migration file found in the folder, before it is read. */
struct entry {
	char *file; /* the path inside the folder */
	int64_t version;
	int kind;                  /* enum kind */
	size_t stem_len;           /* what a down file and its up file share */
	size_t name_off, name_len; /* the migration's name in 'file' */
	bool regular;    /* readdir said a regular file: no fstat needed */
	char digits[24]; /* diesel, Prisma: the version's digits as written */
	bool no_txn; /* a diesel metadata.toml or Flyway .sql.conf says so */
};

/* A read buffer reused for every file of a folder. */
struct rbuf {
	char *buf;
	size_t cap;
};

/* What a folder holds: migration files, and names to warn about. */
struct listing {
	struct entry *files;
	size_t n_files, cap_files;
	char **odd; /* files whose name does not fit */
	size_t n_odd, cap_odd;
	char **dirs; /* folders that look like migrations */
	size_t n_dirs, cap_dirs;
	char **confs; /* Flyway's V...sql.conf files */
	size_t n_confs, cap_confs;
};

/*
 * Room for n + 1 items of 'size' bytes: 'items' itself, or the array
 * moved to a larger block (*cap updated), or NULL when memory ran out
 * ('items' is then unchanged).
 */
static void *grow(void *items, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return items;
	if (c > (size_t)-1 / size)
		return NULL;
	p = realloc(items, c * size);
	if (p)
		*cap = c;
	return p;
}

static int push_name(strata *ctx, char ***v, size_t *n, size_t *cap,
		     const char *name)
{
	char *copy = strdup(name);
	char **p = copy ? grow(*v, cap, *n, sizeof(**v)) : NULL;

	if (!p) {
		free(copy);
		return err_oom(ctx);
	}
	*v = p;
	p[(*n)++] = copy;
	return STRATA_OK;
}

static void listing_release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++)
		free(l->files[i].file);
	for (i = 0; i < l->n_odd; i++)
		free(l->odd[i]);
	for (i = 0; i < l->n_dirs; i++)
		free(l->dirs[i]);
	for (i = 0; i < l->n_confs; i++)
		free(l->confs[i]);
	free(l->confs);
	free(l->files);
	free(l->odd);
	free(l->dirs);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Digits then '_': what a migration's name starts with. */
static bool looks_like_migration(const char *name)
{
	const char *p = name;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > name && *p == '_';
}

/* "dir/file", without a doubled '/'; NULL on OOM. */
static char *join(const char *dir, const char *file)
{
	size_t dn = strlen(dir), fn = strlen(file);
	bool slash = dn && dir[dn - 1] == '/';
	char *p = malloc(dn + !slash + fn + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, dn);
	if (!slash)
		p[dn++] = '/';
	memcpy(p + dn, file, fn + 1);
	return p;
}

/*
 * 'path' fit for a log line: control characters always, and every byte
 * above 0x7f when the path is not valid UTF-8, written as \xNN.
 */
static void add_printable(struct sb *sb, const char *path)
{
	bool utf8 = parse_utf8_ok(path, strlen(path));
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
			sb_addf(sb, "\\x%02x", *p);
		else
			sb_addc(sb, (char)*p);
	}
}

static void warn_path(strata *ctx, const char *dir, const char *name,
		      bool folder)
{
	struct sb sb = SB_INIT;
	char *path = join(dir, name);

	if (path)
		add_printable(&sb, path);
	if (path && !sb.failed && folder)
		log_msg(ctx, STRATA_LOG_WARN,
			"ignoring folder '%s': migrations are files", sb.buf);
	else if (path && !sb.failed)
		log_msg(ctx, STRATA_LOG_WARN,
			"ignoring '%s': name does not fit <version>_<name>.sql",
			sb.buf);
	sb_release(&sb);
	free(path);
}

/* Is entry 'name' of the folder a folder?  Follows symbolic links. */
static bool is_folder(int dfd, const struct dirent *de)
{
	struct stat st;

#ifdef DT_DIR
	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return false;
#endif
	return fstatat(dfd, de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* A new entry at the end of l->files, or NULL (OOM). */
static struct entry *new_entry(struct listing *l)
{
	struct entry *e =
		grow(l->files, &l->cap_files, l->n_files, sizeof(*l->files));

	if (!e)
		return NULL;
	l->files = e;
	e += l->n_files;
	memset(e, 0, sizeof(*e));
	return e;
}

static int too_big(strata *ctx, const char *dir, const char *name)
{
	char *path = join(dir, name);
	int rc = path ? err_set(ctx, STRATA_EINVAL,
				"'%s': version past 64 bits", path)
		      : err_oom(ctx);

	free(path);
	return rc;
}

/*
 * A Flyway name: V<version>__<desc>.sql or U<version>__<desc>.sql, the
 * version digits only.  Returns 1 and fills *e (kind, version, name) when
 * it is one, 0 when the name is not Flyway's, or an error: a dotted
 * version (1.1, 1_1), a version past 64 bits, a repeatable R__ file.
 */
static int flyway_name(strata *ctx, const char *dir, const char *name, size_t n,
		       struct entry *e)
{
	const char *p = name + 1, *sep;
	char *path;
	int64_t v = 0;
	int rc;

	if (n > 3 && name[0] == 'R' && name[1] == '_' && name[2] == '_') {
		path = join(dir, name);
		rc = path ? err_set(ctx, STRATA_EINVAL,
				    "'%s': Flyway repeatable migrations (R__) are not supported yet",
				    path)
			  : err_oom(ctx);
		free(path);
		return rc;
	}
	if ((name[0] != 'V' && name[0] != 'U') || p[0] < '0' || p[0] > '9')
		return 0;
	sep = strstr(p, "__");
	if (!sep || (size_t)(sep + 2 - name) >= n - 4)
		return 0;
	for (; p < sep; p++) {
		if (*p == '.' || *p == '_') {
			path = join(dir, name);
			rc = path ? err_set(ctx, STRATA_EINVAL,
					    "'%s': dotted Flyway version '%.*s' (strata orders versions as one integer: rename it V<integer>__...)",
					    path, (int)(sep - name - 1),
					    name + 1)
				  : err_oom(ctx);
			free(path);
			return rc;
		}
		if (*p < '0' || *p > '9')
			return 0;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return too_big(ctx, dir, name);
		v = v * 10 + (*p - '0');
	}
	if (!parse_name_text_ok(sep + 2, n - 4 - (size_t)(sep + 2 - name)))
		return 0;
	e->kind = name[0] == 'V' ? K_FLYWAY : K_FLYWAY_UNDO;
	e->version = v;
	e->name_off = (size_t)(sep + 2 - name);
	e->name_len = n - 4 - e->name_off;
	e->stem_len = 0;
	return 1;
}

/*
 * A diesel or Prisma folder name: <digits and dashes>_<name>, starting
 * with a digit.  The digits (dashes dropped) go to digits[]; false when
 * the name does not fit or has more than 'room' - 1 digits.
 */
static bool folder_name(const char *name, char *digits, size_t room,
			size_t *name_off)
{
	const char *p = name;
	size_t k = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; (*p >= '0' && *p <= '9') || *p == '-'; p++) {
		if (*p == '-')
			continue;
		if (k + 1 >= room)
			return false;
		digits[k++] = *p;
	}
	digits[k] = '\0';
	if (*p != '_' || !parse_name_text_ok(p + 1, strlen(p + 1)))
		return false;
	*name_off = (size_t)(p + 1 - name);
	return true;
}

static bool has_file(int dfd, const char *folder, const char *file)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", folder, file) >=
	    sizeof(path))
		return false;
	return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/*
 * Does the small settings file 'rel' (diesel's metadata.toml, a Flyway
 * script's .sql.conf) set 'key' to false?  Lines "key = false" (blanks,
 * quotes and letter case of the value tolerated); a missing file is no.
 */
static bool setting_false(int dfd, const char *rel, const char *key)
{
	char buf[4096];
	size_t kn = strlen(key), got = 0;
	ssize_t r;
	int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	const char *p;

	if (fd < 0)
		return false;
	while (got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, kn) != 0)
			continue;
		p += kn;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')
			p++;
		if (strncasecmp(p, "false", 5) == 0)
			return true;
	}
	return false;
}

/* Add a diesel/Prisma file of folder 'folder' to the listing. */
static int add_folder_file(strata *ctx, struct listing *l, const char *folder,
			   const char *file, int kind, const char *digits,
			   size_t name_off)
{
	struct entry *e = new_entry(l);
	size_t fn = strlen(folder);

	if (!e)
		return err_oom(ctx);
	e->file = join(folder, file);
	if (!e->file)
		return err_oom(ctx);
	e->kind = kind;
	e->stem_len = fn;
	e->name_off = name_off;
	e->name_len = fn - name_off;
	memcpy(e->digits, digits, strlen(digits) + 1);
	l->n_files++;
	return STRATA_OK;
}

/*
 * A folder in the migrations folder: a diesel migration (up.sql, and
 * down.sql), a Prisma one (migration.sql), or a folder to warn about.
 */
static int list_subfolder(strata *ctx, const char *dir, int dfd,
			  const char *name, struct listing *l)
{
	char digits[24], *path;
	size_t name_off;
	bool up, down, prisma;
	int rc;

	if (!folder_name(name, digits, sizeof(digits), &name_off)) {
		if (!looks_like_migration(name))
			return STRATA_OK;
		if (strspn(name, "0123456789") >= sizeof(digits) - 1)
			return too_big(ctx, dir, name);
		return push_name(ctx, &l->dirs, &l->n_dirs, &l->cap_dirs, name);
	}
	up = has_file(dfd, name, "up.sql");
	down = has_file(dfd, name, "down.sql");
	prisma = has_file(dfd, name, "migration.sql");
	if (!up && !down && !prisma)
		return push_name(ctx, &l->dirs, &l->n_dirs, &l->cap_dirs, name);
	if ((up || down) && prisma) {
		path = join(dir, name);
		rc = path ? err_set(ctx, STRATA_EINVAL,
				    "'%s' holds both migration.sql (Prisma) and up.sql/down.sql (diesel)",
				    path)
			  : err_oom(ctx);
		free(path);
		return rc;
	}
	if (down && !up) {
		path = join(dir, name);
		rc = path ? err_set(ctx, STRATA_EINVAL,
				    "'%s/down.sql' has no matching 'up.sql'",
				    path)
			  : err_oom(ctx);
		free(path);
		return rc;
	}
	if (prisma)
		return add_folder_file(ctx, l, name, "migration.sql", K_PRISMA,
				       digits, name_off);
	rc = add_folder_file(ctx, l, name, "up.sql", K_DIESEL_UP, digits,
			     name_off);
	if (!rc && has_file(dfd, name, "metadata.toml")) {
		char meta[4096];

		snprintf(meta, sizeof(meta), "%s/metadata.toml", name);
		l->files[l->n_files - 1].no_txn =
			setting_false(dfd, meta, "run_in_transaction");
	}
	if (!rc && down)
		rc = add_folder_file(ctx, l, name, "down.sql", K_DIESEL_DOWN,
				     digits, name_off);
	return rc;
}

/*
 * Folder-form versions: diesel orders its versions as strings of digits
 * (dashes dropped), so every version is right-padded with zeros to the
 * longest one (at least 14 digits, the width of diesel's timestamps):
 * that keeps diesel's order in a 64-bit integer.
 */
static int folder_versions(strata *ctx, const char *dir, struct listing *l)
{
	size_t i, width = 14;

	for (i = 0; i < l->n_files; i++)
		if (l->files[i].kind >= K_DIESEL_UP &&
		    strlen(l->files[i].digits) > width)
			width = strlen(l->files[i].digits);
	for (i = 0; i < l->n_files; i++) {
		struct entry *e = &l->files[i];
		size_t k, nd = strlen(e->digits);
		int64_t v = 0;

		if (e->kind < K_DIESEL_UP)
			continue;
		for (k = 0; k < width; k++) {
			int d = k < nd ? e->digits[k] - '0' : 0;

			if (v > (INT64_MAX - d) / 10)
				return too_big(ctx, dir, e->file);
			v = v * 10 + d;
		}
		e->version = v;
	}
	return STRATA_OK;
}

/* Sort names into migration files, odd .sql names and folders. */
static int list_folder(strata *ctx, const char *dir, DIR *d, struct listing *l)
{
	struct dirent *de;
	int rc;

	for (;;) {
		const char *name;
		size_t n, off = 0, len = 0;
		struct entry *e;
		enum name_fit fit;
		int64_t v = 0;
		int kind = 0;

		errno = 0;
		de = readdir(d);
		if (!de && errno)
			return err_set(ctx, STRATA_EINVAL,
				       "cannot read migrations folder '%s': %s",
				       dir, strerror(errno));
		if (!de)
			break;
		name = de->d_name;
		if (name[0] == '.')
			continue;
		n = strlen(name);
		if (ends_with(name, n, ".sql.conf") && name[0] == 'V') {
			rc = push_name(ctx, &l->confs, &l->n_confs,
				       &l->cap_confs, name);
			if (rc)
				return rc;
			continue;
		}
		if (!ends_with(name, n, ".sql") &&
		    !(name[0] >= '0' && name[0] <= '9'))
			continue;
		if (is_folder(dirfd(d), de)) {
			rc = list_subfolder(ctx, dir, dirfd(d), name, l);
			if (rc)
				return rc;
			continue;
		}
		if (!ends_with(name, n, ".sql"))
			continue;
		if (!(e = new_entry(l)))
			return err_oom(ctx);
		fit = parse_name(name, &v, &off, &len, &kind);
		if (fit == NAME_TOO_BIG)
			return too_big(ctx, dir, name);
		if (fit == NAME_OK) {
			e->version = v;
			e->kind = kind;
			e->name_off = off;
			e->name_len = len;
			e->stem_len = off + len;
		} else {
			rc = flyway_name(ctx, dir, name, n, e);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				rc = push_name(ctx, &l->odd, &l->n_odd,
					       &l->cap_odd, name);
				if (rc)
					return rc;
				continue;
			}
		}
		e->regular = de->d_type == DT_REG;
		e->file = strdup(name);
		if (!e->file)
			return err_oom(ctx);
		l->n_files++;
	}
	/* Flyway's V<v>__<desc>.sql.conf: executeInTransaction=false. */
	for (size_t c = 0; c < l->n_confs; c++) {
		size_t cn = strlen(l->confs[c]) - 5; /* without ".conf" */

		for (size_t k = 0; k < l->n_files; k++) {
			struct entry *e = &l->files[k];

			if (e->kind == K_FLYWAY && strlen(e->file) == cn &&
			    memcmp(e->file, l->confs[c], cn) == 0)
				e->no_txn =
					setting_false(dirfd(d), l->confs[c],
						      "executeInTransaction");
		}
	}
	return folder_versions(ctx, dir, l);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->file, y->file);
}

static int cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* qsort, which must not be given a NULL array even when it is empty. */
static void sort(void *items, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(items, n, size, cmp);
}

static bool rbuf_room(struct rbuf *b, size_t want)
{
	char *grown;
	size_t cap;

	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64 * 1024;
	while (cap < want) {
		if (cap > SIZE_MAX / 2)
			return false;
		cap *= 2;
	}
	if (!(grown = realloc(b->buf, cap)))
		return false;
	b->buf = grown;
	b->cap = cap;
	return true;
}

/*
 * The whole file into b, NUL-terminated: open, read, close.  When readdir
 * said the name is a regular file, no fstat: a regular file's read comes
 * back short only at its end (POSIX), so one read that does not fill the
 * buffer is the whole file.  Anything else (a symlink, a file system that
 * gives no type) is checked with fstat first.
 */
static int read_file(strata *ctx, int dfd, const struct entry *e,
		     const char *path, struct rbuf *b, size_t *len)
{
	struct stat st;
	size_t got = 0, hint = 0;
	int fd, err = 0;

	fd = openat(dfd, e->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(ctx, STRATA_EINVAL, "cannot read '%s': %s", path,
			       strerror(errno));
	if (!e->regular) {
		if (fstat(fd, &st) != 0) {
			err = errno;
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			return err_set(ctx, STRATA_EINVAL,
				       "'%s' is not a regular file", path);
		}
		if ((uintmax_t)st.st_size >= SIZE_MAX - 1) {
			err = EFBIG;
			goto fail;
		}
		hint = (size_t)st.st_size + 1; /* room to see the end */
	}
	for (;;) {
		size_t ask;
		ssize_t r;
		if (!rbuf_room(b, got + (hint > got ? hint - got : 0) + 4096)) {
			close(fd);
			return err_oom(ctx);
		}
		ask = b->cap - got - 1; /* keep a byte for the NUL */
		r = read(fd, b->buf + got, ask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto fail;
		}
		got += (size_t)r;
		if (r == 0 || (size_t)r < ask)
			break;
	}
	close(fd);
	b->buf[got] = '\0';
	*len = got;
	return STRATA_OK;
fail:
	close(fd);
	return err_set(ctx, STRATA_EINVAL, "cannot read '%s': %s", path,
		       strerror(err));
}

static void list_release(struct source *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		migration_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Take *m into list l (which then owns it); on OOM *m is released. */
static int list_push(strata *ctx, struct source *l, struct migration *m)
{
	struct migration *p = grow(l->items, &l->cap, l->n, sizeof(*p));

	if (!p) {
		migration_release(m);
		return err_oom(ctx);
	}
	l->items = p;
	p[l->n++] = *m;
	return STRATA_OK;
}

/* How a message names a migration: its file, or its embedded name. */
static void add_label(struct sb *sb, const struct migration *m)
{
	if (m->path)
		sb_addf(sb, "'%s'", m->path);
	else
		sb_addf(sb, "embedded migration %" PRId64 "_%s", m->version,
			m->name);
}

static int duplicate(strata *ctx, const struct migration *a,
		     const struct migration *b)
{
	struct sb sb = SB_INIT;
	int rc;

	add_label(&sb, a);
	sb_adds(&sb, " and ");
	add_label(&sb, b);
	rc = sb.failed ? err_oom(ctx)
		       : err_set(ctx, STRATA_EINVAL,
				 "duplicate version %" PRId64 ": %s",
				 a->version, sb.buf);
	sb_release(&sb);
	return rc;
}

static const struct migration *find(const struct migration *items, size_t n,
				    int64_t version)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (items[mid].version == version)
			return &items[mid];
		if (items[mid].version < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Move the sorted list 'add' to the end of src, unless one of its
 * versions is already there (STRATA_EINVAL naming both).
 */
static int append(strata *ctx, struct source *src, struct source *add)
{
	const struct migration *m;
	size_t i;

	for (i = 0; i < src->n; i++) {
		m = find(add->items, add->n, src->items[i].version);
		if (m)
			return duplicate(ctx, &src->items[i], m);
	}
	if (!add->n)
		return STRATA_OK;
	if (src->cap - src->n < add->n) {
		size_t cap = src->n + add->n;
		struct migration *p;

		if (cap > (size_t)-1 / sizeof(*p))
			return err_oom(ctx);
		p = realloc(src->items, cap * sizeof(*p));
		if (!p)
			return err_oom(ctx);
		src->items = p;
		src->cap = cap;
	}
	memcpy(src->items + src->n, add->items, add->n * sizeof(*add->items));
	src->n += add->n;
	free(add->items);
	memset(add, 0, sizeof(*add));
	return STRATA_OK;
}

/* A down file: the .down.sql, Flyway's U file, diesel's down.sql. */
static bool is_down(int kind)
{
	return kind == K_PAIR_DOWN || kind == K_FLYWAY_UNDO ||
	       kind == K_DIESEL_DOWN;
}

/* The up file of a down file among files[lo..hi) (one version), or NULL. */
static const struct entry *up_of(const struct entry *files, size_t lo,
				 size_t hi, const struct entry *down)
{
	size_t i;

	for (i = lo; i < hi; i++)
		if (files[i].kind == down->kind - 1 &&
		    files[i].stem_len == down->stem_len &&
		    memcmp(files[i].file, down->file, down->stem_len) == 0)
			return &files[i];
	return NULL;
}

/*
 * Check the files of one version, files[lo..hi): every down file has its
 * up file, and there is one migration only.
 */
static int check_version(strata *ctx, const char *dir,
			 const struct entry *files, size_t lo, size_t hi)
{
	const struct entry *first = NULL;
	char *a = NULL, *b = NULL;
	size_t i;
	int rc;

	for (i = lo; i < hi; i++) {
		const struct entry *e = &files[i];

		if (is_down(e->kind) && !up_of(files, lo, hi, e)) {
			a = join(dir, e->file);
			if (!a)
				rc = err_oom(ctx);
			else if (e->kind == K_FLYWAY_UNDO)
				rc = err_set(ctx, STRATA_EINVAL,
					     "'%s' has no matching 'V%" PRId64
					     "__<desc>.sql'",
					     a, e->version);
			else
				rc = err_set(
					ctx, STRATA_EINVAL,
					"'%s' has no matching '%.*s.up.sql'", a,
					(int)e->stem_len, e->file);
			free(a);
			return rc;
		}
	}
	for (i = lo; i < hi; i++) {
		if (is_down(files[i].kind))
			continue;
		if (!first) {
			first = &files[i];
			continue;
		}
		a = join(dir, first->file);
		b = join(dir, files[i].file);
		rc = a && b ? err_set(ctx, STRATA_EINVAL,
				      "duplicate version %" PRId64
				      ": '%s' and '%s'",
				      first->version, a, b)
			    : err_oom(ctx);
		free(a);
		free(b);
		return rc;
	}
	for (i = lo; i < hi; i++) {
		if (!is_down(files[i].kind))
			continue;
		for (size_t k = i + 1; k < hi; k++) {
			if (files[k].kind != files[i].kind)
				continue;
			a = join(dir, files[i].file);
			b = join(dir, files[k].file);
			rc = a && b ? err_set(ctx, STRATA_EINVAL,
					      "two down files for version %" PRId64
					      ": '%s' and '%s'",
					      files[i].version, a, b)
				    : err_oom(ctx);
			free(a);
			free(b);
			return rc;
		}
	}
	return STRATA_OK;
}

/* The format files of a kind are written in (singles: read them). */
static int kind_format(int kind)
{
	switch (kind) {
	case K_FLYWAY:
	case K_FLYWAY_UNDO: return FMT_FLYWAY;
	case K_DIESEL_UP:
	case K_DIESEL_DOWN: return FMT_DIESEL;
	case K_PRISMA: return FMT_PRISMA;
	default: return FMT_GOLANG_MIGRATE;
	}
}

/* Read and parse the migration of files[lo..hi) (checked) into *m. */
static int load_version(strata *ctx, const char *dir, int dfd,
			const struct entry *files, size_t lo, size_t hi,
			struct rbuf *bufs, struct migration *m)
{
	const struct entry *main_file = NULL, *down = NULL;
	char *path = NULL, *down_path = NULL;
	size_t len = 0, down_len = 0, i;
	int rc;

	for (i = lo; i < hi; i++) {
		if (is_down(files[i].kind))
			down = &files[i];
		else
			main_file = &files[i];
	}
	memset(m, 0, sizeof(*m));
	path = join(dir, main_file->file);
	if (!path)
		return err_oom(ctx);
	rc = read_file(ctx, dfd, main_file, path, &bufs[0], &len);
	if (rc)
		goto out;
	if (main_file->kind == K_SINGLE) {
		rc = parse_single(ctx, path, bufs[0].buf, len, m);
	} else {
		if (down) {
			down_path = join(dir, down->file);
			rc = down_path ? read_file(ctx, dfd, down, down_path,
						   &bufs[1], &down_len)
				       : err_oom(ctx);
		}
		if (!rc)
			rc = parse_pair(ctx, path, bufs[0].buf, len, down_path,
					down ? bufs[1].buf : NULL, down_len, m);
		if (!rc)
			m->format = kind_format(main_file->kind);
		if (!rc && main_file->no_txn)
			m->flags |= STRATA_NO_TRANSACTION;
	}
	if (rc)
		goto out;
	m->version = main_file->version;
	m->name = malloc(main_file->name_len + 1);
	if (!m->name) {
		migration_release(m);
		rc = err_oom(ctx);
		goto out;
	}
	memcpy(m->name, main_file->file + main_file->name_off,
	       main_file->name_len);
	m->name[main_file->name_len] = '\0';
out:
	free(path);
	free(down_path);
	return rc;
}

/*
 * One folder, one format: strata's single files and the pair form go
 * together (strata reads both; such a folder is "strata", one of pairs
 * only "golang-migrate"); any other two formats are STRATA_EINVAL naming
 * a file of each.
 */
static int folder_format(strata *ctx, const struct source *add, int *out)
{
	const struct migration *first[FMT_COUNT] = { 0 };
	const struct migration *a = NULL, *b = NULL;
	size_t i;
	int f, k, fmt = FMT_STRATA;

	for (i = 0; i < add->n; i++)
		if (!first[add->items[i].format])
			first[add->items[i].format] = &add->items[i];
	for (f = 0; f < FMT_COUNT; f++) {
		if (!first[f] || (f == FMT_GOLANG_MIGRATE && first[FMT_STRATA]))
			continue;
		for (k = f + 1; k < FMT_COUNT; k++)
			if (first[k] &&
			    !(f == FMT_STRATA && k == FMT_GOLANG_MIGRATE))
				break;
		if (k < FMT_COUNT) {
			a = first[f];
			b = first[k];
			break;
		}
		fmt = f;
		break;
	}
	if (a)
		return err_set(
			ctx, STRATA_EINVAL,
			"migrations folder mixes formats: '%s' is %s, '%s' is %s (one folder holds one format)",
			a->path, mig_format_name(a->format), b->path,
			mig_format_name(b->format));
	*out = fmt;
	return STRATA_OK;
}

static int open_folder(strata *ctx, const char *dir, DIR **out)
{
	struct stat st;

	*out = opendir(dir);
	if (*out)
		return STRATA_OK;
	if (errno == ENOENT)
		return err_set(ctx, STRATA_EINVAL,
			       "migrations folder '%s' does not exist", dir);
	if (errno == ENOTDIR || (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)))
		return err_set(ctx, STRATA_EINVAL,
			       "migrations folder '%s' is not a folder", dir);
	return err_set(ctx, STRATA_EINVAL,
		       "cannot read migrations folder '%s': %s", dir,
		       strerror(errno));
}

int source_add_dir(strata *ctx, struct source *src, const char *dir)
{
	struct listing l = { 0 };
	struct source add = { 0 };
	struct rbuf bufs[2] = { { 0 }, { 0 } }; /* a file, its down file */
	struct migration m;
	DIR *d;
	size_t i, j;
	int rc, format = FMT_STRATA;

	if (!dir || !*dir)
		return err_set(ctx, STRATA_EINVAL,
			       "no migrations folder given");
	rc = open_folder(ctx, dir, &d);
	if (rc)
		return rc;
	rc = list_folder(ctx, dir, d, &l);
	if (rc)
		goto out;

	/* Warnings first, in name order so that they read the same each run. */
	sort(l.dirs, l.n_dirs, sizeof(*l.dirs), cmp_str);
	for (i = 0; i < l.n_dirs; i++)
		warn_path(ctx, dir, l.dirs[i], true);
	sort(l.odd, l.n_odd, sizeof(*l.odd), cmp_str);
	for (i = 0; i < l.n_odd; i++)
		warn_path(ctx, dir, l.odd[i], false);

	/* The folder's shape, before any file is read. */
	sort(l.files, l.n_files, sizeof(*l.files), cmp_entry);
	for (i = 0; i < l.n_files; i = j) {
		for (j = i + 1;
		     j < l.n_files && l.files[j].version == l.files[i].version;
		     j++)
			;
		rc = check_version(ctx, dir, l.files, i, j);
		if (rc)
			goto out;
	}
	for (i = 0; i < l.n_files; i = j) {
		for (j = i + 1;
		     j < l.n_files && l.files[j].version == l.files[i].version;
		     j++)
			;
		rc = load_version(ctx, dir, dirfd(d), l.files, i, j, bufs, &m);
		if (!rc)
			rc = list_push(ctx, &add, &m);
		if (rc)
			goto out;
	}
	if (!add.n && l.n_odd) {
		char *path = join(dir, l.odd[0]);

		rc = path ? err_set(ctx, STRATA_EINVAL,
				    "no file in migrations folder '%s' is a migration strata can read (such as '%s'): name them <version>_<name>.sql",
				    dir, path)
			  : err_oom(ctx);
		free(path);
		goto out;
	}
	rc = folder_format(ctx, &add, &format);
	if (!rc)
		rc = append(ctx, src, &add);
	if (!rc)
		src->format = format;
out:
	free(bufs[0].buf);
	free(bufs[1].buf);
	list_release(&add);
	listing_release(&l);
	closedir(d);
	return rc;
}

int source_dir_format(strata *ctx, const char *dir)
{
	struct source src = { 0 };
	int format = FMT_STRATA;
	strata_log_fn fn = ctx->log_fn;

	ctx->log_fn = NULL; /* the warnings are for the runs that read it */
	if (source_add_dir(ctx, &src, dir) == STRATA_OK)
		format = src.format;
	ctx->log_fn = fn;
	err_clear(ctx);
	source_release(&src);
	return format;
}

int source_add_array(strata *ctx, struct source *src,
		     const strata_migration *arr, size_t n)
{
	struct source add = { 0 };
	struct migration m;
	size_t i;
	int rc = STRATA_OK;

	if (n && !arr)
		return err_set(ctx, STRATA_EINVAL,
			       "no embedded migrations given");
	for (i = 0; i < n && !rc; i++) {
		rc = parse_embedded(ctx, i, &arr[i], &m);
		if (!rc)
			rc = list_push(ctx, &add, &m);
	}
	if (!rc) {
		sort(add.items, add.n, sizeof(*add.items), cmp_migration);
		for (i = 1; i < add.n && !rc; i++)
			if (add.items[i].version == add.items[i - 1].version)
				rc = duplicate(ctx, &add.items[i - 1],
					       &add.items[i]);
	}
	if (!rc)
		rc = append(ctx, src, &add);
	list_release(&add);
	return rc;
}

int source_finish(strata *ctx, struct source *src)
{
	size_t i;

	for (i = 1; i < src->n; i++)
		if (src->items[i].version <= src->items[i - 1].version)
			break;
	if (i >= src->n)
		return STRATA_OK; /* already sorted: the usual case */
	qsort(src->items, src->n, sizeof(*src->items), cmp_migration);
	for (i = 1; i < src->n; i++)
		if (src->items[i].version == src->items[i - 1].version)
			return duplicate(ctx, &src->items[i - 1],
					 &src->items[i]);
	return STRATA_OK;
}

const struct migration *source_find(const struct source *src, int64_t version)
{
	return find(src->items, src->n, version);
}

void source_release(struct source *src)
{
	if (src)
		list_release(src);
}
