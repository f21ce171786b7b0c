/* env.h - settings from the environment and from a ./.env file. */
#ifndef STRATA_CLI_ENV_H
#define STRATA_CLI_ENV_H

#include <stdbool.h>
#include <stddef.h>

struct env_var {
	char *key;
	char *value;
};

/* The variables of ./.env (or of --env-file), read once on first use. */
struct env {
	bool loaded;
	const char *path; /* NULL: ./.env, read only if it is there */
	struct env_var *vars;
	size_t n;
};

/* clang-format off */
#define ENV_INIT { .loaded = false }
/* clang-format on */

/*
 * The value of 'name': the real environment when set and non-empty, else
 * ./.env, else NULL.  'from' (may be NULL) is set to "the environment"
 * or ".env", for messages.  The string is borrowed.
 */
const char *env_get(struct env *e, const char *name, const char **from);

/*
 * Read 'path' now instead of ./.env (--env-file).  Unlike ./.env, the file
 * must be there: -1 with errno set when it cannot be read.
 */
int env_open(struct env *e, const char *path);

/* Free what env_get() read. */
void env_release(struct env *e);

#endif
