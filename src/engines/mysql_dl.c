/* mysql_dl.c - load MariaDB Connector/C on first use (see mysql_dl.h). */
#define MY_DL_LOADER
#include "mysql_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

struct my_api my_api;

static const char *const libmariadb_names[] = {
	"libmariadb.so.3",
	"libmariadb.so",
	NULL,
};

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

	for (size_t i = 0; !h && libmariadb_names[i]; i++)
		h = dlopen(libmariadb_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		load_missing_lib = true;
		snprintf(load_detail, sizeof(load_detail), "%s",
			 e ? e : "not found");
		return;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function. */
#define MY_RESOLVE(f)                                            \
	if (!(*(void **)(&my_api.f) = dlsym(h, #f)) && !missing) \
		missing = #f;
	MY_FUNCTIONS(MY_RESOLVE)
#undef MY_RESOLVE
	if (missing) {
		dlclose(h);
		load_missing_fn = missing;
	}
}

int my_load(strata *ctx)
{
	pthread_once(&load_once, load);
	if (load_missing_lib)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"MySQL/MariaDB needs MariaDB Connector/C, which is not installed (Debian: apt-get install libmariadb3): %s",
			load_detail);
	if (load_missing_fn)
		return err_set(
			ctx, STRATA_EUNSUPPORTED,
			"the installed MariaDB Connector/C is too old: it lacks %s",
			load_missing_fn);
	return STRATA_OK;
}
