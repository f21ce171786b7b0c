/*
 * strata.h - the public API of libstrata, a database schema migration
 * library for SQLite, PostgreSQL and MySQL/MariaDB.
 *
 * A 'strata' context holds one database URL and one ordered set of
 * migrations.  Every function returns STRATA_OK (0) or a negative
 * strata_rc; the detailed message of the last failure is strata_errmsg(ctx).
 * A context is used from one thread at a time; distinct contexts are
 * independent.  The library never prints, exits or aborts: it reports
 * through return codes, the log callback and the progress callback.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

#define STRATA_VERSION "0.1.0"

/* The library's version at run time (may differ from STRATA_VERSION). */
STRATA_API const char *strata_libversion(void);

typedef enum strata_rc {
	STRATA_OK = 0,
	STRATA_ERROR = -1,         /* generic failure; see strata_errmsg() */
	STRATA_ENOMEM = -2,        /* out of memory (never an abort) */
	STRATA_EINVAL = -3,        /* bad argument, URL or migration file */
	STRATA_ECHECKSUM = -4,     /* an applied migration's file changed */
	STRATA_ELOCKED = -5,       /* lock wait timed out */
	STRATA_ESQL = -6,          /* the engine rejected a statement */
	STRATA_EORDER = -7,        /* a pending migration is out of order */
	STRATA_EIRREVERSIBLE = -8, /* a down was asked of a one-way migration */
	STRATA_EDIRTY = -9,        /* the database is dirty: repair or stamp */
	STRATA_ENOTFOUND = -10,    /* no such version, file or database */
	STRATA_EIO = -11,          /* a file or folder could not be used */
	STRATA_EUNSUPPORTED = -12, /* engine not built in, or not possible */
} strata_rc;

/* One database and its migrations; use it from one thread at a time. */
typedef struct strata strata;

/* Log levels, most severe first. */
enum strata_log_level {
	STRATA_LOG_ERROR = 0,
	STRATA_LOG_WARN = 1,
	STRATA_LOG_NOTE = 2, /* e.g. "using stored down SQL" */
	STRATA_LOG_INFO = 3,
	STRATA_LOG_DEBUG = 4,
};
typedef void (*strata_log_fn)(int level, const char *msg, void *payload);

/* Migration flags. */
#define STRATA_NO_TRANSACTION 0x1u /* '-- strata:no-transaction' */

/*
 * One migration as an application embeds it (see 'strata embed').  The
 * bodies are bytes, not C strings; down == NULL means irreversible, and
 * down_len == 0 with down != NULL is a valid empty down.  An array given
 * to strata_add_migrations() is not copied and must outlive the context.
 */
typedef struct strata_migration {
	int64_t version;
	const char *name;
	const char *description; /* may be NULL */
	const char *up;
	size_t up_len;
	const char *down;
	size_t down_len;
	unsigned flags; /* STRATA_NO_TRANSACTION */
} strata_migration;

/* Run flags, or-ed together. */
#define STRATA_DRY_RUN            0x1u /* plan only; change nothing */
#define STRATA_ALLOW_OUT_OF_ORDER 0x2u /* apply pending below the highest */
#define STRATA_IGNORE_CHECKSUMS   0x4u /* do not refuse modified files */
#define STRATA_NO_BACKUP          0x8u /* skip the automatic backup */

/* Targets */
#define STRATA_LATEST INT64_MAX /* up: everything pending */
#define STRATA_BASE   0         /* down: every applied migration */

enum strata_direction {
	STRATA_UP = 1,
	STRATA_DOWN = 2,
};

/* ---- open and close ---------------------------------------------------- */

/*
 * Create a context on the database at 'url' (NULL: no database yet, see
 * strata_set_url()).  Nothing is connected or created until a call needs
 * it.  *out is set even on failure (NULL only if memory ran out), so
 * strata_errmsg(*out) can say why; the caller always calls strata_close().
 * Returns STRATA_OK, STRATA_EINVAL (bad URL) or STRATA_ENOMEM.
 */
STRATA_API int strata_open(strata **out, const char *url);

struct sqlite3;

/*
 * Create a context on an application's own open SQLite handle.  strata
 * never closes it and leaves its settings as it found them (foreign_keys
 * is switched off around each migration and restored; an authorizer the
 * application set is replaced during a run and removed after it).  The
 * lock file and the backups sit beside the handle's main database file;
 * an in-memory handle has neither.  The handle must stay open until
 * strata_close(), and be used by no other thread during strata calls.
 */
STRATA_API int strata_open_sqlite(strata **out, struct sqlite3 *db);

