/* test_parse.c - migration files: markers, bodies, checksums, file names. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checksum.h"
#include "err.h"
#include "migration.h"
#include "strata.h"

/* A context and a migration, freed by teardown even when a test fails. */
struct fx {
	strata *ctx;
	struct migration m;
	struct migration m2;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || strata_open(&f->ctx, NULL) != STRATA_OK) {
		if (f)
			strata_close(f->ctx);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	migration_release(&f->m);
	migration_release(&f->m2);
	strata_close(f->ctx);
	free(f);
	return 0;
}

/* Parse 'text' as "m.sql" into m, which must succeed. */
static struct migration *parse_ok(struct fx *f, struct migration *m,
				  const char *text, size_t len)
{
	migration_release(m);
	err_clear(f->ctx);
	if (parse_single(f->ctx, "m.sql", text, len, m) != STRATA_OK)
		fail_msg("parse failed: %s", strata_errmsg(f->ctx));
	return m;
}

static struct migration *ok(struct fx *f, const char *text)
{
	return parse_ok(f, &f->m, text, strlen(text));
}

/* Parse 'text' (len bytes) as "m.sql", which must fail: the message. */
static const char *bad_len(struct fx *f, const char *text, size_t len)
{
	migration_release(&f->m);
	err_clear(f->ctx);
	assert_int_equal(parse_single(f->ctx, "m.sql", text, len, &f->m),
			 STRATA_EINVAL);
	assert_null(f->m.up);
	assert_null(f->m.path);
	return strata_errmsg(f->ctx);
}

static const char *bad(struct fx *f, const char *text)
{
	return bad_len(f, text, strlen(text));
}

static void assert_checksum_of(const struct migration *m, const char *up)
{
	char want[CHECKSUM_HEX_LEN + 1];

	checksum_sha256_hex(up, strlen(up), want);
	assert_string_equal(m->checksum, want);
}

static void test_parse_full_file(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "-- Add power state tracking\n"
				    "-- strata:no-transaction\n"
				    "\n"
				    "-- strata:up\n"
				    "ALTER TABLE servers ADD COLUMN p TEXT;\n"
				    "CREATE TABLE h (id INTEGER);\n"
				    "\n"
				    "-- strata:down\n"
				    "DROP TABLE h;\n"
				    "ALTER TABLE servers DROP COLUMN p;\n");

	assert_string_equal(m->description, "Add power state tracking");
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->up, "ALTER TABLE servers ADD COLUMN p TEXT;\n"
				   "CREATE TABLE h (id INTEGER);");
	assert_int_equal(m->up_len, strlen(m->up));
	assert_int_equal(m->up_line, 5);
	assert_string_equal(m->down, "DROP TABLE h;\n"
				     "ALTER TABLE servers DROP COLUMN p;");
	assert_int_equal(m->down_len, strlen(m->down));
	assert_int_equal(m->down_line, 9);
	assert_string_equal(m->path, "m.sql");
	assert_null(m->down_path);
	assert_false(m->borrowed);
	assert_checksum_of(m, m->up);
}

static void test_parse_no_markers(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "\n\n-- Create users\n"
				    "-- more words\n"
				    "CREATE TABLE users (id INTEGER);\n\n");

	assert_string_equal(m->up, "-- Create users\n-- more words\n"
				   "CREATE TABLE users (id INTEGER);");
	assert_int_equal(m->up_line, 3);
	assert_null(m->down);
	assert_string_equal(m->description, "Create users");
	assert_int_equal(m->flags, 0);
	assert_checksum_of(m, m->up);

	/* Comments after the first SQL are not the description. */
	m = ok(f, "CREATE TABLE t (x);\n-- not this\n");
	assert_string_equal(m->description, "");
	assert_int_equal(m->up_line, 1);
}

static void test_parse_description(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	m = ok(f, "--\n--   \t\n--\tReal description \t\n-- second\n"
		  "-- strata:up\nSELECT 1;\n");
	assert_string_equal(m->description, "Real description");
	m = ok(f, "-- strata:up\n-- inside the body\nSELECT 1;\n");
	assert_string_equal(m->description, "");
	assert_string_equal(m->up, "-- inside the body\nSELECT 1;");
	m = ok(f, "-- strata:no-transaction\n-- after the directive\n"
		  "-- strata:up\nSELECT 1;\n");
	assert_string_equal(m->description, "after the directive");
	m = ok(f, "   -- indented  \n-- strata:up\nSELECT 1;");
	assert_string_equal(m->description, "indented");
}

static void test_parse_marker_spelling(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	m = ok(f, "  --STRATA : UP \t\nA;\n\t--strata:Down\nB;\n");
	assert_string_equal(m->up, "A;");
	assert_string_equal(m->down, "B;");
	m = ok(f, "\t-- strata:NO-TRANSACTION  \n--strata:up\nA;");
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->up, "A;");
	assert_null(m->down);
	m = ok(f, "-- Strata:\tuP\nA;");
	assert_string_equal(m->up, "A;");
}

