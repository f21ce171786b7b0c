/*
 * fuzz_url.c - libFuzzer target for the URL parser and the masker.  For
 * any bytes: no crash or leak; when url_parse() finds a password of four
 * bytes or more that the input holds in one place only, neither that
 * password nor its raw (percent-encoded) text appears in the masked URL
 * or in url_mask() of the input, and both show "****"; url_mask() of a
 * server URL or a connection string is exactly the parser's masked form;
 * a URL's masked form parses again with the same user, host, port and
 * database.  See README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Where 'pw' is written in 'text', plainly or percent-encoded (decoded as
 * the parser decodes): the number of places, and the raw text of the
 * first one in raw[] (NUL-terminated).
 */
static size_t find_written(const char *text, const char *pw, char *raw)
{
	size_t n = strlen(text), m = strlen(pw), count = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = i, j = 0;

		while (j < m && k < n) {
			char c = text[k];
			size_t step = 1;

			if (c == '%' && k + 2 < n && hex(text[k + 1]) >= 0 &&
			    hex(text[k + 2]) >= 0) {
				c = (char)(hex(text[k + 1]) * 16 +
					   hex(text[k + 2]));
				step = 3;
			}
			if (c != pw[j])
				break;
			j++;
			k += step;
		}
		if (j == m) {
			if (!count++) {
				memcpy(raw, text + i, k - i);
				raw[k - i] = '\0';
			}
		}
	}
	return count;
}

static void leak(const char *what, const char *input, const char *masked,
		 const char *secret)
{
	fprintf(stderr, "%s: input '%s' masked '%s' shows '%s'\n", what, input,
		masked, secret);
	abort();
}

/* How many times 's' occurs in 'text' as plain bytes (overlaps too). */
static size_t count_plain(const char *text, const char *s)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, s)); p++)
		n++;
	return n;
}

/*
 * The input writes the password once, as 'raw'.  Other bytes of the input
 * may spell the same text (a user name "pass" beside the password
 * "pass"): a form is only checked when that one place is its only
 * occurrence in the input.
 */
static void check_hidden(const char *what, const char *input,
			 const char *masked, const char *pw, const char *raw)
{
	size_t pw_plain = count_plain(input, pw);

	if ((pw_plain == 0 || (pw_plain == 1 && strcmp(raw, pw) == 0)) &&
	    strstr(masked, pw))
		leak(what, input, masked, pw);
	if (strlen(raw) >= 4 && count_plain(input, raw) == 1 &&
	    strstr(masked, raw))
		leak(what, input, masked, raw);
	if (!strstr(masked, "****"))
		leak(what, input, masked, "(no ****)");
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static strata *new_ctx(void)
{
	strata *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		abort();
	ctx->err_msg = (struct sb)SB_INIT;
	return ctx;
}

static void free_ctx(strata *ctx)
{
	sb_release(&ctx->err_msg);
	free(ctx);
}

/* The masked form of a server URL reads back as the same URL. */
static void check_reparse(const struct strata_url *u)
{
	strata *ctx = new_ctx();
	struct strata_url v;

	if (url_parse(ctx, u->masked, &v) != STRATA_OK) {
		fprintf(stderr, "masked '%s' does not parse: %s\n", u->masked,
			ctx->err_msg.buf);
		abort();
	}
	if (!same(u->engine, v.engine) || !same(u->user, v.user) ||
	    !same(u->host, v.host) || u->port != v.port ||
	    !same(u->dbname, v.dbname) || !same(v.masked, u->masked)) {
		fprintf(stderr, "masked '%s' reads as another URL\n",
			u->masked);
		abort();
	}
	url_release(&v);
	free_ctx(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *raw, *mask;
	strata *ctx;
	struct strata_url u;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	raw = malloc(size + 1);
	if (!raw)
		abort();
	raw[0] = '\0';
	mask = url_mask(text);
	if (!mask)
		abort();

	ctx = new_ctx();
	if (url_parse(ctx, text, &u) == STRATA_OK) {
		bool server = strcmp(u.engine, "sqlite") != 0;
		const char *pw = u.password;

		if (!u.masked)
			abort();
		if (server && strcmp(mask, u.masked) != 0) {
			fprintf(stderr, "url_mask '%s' != masked '%s'\n", mask,
				u.masked);
			abort();
		}
		if (pw && strlen(pw) >= 4 && !strchr(pw, '*') &&
		    find_written(text, pw, raw) == 1) {
			check_hidden("url_parse", text, u.masked, pw, raw);
			check_hidden("url_mask", text, mask, pw, raw);
		}
		if (server && !u.conninfo && !memchr(data, '\0', size))
			check_reparse(&u);
		url_release(&u);
	}
	free_ctx(ctx);
	free(mask);
	free(raw);
	free(text);
	return 0;
}
