/* url.c - parse database URLs and mask the passwords they hold. */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "err.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

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

/*
 * The length of a scheme without its SQLAlchemy driver suffix:
 * "mysql+pymysql" -> 5.
 */
static size_t base_len(const char *s, size_t n)
{
	const char *plus = memchr(s, '+', n);

	return plus ? (size_t)(plus - s) : n;
}

/*
 * The engine of a scheme (a "+driver" suffix ignored) whose URLs take
 * form 'form' (URL_FORM_*), or NULL.
 */
static const struct engine_info *scheme_engine(const char *s, size_t n,
					       unsigned form)
{
	const struct engine_info *e = engine_info_for_scheme(s, base_len(s, n));

	return e && (e->forms & form) ? e : NULL;
}

static const struct engine_info *server_engine(const char *s, size_t n)
{
	return scheme_engine(s, n, URL_FORM_SERVER);
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

/* The parts of a server URL, as the parser and the masker both read them. */
struct server_parts {
	const char *at;    /* the '@' that ends the user information, or NULL */
	const char *colon; /* the ':' before the password, or NULL */
	const char *hp;    /* host[:port] ... */
	const char *hp_end; /* ... up to here */
	const char *db;     /* after the '/', or NULL */
	const char *db_end;
	const char *query; /* after the '?', or NULL */
	const char *end;   /* the end of the URL */
};

/* Split the text after "://" (up to 'end') into its parts. */
static void split_server(const char *rest, const char *end,
			 struct server_parts *sp)
{
	const char *p;

	memset(sp, 0, sizeof(*sp));
	sp->end = end;
	sp->at = userinfo_end(rest, end);
	if (sp->at)
		sp->colon = memchr(rest, ':', (size_t)(sp->at - rest));
	sp->hp = sp->at ? sp->at + 1 : rest;
	for (p = sp->hp; p < end && *p != '/' && *p != '?'; p++)
		;
	sp->hp_end = p;
	if (p < end && *p == '/') {
		sp->db = p + 1;
		for (p = sp->db; p < end && *p != '?'; p++)
			;
		sp->db_end = p;
	}
	if (p < end && *p == '?')
		sp->query = p + 1;
}

/*
 * The next "k=v" pair of a query at *q (before end), split on '&'.
 * Returns false at the end; an empty pair has kn == 0 and no value.
 */
static bool query_next(const char **q, const char *end, const char **k,
		       size_t *kn, const char **v, size_t *vn)
{
	const char *p = *q, *amp, *eq;

	if (!p || p >= end)
		return false;
	amp = memchr(p, '&', (size_t)(end - p));
	if (!amp)
		amp = end;
	eq = memchr(p, '=', (size_t)(amp - p));
	*k = p;
	*kn = (size_t)((eq ? eq : amp) - p);
	*v = eq ? eq + 1 : NULL;
	*vn = eq ? (size_t)(amp - eq - 1) : 0;
	*q = amp < end ? amp + 1 : end;
	return true;
}

/*
 * True for a key whose value is a secret: "password" and every key that
 * ends in it ("sslpassword"), any case, and "passwd".  'encoded': the key
 * is percent-encoded (a URL query), so "pass%77ord" is one too.
 */
static bool secret_key(const char *s, size_t n, bool encoded)
{
	char tail[8];
	size_t i, len = 0, total = 0;

	/* Decode on the fly, keeping the last 8 bytes. */
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (encoded && c == '%' && i + 2 < n &&
		    hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			c = (char)(hex_value(s[i + 1]) * 16 +
				   hex_value(s[i + 2]));
			i += 2;
		}
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (len == sizeof(tail)) {
			memmove(tail, tail + 1, sizeof(tail) - 1);
			len--;
		}
		tail[len++] = c;
		total++;
	}
	if (len == 8 && memcmp(tail, "password", 8) == 0)
		return true;
	return total == 6 && memcmp(tail, "passwd", 6) == 0;
}

/* The masked text, built as the secrets are found, left to right. */
struct masker {
	struct sb sb;
	const char *done; /* the text is copied up to here */
};