static void test_parse_extra_text_is_a_comment(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	m = ok(f, "-- strata:up foo\nSELECT 1;\n-- strata:down please\n");
	assert_string_equal(m->up, "-- strata:up foo\nSELECT 1;\n"
				   "-- strata:down please");
	assert_null(m->down);
	m = ok(f, "-- strata:up\nA;\n-- strata:up;\n");
	assert_string_equal(m->up, "A;\n-- strata:up;");
	m = ok(f, "-- strata\n-- strata:\nA;");
	assert_string_equal(m->up, "-- strata\n-- strata:\nA;");
	m = ok(f, "--- strata:up\nA;");
	assert_null(m->down);
	assert_string_equal(m->up, "--- strata:up\nA;");
}

static void test_parse_marker_errors(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
		bad(f, "-- x\n-- strata:down\nB;\n-- strata:up\nA;"),
		"m.sql:2: down marker before the up marker");
	assert_string_equal(bad(f, "A;\n\n-- strata:down\nB;\n"),
			    "m.sql:3: down marker without an up marker");
	assert_string_equal(
		bad(f, "-- strata:up\nA;\n-- strata:up\n"),
		"m.sql:3: second up marker (the first is on line 1)");
	assert_string_equal(
		bad(f, "-- strata:up\nA;\n-- strata:down\n-- strata:DOWN\n"),
		"m.sql:4: second down marker (the first is on line 3)");
	assert_string_equal(
		bad(f, "-- strata:up\nA;\n-- strata:no-transaction\n"),
		"m.sql:3: '-- strata:no-transaction' must stand before the up marker");
	assert_string_equal(
		bad(f,
		    "-- strata:up\nA;\n-- strata:down\n-- strata:no-transaction\n"),
		"m.sql:4: '-- strata:no-transaction' must stand before the up marker");
	assert_string_equal(
		bad(f, "-- strata:no-transaction\n-- strata:no-transaction\n"),
		"m.sql:2: second no-transaction directive (the first is on line 1)");
	assert_string_equal(
		bad(f, "-- a\n\n-- strata:upp\nA;"),
		"m.sql:3: unknown strata marker 'upp' (expected up, down or no-transaction)");
	assert_string_equal(
		bad(f, "-- strata:no_transaction\n-- strata:up\nA;"),
		"m.sql:1: unknown strata marker 'no_transaction' (expected up, down or no-transaction)");
	assert_string_equal(
		bad(f, "-- strata:up\nA;\n-- strata: notx \n"),
		"m.sql:3: unknown strata marker 'notx' (expected up, down or no-transaction)");
}

static void test_parse_statement_before_up(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	assert_string_equal(
		bad(f, "-- d\n\nCREATE TABLE lost (x);\n-- strata:up\nA;\n"),
		"m.sql:3: statement before the up marker (move it below '-- strata:up')");
	assert_string_equal(
		bad(f, "/* a */ SELECT 1;\n-- strata:up\nA;\n"),
		"m.sql:1: statement before the up marker (move it below '-- strata:up')");

	/* Comments of both kinds may stand there. */
	m = ok(f, "/*\n * Header\n-- still inside\n */ /* more */  -- x\n"
		  "-- Describe me\n-- strata:up\nA;\n");
	assert_string_equal(m->description, "Describe me");
	assert_string_equal(m->up, "A;");
	m = ok(f, "/* a */\n-- First\nSELECT 1;\n-- later\n");
	assert_string_equal(m->description, "First");
	assert_null(m->down);
}

static void test_parse_empty_sections(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	m = ok(f, "-- strata:up\nA;\n-- strata:down\n\n  \n");
	assert_non_null(m->down);
	assert_string_equal(m->down, "");
	assert_int_equal(m->down_len, 0);
	assert_int_equal(m->down_line, 4);

	m = ok(f, "-- strata:up\nA;\n-- strata:down");
	assert_non_null(m->down);
	assert_int_equal(m->down_len, 0);
	assert_int_equal(m->down_line, 4);

	m = ok(f, "-- strata:up\nA;\n");
	assert_null(m->down);
	assert_int_equal(m->down_len, 0);

	m = ok(f, "-- new migration\n-- strata:up\n\n-- strata:down\n\n");
	assert_string_equal(m->up, "");
	assert_int_equal(m->up_len, 0);
	assert_int_equal(m->up_line, 3);
	assert_string_equal(m->down, "");
	assert_string_equal(m->description, "new migration");
	assert_checksum_of(m, "");

	/* White space only: a file with an empty up body. */
	m = ok(f, " \n\t\n");
	assert_string_equal(m->up, "");
	assert_int_equal(m->up_line, 1);
}

