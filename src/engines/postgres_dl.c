/* postgres_dl.c - load libpq on first use (see postgres_dl.h for why). */
#define PQ_DL_LOADER
#include "postgres_dl.h"

#include <dlfcn.h>
#include <stddef.h>

#include "banned.h"
#include "err.h"

struct pq_api pq_api;

static const char *const libpq_names[] = { "libpq.so.5", "libpq.so", NULL };

int pq_load(strata *ctx)
{
	static void *handle;
	const char *missing = NULL;
	void *h = handle;

	if (h)
		return STRATA_OK;
	for (size_t i = 0; !h && libpq_names[i]; i++)
		h = dlopen(libpq_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"PostgreSQL needs libpq, which is not installed (Debian: apt-get install libpq5): %s",
			dlerror());
		/* dlsym returns void *; POSIX guarantees it converts to a
		 * function. */
#define PQ_RESOLVE(f)                                            \
	if (!(*(void **)(&pq_api.f) = dlsym(h, #f)) && !missing) \
		missing = #f;
	PQ_FUNCTIONS(PQ_RESOLVE)
#undef PQ_RESOLVE
	if (missing) {
		dlclose(h);
		return err_set(ctx, STRATA_EUNSUPPORTED,
			       "the installed libpq is too old: it lacks %s",
			       missing);
	}
	handle = h;
	return STRATA_OK;
}
