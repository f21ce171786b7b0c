/* integrity.h - never migrate a damaged database: quick checks around a run. */
#ifndef STRATA_INTEGRITY_H
#define STRATA_INTEGRITY_H

#include <stdbool.h>

#include "session.h"

/*
 * Before the first change of a run (before its backup): STRATA_ERROR
 * with the first problems and the next steps when the engine's quick
 * check finds damage.  Nothing without a quick_check method, for a new
 * database, or with STRATA_NO_CHECK in flags; *checked says whether the
 * check ran (and so should run again after).
 */
int integrity_before(struct session *s, unsigned flags, bool *checked);

/*
 * After a run that applied something: the same check once more.  rc is
 * the run's result so far; damage makes it STRATA_ERROR (the migrations
 * stay applied), or only a warning when the run had failed already.
 */
int integrity_after(struct session *s, int rc);

/* repair: a damaged file is STRATA_ERROR naming recover and restore. */
int integrity_refuse(struct session *s, const char *doing);

#endif