static void test_parse_trim(void **state)
{
	struct fx *f = *state;
	struct migration *m;

	m = ok(f, "-- strata:up\n \t\v\f\r\n\n  A;  \n B; \t\r\v\f\n\n"
		  "-- strata:down\n\n\n\tC;\n\n");
	assert_string_equal(m->up, "A;  \n B;");
	assert_int_equal(m->up_line, 4);
	assert_string_equal(m->down, "C;");
	assert_int_equal(m->down_line, 10);
	/* Inner white space is kept as it is. */
	m = ok(f, "A;\n\n\n   B;");
	assert_string_equal(m->up, "A;\n\n\n   B;");
}

static void test_parse_directive_without_up(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "-- Concurrent index\n"
				    "-- strata:no-transaction\n"
				    "CREATE INDEX CONCURRENTLY i ON t (x);\n");

	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->up, "-- Concurrent index\n"
				   "-- strata:no-transaction\n"
				   "CREATE INDEX CONCURRENTLY i ON t (x);");
	assert_string_equal(m->description, "Concurrent index");
	assert_null(m->down);
}

static void test_parse_crlf_and_bom_keep_checksum(void **state)
{
	struct fx *f = *state;
	const char *lf = "-- d\n-- strata:up\nA;\nB;\n-- strata:down\nC;\n";
	const char *crlf = "-- d\r\n-- strata:up\r\nA;\r\nB;\r\n"
			   "-- strata:down\r\nC;\r\n";
	const char *bom = "\xef\xbb\xbf-- d\r\n-- strata:up\r\nA;\r\nB;\r\n"
			  "-- strata:down\r\nC;\r\n";
	struct migration *a = parse_ok(f, &f->m, lf, strlen(lf));
	struct migration *b = parse_ok(f, &f->m2, crlf, strlen(crlf));

	assert_string_equal(a->up, "A;\nB;");
	assert_string_equal(b->up, "A;\nB;");
	assert_string_equal(b->down, "C;");
	assert_string_equal(a->checksum, b->checksum);
	assert_int_equal(a->up_line, b->up_line);
	assert_int_equal(a->down_line, b->down_line);
	b = parse_ok(f, &f->m2, bom, strlen(bom));
	assert_string_equal(a->checksum, b->checksum);
	assert_string_equal(b->description, "d");
	assert_int_equal(b->up_line, 3);
	assert_int_equal(b->down_line, 6);

	/* A lone CR is not a line end and stays. */
	b = parse_ok(f, &f->m2, "A;\rB;", 5);
	assert_string_equal(b->up, "A;\rB;");
}

static void test_parse_down_edit_keeps_checksum(void **state)
{
	struct fx *f = *state;
	const char *v1 = "-- strata:up\nA;\n-- strata:down\nDROP x;\n";
	const char *v2 = "-- strata:up\nA;\n\n\n-- strata:down\n"
			 "-- fixed\nDROP TABLE x;\n";
	const char *v3 = "-- strata:up\nA;\n";
	const char *v4 = "-- strata:up\nA; \n";
	struct migration *a = parse_ok(f, &f->m, v1, strlen(v1));
	struct migration *b = parse_ok(f, &f->m2, v2, strlen(v2));

	assert_string_equal(a->checksum, b->checksum);
	b = parse_ok(f, &f->m2, v3, strlen(v3));
	assert_string_equal(a->checksum, b->checksum);
	b = parse_ok(f, &f->m2, v4, strlen(v4));
	assert_string_equal(a->checksum, b->checksum);
	b = parse_ok(f, &f->m2, "-- strata:up\nA;;\n", 17);
	assert_string_not_equal(a->checksum, b->checksum);
}

static void test_parse_bad_text(void **state)
{
	struct fx *f = *state;

	/* SPEC 8: a 0-byte file is a valid empty body (a no-op migration). */
	assert_int_equal(parse_single(f->ctx, "m.sql", "", 0, &f->m2),
			 STRATA_OK);
	assert_string_equal(f->m2.up, "");
	assert_null(f->m2.down);
	migration_release(&f->m2);
	assert_int_equal(
		parse_single(f->ctx, "m.sql", "\xef\xbb\xbf", 3, &f->m2),
		STRATA_OK);
	assert_string_equal(f->m2.up, "");
	migration_release(&f->m2);
	assert_string_equal(bad_len(f, "A;\n\0B;", 6),
			    "m.sql: contains a NUL byte");
	assert_string_equal(bad(f, "A;\nB;\n\xff;"),
			    "m.sql:3: not valid UTF-8 text");
	assert_string_equal(bad(f, "\xef\xbb\xbf\r\nA;\r\n\xc0\x80"),
			    "m.sql:3: not valid UTF-8 text");
	assert_string_equal(bad(f, "\xed\xa0\x80"),
			    "m.sql:1: not valid UTF-8 text");
	assert_string_equal(bad(f, "x\n\xf4\x90\x80\x80"),
			    "m.sql:2: not valid UTF-8 text");
	assert_string_equal(bad(f, "x\xe2\x82"),
			    "m.sql:1: not valid UTF-8 text");
	assert_string_equal(bad(f, "\xe0\x80\x80"),
			    "m.sql:1: not valid UTF-8 text");
	assert_string_equal(bad(f, "\xf0\x80\x80\x80"),
			    "m.sql:1: not valid UTF-8 text");
	assert_string_equal(bad(f, "\x80"), "m.sql:1: not valid UTF-8 text");
	assert_string_equal(bad(f, "\xc3\x28"),
			    "m.sql:1: not valid UTF-8 text");
}

