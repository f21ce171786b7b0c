/* show.c - one migration: its file and its applied row, side by side. */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "err.h"
#include "session.h"
#include "track.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* The public struct and the strings it points to, freed together. */
struct info_box {
	strata_migration_info pub;
	char *strings[16];
	size_t n;
	bool oom;
};

static const char *keep(struct info_box *b, const char *s, size_t len)
{
	char *p;

	if (!s)
		return NULL;
	p = malloc(len + 1);
	if (!p) {
		b->oom = true;
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	b->strings[b->n++] = p;
	return p;
}

static const char *keeps(struct info_box *b, const char *s)
{
	return s ? keep(b, s, strlen(s)) : NULL;
}

static void fill_file(struct info_box *b, const struct migration *m)
{
	strata_migration_info *i = &b->pub;

	i->has_file = true;
	i->name = keeps(b, m->name);
	i->description = keeps(b, m->description);
	i->file = keeps(b, m->path);
	i->down_file = keeps(b, m->down_path);
	i->checksum = keeps(b, m->checksum);
	i->flags = m->flags;
	i->up = keep(b, m->up ? m->up : "", m->up ? m->up_len : 0);
	i->up_len = m->up ? m->up_len : 0;
	i->down = keep(b, m->down, m->down_len);
	i->down_len = m->down ? m->down_len : 0;
}

static int fill_row(struct info_box *b, struct session *s,
		    const struct applied *a)
{
	strata_migration_info *i = &b->pub;
	char *up = NULL, *down = NULL;
	int rc;

	i->applied = true;
	if (!i->name)
		i->name = keeps(b, a->name);
	if (!i->description)
		i->description = keeps(b, a->description);
	i->applied_checksum = keeps(b, a->checksum);
	i->applied_at = keeps(b, a->applied_at);
	i->execution_ms = a->execution_ms;
	i->applied_by = keeps(b, a->applied_by);
	rc = track_stored_sql(s->c, s->ctx->table, a->version, &up, &down);
	if (rc)
		return rc;
	i->stored_up = keeps(b, up);
	i->stored_up_len = up ? strlen(up) : 0;
	i->stored_down = keeps(b, down);
	i->stored_down_len = down ? strlen(down) : 0;
	free(up);
	free(down);
	i->modified = i->has_file &&
		      (!a->checksum || strcmp(a->checksum, i->checksum));
	return STRATA_OK;
}

int strata_show(strata *ctx, int64_t version, strata_migration_info **out)
{
	const struct migration *m;
	const struct applied *a;
	struct info_box *b;
	struct session s;
	int rc;

	err_clear(ctx);
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return err_oom(ctx);
	b->pub.version = version;
	m = source_find(&ctx->src, version);
	if (m)
		fill_file(b, m);
	rc = session_open(ctx, &s, SESSION_READ);
	a = rc ? NULL : applied_find(&s.al, version);
	if (!rc && a)
		rc = fill_row(b, &s, a);
	session_close(&s);
	if (!rc && b->oom)
		rc = err_oom(ctx);
	if (!rc && !m && !a)
		rc = err_set(ctx, STRATA_ENOTFOUND,
			     "no migration has version %lld: no file and no "
			     "applied row (see 'strata status')",
			     (long long)version);
	if (rc) {
		strata_migration_info_free(&b->pub);
		return rc;
	}
	*out = &b->pub;
	return STRATA_OK;
}

void strata_migration_info_free(strata_migration_info *info)
{
	struct info_box *b = (struct info_box *)info;

	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->strings[i]);
	free(b);
}
