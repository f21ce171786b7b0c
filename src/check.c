/* check.c - strata_check: the engine's health checks, as a list of problems. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sb.h"
#include "session.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int check_add(strata_check_result *r, const char *kind, const char *table,
	      int64_t rowid, const char *parent, const char *fmt, ...)
{
	strata_check_problem *grown, *p;
	struct sb msg = SB_INIT;
	va_list ap;

	grown = realloc(r->problems, (r->n + 1) * sizeof(*grown));
	if (!grown)
		return STRATA_ENOMEM;
	r->problems = grown;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	p = &r->problems[r->n];
	memset(p, 0, sizeof(*p));
	p->kind = strdup(kind);
	p->table = table ? strdup(table) : NULL;
	p->rowid = rowid;
	p->parent = parent ? strdup(parent) : NULL;
	p->message = sb_detach(&msg);
	r->n++;
	if (!p->kind || !p->message || (table && !p->table) ||
	    (parent && !p->parent))
		return STRATA_ENOMEM;
	return STRATA_OK;
}

int strata_check(strata *ctx, strata_check_result **out)
{
	strata_check_result *r;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = r = calloc(1, sizeof(*r));
	if (!r)
		return err_oom(ctx);
	rc = session_open_existing(ctx, &s, SESSION_CONNECT);
	if (!rc && !(r->engine = strdup(s.e->name)))
		rc = err_oom(ctx);
	if (!rc && s.e->check && s.e->check(s.c, ctx->table, r))
		rc = err_code(ctx) ? err_code(ctx) : err_oom(ctx);
	session_close(&s);
	if (rc) {
		strata_check_free(r);
		*out = NULL;
	}
	return rc;
}

void strata_check_free(strata_check_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->problems[i].kind);
		free((char *)r->problems[i].table);
		free((char *)r->problems[i].parent);
		free((char *)r->problems[i].message);
	}
	free(r->problems);
	free((char *)r->engine);
	free((char *)r->server_version);
	free(r);
}