static void test_parse_good_utf8(void **state)
{
	struct fx *f = *state;
	struct migration *m =
		ok(f, "-- Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"
		      "INSERT INTO t VALUES ('\xef\xbf\xbd\xf4\x8f\xbf\xbf');");

	assert_string_equal(m->description,
			    "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_true(parse_utf8_ok("\xed\x9f\xbf", 3));
	assert_false(parse_utf8_ok("\xed\xa0\x80", 3));
	assert_true(parse_utf8_ok("", 0));
}

static void test_parse_keeps_version_and_name(void **state)
{
	struct fx *f = *state;
	char *name = strdup("users");

	assert_non_null(name);
	f->m.version = 42;
	f->m.name = name;
	assert_int_equal(parse_single(f->ctx, "m.sql", "A;", 2, &f->m),
			 STRATA_OK);
	assert_int_equal(f->m.version, 42);
	assert_ptr_equal(f->m.name, name);
	assert_string_equal(f->m.up, "A;");
}

/* Parse a pair into f->m; the down text may be NULL. */
static int pair(struct fx *f, const char *up, const char *down)
{
	migration_release(&f->m);
	err_clear(f->ctx);
	return parse_pair(f->ctx, "d/001_x.up.sql", up, strlen(up),
			  "d/001_x.down.sql", down, down ? strlen(down) : 0,
			  &f->m);
}

static void test_parse_pair(void **state)
{
	struct fx *f = *state;
	struct migration *m = &f->m;

	assert_int_equal(pair(f,
			      "-- Users table\r\n\r\nCREATE TABLE u (x);\r\n",
			      "\xef\xbb\xbf\nDROP TABLE u;\n"),
			 STRATA_OK);
	assert_string_equal(m->path, "d/001_x.up.sql");
	assert_string_equal(m->down_path, "d/001_x.down.sql");
	assert_string_equal(m->description, "Users table");
	assert_string_equal(m->up, "-- Users table\n\nCREATE TABLE u (x);");
	assert_int_equal(m->up_line, 1);
	assert_string_equal(m->down, "DROP TABLE u;");
	assert_int_equal(m->down_line, 2);
	assert_int_equal(m->flags, 0);
	assert_checksum_of(m, m->up);

	/* The same up text in a single file gives the same checksum. */
	parse_ok(f, &f->m2, "-- Users table\n\nCREATE TABLE u (x);", 35);
	assert_string_equal(f->m2.checksum, m->checksum);

	assert_int_equal(pair(f, "A;", NULL), STRATA_OK);
	assert_null(m->down);
	assert_null(m->down_path);
	assert_string_equal(m->description, "");

	assert_int_equal(pair(f, "A;", " \n"), STRATA_OK);
	assert_non_null(m->down);
	assert_int_equal(m->down_len, 0);
}

static void test_parse_pair_directive(void **state)
{
	struct fx *f = *state;
	struct migration *m = &f->m;

	assert_int_equal(pair(f,
			      "-- Index\n-- strata:no-transaction\n\n"
			      "CREATE INDEX CONCURRENTLY i ON t (x);\n",
			      "DROP INDEX i;"),
			 STRATA_OK);
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->description, "Index");
	assert_string_equal(m->up, "-- Index\n-- strata:no-transaction\n\n"
				   "CREATE INDEX CONCURRENTLY i ON t (x);");

	assert_int_equal(
		pair(f, "/* header */\n-- strata:no-transaction\nA;", NULL),
		STRATA_OK);
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_int_equal(pair(f, "A;\n-- strata:no-transaction\n", NULL),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.up.sql:2: '-- strata:no-transaction' must stand among the leading comment lines");
	assert_int_equal(pair(f, "A;", "-- strata:no-transaction\nB;"),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.down.sql:1: '-- strata:no-transaction' belongs in the .up.sql (it applies to both files)");
	assert_int_equal(pair(f,
			      "-- strata:no-transaction\n"
			      "-- strata:no-transaction\nA;",
			      NULL),
			 STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(f->ctx), "second no-transaction"));
	assert_int_equal(pair(f, "-- strata:upgrade\nA;", NULL), STRATA_EINVAL);
	assert_non_null(
		strstr(strata_errmsg(f->ctx),
		       "d/001_x.up.sql:1: unknown strata marker 'upgrade'"));
}

static void test_parse_pair_marker_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pair(f, "-- x\n-- strata:up\nA;", "B;"),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.up.sql:2: marker line in a pair-form file (.up.sql/.down.sql hold bodies only)");
	assert_int_equal(pair(f, "A;", "B;\r\n\r\n  -- STRATA:DOWN\r\n"),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.down.sql:3: marker line in a pair-form file (.up.sql/.down.sql hold bodies only)");
	assert_null(f->m.up);
}

static void test_parse_pair_bad_text(void **state)
{
	struct fx *f = *state;

	/* SPEC 8: 0-byte pair files are empty bodies. */
	assert_int_equal(pair(f, "", "B;"), STRATA_OK);
	assert_string_equal(f->m.up, "");
	assert_string_equal(f->m.down, "B;");
	assert_int_equal(pair(f, "A;", ""), STRATA_OK);
	assert_string_equal(f->m.up, "A;");
	assert_non_null(f->m.down);
	assert_string_equal(f->m.down, "");
	assert_int_equal(pair(f, "A;", "B;\n\xfe"), STRATA_EINVAL);
	assert_string_equal(strata_errmsg(f->ctx),
			    "d/001_x.down.sql:2: not valid UTF-8 text");
}

static void assert_name(const char *file, int64_t version, const char *name,
			int kind)
{
	int64_t v = -1;
	char *n = NULL;
	int k = -1;

	if (!parse_file_name(file, &v, &n, &k))
		fail_msg("'%s' should fit", file);
	assert_int_equal(v, version);
	assert_string_equal(n, name);
	assert_int_equal(k, kind);
	free(n);
}

static void test_parse_file_name(void **state)
{
	static const char *const misfits[] = {
		"x.sql",
		"001.sql",
		"001_.sql",
		"_x.sql",
		"001-x.sql",
		"001_a.txt",
		"001_a.SQL",
		"001_a.sql.bak",
		"001_\xff.sql",
		"001_tab\t.sql",
		"001_.up.sql",
		"9223372036854775808_x.sql",
		"99999999999999999999999_x.sql",
		"",
		"001_a",
		"001_a.up",
	};
	size_t i;

	(void)state;
	assert_name("001_init.sql", 1, "init", 0);
	assert_name("1_init.up.sql", 1, "init", 1);
	assert_name("0001_x-y_z.down.sql", 1, "x-y_z", 2);
	assert_name("20261121093000_ts.sql", INT64_C(20261121093000), "ts", 0);
	assert_name("9223372036854775807_max.sql", INT64_MAX, "max", 0);
	assert_name("0_zero.sql", 0, "zero", 0);
	assert_name("002__under.sql", 2, "_under", 0);
	assert_name("003_up.sql", 3, "up", 0);
	/* SPEC 2: a name is any text without '/' (dots included). */
	assert_name("0002_1.7.0_schema.up.sql", 2, "1.7.0_schema", 1);
	assert_name("001_a.b.sql", 1, "a.b", 0);
	assert_name("001_a.up.down.sql", 1, "a.up", 2);
	assert_name("001_a.down.up.sql", 1, "a.down", 1);
	assert_name("001_caf\xc3\xa9.sql", 1, "caf\xc3\xa9", 0);
	assert_name("001_a b.sql", 1, "a b", 0);
	for (i = 0; i < sizeof(misfits) / sizeof(misfits[0]); i++)
		if (parse_file_name(misfits[i], NULL, NULL, NULL))
			fail_msg("'%s' should not fit", misfits[i]);
	assert_false(parse_file_name(NULL, NULL, NULL, NULL));
	assert_true(parse_file_name("7_x.sql", NULL, NULL, NULL));
}

static void test_parse_name_ok(void **state)
{
	(void)state;
	assert_true(migration_name_ok("add_users"));
	assert_true(migration_name_ok("Add-Users_2"));
	assert_true(migration_name_ok("-"));
	assert_false(migration_name_ok(""));
	assert_false(migration_name_ok(NULL));
	assert_false(migration_name_ok("a b"));
	assert_false(migration_name_ok("a.b"));
	assert_false(migration_name_ok("a/b"));
	assert_false(migration_name_ok("caf\xc3\xa9"));
}

static void test_parse_line_at(void **state)
{
	const char *body = "a\nbb\nccc";

	(void)state;
	assert_int_equal(migration_line_at(body, 8, 10, -1), 10);
	assert_int_equal(migration_line_at(body, 8, 10, 0), 10);
	assert_int_equal(migration_line_at(body, 8, 10, 1), 10);
	assert_int_equal(migration_line_at(body, 8, 10, 2), 11);
	assert_int_equal(migration_line_at(body, 8, 10, 4), 11);
	assert_int_equal(migration_line_at(body, 8, 10, 5), 12);
	assert_int_equal(migration_line_at(body, 8, 10, 8), 12);
	assert_int_equal(migration_line_at(body, 8, 10, 1000), 12);
	assert_int_equal(migration_line_at(body, 8, 1, 7), 3);
	assert_int_equal(migration_line_at("", 0, 4, 3), 4);
}

static void test_parse_error_line_maps_to_file(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "-- d\n-- strata:up\n\nA;\nB;\nC;\n");

	/* "C;" is at offset 6 of the body; the body starts on line 4. */
	assert_int_equal(m->up_line, 4);
	assert_int_equal(migration_line_at(m->up, m->up_len, m->up_line, 6), 6);
}

