/*
 * fuzz_parse.c - libFuzzer target for the migration file parser
 * (src/parse.c), through the entries src/source.c calls: parse_single (a
 * file with markers), parse_pair (an .up.sql and maybe a .down.sql),
 * parse_embedded (an embedded array entry) and parse_file_name.
 *
 * The first byte picks the entry; for two texts, a 0xff byte (never valid
 * UTF-8, so never inside an accepted text) separates them.  For every
 * input: no crash, no leak, an error always has a message.  For accepted
 * input:
 * - each body is a substring of its text after normalisation (leading
 *   BOMs dropped, CRLF and CR..CRLF to LF), NUL-terminated, trimmed,
 *   valid UTF-8, does not start with a BOM, and starts on the line
 *   up_line/down_line says;
 * - the checksum is that of the up body, the description is one line;
 * - parsing is a fixed point: the normalised text parses to the same
 *   migration, and a body given back as an embedded entry (what
 *   'strata embed' does) comes back byte for byte.
 * See README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "err.h"
#include "migration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP 0xff

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

static bool is_bom(const char *s, size_t n)
{
	return n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0;
}

/* The reference normalisation: leading BOMs dropped, CR+ LF to LF. */
static char *normalised(const char *s, size_t n, size_t *out_len)
{
	char *out = malloc(n + 1);
	size_t i = 0, j = 0;

	if (!out)
		abort();
	while (is_bom(s + i, n - i))
		i += 3;
	for (; i < n; i++) {
		size_t k = i;
		while (k < n && s[k] == '\r')
			k++;
		if (k > i && k < n && s[k] == '\n')
			i = k;
		out[j++] = s[i];
	}
	out[j] = '\0';
	*out_len = j;
	return out;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Where 'needle' occurs in 'hay', or NULL (memmem without _GNU_SOURCE). */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return hay;
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* The offset of 1-based line 'line' in t, or SIZE_MAX. */
static size_t line_start(const char *t, size_t n, int line)
{
	size_t off = 0;

	for (int l = 1; l < line; l++) {
		const char *nl = memchr(t + off, '\n', n - off);
		if (!nl)
			return SIZE_MAX;
		off = (size_t)(nl - t) + 1;
	}
	return off;
}

static void check_body(const char *body, size_t len, int line, const char *text,
		       size_t text_len)
{
	size_t off, first;
	const char *nl;

	if (!body || body[len] != '\0' || memchr(body, '\0', len))
		abort();
	if (len &&
	    (is_ws(body[0]) || is_ws(body[len - 1]) || is_bom(body, len)))
		abort();
	if (!parse_utf8_ok(body, len) || !find(text, text_len, body, len))
		abort();
	if (line < 1)
		abort();
	if (!len)
		return;
	/* The body's first line stands on line 'line', after blanks. */
	off = line_start(text, text_len, line);
	if (off == SIZE_MAX)
		abort();
	while (off < text_len && ((is_ws(text[off]) && text[off] != '\n') ||
				  is_bom(text + off, text_len - off)))
		off += is_bom(text + off, text_len - off) ? 3 : 1;
	nl = memchr(body, '\n', len);
	first = nl ? (size_t)(nl - body) : len;
	if (off > text_len || text_len - off < first ||
	    memcmp(text + off, body, first) != 0)
		abort();
}

static void check_common(const struct migration *m)
{
	char sum[CHECKSUM_HEX_LEN + 1];

	if (!m->up || !m->description || strchr(m->description, '\n'))
		abort();
	if (m->flags & ~STRATA_NO_TRANSACTION)
		abort();
	checksum_sha256_hex(m->up, m->up_len, sum);
	if (strcmp(sum, m->checksum) != 0)
		abort();
}

static bool same_body(const char *a, size_t an, const char *b, size_t bn)
{
	if (!a || !b)
		return a == b;
	return an == bn && memcmp(a, b, an) == 0;
}

static bool same(const struct migration *a, const struct migration *b)
{
	return same_body(a->up, a->up_len, b->up, b->up_len) &&
	       same_body(a->down, a->down_len, b->down, b->down_len) &&
	       strcmp(a->description, b->description) == 0 &&
	       a->flags == b->flags && strcmp(a->checksum, b->checksum) == 0;
}

/* What 'strata embed' does: the parsed bodies, as an embedded entry. */
static void check_embeds_back(const struct migration *m)
{
	strata_migration e = STRATA_MIGRATION_INIT;
	struct migration back = { 0 };
	strata *ctx = new_ctx();

	e.version = 1;
	e.name = "fuzz";
	e.description = m->description;
	e.up = m->up;
	e.up_len = m->up_len;
	e.down = m->down;
	e.down_len = m->down_len;
	e.flags = m->flags;
	if (parse_embedded(ctx, 0, &e, &back) != STRATA_OK || !same(m, &back))
		abort();
	migration_release(&back);
	free_ctx(ctx);
}

/* An error is refused input: it has a message and leaves *m alone. */
static void check_error(strata *ctx, int rc, const struct migration *m)
{
	if (rc != STRATA_EINVAL && rc != STRATA_ENOMEM)
		abort();
	if (err_code(ctx) != rc || !ctx->err_msg.len)
		abort();
	if (m->up || m->down || m->description || m->path)
		abort();
}

static void fuzz_single(const char *s, size_t n)
{
	struct migration m = { 0 }, again = { 0 };
	strata *ctx = new_ctx();
	size_t tn;
	char *t = normalised(s, n, &tn);
	int rc = parse_single(ctx, "f.sql", s, n, &m);

	if (rc) {
		check_error(ctx, rc, &m);
	} else {
		check_common(&m);
		check_body(m.up, m.up_len, m.up_line, t, tn);
		if (m.down)
			check_body(m.down, m.down_len, m.down_line, t, tn);
		if (strcmp(m.path, "f.sql") != 0 || m.down_path)
			abort();
		err_clear(ctx);
		if (parse_single(ctx, "f.sql", t, tn, &again) != STRATA_OK ||
		    !same(&m, &again))
			abort();
		check_embeds_back(&m);
	}
	migration_release(&m);
	migration_release(&again);
	free(t);
	free_ctx(ctx);
}

static void fuzz_pair(const char *s, size_t n)
{
	struct migration m = { 0 };
	strata *ctx = new_ctx();
	const char *sep = memchr(s, SEP, n);
	size_t un = sep ? (size_t)(sep - s) : n;
	const char *down = sep ? sep + 1 : NULL;
	size_t dn = sep ? n - un - 1 : 0;
	int rc = parse_pair(ctx, "f.up.sql", s, un, "f.down.sql", down, dn, &m);

	if (rc) {
		check_error(ctx, rc, &m);
	} else {
		size_t tn;
		char *t = normalised(s, un, &tn);

		check_common(&m);
		check_body(m.up, m.up_len, m.up_line, t, tn);
		free(t);
		if (!down != !m.down || !down != !m.down_path)
			abort();
		if (down) {
			t = normalised(down, dn, &tn);
			check_body(m.down, m.down_len, m.down_line, t, tn);
			free(t);
		}
		check_embeds_back(&m);
	}
	migration_release(&m);
	free_ctx(ctx);
}

static void fuzz_embedded(const char *s, size_t n)
{
	strata_migration e = STRATA_MIGRATION_INIT;
	struct migration m = { 0 };
	strata *ctx = new_ctx();
	const char *sep = memchr(s, SEP, n);
	int rc;

	e.version = 3;
	e.name = "x";
	e.up = s;
	e.up_len = sep ? (size_t)(sep - s) : n;
	e.down = sep ? sep + 1 : NULL;
	e.down_len = sep ? n - e.up_len - 1 : 0;
	rc = parse_embedded(ctx, 0, &e, &m);
	if (rc) {
		if (rc != STRATA_EINVAL && rc != STRATA_ENOMEM)
			abort();
		if (!ctx->err_msg.len || m.up || m.name)
			abort();
	} else {
		size_t tn;
		char *t = normalised(e.up, e.up_len, &tn);

		check_common(&m);
		check_body(m.up, m.up_len, m.up_line, t, tn);
		free(t);
		if (e.down) {
			t = normalised(e.down, e.down_len, &tn);
			check_body(m.down, m.down_len, m.down_line, t, tn);
			free(t);
		} else if (m.down) {
			abort();
		}
		if (m.version != 3 || strcmp(m.name, "x") != 0 || m.path)
			abort();
		check_embeds_back(&m);
	}
	migration_release(&m);
	free_ctx(ctx);
}

static void fuzz_file_name(const char *s, size_t n)
{
	char *file = malloc(n + 1), *name = NULL;
	int64_t version = -1;
	int kind = -1;

	if (!file)
		abort();
	memcpy(file, s, n);
	file[n] = '\0';
	if (parse_file_name(file, &version, &name, &kind)) {
		static const char *const ext[] = { ".sql", ".up.sql",
						   ".down.sql" };
		size_t digits = strspn(file, "0123456789");
		size_t nn;

		if (!name || version < 0 || kind < 0 || kind > 2 || !digits)
			abort();
		nn = strlen(name);
		if (!parse_name_text_ok(name, strlen(name)) ||
		    file[digits] != '_' ||
		    strncmp(file + digits + 1, name, nn) != 0 ||
		    strcmp(file + digits + 1 + nn, ext[kind]) != 0)
			abort();
		/* The digits are the version (leading zeros allowed). */
		int64_t v = 0;
		for (size_t i = 0; i < digits; i++)
			v = v * 10 + (file[i] - '0');
		if (v != version)
			abort();
	}
	free(name);
	free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: fuzz_single(s, size - 1); break;
	case 1: fuzz_pair(s, size - 1); break;
	case 2: fuzz_embedded(s, size - 1); break;
	default: fuzz_file_name(s, size - 1); break;
	}
	return 0;
}
