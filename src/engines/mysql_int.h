/* mysql_int.h - the MySQL/MariaDB engine's connection, shared by its files. */
#ifndef STRATA_MYSQL_INT_H
#define STRATA_MYSQL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "mysql_dl.h"

/* MySQL's limit on a GET_LOCK name. */
#define MY_LOCK_NAME_MAX 64

struct my_conn {
	struct engine_conn base; /* first: the runner sees only this */
	MYSQL *db;
	MYSQL *lock_db; /* the run lock's own session, or NULL */
	char lock_name[MY_LOCK_NAME_MAX + 1];
	bool lock_lost; /* lock_db's session ended: the lock is gone */
	/*
	 * How to connect, to open lock_db alike: the context's own URL,
	 * which outlives every connection made from it.
	 */
	const struct strata_url *url;
	char *masked;    /* the URL with its password masked */
	char *dbname;    /* the database of the URL */
	bool db_missing; /* it does not exist (and we may not create it) */
	int fold;        /* lower_case_table_names != 0: 1, 0, or -1 unknown */
};

/* mysql.c */
/* A new session like the main one (database selected unless missing). */
int my_open(struct my_conn *m, MYSQL **out);
/*
 * Record the last error of db as STRATA_ESQL:
 * "<what>: message (MySQL error N, SQLSTATE x)", password masked.
 */
int my_fail(struct my_conn *m, MYSQL *db, const char *what);
/* Run one statement on db, and drop every result it returns. */
int my_exec_simple(struct my_conn *m, MYSQL *db, const char *sql);
/*
 * One statement with '?' placeholders on db; fn (may be NULL) sees each
 * row of the first result as text.
 */
int my_query_on(struct my_conn *m, MYSQL *db, const char *sql,
		const struct sql_param *p, int np, row_fn fn, void *payload);
/* Which of the two tracking tables exist in the database. */
int my_tracking_tables(struct my_conn *m, const char *prefix, bool *mig,
		       bool *hist);
/* A copy of s on one line (newlines become spaces, no trailing space). */
char *my_one_line(const char *s);
/* The lock name for a prefix: "strata:<db>:<prefix>", at most 64 bytes. */
/*
 * Does the server compare table names without case (lower_case_table_names
 * 1 or 2)?  Asked once, and only for a prefix with capitals.
 */
bool my_names_fold(struct my_conn *m, const char *prefix);
void my_lock_name(struct my_conn *m, const char *prefix,
		  char out[MY_LOCK_NAME_MAX + 1]);

/* mysql_scratch.c */
int my_scratch_create(strata *ctx, const struct strata_url *live,
		      struct scratch *sc);
void my_scratch_drop(strata *ctx, const struct strata_url *live,
		     struct scratch *sc);

/* mysql_lock.c */
int my_lock(struct engine_conn *c, int timeout_s);
void my_unlock(struct engine_conn *c);
int my_lock_verify(struct engine_conn *c);
/* Is the run lock held by another session?  *holder (may be NULL) says who. */
int my_lock_held_elsewhere(struct my_conn *m, const char *prefix, bool *held,
			   char **holder);

/* mysql_schema.c */
int my_schema_dump(struct engine_conn *c, const char *prefix, int format,
		   char **out);

/* mysql_check.c */
int my_check(struct engine_conn *c, const char *prefix,
	     strata_check_result *out);

/* mysql_backup.c */
int my_backup(struct engine_conn *c, const char *path);
/* Our environment with MYSQL_PWD set to password (NULL: unset); or NULL. */
/*
 * The argument vector of a client program (mysqldump, mariadb): v[0] is
 * left for the program's name; my_arg appends 'opt' and 'val' (may be
 * NULL) as one argument, setting oom when memory or room runs out.
 */
struct my_args {
	char *v[24];
	int n;
	bool oom;
};
void my_arg(struct my_args *a, const char *opt, const char *val);
/* The URL's connection as client options: host, port, user, socket, TLS. */
void my_conn_args(struct my_args *a, const struct strata_url *u);
void my_args_release(struct my_args *a); /* frees v[1..n) */
char **my_dump_env(const char *password);

/* mysql_restore.c */
int my_inspect_dump(strata *ctx, const char *path, const char *prefix,
		    bool verify, int64_t *version);
int my_restore_dump(struct engine_conn *c, const char *path,
		    int (*stage)(struct engine_conn *live, void *arg),
		    void *arg);

extern const struct engine engine_mysql;

#endif
