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

/* Every applied row (without the stored SQL), sorted by version. */
int track_read_applied(struct engine_conn *c, const char *prefix,
		       struct applied_list *out);

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

#endif
