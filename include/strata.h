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
 *
 * Ownership, the same rule for every function:
 * - Output parameters (the last ones, named out, *_out, or n, created)
 *   are always written.  On failure a pointer output is NULL, a count 0
 *   and a flag false, unless the function says otherwise; the exceptions
 *   are strata_open*() (a context to read the error from), the runs
 *   strata_up/down/redo/stamp (a report of what was done) and
 *   strata_restore() (the backup it took).
 * - What a function hands over is the caller's, freed with the matching
 *   strata_*_free() (or strata_free() for strings); every free function
 *   accepts NULL.  Each result is one allocation tree: free it once, whole,
 *   and do not free or keep its inner strings apart from it.
 * - Strings and arrays passed in are copied before the call returns,
 *   except the struct sqlite3 handle of strata_open_sqlite().
 *
 * Error codes: each function lists the codes it returns.  "The connection
 * codes" are those of any call that opens the database: STRATA_EINVAL (no
 * URL was given), STRATA_EUNSUPPORTED (its engine is not built in),
 * STRATA_EIO (the file or its folder cannot be used), STRATA_ESQL (the
 * engine failed to connect or to read the tracking tables), STRATA_ENOMEM;
 * calls that write also return STRATA_ELOCKED (the run lock was not had in
 * time).  STRATA_ERROR is a failure no other code describes.
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
 * down_len == 0 with down != NULL is a valid empty down.
 *
 * struct_version is the layout the entry was compiled with: set it to
 * STRATA_MIGRATION_VERSION (strata embed does; so does
 * STRATA_MIGRATION_INIT).  Later versions of this header only append
 * fields after it, so it stays at this offset; the library reads it in the
 * first entry to know the size of every entry of the array.  Any other
 * value, 0 included, is refused with STRATA_EINVAL.
 */
#define STRATA_MIGRATION_VERSION 1u
typedef struct strata_migration {
	int64_t version;
	const char *name;
	const char *description; /* may be NULL */
	const char *up;
	size_t up_len;
	const char *down;
	size_t down_len;
	unsigned flags;          /* STRATA_NO_TRANSACTION */
	unsigned struct_version; /* STRATA_MIGRATION_VERSION */
} strata_migration;
/* An empty entry to fill in: strata_migration m = STRATA_MIGRATION_INIT; */
#define STRATA_MIGRATION_INIT                                                \
	{                                                                    \
		0, NULL, NULL, NULL, 0, NULL, 0, 0, STRATA_MIGRATION_VERSION \
	}

/* Run flags, or-ed together. */
#define STRATA_DRY_RUN            0x1u  /* plan only; change nothing */
#define STRATA_ALLOW_OUT_OF_ORDER 0x2u  /* apply pending below the highest */
#define STRATA_IGNORE_CHECKSUMS   0x4u  /* do not refuse modified files */
#define STRATA_NO_BACKUP          0x8u  /* skip the automatic backup */
#define STRATA_NO_CHECK           0x10u /* skip the quick integrity checks */
#define STRATA_FORCE              0x20u /* restore: another database's backup */

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
 * *out as for strata_open().  Returns STRATA_OK, STRATA_EINVAL (db is
 * NULL) or STRATA_ENOMEM.
 */
STRATA_API int strata_open_sqlite(strata **out, struct sqlite3 *db);

/*
 * Set or replace the database URL; on failure the old one stays.  Returns
 * STRATA_OK, STRATA_EINVAL (bad URL) or STRATA_ENOMEM.
 */
STRATA_API int strata_set_url(strata *ctx, const char *url);

/*
 * A copy of 'text' with every password shown as "****": a database URL or
 * a libpq key=value string is read as strata_open() reads it (so
 * "?pass%77ord=x", "u:p%40ss@h" and quoted values are masked like the
 * plain form); other text (a message) has each "scheme://..." it quotes
 * and each "...password=value" masked.  The caller frees it with
 * strata_free(); NULL only when memory ran out.
 */
STRATA_API char *strata_url_mask(const char *text);

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

/*
 * Tracking table prefix: tables PREFIX_migrations, PREFIX_history.
 * Returns STRATA_OK, STRATA_EINVAL (empty, over 48 bytes, a leading digit
 * or not [A-Za-z0-9_]) or STRATA_ENOMEM; on failure the old one stays.
 */
STRATA_API int strata_set_table(strata *ctx, const char *prefix);
/* Seconds to wait for the run lock (default 60). */
STRATA_API void strata_set_lock_timeout(strata *ctx, int seconds);

