/* sqlite_int.h - the SQLite engine's connection, shared by its files. */
#ifndef STRATA_SQLITE_INT_H
#define STRATA_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "engine.h"

/*
 * Foreign keys between tables, kept for one connection (sqlite_fk.c): a
 * node per table name seen, with the names its foreign keys point at
 * (parents) and the tables pointing at it (children), and what the
 * current migration did to it (flags, from the authorizer).
 */
struct fk_node {
	char *name;
	size_t *parents, np, capp;  /* node indices, no duplicates */
	size_t *children, nc, capc; /* node indices, no duplicates */
	unsigned flags;             /* FK_* of the current migration */
	unsigned char last;         /* its last FK_LAST_* in the migration */
	unsigned long checked; /* migration number it was last checked in */
	signed char replace;   /* its SQL says REPLACE: 1, 0, or -1 unknown */
	bool is_table;         /* a table of that name exists */
};

struct fk_map {
	struct fk_node *nodes;
	size_t n, cap;
	size_t *slots; /* open addressing on the lowercased name: index + 1 */
	size_t nslots;
	size_t *touched; /* nodes the current migration noted, in order */
	size_t nt, capt;
	unsigned long gen;     /* migrations checked so far */
	unsigned data_version; /* the file's data version when last read */
	bool have_version;     /* data_version was read */
	bool unsettled;        /* checked, not yet committed */
	bool built;            /* nodes and edges describe the whole schema */
	bool auth_set;         /* the authorizer is installed on the handle */
	bool armed;            /* between migration_begin and migration_check */
	bool started;          /* the armed migration's body has begun */
	bool oom;              /* a note was lost: the check fails */
	bool in_body;    /* the migration's own statements are being prepared */
	bool denied_txn; /* and one of them tried to BEGIN/COMMIT/ROLLBACK */
	bool body_replace; /* the body says REPLACE somewhere */
	bool body_refs;    /* the body says REFERENCES somewhere */
};

struct sqlite_conn {
	struct engine_conn base; /* first: the runner sees only this */
	sqlite3 *db;
	bool owns_db;
	char *path;           /* the database file, or ":memory:" */
	char *lock_path;      /* NULL for :memory: */
	int lock_fd;          /* -1 unless the run lock is held */
	char *lock_line;      /* the lock line's holder part, '\n' */
	size_t lock_len;      /* the file's length, when known */
	bool lock_len_known;  /* the file's length was set this run */
	struct attempt stale; /* left in the lock file by a dead runner */
	struct fk_map fk;
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
/* The armed migration's body is about to run (inside its transaction). */
int sqlite_fk_body_start(struct sqlite_conn *s, const char *sql, size_t len);
void sqlite_fk_release(struct sqlite_conn *s);

/* sqlite_backup.c */
int sqlite_backup(struct engine_conn *c, const char *path);
int sqlite_restore(struct engine_conn *c, const char *path,
		   int (*stage)(struct engine_conn *staged, void *arg),
		   void *arg);
/* Remove the staging copy a killed restore left (run lock held). */
void sqlite_staging_clean(struct sqlite_conn *s);
/* The same when the lock is free (taken and released at once). */
void sqlite_staging_clean_unlocked(struct sqlite_conn *s);
int sqlite_inspect(strata *ctx, const char *path, const char *prefix,
		   bool verify, int64_t *version);

/* sqlite_quick.c */
int sqlite_quick_check(struct engine_conn *c, char **problems);

/* sqlite_check.c */
int sqlite_check(struct engine_conn *c, const char *prefix,
		 strata_check_result *out);
int sqlite_recover(struct engine_conn *c, const char *out,
		   strata_recover_result *res);

/* sqlite_schema.c */
int sqlite_schema_dump(struct engine_conn *c, const char *prefix, int format,
		       char **out);

/* sqlite_scratch.c */
int sqlite_scratch_create(strata *ctx, const struct strata_url *live,
			  struct scratch *sc);
void sqlite_scratch_drop(strata *ctx, const struct strata_url *live,
			 struct scratch *sc);

/* sqlite.c: record the connection's current error as STRATA_ESQL. */
int sqlite_fail(struct sqlite_conn *s, const char *what);

#endif