/* Set or replace the database URL.  Returns STRATA_OK or STRATA_EINVAL. */
STRATA_API int strata_set_url(strata *ctx, const char *url);

/* Free the context and everything it owns.  NULL is a no-op. */
STRATA_API void strata_close(strata *ctx);

/*
 * Last error on ctx, e.g. "migrations/003_users.sql:12: no such table:
 * users".  Owned by ctx, valid until its next call; never NULL.
 */
STRATA_API const char *strata_errmsg(const strata *ctx);

/* Fixed text for a strata_rc. */
STRATA_API const char *strata_errstr(int rc);

/* Where the last error was raised inside the library ("src/url.c:88"). */
STRATA_API const char *strata_errloc(const strata *ctx);

/* ---- settings (all optional) ------------------------------------------- */

/* Tracking table prefix: tables PREFIX_migrations, PREFIX_history. */
STRATA_API int strata_set_table(strata *ctx, const char *prefix);
/* Seconds to wait for the run lock (default 60). */
STRATA_API void strata_set_lock_timeout(strata *ctx, int seconds);
/* Backups folder (default: backups/ beside the SQLite file). */
STRATA_API int strata_set_backup_dir(strata *ctx, const char *dir);
/* Backups kept (default 10). */
STRATA_API void strata_set_keep_backups(strata *ctx, int n);
/*
 * Automatic backups before a run that changes something: on by default
 * for SQLite files; servers dump (pg_dump/mysqldump) only when enabled.
 */
STRATA_API void strata_set_auto_backup(strata *ctx, bool on);
/* Receive log lines; silent by default. */
STRATA_API void strata_set_log(strata *ctx, strata_log_fn fn, void *payload);

/* Progress of a run: one event before and one after each migration. */
enum strata_event_type {
	STRATA_EV_START = 1,
	STRATA_EV_DONE = 2,
	STRATA_EV_FAIL = 3,
	STRATA_EV_COPY = 4, /* a backup or restore copied more pages */
};
typedef struct strata_event {
	int type;      /* strata_event_type */
	int direction; /* STRATA_UP or STRATA_DOWN */
	int64_t version;
	const char *name;
	int64_t execution_ms; /* DONE and FAIL */
	const char *error;    /* FAIL: the message, with file:line */
	bool stored_sql;      /* the down came from the tracking table */
	bool no_transaction;
	int64_t copied; /* COPY: pages copied so far */
	int64_t total;  /* COPY: pages in all */
} strata_event;
typedef void (*strata_progress_fn)(const strata_event *ev, void *payload);
STRATA_API void strata_set_progress(strata *ctx, strata_progress_fn fn,
				    void *payload);

/* ---- migration sources ------------------------------------------------- */

/*
 * Read every migration of folder 'dir' now.  A malformed folder (missing,
 * duplicate versions, a broken file) returns STRATA_EINVAL and adds
 * nothing; names that do not fit are logged as warnings and skipped.
 */
STRATA_API int strata_add_dir(strata *ctx, const char *dir);

/* Add n embedded migrations; the array is not copied (see above). */
STRATA_API int strata_add_migrations(strata *ctx, const strata_migration *m,
				     size_t n);

/*
 * The migrations added so far, in version order, as embedded entries.
 * The array and its strings are owned by ctx and stay valid until the
 * next strata_add_* call or strata_close().
 */
STRATA_API int strata_list_migrations(strata *ctx, const strata_migration **out,
				      size_t *n);

/* ---- plan and run ------------------------------------------------------ */

/* One step of a plan: a migration to apply or roll back, with its SQL. */
typedef struct strata_step {
	int direction; /* STRATA_UP or STRATA_DOWN */
	int64_t version;
	const char *name;
	const char *file; /* NULL for embedded or stored SQL */
	const char *sql;  /* exactly what runs */
	size_t sql_len;
	unsigned flags;  /* STRATA_NO_TRANSACTION */
	bool stored_sql; /* the down comes from the tracking table */
	bool out_of_order;
} strata_step;

typedef struct strata_plan {
	size_t n;
	strata_step *steps;
} strata_plan;

/*
 * What up/down would do, validated as a run would be, changing nothing
 * (no file, table, lock or backup is created).  *out is the caller's, free
 * it with strata_plan_free().  Returns STRATA_OK, STRATA_ECHECKSUM,
 * STRATA_EORDER, STRATA_EIRREVERSIBLE, STRATA_EDIRTY or another code.
 */
STRATA_API int strata_plan_up(strata *ctx, int64_t target, unsigned flags,
			      strata_plan **out);
