/* url.c - parse database URLs and mask the passwords they hold. */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"
#include "engine.h"
#include "err.h"
#include "sb.h"

#define MASK     "****"
#define URL_HINT "use sqlite:PATH, postgres://... or mysql://..."

/* Locale-free character classes: URLs are ASCII syntax. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of an RFC 3986 scheme at the start of s (before its ':'), or 0. */
static size_t scheme_len(const char *s)
{
	size_t n = 0;

	if (!is_alpha(s[0]))
		return 0;
	while (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '+' || s[n] == '-' ||
	       s[n] == '.')
		n++;
	return s[n] == ':' ? n : 0;
}

static bool scheme_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* The engine of a server scheme, or NULL. */
static const char *server_engine(const char *s, size_t n)
{
	if (scheme_is(s, n, "postgres") || scheme_is(s, n, "postgresql"))
		return "postgres";
	if (scheme_is(s, n, "mysql") || scheme_is(s, n, "mariadb"))
		return "mysql";
	return engine_test_scheme(s, n); /* a test's engine, or NULL */
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static bool is_sqlite_file(const char *s)
{
	return has_suffix(s, ".db") || has_suffix(s, ".sqlite") ||
	       has_suffix(s, ".sqlite3");
}

/*
 * Where the user information of a URL ends: 'p' is the text after "://"
 * and 'end' the end of the URL.  Returns the '@' before the host, or NULL.
 * The usual rule (the last '@' before the first '/' or '?') comes first.
 * When it finds none but the authority reads "user:xyz" with a 'xyz' that
 * is not a port, the password itself probably holds a '/' or '?': then
 * the first later '@' that is followed by a plain host ends it, so that
 * such a password is still masked and never taken for a host or a path.
 */
static const char *userinfo_end(const char *p, const char *end)
{
	const char *auth_end = p, *at = NULL, *colon = NULL, *q, *r;

	while (auth_end < end && *auth_end != '/' && *auth_end != '?')
		auth_end++;
	for (q = p; q < auth_end; q++) {
		if (*q == '@')
			at = q;
		else if (*q == ':' && !colon)
			colon = q;
	}
	if (at)
		return at;
	if (!colon || *p == '[')
		return NULL;
	for (q = colon + 1; q < auth_end && is_digit(*q); q++)
		;
	if (q == auth_end && q > colon + 1)
		return NULL; /* host:port */
	for (q = auth_end; q < end; q++) {
		if (*q != '@')
			continue;
		for (r = q + 1; r < end && *r != '/' && *r != '?' && *r != '@';
		     r++)
			;
		if (r == end || *r != '@')
			return q;
	}
	return NULL;
}

/* Case-insensitive "password" then optional spaces and '='; its length. */
static size_t password_key(const char *s, bool spaces)
{
	size_t n = 8;

	if (strncasecmp(s, "password", 8) != 0)
		return 0;
	while (spaces && (s[n] == ' ' || s[n] == '\t'))
		n++;
	return s[n] == '=' ? n + 1 : 0;
}

/*
 * Length of a key=value value at s: a libpq quoted value, or the text up
 * to white space (and, inside a URL, up to '&').
 */
static size_t value_len(const char *s, bool in_url)
{
	size_t n = 0;

	if (!in_url && s[0] == '\'') {
		for (n = 1; s[n] && s[n] != '\''; n++)
			if (s[n] == '\\' && s[n + 1])
				n++;
		return s[n] ? n + 1 : n;
	}
	while (s[n] && !is_space(s[n]) && !(in_url && s[n] == '&'))
		n++;
	return n;
}

char *url_mask(const char *text)
{
	struct sb sb = SB_INIT;
	const char *p = text ? text : "";
	const char *url_end = NULL; /* while inside a URL: where it ends */
	size_t n;

	while (*p) {
		if (url_end && p >= url_end)
			url_end = NULL;
		if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			const char *rest = p + 3, *end = rest, *at, *colon;

			while (*end && !is_space(*end))
				end++;
			url_end = end;
			at = userinfo_end(rest, end);
			colon = at ? memchr(rest, ':', (size_t)(at - rest))
				   : NULL;
			if (colon) {
				sb_add(&sb, p, (size_t)(colon + 1 - p));
				sb_adds(&sb, MASK);
				p = at;
				continue;
			}
			sb_add(&sb, p, 3);
			p = rest;
			continue;
		}
		/* Any key ending in "password" (sslpassword too). */
		n = password_key(p, !url_end);
		if (n) {
			sb_add(&sb, p, n);
			p += n;
			while (!url_end && (*p == ' ' || *p == '\t'))
				sb_addc(&sb, *p++);
			n = value_len(p, url_end != NULL);
			if (n)
				sb_adds(&sb, MASK);
			p += n;
			continue;
		}
		sb_addc(&sb, *p++);
	}
	return sb_detach(&sb);
}

