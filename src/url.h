/* url.h - database URLs: parse, mask the password, describe. */
#ifndef STRATA_URL_H
#define STRATA_URL_H

#include "strata.h"

struct url_param {
	char *key;
	char *value;
};

struct strata_url {
	char *engine;   /* "sqlite", "postgres", "mysql" */
	char *scheme;   /* as written: "sqlite", "postgresql", "mariadb" ... */
	char *path;     /* sqlite: file path, or ":memory:" */
	char *user;     /* servers; NULL when absent */
	char *password; /* NULL when absent; never printed */
	char *host;
	int port; /* 0 when absent */
	char *dbname;
	struct url_param *params; /* query options, in order */
	size_t n_params;
	char *conninfo; /* postgres key=value string given instead of a URL */
	char *masked;   /* the URL as given, password shown as "****" */
};

/*
 * Parse 'text' into *out (zeroed first).  Accepts sqlite:PATH,
 * sqlite://PATH, sqlite:/abs, sqlite:///abs, sqlite::memory:, a bare path
 * ending .db/.sqlite/.sqlite3, postgres[ql]://..., mysql:// and mariadb://,
 * and a libpq "key=value ..." string.  User, password and database are
 * percent-decoded.  Returns STRATA_OK, STRATA_EINVAL (with a message that
 * never shows the password) or STRATA_ENOMEM; *out is released on failure.
 */
int url_parse(strata *ctx, const char *text, struct strata_url *out);

/* Free the contents of *u and zero it.  Safe on a zeroed struct. */
void url_release(struct strata_url *u);

/* The value of query option 'key', or NULL. */
const char *url_param(const struct strata_url *u, const char *key);

/*
 * A copy of 'text' (any string that may hold a URL) with every password
 * replaced by "****".  Caller frees; NULL on OOM.
 */
char *url_mask(const char *text);

#endif
