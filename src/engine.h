/* engine.h - the method table every database engine fills in. */
#ifndef STRATA_ENGINE_H
#define STRATA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb.h"
#include "strata.h"
#include "url.h"

/* Each engine embeds this as the first member of its own struct. */
struct engine_conn {
	const struct engine *eng;
	strata *ctx; /* where errors are recorded */
};

/* Capabilities the runner tests (never the engine's name). */
#define ENGINE_TXN_DDL 0x1u /* DDL is transactional: no dirty state */
#define ENGINE_FILE    0x2u /* the database is one local file */

/* How to connect. */
enum connect_mode {
	CONNECT_EXISTING = 1, /* STRATA_ENOTFOUND if the database is missing */
	CONNECT_CREATE = 2,   /* create a missing SQLite file */
};

/* A bound value: always bound, never spliced into SQL. */
enum sql_param_type { P_NULL, P_INT, P_TEXT };
struct sql_param {
	enum sql_param_type type;
	int64_t i;
	const char *s;
};
#define PNULL    ((struct sql_param){ .type = P_NULL })
#define PINT(v)  ((struct sql_param){ .type = P_INT, .i = (v) })
#define PTEXT(v) ((struct sql_param){ .type = (v) ? P_TEXT : P_NULL, .s = (v) })

/* Called for each result row; vals[i] is NULL for SQL NULL.  Non-zero stops. */
typedef int (*row_fn)(void *payload, int ncol, const char *const *vals);

/* What exec reports back, on success and on failure. */
struct exec_info {
	long statements_done; /* statements that completed */
	long err_off;         /* on failure: byte offset into sql, or -1 */
	/*
	 * A completed statement committed on its own (MySQL DDL, any
	 * statement of a no-transaction migration): the attempt cannot be
	 * rolled back entirely, and the migration's transaction (if any) may
	 * have ended.  The one input of the dirty decision (attempt_dirty).
	 */
	bool implicit_commit;
	/*
	 * Optional: called once by exec when implicit_commit first becomes
	 * true, between statements, outside any transaction (the runner puts
	 * it on record for a runner killed later).  Its failure is ignored.
	 */
	void (*on_commit)(void *arg, long statements_done);
	void *arg;
};

/* An attempt in progress, as recorded outside its transaction. */
struct attempt {
	bool present;
	int64_t id; /* history row id, or -1 when only in the lock file */
	int64_t version;
	char *name;
	int direction; /* STRATA_UP / STRATA_DOWN */
	char *started_at;
	char *holder;  /* "pid N on HOST" */
	bool alive;    /* its runner still holds the lock */
	bool implicit; /* a statement of it had committed on its own */
};
void attempt_release(struct attempt *a);

/* What track_attempt_begin does around the attempt's record. */
#define ATTEMPT_RESET 0x1u /* session_reset first (not the first migration) */
#define ATTEMPT_BEGIN 0x2u /* then open the migration's transaction */

struct engine {
	const char *name;           /* "sqlite", "postgres", "mysql" */
	const char *const *schemes; /* URL schemes, NULL-terminated */
	unsigned caps;

	/* Does the database exist?  (Servers: always true.) */
	int (*exists)(strata *ctx, const struct strata_url *url, bool *out);
	int (*connect)(struct engine_conn **out, strata *ctx,
		       const struct strata_url *url, enum connect_mode mode);
	void (*close)(struct engine_conn *c); /* NULL is a no-op */

	/*
	 * Run a migration body.  With STRATA_NO_TRANSACTION in flags each
	 * statement goes on its own.  On failure info->err_off is the byte
	 * offset of the error (or of the failing statement) in sql.
	 */
	int (*exec)(struct engine_conn *c, const char *sql, size_t len,
		    unsigned flags, struct exec_info *info);
	int (*begin)(struct engine_conn *c);
	int (*commit)(struct engine_conn *c);
	int (*rollback)(struct engine_conn *c); /* keeps the first error */

	/* One statement with '?' placeholders and bound params. */
	int (*query)(struct engine_conn *c, const char *sql,
		     const struct sql_param *p, int np, row_fn fn,
		     void *payload);