/*
 * A copy of 'text' safe for a message when it is not a URL we could
 * parse: url_mask(), and also "user:pass@host" written without a scheme.
 */
static char *mask_loose(const char *text)
{
	const char *at = strrchr(text, '@');
	const char *colon = at ? memchr(text, ':', (size_t)(at - text)) : NULL;
	struct sb sb = SB_INIT;
	char *step, *masked;

	if (!colon || strstr(text, "://"))
		return url_mask(text);
	sb_add(&sb, text, (size_t)(colon + 1 - text));
	sb_adds(&sb, MASK);
	sb_adds(&sb, at);
	step = sb_detach(&sb);
	if (!step)
		return NULL;
	masked = url_mask(step);
	free(step);
	return masked;
}

static char *dup_span(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *dup_lower(const char *s, size_t n)
{
	char *p = dup_span(s, n);
	size_t i;

	for (i = 0; p && i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
	return p;
}

/*
 * Percent-decode s[0..n) into *out (NULL when n is 0).  A '%' not
 * followed by two hex digits stays as it is; "%00" is refused, since it
 * would cut the value short.
 */
static int decode(strata *ctx, const struct strata_url *u, const char *s,
		  size_t n, char **out)
{
	size_t i, j = 0;
	char *p;

	*out = NULL;
	if (!n)
		return STRATA_OK;
	p = malloc(n + 1);
	if (!p)
		return err_oom(ctx);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 &&
		    hex_value(s[i + 2]) >= 0) {
			int c = hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]);

			if (!c) {
				free(p);
				return err_set(
					ctx, STRATA_EINVAL,
					"bad database URL '%s': %%00 is not allowed",
					u->masked);
			}
			p[j++] = (char)c;
			i += 2;
		} else {
			p[j++] = s[i];
		}
	}
	p[j] = '\0';
	*out = p;
	return STRATA_OK;
}

/* A port: 1..65535, digits only. */
static int parse_port(strata *ctx, const struct strata_url *u, const char *s,
		      size_t n, const char *what)
{
	size_t i;
	long v = 0;

	for (i = 0; i < n && is_digit(s[i]) && v <= 65535; i++)
		v = v * 10 + (s[i] - '0');
	if (!n || i < n || v < 1 || v > 65535)
		return err_set(ctx, STRATA_EINVAL, "bad port '%.*s' in %s '%s'",
			       (int)n, s, what, u->masked);
	return (int)v;
}

static int add_param(strata *ctx, struct strata_url *u, char *key, char *value)
{
	struct url_param *p;

	if (!key)
		key = strdup("");
	if (!value)
		value = strdup("");
	p = realloc(u->params, (u->n_params + 1) * sizeof(*p));
	if (!key || !value || !p) {
		if (p)
			u->params = p;
		free(key);
		free(value);
		return err_oom(ctx);
	}
	u->params = p;
	p[u->n_params].key = key;
	p[u->n_params].value = value;
	u->n_params++;
	return STRATA_OK;
}

