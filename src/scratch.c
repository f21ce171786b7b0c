/*
 * scratch.c - what the engines' scratch databases for strata test share:
 * a deep copy of a parsed URL, one of its options changed, a random name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static bool dup_field(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

int scratch_url_copy(strata *ctx, struct strata_url *dst,
		     const struct strata_url *src)
{
	bool ok;

	memset(dst, 0, sizeof(*dst));
	ok = dup_field(&dst->engine, src->engine) &&
	     dup_field(&dst->scheme, src->scheme) &&
	     dup_field(&dst->path, src->path) &&
	     dup_field(&dst->user, src->user) &&
	     dup_field(&dst->password, src->password) &&
	     dup_field(&dst->host, src->host) &&
	     dup_field(&dst->dbname, src->dbname) &&
	     dup_field(&dst->conninfo, src->conninfo) &&
	     dup_field(&dst->masked, src->masked);
	dst->port = src->port;
	if (ok && src->n_params) {
		dst->params = calloc(src->n_params, sizeof(*dst->params));
		ok = dst->params != NULL;
		for (size_t i = 0; ok && i < src->n_params; i++) {
			ok = dup_field(&dst->params[i].key,
				       src->params[i].key) &&
			     dup_field(&dst->params[i].value,
				       src->params[i].value);
			dst->n_params = i + 1;
		}
	}
	if (!ok) {
		url_release(dst);
		return err_oom(ctx);
	}
	return STRATA_OK;
}

int scratch_url_set_param(strata *ctx, struct strata_url *u, const char *key,
			  const char *value)
{
	struct url_param *grown;
	char *v = strdup(value), *k;

	if (!v)
		return err_oom(ctx);
	/* Every occurrence: whichever one a reader takes, it is ours. */
	for (size_t i = 0; i < u->n_params; i++) {
		if (strcmp(u->params[i].key, key) == 0) {
			char *copy = strdup(value);

			if (!copy) {
				free(v);
				return err_oom(ctx);
			}
			free(u->params[i].value);
			u->params[i].value = copy;
		}
	}
	k = strdup(key);
	grown = k ? realloc(u->params, (u->n_params + 1) * sizeof(*grown))
		  : NULL;
	if (!grown) {
		free(k);
		free(v);
		return err_oom(ctx);
	}
	u->params = grown;
	u->params[u->n_params].key = k;
	u->params[u->n_params].value = v;
	u->n_params++;
	return STRATA_OK;
}

char *scratch_random_name(void)
{
	unsigned char bytes[6];
	char *name = malloc(sizeof("strata_test_") + 12);

	if (!name)
		return NULL;
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
		/* No entropy source: time and pid still make a clash unlikely.
		 */
		unsigned long x = (unsigned long)time(NULL) ^
				  ((unsigned long)getpid() << 16);

		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (unsigned char)(x >> (8 * i));
	}
	memcpy(name, "strata_test_", 12);
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(name + 12 + 2 * i, 3, "%02x", bytes[i]);
	return name;
}

void scratch_release(struct scratch *sc)
{
	url_release(&sc->url);
	free(sc->name);
	free(sc->file);
	free(sc->what);
	memset(sc, 0, sizeof(*sc));
}
