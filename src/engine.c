/* engine.c - the registry of engines built into this library. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const struct engine *const engines[] = {
	&engine_sqlite,
#ifdef STRATA_WITH_POSTGRES
	&engine_postgres,
#endif
#ifdef STRATA_WITH_MYSQL
	&engine_mysql,
#endif
	NULL,
};

static const struct engine *test_engine;

void engine_register_test(const struct engine *e)
{
	test_engine = e;
}

const struct engine *engine_find(strata *ctx, const struct strata_url *url)
{
	const struct engine_info *info;

	if (test_engine && !strcmp(test_engine->name, url->engine))
		return test_engine;
	for (size_t i = 0; engines[i]; i++)
		if (strcmp(engines[i]->name, url->engine) == 0)
			return engines[i];
	info = engine_info_named(url->engine);
	err_set(ctx, STRATA_EUNSUPPORTED, "strata was built without %s support",
		info ? info->label : url->engine);
	return NULL;
}

void attempt_release(struct attempt *a)
{
	free(a->name);
	free(a->started_at);
	free(a->holder);
	memset(a, 0, sizeof(*a));
	a->id = -1;
}
