/* target.h - checks before a run: a target some migration has, a database
 * that exists. */
#ifndef STRATA_TARGET_H
#define STRATA_TARGET_H

#include <stdint.h>

#include "strata.h"

/*
 * STRATA_EINVAL when 'target' (of up or stamp) is above every version a
 * migration has, a file (or embedded entry) or an applied row: 'up 7'
 * with only 001 would otherwise apply everything.  0 and STRATA_LATEST
 * always pass, and so does a version between two migrations (a bound).
 * Reads the applied rows (creating nothing) only when no file is as high.
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
