/*
 * integrity.c - the quick check before a run changes anything (a damaged
 * file is refused before its backup is taken), once after a run that
 * applied something, and for repair, which cannot mend damaged pages.
 */
#include "integrity.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const char next_steps[] =
	"next: 'strata check' lists every problem; 'strata recover --output NEW.db' "
	"salvages what is readable into a new file; 'strata restore' lists the "
	"backups to go back to";

/* "  line" for each problem line, after a newline. */
static void add_problems(struct sb *b, const char *problems)
{
	const char *p = problems;

	while (*p) {
		size_t n = strcspn(p, "\n");
		sb_addf(b, "\n  %.*s", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

static const char *db_name(const struct session *s)
{
	return s->ctx->url.path ? s->ctx->url.path : s->ctx->url.dbname;
}

/* Run the check: 0 and *problems NULL when sound. */
static int run_check(struct session *s, char **problems)
{
	*problems = NULL;
	if (!s->e->quick_check || !s->c)
		return STRATA_OK;
	return s->e->quick_check(s->c, problems);
}

int integrity_before(struct session *s, unsigned flags, bool *checked)
{
	struct sb msg = SB_INIT;
	char *problems;
	int rc;

	*checked = false;
	if ((flags & STRATA_NO_CHECK) || !s->e->quick_check || !s->existed)
		return STRATA_OK;
	*checked = true;
	rc = run_check(s, &problems);
	if (rc || !problems)
		return rc;
	sb_addf(&msg,
		"refusing to migrate '%s': PRAGMA quick_check found damage "
		"(nothing was changed, no backup was taken):",
		db_name(s));
	add_problems(&msg, problems);
	sb_addf(&msg,
		"\n%s (--no-check skips this check, at the risk of migrating "
		"and backing up a damaged file)",
		next_steps);
	free(problems);
	rc = msg.failed ? err_oom(s->ctx)
			: err_set(s->ctx, STRATA_ERROR, "%s", msg.buf);
	sb_release(&msg);
	return rc;
}

int integrity_after(struct session *s, int rc)
{
	struct sb msg = SB_INIT;
	char *problems = NULL;
	int crc;

	crc = run_check(s, &problems);
	if (crc) {
		if (rc)
			return rc;
		err_prefix(s->ctx,
			   "the migrations were applied, but the check after "
			   "them failed: ");
		return crc;
	}
	if (!problems)
		return rc;
	sb_addf(&msg,
		"'%s' is damaged after the run (PRAGMA quick_check); the "
		"migrations that ran stay applied:",
		db_name(s));
	add_problems(&msg, problems);
	sb_addf(&msg, "\n%s", next_steps);
	free(problems);
	if (msg.failed)
		crc = err_oom(s->ctx);
	else if (rc)
		log_msg(s->ctx, STRATA_LOG_WARN, "%s", msg.buf);
	else
		crc = err_set(s->ctx, STRATA_ERROR, "%s", msg.buf);
	sb_release(&msg);
	return rc ? rc : crc;
}

int integrity_refuse(struct session *s, const char *doing)
{
	struct sb msg = SB_INIT;
	char *problems;
	int rc;

	rc = run_check(s, &problems);
	if (rc || !problems)
		return rc;
	sb_addf(&msg,
		"'%s' is damaged (PRAGMA quick_check); %s cannot mend "
		"damaged pages, nothing was changed:",
		db_name(s), doing);
	add_problems(&msg, problems);
	sb_addf(&msg, "\n%s", next_steps);
	free(problems);
	rc = msg.failed ? err_oom(s->ctx)
			: err_set(s->ctx, STRATA_ERROR, "%s", msg.buf);
	sb_release(&msg);
	return rc;
}
