/* recover.c - strata_recover: salvage a damaged database into a new file. */
#include <stdlib.h>

#include "err.h"
#include "session.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int strata_recover(strata *ctx, const char *output, strata_recover_result **out)
{
	strata_recover_result *r;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = r = calloc(1, sizeof(*r));
	if (!r)
		return err_oom(ctx);
	rc = session_open_existing(ctx, &s, SESSION_CONNECT);
	if (!rc && !s.e->recover)
		rc = err_set(ctx, STRATA_EUNSUPPORTED,
			     "recover is for SQLite files, not %s", s.e->name);
	if (!rc)
		rc = s.e->recover(s.c, output, r);
	session_close(&s);
	if (rc) {
		strata_recover_free(r);
		*out = NULL;
	}
	return rc;
}

void strata_recover_free(strata_recover_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free((char *)r->tables[i].name);
	free(r->tables);
	free(r);
}
