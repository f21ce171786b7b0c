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
	/* A note on the body for the user (note[0]: none), about note_off. */
	long note_off;
	char note[64];
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

/*
 * A scratch database for strata test; zeroed when unused.  'url' reaches
 * it (the live URL's credentials and options, another database, schema
 * or file); 'name' is its database or schema name, or (SQLite) the
 * private folder; 'file' the SQLite file inside it.
 */
struct scratch {
	struct strata_url url;
	char *name;
	char *file;
	bool is_schema; /* PostgreSQL: a schema in the live database */
	char *what;     /* for messages: "temporary database strata_test_x" */
};

/* scratch.c: helpers the engines' scratch methods share. */
/* A deep copy of src into *dst (zeroed first); STRATA_ENOMEM on failure. */
int scratch_url_copy(strata *ctx, struct strata_url *dst,
		     const struct strata_url *src);
/* Set (replace or add) query option key=value of u. */
int scratch_url_set_param(strata *ctx, struct strata_url *u, const char *key,
			  const char *value);
/* "strata_test_" and 12 random lowercase hex digits; NULL on OOM. */
char *scratch_random_name(void);
/* Free what *sc holds and zero it. */
void scratch_release(struct scratch *sc);

/* What track_attempt_begin does around the attempt's record. */
#define ATTEMPT_RESET 0x1u /* session_reset first (not the first migration) */
#define ATTEMPT_BEGIN 0x2u /* then open the migration's transaction */

/*
 * What strata knows of an engine whether or not it is built in: its
 * name, how its URLs are written, how its backups are named, which SQL
 * its scripts speak.  One entry per engine in src/engines/names.c; the
 * URL parser, backups and scripts read these, never an engine's name.
 */
#define URL_FORM_SERVER   0x1u /* scheme://user:pass@host:port/db?k=v */
#define URL_FORM_FILE     0x2u /* scheme:PATH, or a bare PATH by suffix */
#define URL_FORM_CONNINFO 0x4u /* a libpq "key=value ..." string */

/* The SQL dialect of the scripts 'up --sql' writes (src/sqlscript.c). */
enum script_dialect { SCRIPT_SQLITE, SCRIPT_PG, SCRIPT_MYSQL };

struct engine_info {
	const char *name;           /* as struct engine.name */
	const char *label;          /* for messages: "PostgreSQL" */
	const char *const *schemes; /* NULL-terminated; case-insensitive */
	unsigned forms;             /* URL_FORM_* */
	const char *const *file_suffixes; /* its files' bare paths */
	/*
	 * ?charset= values accepted (case-insensitive; the option is taken
	 * out), NULL-terminated; [0] is the one to suggest.  'charset_used'
	 * names what strata speaks for the refusal message.
	 */
	const char *const *charsets;
	const char *charset_used;
	const char *dump_ext; /* a backup's file extension: ".dump" */
	enum script_dialect dialect;
};

/* src/engines/names.c: every engine strata knows, built in or not. */
/* The engine named 'name', or NULL. */
const struct engine_info *engine_info_named(const char *name);
/* The engine of URL scheme s[0..n) (no "+driver"), or NULL. */
const struct engine_info *engine_info_for_scheme(const char *s, size_t n);
/* The first engine whose URLs take form 'form' (URL_FORM_*), or NULL. */
const struct engine_info *engine_info_with_form(unsigned form);
/* The file engine whose file suffixes end 'path', or NULL. */
const struct engine_info *engine_info_for_file(const char *path);

struct engine {
	const char *name; /* the key of its engine_info (engine_info_named) */
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
	/*
	 * The DDL tracking_create runs, appended to *out as statements that
	 * each end with ";\n" (no transaction control), for scripts a client
	 * runs ('up --sql').  'qual' goes before each table name: "" or a
	 * quoted schema/database and a dot (SQLite ignores it).
	 */
	void (*tracking_ddl)(struct sb *out, const char *qual,
			     const char *prefix);

	/* The whole-run lock; wait up to timeout_s, then STRATA_ELOCKED. */
	int (*lock)(struct engine_conn *c, int timeout_s);
	void (*unlock)(struct engine_conn *c);
	/*
	 * Optional (NULL: the lock cannot be lost, as SQLite's flock): is the
	 * lock still ours?  One round trip on the lock's session; when it is
	 * gone, STRATA_ELOCKED "lost the lock on '<url>' (...)", and the lock
	 * counts as released.  The runner asks before every commit.
	 */
	int (*lock_verify)(struct engine_conn *c);

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
	/*
	 * File engines: copy the backup at 'path' into the live database in
	 * one step; 'stage' is called on a connection to the staged copy
	 * (to add its history row) before that copy replaces the live one.
	 */
	int (*restore)(struct engine_conn *c, const char *path,
		       int (*stage)(struct engine_conn *staged, void *arg),
		       void *arg);
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

	/*
	 * strata test (src/roundtrip.c): make an empty scratch database
	 * reached like 'live' (SQLite: a file in a new private temporary
	 * folder; servers: CREATE DATABASE strata_test_<random>, PostgreSQL
	 * falling back to a schema of that name where it may not create
	 * databases), and drop it again.  Optional: NULL means strata test
	 * is STRATA_EUNSUPPORTED.  scratch_drop releases *sc and logs (never
	 * returns) what it could not remove.
	 */
	int (*scratch_create)(strata *ctx, const struct strata_url *live,
			      struct scratch *sc);
	void (*scratch_drop)(strata *ctx, const struct strata_url *live,
			     struct scratch *sc);
	/*
	 * Optional (NULL: servers): a quick integrity check of the whole
	 * database (SQLite: PRAGMA quick_check).  STRATA_OK with *problems
	 * NULL when sound, or malloc'd (the first few, one a line) when
	 * damaged; an error only when the check could not run.
	 */
	int (*quick_check)(struct engine_conn *c, char **problems);
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

/*
 * Tests only (tests/unit/fake_engine.c): register one more engine, found
 * by its name before the built-in ones, and what the URL parser knows of
 * it (engine_info_register_test, in names.c: its schemes, after the
 * built-in ones); NULL unregisters.  The CLI never calls them, so no
 * other scheme is ever accepted.
 */
void engine_register_test(const struct engine *e);
void engine_info_register_test(const struct engine_info *info);

#endif