/*
 * Seconds to wait for a server that is not accepting connections yet
 * (refused, starting up): connecting is retried until then (default 0:
 * no wait; SQLite: nothing to wait for).
 */
STRATA_API void strata_set_connect_wait(strata *ctx, int seconds);
/*
 * Backups folder (default: backups/ beside the SQLite file; NULL or ""
 * restores it).  Returns STRATA_OK or STRATA_ENOMEM.
 */
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
 * Returns STRATA_OK, STRATA_EINVAL or STRATA_ENOMEM.
 */
STRATA_API int strata_add_dir(strata *ctx, const char *dir);

/*
 * Add n embedded migrations.  Every entry is copied (its bodies normalised
 * as a file's are: CRLF to LF, a BOM dropped, trimmed) before the call
 * returns, so the array may be freed or changed afterwards.  A bad entry
 * (name, negative version, no up body, bad UTF-8, struct_version) or a
 * version already known returns STRATA_EINVAL and adds nothing.  Returns
 * STRATA_OK, STRATA_EINVAL or STRATA_ENOMEM.
 */
STRATA_API int strata_add_migrations(strata *ctx, const strata_migration *m,
				     size_t n);

/*
 * The migrations added so far, in version order, as embedded entries
 * (struct_version set; bodies as normalised).  The array and its strings
 * are owned by ctx, not the caller, and stay valid until the next
 * strata_list_migrations() or strata_add_* call or strata_close().
 * Returns STRATA_OK or STRATA_ENOMEM (then *out NULL, *n 0).
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
 * it with strata_plan_free(); NULL on failure.  Returns STRATA_OK,
 * STRATA_EDIRTY, STRATA_ECHECKSUM, STRATA_EORDER (up),
 * STRATA_EIRREVERSIBLE (down) or a connection code.
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
 * lock, back up, then each migration in its own transaction.  *out is a
 * report on every return, failure included (NULL only if memory for it
 * ran out); it is the caller's, free it with strata_run_free().  On
 * failure the earlier migrations stay applied.  Returns STRATA_OK or the
 * first failure's code: STRATA_EDIRTY, STRATA_ECHECKSUM, STRATA_EORDER,
 * STRATA_ESQL (a migration failed), STRATA_EIO (the backup), a connection
 * code.
 */
STRATA_API int strata_up(strata *ctx, int64_t target, unsigned flags,
			 strata_run **out);
/*
 * Roll back (see strata_plan_down for target and steps); *out as for
 * strata_up.  Also STRATA_EIRREVERSIBLE.
 */
STRATA_API int strata_down(strata *ctx, int64_t target, int steps,
			   unsigned flags, strata_run **out);
/*
 * Roll back the most recently applied migration and apply it again; *out
 * as for strata_up.  Also STRATA_EIRREVERSIBLE, and STRATA_ENOTFOUND when
 * its file is gone.
 */
STRATA_API int strata_redo(strata *ctx, unsigned flags, strata_run **out);
STRATA_API void strata_run_free(strata_run *run);

/* ---- SQL scripts for the engine's own client ('up --sql') -------------- */

/* What a script does, and the state it starts from. */
typedef struct strata_script_opts {
	int direction;  /* STRATA_UP or STRATA_DOWN */
	int64_t target; /* as for strata_plan_up / strata_plan_down */
	int steps;      /* down: as for strata_plan_down */
	unsigned flags; /* STRATA_ALLOW_OUT_OF_ORDER, STRATA_IGNORE_CHECKSUMS */
	bool offline;   /* plan from the files alone; connect to nothing */
	bool from_base; /* offline: as if no migration were applied */
	int64_t from;   /* offline: as if every one up to 'from' were */
} strata_script_opts;

/*
 * The run strata_up/strata_down would make, as one SQL script for the
 * engine's own client (sqlite3, psql -v ON_ERROR_STOP=1, mariadb/mysql):
 * a header comment (database masked, the state assumed), a guard that
 * fails unless the database is at that version (so a second run fails
 * before it changes anything), the tracking tables' DDL (up), then per
 * migration its transaction (none for a no-transaction one), body and
 * tracking rows.  Not offline: the state and the plan are read from the
 * database, which is not changed.  Offline: nothing is connected; the
 * engine comes from the URL's scheme, and a 'from' no migration has is
 * STRATA_EINVAL (0 with no migration 0 is base).  *out is a NUL-terminated
 * string the caller frees with strata_free() (NULL on failure).  Returns
 * STRATA_OK, STRATA_EINVAL, the codes of strata_plan_up/strata_plan_down,
 * STRATA_EUNSUPPORTED (engine not built in) or STRATA_ENOMEM.
 */
