/* postgres_int.h - the PostgreSQL engine's connection, shared by its files. */
#ifndef STRATA_POSTGRES_INT_H
#define STRATA_POSTGRES_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "postgres_dl.h"

struct pg_conn {
	struct engine_conn base; /* first: the runner sees only this */
	PGconn *db;
	PGconn *lock_db; /* the run lock's own session, or NULL */
	int64_t lock_key;
	bool lock_lost;    /* lock_db's session ended: the lock is gone */
	char lock_pid[16]; /* lock_db's backend pid, as text, once locked */
	/* Connection parameters, NULL-terminated, to open lock_db alike. */
	char **keys, **vals;
	size_t n_params;
	char *masked;      /* the URL with its password masked */
	char *dbname;      /* current_database() */
	char *schema;      /* where the tracking tables live */
	char *session_sql; /* strata's SETs at connect, again after a reset */
	char *session_set[4]; /* the same, one statement each (pipelines) */
	int n_session_set;
	bool utf8; /* client_encoding is UTF8: positions count chars */
	/*
	 * Writes without results queued in a transaction (pipeline mode
	 * only): sent with the COMMIT, or before anything else goes to db.
	 */
	struct pg_deferred *deferred;
	size_t n_deferred, cap_deferred;
};

/* One queued write: its SQL ($n) and parameter values, owned. */
struct pg_deferred {
	char *sql;
	int np;
	char **vals;
};

/* postgres.c */
int pg_open(struct pg_conn *p, PGconn **out);
/*
 * Record a failed result (or, when res is NULL, the connection's error) as
 * STRATA_ESQL: "<what>: primary (SQLSTATE x); DETAIL: ...; HINT: ...".
 */
int pg_fail(struct pg_conn *p, PGconn *db, const PGresult *res,
	    const char *what);
/* One statement with $n params (text) on db; *res is the caller's. */
int pg_exec_params(struct pg_conn *p, PGconn *db, const char *sql, int n,
		   const char *const *vals, PGresult **res);
/* Lowercase copy of the tracking prefix (how PostgreSQL folds it). */
char *pg_prefix_lower(const char *prefix);
/* Which of the two tracking tables exist in the schema. */
int pg_tracking_tables(struct pg_conn *p, const char *prefix, bool *mig,
		       bool *hist);
/* A copy of s on one line (newlines become spaces, no trailing space). */
char *pg_one_line(const char *s);

/* postgres_lock.c */
int pg_lock(struct engine_conn *c, int timeout_s);
void pg_unlock(struct engine_conn *c);
int pg_lock_verify(struct engine_conn *c);
/* Is the run lock held by another session?  *holder (may be NULL) says who. */
int pg_lock_held_elsewhere(struct pg_conn *p, const char *prefix, bool *held,
			   char **holder);

/* postgres_schema.c */
int pg_schema_dump(struct engine_conn *c, const char *prefix, int format,
		   char **out);

/* postgres_check.c */
int pg_check(struct engine_conn *c, const char *prefix,
	     strata_check_result *out);

/* postgres_scratch.c */
int pg_scratch_create(strata *ctx, const struct strata_url *live,
		      struct scratch *sc);
void pg_scratch_drop(strata *ctx, const struct strata_url *live,
		     struct scratch *sc);

/* postgres_backup.c */
int pg_backup(struct engine_conn *c, const char *path);
/* The PG* environment for a client program, from our connection. */
int pg_dump_env(struct pg_conn *p, char ***out);

/* postgres_restore.c */
int pg_inspect_dump(strata *ctx, const char *path, const char *prefix,
		    bool verify, int64_t *version);
int pg_restore_dump(struct engine_conn *c, const char *path,
		    int (*stage)(struct engine_conn *live, void *arg),
		    void *arg);

#endif