static void test_parse_release(void **state)
{
	struct migration m;

	(void)state;
	memset(&m, 0, sizeof(m));
	migration_release(&m);
	migration_release(NULL);
	m.name = strdup("n");
	m.description = strdup("");
	m.up = strdup("A;");
	assert_non_null(m.name);
	migration_release(&m);
	assert_null(m.name);
	assert_null(m.up);
	migration_release(&m);
}

static void test_parse_embedded(void **state)
{
	struct fx *f = *state;
	static const char up[] =
		"\xef\xbb\xbf\r\n-- Users\r\nCREATE TABLE u;\r\n";
	const strata_migration e = {
		.version = 7,
		.name = "users",
		.description = "Users",
		.up = up,
		.up_len = sizeof(up) - 1,
		.down = "DROP TABLE u;\n\n",
		.down_len = 15,
		.flags = STRATA_NO_TRANSACTION,
	};
	struct migration *m = &f->m;

	assert_int_equal(parse_embedded(f->ctx, 0, &e, m), STRATA_OK);
	assert_int_equal(m->version, 7);
	assert_string_equal(m->name, "users");
	assert_string_equal(m->description, "Users");
	assert_null(m->path);
	assert_null(m->down_path);
	assert_string_equal(m->up, "-- Users\nCREATE TABLE u;");
	assert_int_equal(m->up_line, 2);
	assert_string_equal(m->down, "DROP TABLE u;");
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	parse_ok(f, &f->m2, "-- Users\nCREATE TABLE u;", 24);
	assert_string_equal(m->checksum, f->m2.checksum);
}

