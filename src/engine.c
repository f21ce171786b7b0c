/* engine.c - the registry of engines built into this library. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "err.h"

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

const char *engine_test_scheme(const char *s, size_t n)
{
	if (!test_engine || !test_engine->schemes)
		return NULL;
	for (size_t i = 0; test_engine->schemes[i]; i++)
		if (strlen(test_engine->schemes[i]) == n &&
		    !strncmp(test_engine->schemes[i], s, n))
			return test_engine->name;
	return NULL;
}

const struct engine *engine_find(strata *ctx, const struct strata_url *url)
{
	if (test_engine && !strcmp(test_engine->name, url->engine))
		return test_engine;
	for (size_t i = 0; engines[i]; i++)
		if (strcmp(engines[i]->name, url->engine) == 0)
			return engines[i];
	err_set(ctx, STRATA_EUNSUPPORTED, "strata was built without %s support",
		strcmp(url->engine, "postgres") == 0 ? "PostgreSQL"
		: strcmp(url->engine, "mysql") == 0  ? "MySQL/MariaDB"
						     : url->engine);
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
