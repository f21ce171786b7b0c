/* track.h - rows of the tracking tables, through the engine's query. */
#ifndef STRATA_TRACK_H
#define STRATA_TRACK_H

#include "engine.h"
#include "migration.h"
#include "plan.h"

/* A strata_history row to write. */
struct hist_row {
	int64_t version; /* -1: NULL */
	const char *name;
	const char *direction;
	const char *status;
	const char *started_at;
	const char *finished_at;
	int64_t execution_ms;    /* -1: NULL */
	int64_t statements_done; /* -1: NULL */
	const char *error;
	const char *backup_path;
};

/*
 * A tracking statement from a template where "%s_migrations" and
 * "%s_history" name the tables (as the engine's tracking_name writes
 * them); caller frees, NULL (message set) on OOM.
 */
char *track_sql(struct engine_conn *c, const char *prefix, const char *tmpl);

/*
 * The down SQL as strata_migrations stores it: a no-transaction
 * migration's keeps its mode in a first line.  NULL without a down (or
 * on OOM: check m->down); caller frees.
 */
char *track_down_text(const struct migration *m);

/*
 * Every applied row (without the stored SQL), sorted by version; with
 * plan_only only version, name and checksum (the rest NULL or -1).
 */
int track_read_applied(struct engine_conn *c, const char *prefix,
		       bool plan_only, struct applied_list *out);

/* Record m as applied; up_sql/down_sql as they ran (down may be NULL). */
int track_insert_applied(struct engine_conn *c, const char *prefix,
			 const struct migration *m, const char *applied_at,
			 int64_t execution_ms);
int track_delete_applied(struct engine_conn *c, const char *prefix,
			 int64_t version);
/* Re-record checksum, description and stored SQL from the file. */
int track_update_applied(struct engine_conn *c, const char *prefix,
			 const struct migration *m);

/* The stored down SQL of version (*out NULL when none was stored). */
int track_stored_down(struct engine_conn *c, const char *prefix,
		      int64_t version, char **out);

/* The stored up and down SQL of version (each NULL when none was stored). */
int track_stored_sql(struct engine_conn *c, const char *prefix, int64_t version,
		     char **up, char **down);

int track_insert_history(struct engine_conn *c, const char *prefix,
			 const struct hist_row *h);
/* Finish a history row written earlier as 'running' (servers). */
int track_finish_history(struct engine_conn *c, const char *prefix, int64_t id,
			 const struct hist_row *h);

/*
 * Turn every 'dirty' history row into 'failed'; the versions it cleared
 * go to *versions (caller frees), their count to *n.
 */
int track_clear_dirty(struct engine_conn *c, const char *prefix,
		      int64_t **versions, size_t *n);

/* History rows, oldest first; limit 0 means all. */
int track_read_history(struct engine_conn *c, const char *prefix, size_t limit,
		       strata_history *out);
void track_history_release(strata_history *h);

/* The version of a dirty row, if any (*dirty false when none). */
int track_dirty(struct engine_conn *c, const char *prefix, bool *dirty,
		int64_t *version);

/*
 * The one attempt protocol (see track.c).  The status of an attempt that
 * did not complete: "dirty" when a statement of it had committed on its
 * own (exec_info.implicit_commit, or attempt.implicit for a dead one),
 * else "failed".  The only place that decides it.
 */
const char *attempt_status(bool implicit_commit);
/*
 * Put the attempt on record before it starts; sets a->id (or -1).  With
 * ATTEMPT_RESET the session is reset first, with ATTEMPT_BEGIN the
 * migration's transaction is open on success (server engines send the
 * three in one round trip).  *recorded: the attempt is on record, even
 * when an error came after (the caller then records it as failed).
 */
int track_attempt_begin(struct engine_conn *c, const char *prefix,
			struct attempt *a, unsigned how, bool *recorded);
/* A statement of it committed on its own: on record now (best effort). */
void track_attempt_committed(struct engine_conn *c, const char *prefix,
			     const struct attempt *a, long statements_done);
/* Its final history row (inside the migration's transaction on success). */
int track_attempt_record(struct engine_conn *c, const char *prefix,
			 const struct attempt *a, const struct hist_row *h);
/* Clear the record of an attempt that ended (file engines). */
int track_attempt_end(struct engine_conn *c);
/*
 * The recorded attempt, if any, and whether its runner is alive; tables:
 * the tracking tables exist (as the caller already read).
 */
int track_attempt_peek(struct engine_conn *c, const char *prefix, bool tables,
		       struct attempt *a);
/*
 * The start-up check in one read: whether a dirty row exists (the newest
 * one's version) and the attempt on record (track_attempt_peek).
 */
int track_open_attempts(struct engine_conn *c, const char *prefix, bool tables,
			bool *dirty, int64_t *dirty_version, struct attempt *a);

#endif
