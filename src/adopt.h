/* adopt.h - another tool's tracking table, for strata adopt and the hint. */
#ifndef STRATA_ADOPT_H
#define STRATA_ADOPT_H

#include "session.h"

/*
 * The first other tool's tracking table found on s's connection that
 * records something applied: *tool and *table point to static strings,
 * NULL when there is none.  Probes with queries that may fail (their
 * errors are not kept).
 */
int adopt_detect(struct session *s, const char **tool, const char **table);

/*
 * For status and up on a database without strata's tables: when another
 * tool's table is there, warn (and with 'refuse', STRATA_ERROR so that
 * up does not re-run what that tool applied).  Cheap when s->tables.
 */
int adopt_hint(struct session *s, bool refuse);

#endif