	/*
	 * Append the name of tracking table "<prefix>_<table>" as every
	 * tracking statement writes it: quoted and qualified with the schema
	 * (PostgreSQL) or database (MySQL) chosen at connect time, so that a
	 * migration's SET search_path or USE cannot move it.
	 */
	void (*tracking_name)(struct engine_conn *c, const char *prefix,
			      const char *table, struct sb *out);
	int (*tracking_exists)(struct engine_conn *c, const char *prefix,
			       bool *out);
	int (*tracking_create)(struct engine_conn *c, const char *prefix);

	/* The whole-run lock; wait up to timeout_s, then STRATA_ELOCKED. */
	int (*lock)(struct engine_conn *c, int timeout_s);
	void (*unlock)(struct engine_conn *c);

	/*
	 * Server engines: the attempt protocol of track.c (a 'running'
	 * history row) needs only these two.  insert_id runs sql, an
	 * "INSERT ... SELECT ?, ..." without FROM, in a transaction of its
	 * own, and sets *id to the row's id (the engine may add a WHERE
	 * clause, RETURNING, or a cheaper commit).  'how' (ATTEMPT_*) adds
	 * the session reset before it and the migration's BEGIN after its
	 * commit; the engine may send all three in one round trip, as long as
	 * the row is committed before the BEGIN runs.  lock_held_elsewhere: is
	 * the run lock held by another session (*holder, may be NULL: who).
	 */
	int (*insert_id)(struct engine_conn *c, const char *sql,
			 const struct sql_param *p, int np, unsigned how,
			 int64_t *id);
	int (*lock_held_elsewhere)(struct engine_conn *c, const char *prefix,
				   bool *held, char **holder);

	/*
	 * File engines: the attempt is recorded outside the database (the
	 * lock file).  begin records it (*history_id -1), end clears it,
	 * peek reads it and whether its runner is alive.
	 */
	int (*attempt_begin)(struct engine_conn *c, const struct attempt *a,
			     int64_t *history_id);
	int (*attempt_end)(struct engine_conn *c); /* clear the record */
	int (*attempt_peek)(struct engine_conn *c, const char *prefix,
			    struct attempt *a);

	/*
	 * Optional: bring the session back to how connect left it (every
	 * SET, USE, temporary table of a migration gone), outside any
	 * transaction.  Called between migrations.
	 */
	int (*session_reset)(struct engine_conn *c);

	/* Optional hooks around one transactional migration (SQLite: FKs). */
	int (*migration_begin)(struct engine_conn *c);
	int (*migration_check)(struct engine_conn *c, const char *prefix);
	void (*migration_end)(struct engine_conn *c);

	/*
	 * Copy the database, consistently, into a new file at 'path'
	 * (SQLite: the online backup API; servers: pg_dump/mysqldump).
	 */
	int (*backup)(struct engine_conn *c, const char *path);
	/* File engines: copy the backup at 'path' into the live database. */
	int (*restore)(struct engine_conn *c, const char *path);
	/*
	 * File engines: open the file at 'path' read-only, refuse it if it
	 * is not a sound database (integrity check when 'verify'), and read
	 * its schema version (-1 without tracking tables).
	 */
	int (*inspect)(strata *ctx, const char *path, const char *prefix,
		       bool verify, int64_t *version);
	/* File engines: salvage what is readable into a new file at 'out'. */
	int (*recover)(struct engine_conn *c, const char *out,
		       strata_recover_result *res);
	/* Health checks; problems go to check_add(out, ...). */
	int (*check)(struct engine_conn *c, const char *prefix,
		     strata_check_result *out);

	/* The live schema without the tracking tables; *out malloc'd. */
	int (*schema_dump)(struct engine_conn *c, const char *prefix,
			   int format, char **out);
};

/* Add a problem to a check result (strings copied); ENOMEM on failure. */
int check_add(strata_check_result *r, const char *kind, const char *table,
	      int64_t rowid, const char *parent, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

extern const struct engine engine_sqlite;
#ifdef STRATA_WITH_POSTGRES
extern const struct engine engine_postgres;
#endif
#ifdef STRATA_WITH_MYSQL
extern const struct engine engine_mysql;
#endif

/* The engine for a parsed URL, or NULL (message set: not built in). */
const struct engine *engine_find(strata *ctx, const struct strata_url *url);

#endif