static void test_parse_embedded_bodies(void **state)
{
	struct fx *f = *state;
	strata_migration e = { .version = 1, .name = "x", .up = "" };

	assert_int_equal(parse_embedded(f->ctx, 0, &e, &f->m), STRATA_OK);
	assert_string_equal(f->m.up, "");
	assert_null(f->m.down);
	assert_string_equal(f->m.description, "");
	assert_checksum_of(&f->m, "");
	migration_release(&f->m);

	/* Bytes, not C strings: only up_len counts. */
	e.up = "A;B;";
	e.up_len = 2;
	e.down = "xyz";
	e.down_len = 0;
	assert_int_equal(parse_embedded(f->ctx, 0, &e, &f->m), STRATA_OK);
	assert_string_equal(f->m.up, "A;");
	assert_non_null(f->m.down);
	assert_int_equal(f->m.down_len, 0);
}

static void test_parse_embedded_errors(void **state)
{
	struct fx *f = *state;
	strata_migration e = {
		.version = 1, .name = "a b", .up = "A;", .up_len = 2
	};

	assert_int_equal(parse_embedded(f->ctx, 3, &e, &f->m), STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"embedded migration 3: bad name 'a b' (use letters, digits, '_' and '-')");
	err_clear(f->ctx);
	e.name = NULL;
	assert_int_equal(parse_embedded(f->ctx, 3, &e, &f->m), STRATA_EINVAL);
	err_clear(f->ctx);
	e.name = "ok";
	e.version = -5;
	assert_int_equal(parse_embedded(f->ctx, 0, &e, &f->m), STRATA_EINVAL);
	assert_string_equal(strata_errmsg(f->ctx),
			    "embedded migration 0: negative version -5");
	err_clear(f->ctx);
	e.version = 5;
	e.up = NULL;
	assert_int_equal(parse_embedded(f->ctx, 1, &e, &f->m), STRATA_EINVAL);
	assert_string_equal(strata_errmsg(f->ctx),
			    "embedded migration 1: no up body");
	err_clear(f->ctx);
	e.up = "A\0B";
	e.up_len = 3;
	assert_int_equal(parse_embedded(f->ctx, 2, &e, &f->m), STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"embedded migration 2: up body contains a NUL byte");
	err_clear(f->ctx);
	e.up = "A;";
	e.up_len = 2;
	e.down = "\n\xff";
	e.down_len = 2;
	assert_int_equal(parse_embedded(f->ctx, 2, &e, &f->m), STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"embedded migration 2: down body is not valid UTF-8 text (line 2)");
	assert_null(f->m.up);
	assert_null(f->m.name);
}

