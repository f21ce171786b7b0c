/* postgres_dl.c - load libpq on first use (see postgres_dl.h for why). */
#define PQ_DL_LOADER
#include "postgres_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct pq_api pq_api;

static const char *const libpq_names[] = { "libpq.so.5", "libpq.so", NULL };

/*
 * Loaded once per process, whatever the threads: pthread_once runs the
 * loader exactly once and makes its results visible to every caller.
 */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool load_missing_lib;       /* no library: load_detail is dlerror() */
static const char *load_missing_fn; /* too old: the first missing symbol */
static char load_detail[512];

static void load(void)
{
	void *h = NULL;
	const char *missing = NULL;

	for (size_t i = 0; !h && libpq_names[i]; i++)
		h = dlopen(libpq_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		load_missing_lib = true;
		snprintf(load_detail, sizeof(load_detail), "%s",
			 e ? e : "not found");
		return;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function. */
#define PQ_RESOLVE(f)                                            \
	if (!(*(void **)(&pq_api.f) = dlsym(h, #f)) && !missing) \
		missing = #f;
	PQ_FUNCTIONS(PQ_RESOLVE)
#undef PQ_RESOLVE
#define PQ_OPTIONAL(f) *(void **)(&pq_api.f) = dlsym(h, #f);
	PQ_PIPELINE_FUNCTIONS(PQ_OPTIONAL)
#undef PQ_OPTIONAL
	if (missing) {
		dlclose(h);
		load_missing_fn = missing;
	}
}

int pq_load(strata *ctx)
{
	pthread_once(&load_once, load);
	if (load_missing_lib)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"PostgreSQL needs libpq, which is not installed (Debian: apt-get install libpq5): %s",
			load_detail);
	if (load_missing_fn)
		return err_set(ctx, STRATA_EUNSUPPORTED,
			       "the installed libpq is too old: it lacks %s",
			       load_missing_fn);
	return STRATA_OK;
}

bool pq_has_pipeline(void)
{
	return pq_api.PQenterPipelineMode && pq_api.PQexitPipelineMode &&
	       pq_api.PQpipelineSync && pq_api.PQsendQueryParams;
}
