/* target.h - checks before a run: a target some migration has, a database
 * that exists. */
#ifndef STRATA_TARGET_H
#define STRATA_TARGET_H

#include <stdint.h>

#include "strata.h"

/*
 * STRATA_EINVAL when no migration has version 'target' (of up, down or
 * stamp): neither a file (or embedded entry) nor an applied row.  'up 7'
 * with only 001 would otherwise apply everything (SPEC section 4).  0 and
 * STRATA_LATEST always pass.  Reads the applied rows (creating nothing)
 * only when no file has that version.
 */
int target_check(strata *ctx, int64_t target);

/*
 * STRATA_ENOTFOUND "database '...' does not exist" when the database is a
 * file that is not there, so a command that only reads or rolls back never
 * creates one (servers: connecting tells).
 */
int target_need_db(strata *ctx);

/*
 * Connect as s->e->connect does; with a connect wait set
 * (strata_set_connect_wait), retry a server that refuses connections or
 * is starting up until the wait runs out.
 */
struct engine;
struct engine_conn;
int target_connect(strata *ctx, const struct engine *e,
		   struct engine_conn **out, int mode);

#endif