/* dbmate: -- migrate:up / -- migrate:down, transaction:false. */
static void test_parse_dbmate(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "-- Users\n"
				    "-- migrate:up transaction:false\n"
				    "CREATE TABLE u (x);\n"
				    "\n"
				    "-- migrate:down\n"
				    "DROP TABLE u;\n");

	assert_int_equal(m->format, FMT_DBMATE);
	assert_string_equal(m->up, "CREATE TABLE u (x);");
	assert_int_equal(m->up_line, 3);
	assert_string_equal(m->down, "DROP TABLE u;");
	assert_int_equal(m->down_line, 6);
	assert_string_equal(m->description, "Users");
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_checksum_of(m, "CREATE TABLE u (x);");

	m = ok(f, "--migrate:up\nA;\n");
	assert_int_equal(m->format, FMT_DBMATE);
	assert_string_equal(m->up, "A;");
	assert_null(m->down); /* no down section: irreversible */
	assert_int_equal(m->flags, 0);

	m = ok(f, "-- migrate:up\nA;\n-- migrate:down transaction:false\n");
	assert_non_null(m->down);
	assert_string_equal(m->down, "");
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);

	assert_string_equal(bad(f, "A;\n-- migrate:up\nB;\n"),
			    "m.sql:1: statement before the dbmate up marker");
	assert_string_equal(bad(f, "-- migrate:down\nB;\n"),
			    "m.sql:1: dbmate down marker without an up marker");
	assert_string_equal(
		bad(f, "-- migrate:up\nA;\n-- migrate:up\n"),
		"m.sql:3: second dbmate up marker (the first is on line 1)");
	assert_string_equal(
		bad(f, "-- migrate:upgrade\nA;\n"),
		"m.sql:1: unknown dbmate marker '-- migrate:upgrade'");
	assert_string_equal(
		bad(f, "-- migrate:up\nA;\n-- strata:down\nB;\n"),
		"m.sql:3: strata marker in a file with dbmate markers (line 1): one file, one format");
	assert_string_equal(
		bad(f, "-- strata:no-transaction\n-- migrate:up\nA;\n"),
		"m.sql:2: dbmate marker in a file with strata markers (line 1): one file, one format");
}

/* goose: Up/Down, StatementBegin/End, NO TRANSACTION, any letter case. */
static void test_parse_goose(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(
		f,
		"-- +goose NO TRANSACTION\n"
		"-- +goose Up\n"
		"-- +goose StatementBegin\n"
		"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n"
		"-- +goose StatementEnd\n"
		"-- +goose down\n"
		"-- +GOOSE STATEMENTBEGIN\n"
		"DROP FUNCTION f();\n"
		"-- +goose StatementEnd\n");

	assert_int_equal(m->format, FMT_GOOSE);
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(
		m->up,
		"-- +goose StatementBegin\n"
		"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n"
		"-- +goose StatementEnd");
	assert_string_equal(m->down, "-- +GOOSE STATEMENTBEGIN\n"
				     "DROP FUNCTION f();\n"
				     "-- +goose StatementEnd");
	m = ok(f, "-- +goose Up\n-- +goose ENVSUB OFF\nA;\n");
	assert_string_equal(m->up, "-- +goose ENVSUB OFF\nA;");
	assert_int_equal(m->flags, 0);

	assert_string_equal(
		bad(f, "-- +goose Up\n-- +goose ENVSUB ON\nA;\n"),
		"m.sql:2: unknown goose marker '-- +goose ENVSUB ON'");
	assert_string_equal(
		bad(f,
		    "-- +goose Up\n-- +goose StatementBegin\nA;\n-- +goose Down\n"),
		"m.sql:4: goose section marker inside the StatementBegin block of line 2");
	assert_string_equal(
		bad(f, "-- +goose Up\nA;\n-- +goose StatementEnd\n"),
		"m.sql:3: StatementEnd without a StatementBegin");
	assert_string_equal(
		bad(f, "-- +goose Up\n-- +goose StatementBegin\n"
		       "-- +goose StatementBegin\n"),
		"m.sql:3: StatementBegin inside the StatementBegin block of line 2");
	assert_string_equal(
		bad(f, "-- +goose StatementBegin\nA;\n"),
		"m.sql:1: StatementBegin before the goose up marker");
	assert_string_equal(
		bad(f, "-- +goose Down\nB;\n-- +goose Up\nA;\n"),
		"m.sql:3: goose up marker after the down marker (line 1): put the up section first");
	assert_string_equal(
		bad(f, "-- +goose Up\nA;\n-- migrate:down\n"),
		"m.sql:3: dbmate marker in a file with goose markers (line 1): one file, one format");
}

