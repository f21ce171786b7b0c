/* mysql_dl.c - load MariaDB Connector/C on first use (see mysql_dl.h). */
#define MY_DL_LOADER
#include "mysql_dl.h"

#include <dlfcn.h>
#include <stddef.h>

#include "banned.h"
#include "err.h"

struct my_api my_api;

static const char *const libmariadb_names[] = {
	"libmariadb.so.3",
	"libmariadb.so",
	NULL,
};

int my_load(strata *ctx)
{
	static void *handle;
	const char *missing = NULL;
	void *h = handle;

	if (h)
		return STRATA_OK;
	for (size_t i = 0; !h && libmariadb_names[i]; i++)
		h = dlopen(libmariadb_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"MySQL/MariaDB needs MariaDB Connector/C, which is not installed (Debian: apt-get install libmariadb3): %s",
			dlerror());
		/* dlsym returns void *; POSIX guarantees it converts to a
		 * function. */
#define MY_RESOLVE(f)                                            \
	if (!(*(void **)(&my_api.f) = dlsym(h, #f)) && !missing) \
		missing = #f;
	MY_FUNCTIONS(MY_RESOLVE)
#undef MY_RESOLVE
	if (missing) {
		dlclose(h);
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"the installed MariaDB Connector/C is too old: it lacks %s",
			missing);
	}
	handle = h;
	return STRATA_OK;
}