/* The query of a server URL: k=v pairs split on '&', both decoded. */
static int parse_query(strata *ctx, struct strata_url *u, const char *q)
{
	while (*q) {
		const char *amp = strchr(q, '&'), *eq;
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		char *key, *value = NULL;
		int rc;

		eq = memchr(q, '=', n);
		if (n) {
			rc = decode(ctx, u, q, eq ? (size_t)(eq - q) : n, &key);
			if (rc)
				return rc;
			rc = eq ? decode(ctx, u, eq + 1,
					 n - (size_t)(eq + 1 - q), &value)
				: STRATA_OK;
			if (rc) {
				free(key);
				return rc;
			}
			rc = add_param(ctx, u, key, value);
			if (rc)
				return rc;
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return STRATA_OK;
}

/* scheme://user:password@host:port/dbname?k=v&k2=v2, any part optional. */
static int parse_server(strata *ctx, struct strata_url *u, const char *text,
			size_t slen)
{
	const char *rest = text + slen + 3, *end = rest + strlen(rest);
	const char *at = userinfo_end(rest, end), *colon = NULL;
	const char *hp = at ? at + 1 : rest, *hp_end = hp, *host_end;
	int rc;

	if (at)
		colon = memchr(rest, ':', (size_t)(at - rest));
	while (hp_end < end && *hp_end != '/' && *hp_end != '?')
		hp_end++;

	/* The masked form first: every later message quotes it. */
	if (colon) {
		struct sb sb = SB_INIT;
		char *step;

		sb_add(&sb, text, (size_t)(colon + 1 - text));
		sb_adds(&sb, MASK);
		sb_adds(&sb, at);
		step = sb_detach(&sb);
		u->masked = step ? url_mask(step) : NULL;
		free(step);
	} else {
		u->masked = url_mask(text);
	}
	if (!u->masked)
		return err_oom(ctx);

	if (at) {
		rc = decode(ctx, u, rest, (size_t)((colon ? colon : at) - rest),
			    &u->user);
		if (!rc && colon)
			rc = decode(ctx, u, colon + 1, (size_t)(at - colon - 1),
				    &u->password);
		if (rc)
			return rc;
	}

	host_end = hp_end;
	if (hp < hp_end && *hp == '[') {
		host_end = memchr(hp, ']', (size_t)(hp_end - hp));
		if (!host_end || (host_end + 1 < hp_end && host_end[1] != ':'))
			return err_set(
				ctx, STRATA_EINVAL,
				"bad IPv6 address in URL '%s' (write it as [::1]:5432)",
				u->masked);
		rc = decode(ctx, u, hp + 1, (size_t)(host_end - hp - 1),
			    &u->host);
		host_end++;
	} else {
		const char *c = memchr(hp, ':', (size_t)(hp_end - hp));

		if (c)
			host_end = c;
		rc = decode(ctx, u, hp, (size_t)(host_end - hp), &u->host);
	}
	if (rc)
		return rc;
	if (host_end < hp_end) {
		rc = parse_port(ctx, u, host_end + 1,
				(size_t)(hp_end - host_end - 1), "URL");
		if (rc < 0)
			return rc;
		u->port = rc;
	}

	if (*hp_end == '/') {
		const char *db = hp_end + 1, *q = strchr(db, '?');

		rc = decode(ctx, u, db, q ? (size_t)(q - db) : strlen(db),
			    &u->dbname);
		if (rc)
			return rc;
		hp_end = q ? q : end;
	}
	if (*hp_end == '?') {
		rc = parse_query(ctx, u, hp_end + 1);
		if (rc)
			return rc;
	}
	/* libpq and MySQL clients take ?password= too. */
	if (!u->password && url_param(u, "password")) {
		u->password = strdup(url_param(u, "password"));
		if (!u->password)
			return err_oom(ctx);
	}
	return STRATA_OK;
}

/* The keywords of libpq's connection strings (PostgreSQL 16). */
static const char *const libpq_keys[] = {
	"host",
	"hostaddr",
	"port",
	"dbname",
	"user",
	"password",
	"passfile",
	"channel_binding",
	"connect_timeout",
	"client_encoding",
	"options",
	"application_name",
	"fallback_application_name",
	"keepalives",
	"keepalives_idle",
	"keepalives_interval",
	"keepalives_count",
	"tcp_user_timeout",
	"replication",
	"gssencmode",
	"sslmode",
	"requiressl",
	"sslcompression",
	"sslcert",
	"sslkey",
	"sslpassword",
	"sslcertmode",
	"sslrootcert",
	"sslcrl",
	"sslcrldir",
	"sslsni",
	"requirepeer",
	"require_auth",
	"ssl_min_protocol_version",
	"ssl_max_protocol_version",
	"krbsrvname",
	"gsslib",
	"gssdelegation",
	"service",
	"target_session_attrs",
	"load_balance_hosts",
	NULL,
};

static size_t key_len(const char *s)
{
	size_t n = 0;

	while (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '_')
		n++;
	return n;
}

/* True when text starts "key=" (spaces allowed) with a libpq keyword. */
static bool is_conninfo(const char *text)
{
	const char *p = text;
	size_t n, i;

	while (is_space(*p))
		p++;
	n = key_len(p);
	for (i = 0; libpq_keys[i]; i++)
		if (strlen(libpq_keys[i]) == n &&
		    strncmp(p, libpq_keys[i], n) == 0)
			break;
	if (!libpq_keys[i])
		return false;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

/* One value of a connection string at *pp, unquoted and unescaped. */
static char *conninfo_value(const char **pp, bool *bad)
{
	const char *p = *pp;
	struct sb sb = SB_INIT;
	bool quoted = *p == '\'';

	*bad = false;
	if (quoted)
		p++;
	while (*p && (quoted ? *p != '\'' : !is_space(*p))) {
		if (*p == '\\' && p[1])
			p++;
		sb_addc(&sb, *p++);
	}
	if (quoted) {
		if (*p != '\'')
			*bad = true;
		else
			p++;
	}
	*pp = p;
	return sb_detach(&sb);
}

/* Fill the field that a connection string keyword stands for. */
static int conninfo_field(strata *ctx, struct strata_url *u, const char *key,
			  const char *value)
{
	char **slot = NULL;
	int port;

	if (strcmp(key, "host") == 0 ||
	    (strcmp(key, "hostaddr") == 0 && !u->host))
		slot = &u->host;
	else if (strcmp(key, "dbname") == 0)
		slot = &u->dbname;
	else if (strcmp(key, "user") == 0)
		slot = &u->user;
	else if (strcmp(key, "password") == 0)
		slot = &u->password;
	else if (strcmp(key, "port") == 0) {
		port = parse_port(ctx, u, value, strlen(value),
				  "connection string");
		if (port < 0)
			return port;
		u->port = port;
		return STRATA_OK;
	}
	if (!slot)
		return STRATA_OK;
	free(*slot);
	*slot = *value ? strdup(value) : NULL;
	return *value && !*slot ? err_oom(ctx) : STRATA_OK;
}

/* A libpq "key=value ..." string. */
static int parse_conninfo(strata *ctx, struct strata_url *u, const char *text)
{
	const char *p = text;
	int rc;

	u->masked = url_mask(text);
	u->conninfo = strdup(text);
	u->engine = strdup("postgres");
	u->scheme = strdup("postgres");
	if (!u->masked || !u->conninfo || !u->engine || !u->scheme)
		return err_oom(ctx);
	for (;;) {
		size_t n;
		char *key, *value;
		bool bad;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		n = key_len(p);
		key = n ? dup_span(p, n) : NULL;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!n || *p != '=') {
			free(key);
			return err_set(
				ctx, STRATA_EINVAL,
				"bad connection string '%s': expected key=value",
				u->masked);
		}
		if (!key)
			return err_oom(ctx);
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		value = conninfo_value(&p, &bad);
		if (!value) {
			free(key);
			return err_oom(ctx);
		}
		if (bad) {
			free(key);
			free(value);
			return err_set(
				ctx, STRATA_EINVAL,
				"bad connection string '%s': unterminated quoted value",
				u->masked);
		}
		rc = conninfo_field(ctx, u, key, value);
		if (rc) {
			free(key);
			free(value);
			return rc;
		}
		rc = add_param(ctx, u, key, value);
		if (rc)
			return rc;
	}
	return STRATA_OK;
}

/* sqlite:PATH, sqlite://PATH, sqlite:/abs, sqlite:///abs, sqlite::memory: */
static int parse_sqlite(strata *ctx, struct strata_url *u, const char *text,
			size_t slen)
{
	const char *path = text + slen + 1;

	if (path[0] == '/' && path[1] == '/')
		path += 2;
	u->masked = strdup(text);
	u->engine = strdup("sqlite");
	u->scheme = dup_lower(text, slen);
	if (!u->masked || !u->engine || !u->scheme)
		return err_oom(ctx);
	if (!*path)
		return err_set(ctx, STRATA_EINVAL,
			       "missing database file in URL '%s'", text);
	u->path = strdup(path);
	return u->path ? STRATA_OK : err_oom(ctx);
}

static int refuse(strata *ctx, const char *what, const char *text)
{
	char *masked = mask_loose(text);
	int rc;

	if (!masked)
		return err_oom(ctx);
	rc = err_set(ctx, STRATA_EINVAL, "%s '%s' (%s)", what, masked,
		     URL_HINT);
	free(masked);
	return rc;
}

int url_parse(strata *ctx, const char *text, struct strata_url *out)
{
	size_t slen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return err_set(ctx, STRATA_EINVAL, "empty database URL (%s)",
			       URL_HINT);
	slen = scheme_len(text);
	if (slen && (scheme_is(text, slen, "sqlite") ||
		     scheme_is(text, slen, "sqlite3"))) {
		rc = parse_sqlite(ctx, out, text, slen);
	} else if (slen && strncmp(text + slen, "://", 3) == 0) {
		const char *engine = server_engine(text, slen);

		if (!engine)
			return err_set(
				ctx, STRATA_EINVAL,
				"unsupported database URL scheme '%.*s' (%s)",
				(int)slen, text, URL_HINT);
		out->engine = strdup(engine);
		out->scheme = dup_lower(text, slen);
		rc = out->engine && out->scheme
			     ? parse_server(ctx, out, text, slen)
			     : err_oom(ctx);
	} else if (!strstr(text, "://") && is_conninfo(text)) {
		rc = parse_conninfo(ctx, out, text);
	} else if (is_sqlite_file(text)) {
		out->engine = strdup("sqlite");
		out->scheme = strdup("sqlite");
		out->path = strdup(text);
		out->masked = strdup(text);
		rc = out->engine && out->scheme && out->path && out->masked
			     ? STRATA_OK
			     : err_oom(ctx);
	} else if (slen && server_engine(text, slen)) {
		rc = refuse(ctx, "bad database URL", text);
	} else if (slen) {
		return err_set(ctx, STRATA_EINVAL,
			       "unsupported database URL scheme '%.*s' (%s)",
			       (int)slen, text, URL_HINT);
	} else {
		rc = refuse(ctx, "cannot tell the database engine of", text);
	}
	if (rc)
		url_release(out);
	return rc;
}

void url_release(struct strata_url *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->n_params; i++) {
		free(u->params[i].key);
		free(u->params[i].value);
	}
	free(u->params);
	free(u->engine);
	free(u->scheme);
	free(u->path);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->dbname);
	free(u->conninfo);
	free(u->masked);
	memset(u, 0, sizeof(*u));
}

const char *url_param(const struct strata_url *u, const char *key)
{
	size_t i = u->n_params;

	/* The last one wins, as in libpq. */
	while (i-- > 0)
		if (strcmp(u->params[i].key, key) == 0)
			return u->params[i].value;
	return NULL;
}