STRATA_API int strata_sql_script(strata *ctx, const strata_script_opts *opts,
				 char **out);

/*
 * Create the database (SQLite) and the tracking tables if missing.
 * Returns STRATA_OK or a connection code.
 */
STRATA_API int strata_init(strata *ctx);

/*
 * Record every migration up to 'version' as applied without running it.
 * Also turns a dirty history row into 'failed'.  *out as for strata_up
 * (the stamped migrations, execution_ms 0; on failure nothing is
 * recorded).  Returns STRATA_OK or a connection code.
 */
STRATA_API int strata_stamp(strata *ctx, int64_t version, strata_run **out);
/*
 * Remove the record of one applied version.  Returns STRATA_OK,
 * STRATA_ENOTFOUND (not applied) or a connection code.
 */
STRATA_API int strata_unstamp(strata *ctx, int64_t version);

/* ---- adopt: take over another tool's database ---------------------------- */

/* One migration adopt records as applied. */
typedef struct strata_adopt_item {
	int64_t version;
	const char *name;
} strata_adopt_item;

/* What adopt found and recorded (or, with STRATA_DRY_RUN, would record). */
typedef struct strata_adopt_result {
	const char *tool;  /* "golang-migrate", "dbmate", "goose", "flyway",
			      "sql-migrate" (static) */
	const char *table; /* its tracking table (static) */
	size_t n_recorded;
	strata_adopt_item *recorded; /* in version order */
	int64_t dirty;               /* golang-migrate's dirty version, or -1 */
	bool dry_run;
} strata_adopt_result;

/*
 * Take over a database another tool migrated: find its tracking table
 * (golang-migrate or dbmate schema_migrations, goose goose_db_version,
 * Flyway flyway_schema_history, sql-migrate gorp_migrations, probed in
 * that order), map each version it applied to a migration of the
 * context's source and record it as applied (checksum and SQL from the
 * file, a history row of direction 'stamp' whose error column names the
 * tool), in one transaction; the other table is only read.  A dirty
 * golang-migrate version becomes a 'dirty' history row.  Versions strata
 * already records must all be among the tool's (they are then skipped).
 * flags: STRATA_DRY_RUN reads only.  *out is the caller's (free it with
 * strata_adopt_free()), NULL on failure.  Returns STRATA_OK,
 * STRATA_ENOTFOUND (no such table, no database, or a version without a
 * migration file: named in the message), STRATA_ERROR (strata's rows
 * disagree, or an unreadable version) or a connection code.
 */
STRATA_API int strata_adopt(strata *ctx, unsigned flags,
			    strata_adopt_result **out);
STRATA_API void strata_adopt_free(strata_adopt_result *r);

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
	/*
	 * The highest version applied in it: read from the file where the
	 * engine can (SQLite), else the version in its name; 0 for none.
	 */
	int64_t version;
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
	const char *format; /* the folder's layout: "strata", "golang-migrate",
			       "dbmate", "goose", "sql-migrate", "flyway",
			       "diesel" or "prisma" */
} strata_status;

/*
 * Read the state of the database against the migrations, creating
 * nothing (a missing database is not an error: exists is false).  *out is
 * the caller's: free it with strata_status_free(); NULL on failure.
 * Returns STRATA_OK or a connection code.
 */
STRATA_API int strata_status_get(strata *ctx, strata_status **out);
STRATA_API void strata_status_free(strata_status *st);

/*
 * One migration as 'strata show' prints it: its file (or embedded entry)
 * and its applied row, each side NULL/false where there is none.  Bodies
 * are bytes measured by their lengths; a NULL down is irreversible (file)
 * or not stored (row).
 */
typedef struct strata_migration_info {
	int64_t version;
	const char *name;        /* the file's, else the row's */
	const char *description; /* the file's, else the row's */
	bool has_file;           /* a file or an embedded entry has it */
	const char *file;        /* its path; NULL when embedded or none */
	const char *down_file;   /* the .down.sql of the pair form, or NULL */
	const char *checksum;    /* of the file's up body */
	unsigned flags;          /* STRATA_NO_TRANSACTION */
	const char *up, *down;   /* the file's bodies */
	size_t up_len, down_len;
	bool applied;                 /* an applied row exists */
	const char *applied_checksum; /* as recorded */
	const char *applied_at;
	int64_t execution_ms;
	const char *applied_by;
	const char *stored_up, *stored_down; /* as recorded, NULL if none */
	size_t stored_up_len, stored_down_len;
	bool modified; /* both exist and the checksums differ */
} strata_migration_info;
/*
 * Read one migration, creating nothing.  STRATA_ENOTFOUND when neither a
 * file nor an applied row has 'version'.  Free *out with
 * strata_migration_info_free().
 */