/* Copy the text up to 'from', then "****" for [from, to). */
static void hide(struct masker *m, const char *from, const char *to)
{
	if (to < m->done)
		return;
	if (from > m->done)
		sb_add(&m->sb, m->done, (size_t)(from - m->done));
	sb_adds(&m->sb, MASK);
	m->done = to;
}

/* Hide the password and the secret query values of a server URL. */
static void hide_server(struct masker *m, const struct server_parts *sp)
{
	const char *q = sp->query, *k, *v;
	size_t kn, vn;

	if (sp->colon)
		hide(m, sp->colon + 1, sp->at);
	while (query_next(&q, sp->end, &k, &kn, &v, &vn))
		if (v && secret_key(k, kn, true))
			hide(m, v, v + vn);
}

static bool is_key_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static size_t key_len(const char *s)
{
	size_t n = 0;

	while (is_key_char(s[n]))
		n++;
	return n;
}

/*
 * The raw value of a connection string at s, as libpq reads it: a quoted
 * value (quotes included, a backslash escaping the next character), or
 * the text up to white space that no backslash escapes.  *bad when the
 * quote is not closed.
 */
static size_t conninfo_value_len(const char *s, bool *bad)
{
	size_t n = 0;
	bool quoted = s[0] == '\'';

	*bad = false;
	if (quoted)
		n++;
	while (s[n] && (quoted ? s[n] != '\'' : !is_space(s[n]))) {
		if (s[n] == '\\' && s[n + 1])
			n++;
		n++;
	}
	if (quoted) {
		if (s[n] == '\'')
			n++;
		else
			*bad = true;
	}
	return n;
}

/*
 * The next "key = value" of a connection string at *pp.  Returns 1 with
 * the key and raw value spans, 0 at the end, -1 where no key=value
 * starts (*pp left there).  *bad: the value's quote is not closed.
 */
static int conninfo_next(const char **pp, const char **k, size_t *kn,
			 const char **v, size_t *vn, bool *bad)
{
	const char *p = *pp;

	*bad = false;
	while (is_space(*p))
		p++;
	*pp = p;
	if (!*p)
		return 0;
	*k = p;
	*kn = key_len(p);
	p += *kn;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*kn || *p != '=')
		return -1;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	*v = p;
	*vn = conninfo_value_len(p, bad);
	*pp = p + *vn;
	return 1;
}

/*
 * Where a URL that starts at 'url' inside free text ends: at white space;
 * when the text quotes it ('...' or "..."), at the closing quote that is
 * followed by white space, punctuation or the end.
 */
static const char *free_url_end(const char *text, const char *url)
{
	const char *p;
	char quote = url > text ? url[-1] : '\0';

	if (quote == '\'' || quote == '"') {
		for (p = url; *p; p++)
			if (*p == quote &&
			    (!p[1] || is_space(p[1]) || strchr(":;,.)]", p[1])))
				return p;
	}
	for (p = url; *p && !is_space(*p); p++)
		;
	return p;
}

/*
 * Free text (a message, a client's error) that may quote URLs and
 * connection strings: each "scheme://..." is read as a server URL, and
 * outside them every "key=value" whose key is a secret one is hidden.
 */
static void hide_free(struct masker *m, const char *text, const char *from)
{
	const char *p = from;

	while (*p) {
		if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			const char *url = p, *end;
			struct server_parts sp;

			while (url > text &&
			       (is_alpha(url[-1]) || is_digit(url[-1]) ||
				strchr("+-.", url[-1])))
				url--;
			end = free_url_end(text, url);
			if (end < p + 3)
				end = p + 3;
			split_server(p + 3, end, &sp);
			hide_server(m, &sp);
			p = end;
			continue;
		}
		if (is_key_char(*p) && (p == text || !is_key_char(p[-1]))) {
			size_t n = key_len(p);
			const char *q = p + n;
			bool bad;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=' && secret_key(p, n, false)) {
				for (q++; *q == ' ' || *q == '\t'; q++)
					;
				n = conninfo_value_len(q, &bad);
				hide(m, q, q + n);
				p = q + n;
				continue;
			}
			p += n;
			continue;
		}
		p++;
	}
}