/* sql-migrate: Up/Down with notransaction, StatementBegin/End. */
static void test_parse_sql_migrate(void **state)
{
	struct fx *f = *state;
	struct migration *m = ok(f, "-- +migrate Up notransaction\n"
				    "CREATE INDEX CONCURRENTLY i ON t (x);\n"
				    "-- +migrate Down\n"
				    "DROP INDEX i;\n");

	assert_int_equal(m->format, FMT_SQL_MIGRATE);
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->up, "CREATE INDEX CONCURRENTLY i ON t (x);");
	assert_string_equal(m->down, "DROP INDEX i;");
	m = ok(f, "-- +migrate Up\nA;\n");
	assert_null(m->down);
	assert_int_equal(m->flags, 0);
	assert_string_equal(
		bad(f, "-- +migrate Up notransactions\nA;\n"),
		"m.sql:1: unknown sql-migrate marker '-- +migrate Up notransactions'");
	assert_string_equal(
		bad(f, "-- +migrate Sideways\nA;\n"),
		"m.sql:1: unknown sql-migrate marker '-- +migrate Sideways'");
	/* Lookalikes: "+migrated" is a comment; "migrate: up" a typo. */
	m = ok(f, "-- +migrated Up\n-- +goosey Up\nA;\n");
	assert_int_equal(m->format, FMT_STRATA);
	assert_string_equal(m->up, "-- +migrated Up\n-- +goosey Up\nA;");
	assert_string_equal(bad(f, "-- migrate: up\nA;\n"),
			    "m.sql:1: unknown dbmate marker '-- migrate: up'");
}

/* Pair files hold bodies: another tool's markers in one are refused. */
static void test_parse_pair_foreign_markers(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pair(f, "-- +goose Up\nA;", NULL), STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.up.sql:1: goose marker in a file that holds a body only");
	assert_int_equal(pair(f, "A;", "B;\n-- migrate:down\n"), STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"d/001_x.down.sql:2: dbmate marker in a file that holds a body only");
	assert_int_equal(pair(f, "A;", NULL), STRATA_OK);
	assert_int_equal(f->m.format, FMT_GOLANG_MIGRATE);
}

static void test_parse_name_fit(void **state)
{
	size_t off = 0, len = 0;
	int64_t v = 0;
	int kind = -1;

	(void)state;
	assert_int_equal(
		parse_name("0002_1.7.0_schema.up.sql", &v, &off, &len, &kind),
		NAME_OK);
	assert_int_equal(v, 2);
	assert_int_equal(off, 5);
	assert_int_equal(len, 12);
	assert_int_equal(kind, 1);
	assert_int_equal(
		parse_name("9223372036854775808_x.sql", &v, NULL, NULL, NULL),
		NAME_TOO_BIG);
	assert_int_equal(parse_name("99999999999999999999999_x.down.sql", &v,
				    NULL, NULL, NULL),
			 NAME_TOO_BIG);
	/* A name that does not fit wins over a big version: a warning. */
	assert_int_equal(parse_name("99999999999999999999999_x.txt", &v, NULL,
				    NULL, NULL),
			 NAME_ODD);
	assert_int_equal(parse_name("V1__x.sql", &v, NULL, NULL, NULL),
			 NAME_ODD);
	assert_string_equal(mig_format_name(FMT_DIESEL), "diesel");
	assert_string_equal(mig_format_name(FMT_SQL_MIGRATE), "sql-migrate");
	assert_string_equal(mig_format_name(-1), "strata");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_full_file),
		T(test_parse_no_markers),
		T(test_parse_description),
		T(test_parse_marker_spelling),
		T(test_parse_extra_text_is_a_comment),
		T(test_parse_marker_errors),
		T(test_parse_statement_before_up),
		T(test_parse_empty_sections),
		T(test_parse_trim),
		T(test_parse_directive_without_up),
		T(test_parse_crlf_and_bom_keep_checksum),
		T(test_parse_down_edit_keeps_checksum),
		T(test_parse_bad_text),
		T(test_parse_good_utf8),
		T(test_parse_keeps_version_and_name),
		T(test_parse_pair),
		T(test_parse_pair_directive),
		T(test_parse_pair_marker_errors),
		T(test_parse_pair_bad_text),
		T(test_parse_file_name),
		T(test_parse_name_ok),
		T(test_parse_line_at),
		T(test_parse_error_line_maps_to_file),
		T(test_parse_release),
		T(test_parse_embedded),
		T(test_parse_embedded_bodies),
		T(test_parse_embedded_errors),
		T(test_parse_dbmate),
		T(test_parse_goose),
		T(test_parse_sql_migrate),
		T(test_parse_pair_foreign_markers),
		T(test_parse_name_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