STRATA_API int strata_show(strata *ctx, int64_t version,
			   strata_migration_info **out);
STRATA_API void strata_migration_info_free(strata_migration_info *info);
/*
 * Every history row, oldest first (plus a running attempt, id -1).  *out
 * is the caller's, free it with strata_history_free(); NULL on failure.
 * Returns STRATA_OK or a connection code.
 */
typedef struct strata_history {
	size_t n;
	strata_history_row *rows;
} strata_history;
STRATA_API int strata_history_get(strata *ctx, strata_history **out);
STRATA_API void strata_history_free(strata_history *h);

/*
 * What repair found and did.  Checksums are re-recorded only with 'yes';
 * otherwise 'checksums' lists what would be.  *out is the caller's, free
 * it with strata_repair_free(); NULL on failure.  Returns STRATA_OK or a
 * connection code (a missing database is nothing to repair: STRATA_OK).
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
/*
 * The live schema, tracking tables left out, in a stable order.  *out is a
 * NUL-terminated string the caller frees with strata_free(); NULL on
 * failure.  Returns STRATA_OK, STRATA_EINVAL (format), STRATA_ENOTFOUND
 * (no database) or a connection code.
 */
STRATA_API int strata_schema(strata *ctx, int format, char **out);

/* ---- round trip: every down proven to restore the schema --------------- */

/* strata_test() flags, or-ed with the run flags it passes on. */
#define STRATA_TEST_FROM_LIVE 0x100u /* start from the live state */

enum strata_test_outcome {
	STRATA_TEST_REVERSIBLE = 1,   /* down restored the schema */
	STRATA_TEST_IRREVERSIBLE = 2, /* no down section: only applied */
	STRATA_TEST_BROKEN = 3,       /* down changed the schema, or failed */
	STRATA_TEST_UNTESTED = 4,     /* after an up that failed */
};

/* One migration's outcome. */
typedef struct strata_test_item {
	int64_t version;
	const char *name;
	const char *file; /* NULL for embedded */
	int outcome;      /* strata_test_outcome */
	/* BROKEN: "up", "down", "schema" (down ran but did not restore it)
	 * or "up again"; else NULL. */
	const char *phase;
	const char *error; /* "up"/"down"/"up again": the message, with
			      file:line; else NULL */
	const char *diff;  /* "schema": a unified diff of the schema dumps
			      (JSON) before up and after down; else NULL */
} strata_test_item;

typedef struct strata_test_result {
	size_t n;
	strata_test_item *items; /* the migrations tested, version order */
	size_t n_reversible, n_irreversible, n_broken, n_untested;
	bool ok;               /* nothing broken */
	bool from_live;        /* started from a copy of the live state */
	int64_t start_version; /* the scratch database's first version */
	const char *scratch;   /* "a temporary file", "temporary database x" */
} strata_test_result;

/*
 * Prove the downs: on a scratch database (never the one of the URL, which
 * is only read), from base or, with STRATA_TEST_FROM_LIVE, from the live
 * state (SQLite: a backup-API copy of the file; servers: the migrations
 * applied in the live database applied again, up to its version), take
 * each migration up to 'target' (STRATA_LATEST: all) in order: the schema
 * as strata_schema() dumps it (JSON), up, down, the schema again, which
 * must be the same, then up again.  Irreversible migrations are only
 * applied.  An up that fails ends the test (later ones are UNTESTED).  The
 * scratch database is dropped (SQLite: its folder removed) at the end.
 *
 * Returns STRATA_OK when the test ran, broken migrations or not (see
 * (*out)->ok); STRATA_ENOTFOUND for a target no migration has (0
 * excepted), STRATA_EUNSUPPORTED where no scratch database can be made,
 * or the code of what stopped it before the first migration.  *out is the
 * caller's (free with strata_test_free), set only with STRATA_OK.
 */
STRATA_API int strata_test(strata *ctx, int64_t target, unsigned flags,
			   strata_test_result **out);
STRATA_API void strata_test_free(strata_test_result *r);

/* ---- backups and health (SQLite: files; servers: dumps) ----------------- */