/* A libpq connection string read with the parser's tokens. */
static void hide_conninfo(struct masker *m, const char *text)
{
	const char *p = text, *k, *v;
	size_t kn, vn;
	bool bad;
	int r;

	while ((r = conninfo_next(&p, &k, &kn, &v, &vn, &bad)) > 0)
		if (secret_key(k, kn, false))
			hide(m, v, v + vn);
	if (r < 0) /* not key=value from here on: mask what it may hold */
		hide_free(m, text, p);
}

static bool is_conninfo(const char *text);

static char *mask_finish(struct masker *m)
{
	sb_adds(&m->sb, m->done);
	return sb_detach(&m->sb);
}

/* The masked form of a whole server URL, read as the parser reads it. */
static char *mask_server_url(const char *text, size_t slen)
{
	struct masker m = { SB_INIT, text };
	struct server_parts sp;

	split_server(text + slen + 3, text + strlen(text), &sp);
	hide_server(&m, &sp);
	return mask_finish(&m);
}

char *url_mask(const char *text)
{
	struct masker m = { SB_INIT, NULL };
	size_t slen;

	if (!text)
		text = "";
	m.done = text;
	/* A whole URL or connection string: exactly the parser's reading. */
	slen = scheme_len(text);
	if (slen && strncmp(text + slen, "://", 3) == 0 &&
	    server_engine(text, slen))
		return mask_server_url(text, slen);
	if (!strstr(text, "://") && is_conninfo(text))
		hide_conninfo(&m, text);
	else
		hide_free(&m, text, text);
	return mask_finish(&m);
}

