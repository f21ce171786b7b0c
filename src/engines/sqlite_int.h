/* sqlite_int.h - the SQLite engine's connection, shared by its files. */
#ifndef STRATA_SQLITE_INT_H
#define STRATA_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "engine.h"

/* Tables a migration wrote, created, altered or dropped (authorizer). */
struct touched {
	char **names;
	size_t n, cap;
	bool oom;
	bool in_body;    /* the migration's own statements are being prepared */
	bool denied_txn; /* and one of them tried to BEGIN/COMMIT/ROLLBACK */
};

struct sqlite_conn {
	struct engine_conn base; /* first: the runner sees only this */
	sqlite3 *db;
	bool owns_db;
	char *path;           /* the database file, or ":memory:" */
	char *lock_path;      /* NULL for :memory: */
	int lock_fd;          /* -1 unless the run lock is held */
	char *lock_line;      /* the lock line's holder part, '\n' */
	struct attempt stale; /* left in the lock file by a dead runner */
	struct touched touched;
	bool fk_was_on;
};

/* sqlite_lock.c */
int sqlite_lock(struct engine_conn *c, int timeout_s);
void sqlite_unlock(struct engine_conn *c);
int sqlite_attempt_begin(struct engine_conn *c, const struct attempt *a,
			 int64_t *history_id);
int sqlite_attempt_end(struct engine_conn *c);
int sqlite_attempt_peek(struct engine_conn *c, const char *prefix,
			struct attempt *a);

/* sqlite_fk.c */
int sqlite_migration_begin(struct engine_conn *c);
int sqlite_migration_check(struct engine_conn *c, const char *prefix);
void sqlite_migration_end(struct engine_conn *c);

/* sqlite_backup.c */
int sqlite_backup(struct engine_conn *c, const char *path);
int sqlite_restore(struct engine_conn *c, const char *path);
int sqlite_inspect(strata *ctx, const char *path, const char *prefix,
		   bool verify, int64_t *version);

/* sqlite_check.c */
int sqlite_check(struct engine_conn *c, const char *prefix,
		 strata_check_result *out);
int sqlite_recover(struct engine_conn *c, const char *out,
		   strata_recover_result *res);

/* sqlite_schema.c */
int sqlite_schema_dump(struct engine_conn *c, const char *prefix, int format,
		       char **out);

/* sqlite.c: record the connection's current error as STRATA_ESQL. */
int sqlite_fail(struct sqlite_conn *s, const char *what);

#endif
