/* session.h - one connection for one public call: open, lock, read state. */
#ifndef STRATA_SESSION_H
#define STRATA_SESSION_H

#include "ctx.h"
#include "engine.h"
#include "plan.h"

struct session {
	strata *ctx;
	const struct engine *e;
	struct engine_conn *c; /* NULL: the database does not exist */
	bool existed;          /* the database existed before this call */
	bool tables;           /* the tracking tables exist */
	bool locked;
	struct applied_list al; /* sorted by version */
	int64_t *recovered;     /* versions of dead attempts just recorded */
	size_t n_recovered;
};

/* How a session starts. */
enum session_mode {
	SESSION_READ = 1,  /* no lock, create nothing; a missing db is empty */
	SESSION_WRITE = 2, /* create the db if missing, lock, recover */
	SESSION_WRITE_EXISTING = 3, /* as WRITE, but a missing db is empty */
	SESSION_CONNECT = 4, /* connect to an existing db, read nothing */
	/* As READ, the applied rows with only what plan_up needs (version,
	 * name, checksum): the start-up check of a no-op up. */
	SESSION_PLAN = 5,
};

/*
 * Open the database, take the run lock (write modes), record an attempt
 * a dead runner left, and read the applied rows.
 */
int session_open(strata *ctx, struct session *s, enum session_mode mode);
void session_close(struct session *s);

/* session_open, and STRATA_ENOTFOUND when the database does not exist. */
int session_open_existing(strata *ctx, struct session *s,
			  enum session_mode mode);

/* Create the tracking tables if they do not exist yet. */
int session_ensure_tables(struct session *s);

/*
 * The start-up check without the lock, in one read: *dead when an attempt
 * on record has lost its runner (the next writer must record or clear it;
 * no dirty refusal then, the locked run decides), else STRATA_EDIRTY like
 * session_check_dirty.
 */
int session_startup_check(struct session *s, bool *dead);

/* STRATA_EDIRTY with guidance when a dirty history row exists. */
int session_check_dirty(struct session *s);

/* "migrations/003_x.sql", or "embedded migration 3_x" (static buffer). */
const char *session_where(const struct migration *m, char *buf, size_t size);

#endif
