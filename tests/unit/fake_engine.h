/*
 * fake_engine.h - an engine whose database lives in memory, for testing
 * the runner (see fake_engine.c).
 */
#ifndef STRATA_FAKE_ENGINE_H
#define STRATA_FAKE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* The places the fake can be told to fail, and whose calls it counts. */
enum fake_point {
	FAKE_CONNECT,
	FAKE_LOCK,          /* fails as a lock timeout (STRATA_ELOCKED) */
	FAKE_ATTEMPT_BEGIN, /* the running-row insert, or the lock-file note */
	FAKE_ATTEMPT_END,   /* file protocol: clearing the note */
	FAKE_BEGIN,
	FAKE_EXEC,            /* see fake.fail_stmt */
	FAKE_MIGRATION_CHECK, /* the foreign-key check after a body */
	FAKE_INSERT_APPLIED,
	FAKE_DELETE_APPLIED,
	FAKE_HISTORY_INSERT, /* a final history row written whole */
	FAKE_HISTORY_FINISH, /* a running row turned into its final row */
	FAKE_COMMIT,
	FAKE_ROLLBACK,
	FAKE_SESSION_RESET,
	FAKE_UNLOCK, /* counted only: unlock cannot fail */
	FAKE_NPOINTS
};

#define FAKE_MAX_APPLIED 16
#define FAKE_MAX_HISTORY 32

struct fake_applied {
	int64_t version;
	char name[64];
	char checksum[72];
	bool has_down;
	char down[256];
};

struct fake_hist {
	int64_t id;
	int64_t version;
	char name[64];
	char direction[8];
	char status[12];
	char error[512];
	long statements_done; /* -1: NULL */
};

/* What a transaction takes back: everything here. */
struct fake_db {
	bool tables;
	size_t n_applied;
	struct fake_applied applied[FAKE_MAX_APPLIED];
	size_t n_hist;
	struct fake_hist hist[FAKE_MAX_HISTORY];
	int64_t next_id;
	char log[2048]; /* every migration statement that ran, one a line */
};

struct fake {
	struct fake_db db;   /* the live state */
	struct fake_db snap; /* as it was at begin */
	bool in_txn;

	bool rows; /* running rows (servers), else a lock-file note */

	/* Options, set after fake_reset() and before the call. */
	bool implicit; /* every statement commits on its own (MySQL DDL) */
	int fail_at[FAKE_NPOINTS]; /* fail the Nth call of a point; 0 never */
	int fail_stmt;     /* the failing exec: its Nth statement fails (1) */
	bool other_holder; /* the lock is held by a live runner elsewhere */

	/* What happened. */
	int calls[FAKE_NPOINTS];
	int open_conns;
	int locks_held;
	bool note_present; /* file protocol: the attempt's note */
	int64_t note_version;
	char note_name[64];
	int note_direction;
};

extern struct fake fake;
extern const struct engine fake_rows_engine; /* registered by fake_reset */
extern const struct engine fake_file_engine;

/*
 * Forget everything and register the fake (URL "fake://db"): with rows,
 * the attempt protocol of a server engine (a 'running' history row), else
 * that of a file engine (a note outside the database, as a lock file).
 */
void fake_reset(bool rows);
/* Keep the database, forget the counts, failures and options. */
void fake_rearm(void);
/* Unregister it. */
void fake_done(void);

/* An applied row, as a run before would have left it. */
void fake_add_applied(int64_t version, const char *name, const char *checksum,
		      const char *down);
/* The applied row of version, or NULL. */
const struct fake_applied *fake_applied_row(int64_t version);
/* The last history row, or NULL. */
const struct fake_hist *fake_last_hist(void);
/* A history row as a run before would have left it. */
void fake_add_hist(int64_t version, const char *name, const char *direction,
		   const char *status);

const char *fake_point_name(enum fake_point p);

#endif