/* 'steps' > 0 rolls back that many; otherwise everything above target. */
STRATA_API int strata_plan_down(strata *ctx, int64_t target, int steps,
				unsigned flags, strata_plan **out);
STRATA_API void strata_plan_free(strata_plan *plan);

/* One migration a run applied or rolled back. */
typedef struct strata_run_item {
	int direction;
	int64_t version;
	const char *name;
	int64_t execution_ms;
} strata_run_item;

/* What a run did.  Kept even when the run failed. */
typedef struct strata_run {
	size_t n_done;
	strata_run_item *done; /* in the order they ran */
	bool failed;
	strata_run_item failure; /* valid when failed */
	/*
	 * When failed: the message, with file:line.  This and failure.name
	 * are NULL only if memory ran out copying them (strata_errmsg()
	 * still has the message).
	 */
	const char *error;
	const char *backup; /* the backup written first, or NULL */
	int64_t total_ms;
} strata_run;

/*
 * Apply pending migrations up to 'target' (STRATA_LATEST: all): validate,
 * lock, back up, then each migration in its own transaction.  *out is set
 * whenever the run started (even if it failed) and is the caller's, free
 * it with strata_run_free().  On failure the earlier migrations stay
 * applied.  Returns STRATA_OK or the first failure's code.
 */
STRATA_API int strata_up(strata *ctx, int64_t target, unsigned flags,
			 strata_run **out);
/* Roll back (see strata_plan_down for target and steps). */
STRATA_API int strata_down(strata *ctx, int64_t target, int steps,
			   unsigned flags, strata_run **out);
/* Roll back the most recently applied migration and apply it again. */
STRATA_API int strata_redo(strata *ctx, unsigned flags, strata_run **out);
STRATA_API void strata_run_free(strata_run *run);

/* Create the database (SQLite) and the tracking tables if missing. */
STRATA_API int strata_init(strata *ctx);

/*
 * Record every migration up to 'version' as applied without running it.
 * Also turns a dirty history row into 'failed'.  *out as for strata_up
 * (the stamped migrations, execution_ms 0).
 */
STRATA_API int strata_stamp(strata *ctx, int64_t version, strata_run **out);
/* Remove the record of one applied version (STRATA_ENOTFOUND if none). */
STRATA_API int strata_unstamp(strata *ctx, int64_t version);

/* ---- status ------------------------------------------------------------ */

typedef struct strata_applied_info {
	int64_t version;
	const char *name;
	const char *description;
	const char *checksum;
	const char *applied_at;
	int64_t execution_ms;
	const char *applied_by;
} strata_applied_info;

typedef struct strata_file_info {
	int64_t version;
	const char *name;
	const char *file; /* NULL for embedded */
	bool out_of_order;
} strata_file_info;

/* A strata_history row; ids and numbers are -1 where the column is NULL. */
typedef struct strata_history_row {
	int64_t id; /* -1: only recorded in the lock file so far */
	bool has_version;
	int64_t version;
	const char *name;
	const char *direction; /* up, down, stamp, repair, restore */
	const char *status;    /* running, success, failed, dirty */
	const char *started_at;
	const char *finished_at;
	int64_t execution_ms;
	int64_t statements_done;
	const char *error;
	const char *backup_path;
	const char *applied_by;
} strata_history_row;

typedef struct strata_backup_info {
	const char *path;
	int64_t size;
	const char *created_at;
	int64_t version; /* -1 if unknown */
} strata_backup_info;

typedef struct strata_status {
	const char *database; /* URL, password masked */
	const char *engine;   /* "sqlite", "postgres", "mysql" */
	bool exists;          /* the database exists */
	bool has_version;
	int64_t current_version;
	bool dirty;
	size_t n_applied;
	strata_applied_info *applied; /* version order */
	size_t n_pending;
	strata_file_info *pending; /* version order */
	size_t n_missing;
	strata_applied_info *missing; /* applied, file gone */
	size_t n_modified;
	strata_file_info *modified; /* applied, checksum changed */
	size_t n_history;
	strata_history_row *history; /* the most recent, oldest first */
	size_t n_backups;
	strata_backup_info *backups; /* oldest first */
	const char *lock_holder;     /* "pid 12 on host since T" or NULL */
} strata_status;

/*
 * Read the state of the database against the migrations, creating
 * nothing.  *out is the caller's: free it with strata_status_free().
 */
STRATA_API int strata_status_get(strata *ctx, strata_status **out);
STRATA_API void strata_status_free(strata_status *st);

