/* migration.h - migrations as read from files or embedded arrays. */
#ifndef STRATA_MIGRATION_H
#define STRATA_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum.h"
#include "strata.h"

/*
 * The layout a migration was written in (SPEC section 10).  STRATA is
 * strata's own single file; GOLANG_MIGRATE the .up.sql/.down.sql pair,
 * which strata's own folders use too.
 */
enum mig_format {
	FMT_STRATA,
	FMT_GOLANG_MIGRATE,
	FMT_DBMATE,
	FMT_GOOSE,
	FMT_SQL_MIGRATE,
	FMT_FLYWAY,
	FMT_DIESEL,
	FMT_PRISMA,
	FMT_COUNT
};

/* "strata", "golang-migrate", "dbmate", ...: the name status shows. */
const char *mig_format_name(int format);

/*
 * One migration.  'up' and 'down' are the normalised bodies (CRLF turned
 * into LF, a leading BOM dropped, leading and trailing whitespace
 * trimmed), NUL-terminated for convenience but measured by their lengths.
 * up_line/down_line are the 1-based lines in their files where the bodies
 * begin, so a byte offset into a body maps back to a file line.
 */
struct migration {
	int64_t version;
	char *name;
	char *description; /* first comment line; "" when none */
	char *path;        /* the file (or the .up.sql); NULL if embedded */
	char *down_path;   /* the .down.sql of the pair form, else NULL */
	char *up;
	size_t up_len;
	int up_line;
	char *down; /* NULL when irreversible (no down section) */
	size_t down_len;
	int down_line;
	unsigned flags; /* STRATA_NO_TRANSACTION */
	int format;     /* enum mig_format */
	char checksum[CHECKSUM_HEX_LEN + 1];
	bool borrowed; /* name/up/down point into an embedded array */
};

/* All migrations known to a context, sorted by version once complete. */
struct source {
	struct migration *items;
	size_t n, cap;
	int format; /* of the last folder read (enum mig_format) */
};

/*
 * Parse the text of a single-file migration (markers form).  'path' is
 * for messages and is copied into m->path.  On success fills *m (version
 * and name are the caller's to set).  Errors are STRATA_EINVAL with a
 * message "path:line: what is wrong".
 */
int parse_single(strata *ctx, const char *path, const char *text, size_t len,
		 struct migration *m);

/*
 * A single file may also be written in dbmate (-- migrate:up), goose
 * (-- +goose Up) or sql-migrate (-- +migrate Up) form: parse_single reads
 * the markers of the one tool the file uses and sets m->format; a file
 * holding the markers of two tools (strata's included) is STRATA_EINVAL.
 */

/*
 * Parse a pair-form migration: the .up.sql text and, if down_text is not
 * NULL, the .down.sql text.  Files of this form hold bodies only: a marker
 * line inside one (strata's or another tool's) is STRATA_EINVAL.  A lone
 * up file is irreversible.  m->format is FMT_GOLANG_MIGRATE; the caller
 * may change it (Flyway, diesel and Prisma files are read this way too).
 */
int parse_pair(strata *ctx, const char *up_path, const char *up_text,
	       size_t up_len, const char *down_path, const char *down_text,
	       size_t down_len, struct migration *m);

/*
 * Fill *m from entry 'idx' of an embedded array: name, description and
 * bodies copied, the bodies normalised and trimmed exactly like a file's
 * (so the checksum matches the same text in a file); path NULL.  A bad
 * entry is STRATA_EINVAL "embedded migration IDX: ...".
 */
int parse_embedded(strata *ctx, size_t idx, const strata_migration *e,
		   struct migration *m);

/*
 * Split a file name into version and name.  Accepts
 * "<digits>_<name>.sql", ".up.sql" and ".down.sql" (kind set to 0, 1, 2),
 * where <name> is any non-empty valid UTF-8 text without '/' or control
 * characters (dots included: "0002_1.7.0_schema.up.sql" is version 2,
 * name "1.7.0_schema").  Returns false when the name does not fit,
 * including a version that overflows int64.  *name_out is malloc'd.
 */
bool parse_file_name(const char *file, int64_t *version, char **name_out,
		     int *kind);

/* What parse_name() found. */
enum name_fit { NAME_OK, NAME_ODD, NAME_TOO_BIG };

/*
 * Like parse_file_name, but tells a version past 64 bits (NAME_TOO_BIG)
 * from a name that does not fit (NAME_ODD); the name is the span
 * file[*name_off, +*name_len).
 */
enum name_fit parse_name(const char *file, int64_t *version, size_t *name_off,
			 size_t *name_len, int *kind);

/* True if s[0..n) is a name a migration may have (see parse_file_name). */
bool parse_name_text_ok(const char *s, size_t n);

/* True if s[0..len) is well-formed UTF-8. */
bool parse_utf8_ok(const char *s, size_t len);

/* True if name is a valid migration name: [A-Za-z0-9_-]+. */
bool migration_name_ok(const char *name);

/*
 * Map a byte offset into a body that starts at file line 'first_line'
 * to a file line: first_line plus the newlines before 'off'.  A negative
 * offset gives first_line.
 */
int migration_line_at(const char *body, size_t len, int first_line, long off);

/* Free one migration's contents. */
void migration_release(struct migration *m);

/*
 * Read folder 'dir' into src: every migration file parsed and
 * checksummed.  Warnings (names that do not fit, folders that look like
 * migrations) go to the log.  A missing folder, an unreadable or
 * malformed file, a .down.sql with no .up.sql, or two files of one
 * version are STRATA_EINVAL (naming the file, or both files).
 */
int source_add_dir(strata *ctx, struct source *src, const char *dir);

/*
 * The format of folder 'dir' (enum mig_format), for `strata new`:
 * FMT_STRATA when the folder cannot be read; no message, no warning.
 */
int source_dir_format(strata *ctx, const char *dir);

/* Add embedded migrations (not copied). */
int source_add_array(strata *ctx, struct source *src,
		     const strata_migration *arr, size_t n);

/*
 * Sort by version and refuse duplicates (STRATA_EINVAL naming both).
 * Called after each add.
 */
int source_finish(strata *ctx, struct source *src);

/* The migration of 'version', or NULL (binary search). */
const struct migration *source_find(const struct source *src, int64_t version);

void source_release(struct source *src);

#endif