char *strata_url_mask(const char *text)
{
	return url_mask(text);
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
static int parse_query(strata *ctx, struct strata_url *u,
		       const struct server_parts *sp)
{
	const char *q = sp->query, *k, *v;
	size_t kn, vn;

	while (query_next(&q, sp->end, &k, &kn, &v, &vn)) {
		char *key, *value = NULL;
		int rc;

		if (!kn && !v)
			continue;
		rc = decode(ctx, u, k, kn, &key);
		if (!rc && v)
			rc = decode(ctx, u, v, vn, &value);
		if (rc) {
			free(key);
			return rc;
		}
		rc = add_param(ctx, u, key, value);
		if (rc)
			return rc;
	}
	return STRATA_OK;
}

/* Is 'value' one of the ?charset= values engine 'e' accepts? */
static bool charset_ok(const struct engine_info *e, const char *value)
{
	for (const char *const *c = e ? e->charsets : NULL; c && *c; c++)
		if (strcasecmp(value, *c) == 0)
			return true;
	return false;
}

/*
 * ?charset= (dbmate, SQLAlchemy): strata talks UTF-8 to every server
 * (utf8mb4 on MySQL), so the option is checked and taken out.
 */
static int take_charset(strata *ctx, struct strata_url *u)
{
	const struct engine_info *e = engine_info_named(u->engine);
	const char *want = e && e->charsets ? e->charsets[0] : "utf8mb4";
	size_t i, j;

	for (i = j = 0; i < u->n_params; i++) {
		struct url_param *p = &u->params[i];

		if (strcasecmp(p->key, "charset") != 0) {
			u->params[j++] = *p;
			continue;
		}
		if (!charset_ok(e, p->value)) {
			int rc = err_set(
				ctx, STRATA_EINVAL,
				"unsupported charset '%s' in URL '%s': strata always uses %s (write charset=%s or leave it out)",
				p->value, u->masked,
				e && e->charset_used ? e->charset_used : want,
				want);

			/* Keep the rest, so that url_release frees them. */
			for (; i < u->n_params; i++)
				u->params[j++] = u->params[i];
			u->n_params = j;
			return rc;
		}
		free(p->key);
		free(p->value);
	}
	u->n_params = j;
	return STRATA_OK;
}

/* scheme://user:password@host:port/dbname?k=v&k2=v2, any part optional. */
static int parse_server(strata *ctx, struct strata_url *u, const char *text,
			size_t slen)
{
	const char *rest = text + slen + 3;
	struct server_parts sp;
	const char *hp, *hp_end, *host_end;
	int rc;

	split_server(rest, rest + strlen(rest), &sp);
	hp = sp.hp;
	hp_end = sp.hp_end;

	/* The masked form first: every later message quotes it. */
	u->masked = mask_server_url(text, slen);
	if (!u->masked)
		return err_oom(ctx);

	if (sp.at) {
		rc = decode(ctx, u, rest,
			    (size_t)((sp.colon ? sp.colon : sp.at) - rest),
			    &u->user);
		if (!rc && sp.colon)
			rc = decode(ctx, u, sp.colon + 1,
				    (size_t)(sp.at - sp.colon - 1),
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

	if (sp.db) {
		rc = decode(ctx, u, sp.db, (size_t)(sp.db_end - sp.db),
			    &u->dbname);
		if (rc)
			return rc;
	}
	if (sp.query) {
		rc = parse_query(ctx, u, &sp);
		if (rc)
			return rc;
	}
	rc = take_charset(ctx, u);
	if (rc)
		return rc;
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

/* A raw connection string value (quotes included), unquoted and unescaped. */
static char *conninfo_unquote(const char *v, size_t n)
{
	struct sb sb = SB_INIT;
	size_t i = 0;

	if (n && v[0] == '\'') {
		i = 1;
		if (n >= 2 && v[n - 1] == '\'')
			n--;
	}
	for (; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		sb_addc(&sb, v[i]);
	}
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
	const struct engine_info *e = engine_info_with_form(URL_FORM_CONNINFO);
	const char *p = text;
	int rc;

	u->masked = url_mask(text);
	u->conninfo = strdup(text);
	u->engine = strdup(e->name);
	u->scheme = strdup(e->schemes[0]);
	if (!u->masked || !u->conninfo || !u->engine || !u->scheme)
		return err_oom(ctx);
	for (;;) {
		const char *k, *v;
		size_t kn, vn;
		char *key, *value;
		bool bad;
		int r = conninfo_next(&p, &k, &kn, &v, &vn, &bad);

		if (r == 0)
			break;
		if (r < 0)
			return err_set(
				ctx, STRATA_EINVAL,
				"bad connection string '%s': expected key=value",
				u->masked);
		if (bad)
			return err_set(
				ctx, STRATA_EINVAL,
				"bad connection string '%s': unterminated quoted value",
				u->masked);
		key = dup_span(k, kn);
		value = conninfo_unquote(v, vn);
		if (!key || !value) {
			free(key);
			free(value);
			return err_oom(ctx);
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
	return take_charset(ctx, u);
}

/*
 * sqlite:PATH, sqlite://PATH, sqlite:/abs, sqlite:///abs, sqlite::memory:.
 * With a driver ('blen' < 'slen': sqlite+pysqlite:///app.db) the path
 * reads as SQLAlchemy reads it: three slashes relative, four absolute.
 */
static int parse_file(strata *ctx, struct strata_url *u,
		      const struct engine_info *e, const char *text,
		      size_t slen, size_t blen)
{
	const char *path = text + slen + 1;

	if (path[0] == '/' && path[1] == '/') {
		path += 2;
		if (blen < slen && path[0] == '/')
			path++;
	}
	u->masked = strdup(text);
	u->engine = strdup(e->name);
	u->scheme = dup_lower(text, blen);
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
	const struct engine_info *e;
	size_t slen, blen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return err_set(ctx, STRATA_EINVAL, "empty database URL (%s)",
			       URL_HINT);
	slen = scheme_len(text);
	blen = base_len(text, slen);
	if (slen && (e = scheme_engine(text, slen, URL_FORM_FILE))) {
		rc = parse_file(ctx, out, e, text, slen, blen);
	} else if (slen && strncmp(text + slen, "://", 3) == 0) {
		if (!(e = server_engine(text, slen)))
			return err_set(
				ctx, STRATA_EINVAL,
				"unsupported database URL scheme '%.*s' (%s)",
				(int)slen, text, URL_HINT);
		out->engine = strdup(e->name);
		out->scheme = dup_lower(text, blen);
		rc = out->engine && out->scheme
			     ? parse_server(ctx, out, text, slen)
			     : err_oom(ctx);
	} else if (!strstr(text, "://") && is_conninfo(text)) {
		rc = parse_conninfo(ctx, out, text);
	} else if ((e = engine_info_for_file(text))) {
		out->engine = strdup(e->name);
		out->scheme = strdup(e->schemes[0]);
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