/*
 * Take a consistent backup now: SQLite's online backup API (WAL content
 * included) into 'output', or, when output is NULL, into the backups
 * folder under the standard name.  Servers: pg_dump / mysqldump.
 * *path_out (caller frees with strata_free) is the file written; NULL on
 * failure.  Returns STRATA_OK, STRATA_ENOTFOUND (no database), STRATA_EIO
 * ('output' exists or its folder does not, or the dump tool failed),
 * STRATA_EUNSUPPORTED or a connection code.
 */
STRATA_API int strata_backup(strata *ctx, const char *output, char **path_out);

/*
 * The backups of this database, oldest first.  *out is the caller's, free
 * it with strata_backup_list_free(); NULL on failure.  Returns STRATA_OK,
 * STRATA_EINVAL (no URL), STRATA_EIO or STRATA_ENOMEM.
 */
typedef struct strata_backup_list {
	size_t n;
	strata_backup_info *items;
} strata_backup_list;
STRATA_API int strata_backups_list(strata *ctx, strata_backup_list **out);
/*
 * The files in the same backups folder whose names say they are backups
 * of another database ("<other file>.<UTC time>.v<version><ext>"), oldest
 * first; versions from their names.  Free with strata_backup_list_free().
 */
STRATA_API int strata_backups_list_other(strata *ctx, strata_backup_list **out);
STRATA_API void strata_backup_list_free(strata_backup_list *l);

/*
 * Restore 'file' into the live database: integrity-check it (a damaged or
 * foreign file is refused with nothing changed), back up the current
 * database, copy it in with the backup API and record a 'restore' history
 * row.  *backup_out (may be NULL) receives the backup of the old state,
 * the caller's to strata_free(): NULL when none was taken, and set even
 * when the restore failed after taking it.  Returns STRATA_OK,
 * STRATA_ERROR (refused: the live file itself, damaged, not a sound
 * dump, or named for another database), STRATA_ENOTFOUND (no such
 * file), STRATA_EIO (a server's client program failed or is missing),
 * STRATA_EUNSUPPORTED (an engine without restore) or a connection code.
 */
STRATA_API int strata_restore(strata *ctx, const char *file, char **backup_out);
/*
 * strata_restore() with flags: STRATA_FORCE restores a backup whose name
 * says it is another database's (refused without it: STRATA_ERROR);
 * STRATA_NO_BACKUP skips the backup of the current state.  PostgreSQL
 * and MySQL/MariaDB restore a --backup dump (pg_restore, the mysql
 * client); their 'restore' row is written after the restore, a separate
 * step.
 */
STRATA_API int strata_restore_flags(strata *ctx, const char *file,
				    unsigned flags, char **backup_out);

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
 * not); *out lists the problems, the caller's to strata_check_free(); NULL
 * on failure.  Otherwise STRATA_ENOTFOUND (no database) or a connection
 * code.
 */
STRATA_API int strata_check(strata *ctx, strata_check_result **out);
STRATA_API void strata_check_free(strata_check_result *r);

/*
 * Salvage what can be read of a damaged SQLite database into 'output'.
 * *out is the caller's, free it with strata_recover_free(); NULL on
 * failure.  Returns STRATA_OK, STRATA_ENOTFOUND, STRATA_EIO,
 * STRATA_EUNSUPPORTED (servers) or a connection code.
 */
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
 * Create the migrations folder 'dir' and its missing parents (mode 0755),
 * as 'strata init' does; an existing folder is fine.  *created says
 * whether a folder was made.  Returns STRATA_OK, STRATA_EINVAL (no dir),
 * STRATA_EIO (a folder could not be made, or a file is in the way) or
 * STRATA_ENOMEM.
 */
STRATA_API int strata_init_dir(strata *ctx, const char *dir, bool *created);

/*
 * Create the next migration file in 'dir' (created with its parents if
 * missing): the next integer version zero-padded to the folder's width
 * (001 in an empty folder), or a UTC timestamp.  *path_out is the new
 * file's path, the caller frees it with strata_free(); NULL on failure.
 * The name is checked before anything is made.  Returns STRATA_OK,
 * STRATA_EINVAL (a name not [A-Za-z0-9_-]+, or no dir), STRATA_EIO or
 * STRATA_ENOMEM.
 */
STRATA_API int strata_new_file(strata *ctx, const char *dir, const char *name,
			       bool timestamp, char **path_out);

/* Free a string the library handed over (strata_schema ...); NULL is fine. */
STRATA_API void strata_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