/* Every history row, oldest first (plus a running attempt, id -1). */
typedef struct strata_history {
	size_t n;
	strata_history_row *rows;
} strata_history;
STRATA_API int strata_history_get(strata *ctx, strata_history **out);
STRATA_API void strata_history_free(strata_history *h);

/*
 * What repair found and did.  Checksums are re-recorded only with 'yes';
 * otherwise 'checksums' lists what would be.
 */
typedef struct strata_repair_checksum {
	int64_t version;
	const char *name;
	const char *old_checksum;
	const char *new_checksum;
} strata_repair_checksum;
typedef struct strata_repair_result {
	size_t n_interrupted; /* attempts recorded as failed/interrupted */
	int64_t *interrupted;
	size_t n_dirty_cleared;
	int64_t *dirty_cleared;
	size_t n_checksums;
	strata_repair_checksum *checksums;
	bool checksums_written;
} strata_repair_result;
STRATA_API int strata_repair(strata *ctx, bool yes, strata_repair_result **out);
STRATA_API void strata_repair_free(strata_repair_result *r);

/* ---- schema ------------------------------------------------------------ */

enum strata_schema_format {
	STRATA_SCHEMA_SQL = 1,
	STRATA_SCHEMA_JSON = 2,
};
/* The live schema, tracking tables left out, in a stable order.  *out is a
 * NUL-terminated string the caller frees with strata_free(). */
STRATA_API int strata_schema(strata *ctx, int format, char **out);

/* ---- backups and health (SQLite: files; servers: dumps) ----------------- */

/*
 * Take a consistent backup now: SQLite's online backup API (WAL content
 * included) into 'output', or, when output is NULL, into the backups
 * folder under the standard name.  Servers: pg_dump / mysqldump.
 * *path_out (caller frees with strata_free) is the file written.
 */
STRATA_API int strata_backup(strata *ctx, const char *output, char **path_out);

/* The backups of this database, oldest first. */
typedef struct strata_backup_list {
	size_t n;
	strata_backup_info *items;
} strata_backup_list;
STRATA_API int strata_backups_list(strata *ctx, strata_backup_list **out);
STRATA_API void strata_backup_list_free(strata_backup_list *l);

/*
 * Restore 'file' into the live database: integrity-check it (a damaged or
 * foreign file is refused with nothing changed), back up the current
 * database, copy it in with the backup API and record a 'restore' history
 * row.  *backup_out (may be NULL) receives the backup of the old state.
 */
STRATA_API int strata_restore(strata *ctx, const char *file, char **backup_out);

/* One problem found by strata_check(). */
typedef struct strata_check_problem {
	const char *kind;   /* "integrity", "foreign_key", "tracking", ... */
	const char *table;  /* or NULL */
	int64_t rowid;      /* -1 when not about one row */
	const char *parent; /* foreign_key: the referenced table */
	const char *message;
} strata_check_problem;

typedef struct strata_check_result {
	size_t n;
	strata_check_problem *problems;
	const char *engine;
	const char *server_version; /* or NULL */
	size_t n_checks;            /* checks that ran */
} strata_check_result;

/*
 * Check the database's health: SQLite PRAGMA integrity_check and
 * foreign_key_check; servers: connection, version, tracking tables,
 * invalid indexes.  Returns STRATA_OK when the checks ran (problems or
 * not); *out lists the problems.
 */
STRATA_API int strata_check(strata *ctx, strata_check_result **out);
STRATA_API void strata_check_free(strata_check_result *r);

/* Salvage what can be read of a damaged SQLite database into 'output'. */
typedef struct strata_recover_table {
	const char *name;
	int64_t rows_recovered;
	int64_t rows_lost; /* -1 when unknown */
} strata_recover_table;
typedef struct strata_recover_result {
	size_t n;
	strata_recover_table *tables;
	int64_t rows_recovered;
	bool schema_complete;
} strata_recover_result;
STRATA_API int strata_recover(strata *ctx, const char *output,
			      strata_recover_result **out);
STRATA_API void strata_recover_free(strata_recover_result *r);

/* ---- migration files --------------------------------------------------- */

/*
 * Create the next migration file in 'dir' (created with its parents if
 * missing): the next integer version zero-padded to the folder's width
 * (001 in an empty folder), or a UTC timestamp.  *path_out is the new
 * file's path, the caller frees it with strata_free().
 */
STRATA_API int strata_new_file(strata *ctx, const char *dir, const char *name,
			       bool timestamp, char **path_out);

/* Free memory the library handed over (strings from strata_schema ...). */
STRATA_API void strata_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
