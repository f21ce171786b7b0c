/* test_url.c - database URLs: every form, errors, and password masking. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "strata.h"
#include "url.h"

#define HINT "(use sqlite:PATH, postgres://... or mysql://...)"

/* A context and a URL, freed by teardown even when a test fails. */
struct fx {
	strata *ctx;
	struct strata_url u;
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

	url_release(&f->u);
	strata_close(f->ctx);
	free(f);
	return 0;
}

/* Parse 'text', which must succeed. */
static struct strata_url *ok(struct fx *f, const char *text)
{
	url_release(&f->u);
	err_clear(f->ctx);
	assert_int_equal(url_parse(f->ctx, text, &f->u), STRATA_OK);
	return &f->u;
}

/* Parse 'text', which must fail with EINVAL; returns the message. */
static const char *bad(struct fx *f, const char *text)
{
	url_release(&f->u);
	err_clear(f->ctx);
	assert_int_equal(url_parse(f->ctx, text, &f->u), STRATA_EINVAL);
	/* Released on failure: nothing left to free or to read. */
	assert_null(f->u.engine);
	assert_null(f->u.masked);
	return strata_errmsg(f->ctx);
}

static void assert_sqlite(struct fx *f, const char *text, const char *path,
			  const char *scheme)
{
	struct strata_url *u = ok(f, text);

	assert_string_equal(u->engine, "sqlite");
	assert_string_equal(u->scheme, scheme);
	assert_string_equal(u->path, path);
	assert_string_equal(u->masked, text);
	assert_null(u->password);
	assert_null(u->host);
	assert_int_equal(u->port, 0);
}

static void test_url_sqlite_forms(void **state)
{
	struct fx *f = *state;

	assert_sqlite(f, "sqlite:rel.db", "rel.db", "sqlite");
	assert_sqlite(f, "sqlite://rel.db", "rel.db", "sqlite");
	assert_sqlite(f, "sqlite:./db.sqlite3", "./db.sqlite3", "sqlite");
	assert_sqlite(f, "sqlite:dir/sub/x.db", "dir/sub/x.db", "sqlite");
	assert_sqlite(f, "sqlite:/abs/x.db", "/abs/x.db", "sqlite");
	assert_sqlite(f, "sqlite:///abs/x.db", "/abs/x.db", "sqlite");
	assert_sqlite(f, "sqlite::memory:", ":memory:", "sqlite");
	assert_sqlite(f, "sqlite://:memory:", ":memory:", "sqlite");
	assert_sqlite(f, "sqlite3:x.db", "x.db", "sqlite3");
	assert_sqlite(f, "sqlite3:///abs/y.sqlite", "/abs/y.sqlite", "sqlite3");
	assert_sqlite(f, "SQLite:CAPS.db", "CAPS.db", "sqlite");
	/* Any file name goes after the scheme, .db or not. */
	assert_sqlite(f, "sqlite:data/app", "data/app", "sqlite");
}

static void test_url_sqlite_bare_path(void **state)
{
	struct fx *f = *state;

	assert_sqlite(f, "x.db", "x.db", "sqlite");
	assert_sqlite(f, "/tmp/app.sqlite", "/tmp/app.sqlite", "sqlite");
	assert_sqlite(f, "dir/app.sqlite3", "dir/app.sqlite3", "sqlite");
	assert_sqlite(f, "./weird:name.db", "./weird:name.db", "sqlite");
}

static void test_url_sqlite_empty_path(void **state)
{
	struct fx *f = *state;

	assert_string_equal(bad(f, "sqlite:"),
			    "missing database file in URL 'sqlite:'");
	assert_string_equal(bad(f, "sqlite://"),
			    "missing database file in URL 'sqlite://'");
	assert_non_null(strstr(bad(f, "sqlite3:"), "missing database file"));
}

static void test_url_postgres_full(void **state)
{
	struct fx *f = *state;
	struct strata_url *u =
		ok(f, "postgres://app%20user:p%40ss%3Aw@db.example.com:5433/"
		      "my%20db?sslmode=require&application_name=a%26b");

	assert_string_equal(u->engine, "postgres");
	assert_string_equal(u->scheme, "postgres");
	assert_string_equal(u->user, "app user");
	assert_string_equal(u->password, "p@ss:w");
	assert_string_equal(u->host, "db.example.com");
	assert_int_equal(u->port, 5433);
	assert_string_equal(u->dbname, "my db");
	assert_null(u->path);
	assert_null(u->conninfo);
	assert_int_equal(u->n_params, 2);
	assert_string_equal(u->params[0].key, "sslmode");
	assert_string_equal(u->params[0].value, "require");
	assert_string_equal(url_param(u, "application_name"), "a&b");
	assert_null(url_param(u, "nope"));
	assert_string_equal(u->masked,
			    "postgres://app%20user:****@db.example.com:5433/"
			    "my%20db?sslmode=require&application_name=a%26b");
}

static void test_url_server_schemes(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "postgresql://h/db");
	assert_string_equal(u->engine, "postgres");
	assert_string_equal(u->scheme, "postgresql");
	u = ok(f, "mysql://root:pw@127.0.0.1:3306/app");
	assert_string_equal(u->engine, "mysql");
	assert_string_equal(u->scheme, "mysql");
	assert_string_equal(u->user, "root");
	assert_string_equal(u->password, "pw");
	assert_string_equal(u->host, "127.0.0.1");
	assert_int_equal(u->port, 3306);
	assert_string_equal(u->dbname, "app");
	u = ok(f, "mariadb://h/app");
	assert_string_equal(u->engine, "mysql");
	assert_string_equal(u->scheme, "mariadb");
	u = ok(f, "POSTGRES://h/db");
	assert_string_equal(u->engine, "postgres");
	assert_string_equal(u->scheme, "postgres");
}

static void test_url_missing_parts(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "postgres://localhost");
	assert_string_equal(u->host, "localhost");
	assert_null(u->user);
	assert_null(u->password);
	assert_null(u->dbname);
	assert_int_equal(u->port, 0);
	assert_int_equal(u->n_params, 0);

	u = ok(f, "mysql://");
	assert_string_equal(u->engine, "mysql");
	assert_null(u->host);
	assert_null(u->user);
	assert_null(u->dbname);

	u = ok(f, "postgres://u@h/db");
	assert_string_equal(u->user, "u");
	assert_null(u->password);
	assert_string_equal(u->masked, "postgres://u@h/db");

	u = ok(f, "postgres:///db?host=/run/pg");
	assert_null(u->host);
	assert_string_equal(u->dbname, "db");
	assert_string_equal(url_param(u, "host"), "/run/pg");

	u = ok(f, "postgres://h:5432");
	assert_int_equal(u->port, 5432);
	assert_null(u->dbname);
}

static void test_url_ipv6(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "postgres://u:pw@[::1]:5432/db");
	assert_string_equal(u->host, "::1");
	assert_int_equal(u->port, 5432);
	assert_string_equal(u->dbname, "db");
	assert_string_equal(u->masked, "postgres://u:****@[::1]:5432/db");
	u = ok(f, "mysql://[2001:db8::7]/app");
	assert_string_equal(u->host, "2001:db8::7");
	assert_int_equal(u->port, 0);
	assert_non_null(strstr(bad(f, "postgres://[::1/db"), "bad IPv6"));
	assert_non_null(strstr(bad(f, "postgres://[::1]x/db"), "bad IPv6"));
}

static void test_url_bad_port(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
		bad(f, "postgres://u:secret@h:abc/db"),
		"bad port 'abc' in URL 'postgres://u:****@h:abc/db'");
	assert_string_equal(bad(f, "mysql://h:0/db"),
			    "bad port '0' in URL 'mysql://h:0/db'");
	assert_string_equal(bad(f, "mysql://h:65536/db"),
			    "bad port '65536' in URL 'mysql://h:65536/db'");
	assert_string_equal(bad(f, "postgres://h:/db"),
			    "bad port '' in URL 'postgres://h:/db'");
	bad(f, "postgres://h:-1/db");
	bad(f, "postgres://h:5432x/db");
	bad(f, "postgres://h:99999999999999999999/db");
	bad(f, "postgres://[::1]:x/db");
	assert_int_equal(ok(f, "postgres://h:65535/db")->port, 65535);
	assert_int_equal(ok(f, "postgres://h:1/db")->port, 1);
}

static void test_url_query(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "postgres://h/db?sslmode=require&search_path=app%2Cpublic"
		  "&flag&&schema=s1&schema=s2");
	assert_int_equal(u->n_params, 5);
	assert_string_equal(url_param(u, "sslmode"), "require");
	assert_string_equal(url_param(u, "search_path"), "app,public");
	assert_string_equal(url_param(u, "flag"), "");
	/* The last one wins, as in libpq. */
	assert_string_equal(url_param(u, "schema"), "s2");

	u = ok(f, "postgres://h/db?password=s3cr3t&sslmode=disable");
	assert_string_equal(u->password, "s3cr3t");
	assert_string_equal(u->masked,
			    "postgres://h/db?password=****&sslmode=disable");

	/* An '@' in the query is not the end of a user name. */
	u = ok(f, "postgres://h:5432/db?application_name=me@box");
	assert_null(u->user);
	assert_string_equal(u->host, "h");
	assert_string_equal(url_param(u, "application_name"), "me@box");
	u = ok(f, "postgres://h/db?application_name=me@box");
	assert_string_equal(u->host, "h");
	assert_string_equal(u->dbname, "db");
}

static void test_url_password_special_chars(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "postgres://u:p@ss@h/db");
	assert_string_equal(u->password, "p@ss");
	assert_string_equal(u->host, "h");
	assert_string_equal(u->masked, "postgres://u:****@h/db");

	u = ok(f, "postgres://u:pa/ss@h:5432/db");
	assert_string_equal(u->password, "pa/ss");
	assert_string_equal(u->host, "h");
	assert_int_equal(u->port, 5432);
	assert_string_equal(u->dbname, "db");
	assert_string_equal(u->masked, "postgres://u:****@h:5432/db");

	u = ok(f, "mysql://u:pa?ss@h/db");
	assert_string_equal(u->password, "pa?ss");
	assert_string_equal(u->masked, "mysql://u:****@h/db");

	u = ok(f, "mysql://u:a%zzb%@h/db");
	assert_string_equal(u->password, "a%zzb%");

	u = ok(f, "mysql://u:@h/db");
	assert_null(u->password);
	assert_string_equal(u->masked, "mysql://u:****@h/db");

	assert_non_null(strstr(bad(f, "postgres://u:a%00b@h/db"),
			       "%00 is not allowed"));
}

static void test_url_conninfo(void **state)
{
	struct fx *f = *state;
	const char *text =
		"host=127.0.0.1 port=5432 dbname=x user=u password=secret";
	struct strata_url *u = ok(f, text);

	assert_string_equal(u->engine, "postgres");
	assert_string_equal(u->scheme, "postgres");
	assert_string_equal(u->conninfo, text);
	assert_string_equal(u->host, "127.0.0.1");
	assert_int_equal(u->port, 5432);
	assert_string_equal(u->dbname, "x");
	assert_string_equal(u->user, "u");
	assert_string_equal(u->password, "secret");
	assert_string_equal(
		u->masked,
		"host=127.0.0.1 port=5432 dbname=x user=u password=****");
	assert_string_equal(url_param(u, "host"), "127.0.0.1");

	u = ok(f, "dbname = 'my db' password='it\\'s s' sslmode=require");
	assert_string_equal(u->dbname, "my db");
	assert_string_equal(u->password, "it's s");
	assert_string_equal(url_param(u, "sslmode"), "require");
	assert_null(strstr(u->masked, "it"));
	assert_string_equal(u->masked,
			    "dbname = 'my db' password=**** sslmode=require");

	u = ok(f, "  hostaddr=10.0.0.1 dbname=d");
	assert_string_equal(u->host, "10.0.0.1");
}

static void test_url_conninfo_errors(void **state)
{
	struct fx *f = *state;
	const char *msg;

	msg = bad(f, "host=h port=abc password=secret");
	assert_string_equal(
		msg,
		"bad port 'abc' in connection string 'host=h port=abc password=****'");
	msg = bad(f, "host=h password=secret junk");
	assert_non_null(strstr(msg, "bad connection string"));
	assert_null(strstr(msg, "secret"));
	msg = bad(f, "host=h password='secret");
	assert_non_null(strstr(msg, "unterminated"));
	assert_null(strstr(msg, "secret"));
	/* Not a libpq keyword: not a connection string. */
	msg = bad(f, "foo=bar");
	assert_non_null(strstr(msg, "cannot tell the database engine"));
}

static void test_url_unsupported_scheme(void **state)
{
	struct fx *f = *state;

	assert_string_equal(bad(f, "foo://x"),
			    "unsupported database URL scheme 'foo' " HINT);
	assert_string_equal(bad(f, "redis://u:secret@h/0"),
			    "unsupported database URL scheme 'redis' " HINT);
	assert_string_equal(bad(f, "oracle:thin"),
			    "unsupported database URL scheme 'oracle' " HINT);
	assert_non_null(
		strstr(bad(f, "postgres:u:secret@h/db"), "bad database URL"));
}

static void test_url_cannot_tell_engine(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
		bad(f, "mydatabase"),
		"cannot tell the database engine of 'mydatabase' " HINT);
	assert_non_null(strstr(bad(f, "/var/data/app.txt"),
			       "cannot tell the database engine"));
	assert_non_null(strstr(bad(f, "./x.db.bak"), "cannot tell"));
}

static void test_url_empty(void **state)
{
	struct fx *f = *state;

	assert_non_null(strstr(bad(f, ""), "empty database URL"));
	assert_non_null(strstr(bad(f, NULL), "empty database URL"));
}

static void test_url_errors_never_show_password(void **state)
{
	struct fx *f = *state;
	static const char *const urls[] = {
		"postgres://u:s3cr3t@h:abc/db",
		"postgres://u:s3cr3t@[::1/db",
		"mysql://u:s3cr3t@h:99999/db",
		"mysql://u:s3cr3t@h/db%00",
		"postgres://u:s3cr3t%00@h/db",
		"postgres://u:s3/cr3t@h:xx/db",
		"postgres://u:s3?cr3t@h:xx/db",
		"postgres://u:s3cr3t@h/db?x=%00",
		"postgres://h:1/db?password=s3cr3t&x=%00",
		"host=h password=s3cr3t port=abc",
		"host=h password = s3cr3t port=0",
		"host=h password='s3cr3t",
		"host=h password=s3cr3t bogus",
		"foo://u:s3cr3t@h",
		"u:s3cr3t@h/db",
		"postgres:u:s3cr3t@h",
		"mydb u:s3cr3t@h",
		"//u:s3cr3t@h/db",
		"h/u:s3cr3t@host",
	};
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *msg = bad(f, urls[i]);

		if (strstr(msg, "s3") || strstr(msg, "cr3t"))
			fail_msg("'%s' gave '%s'", urls[i], msg);
	}
}

static void test_url_masked_never_shows_password(void **state)
{
	struct fx *f = *state;
	static const char *const urls[] = {
		"postgres://u:s3cr3t@h/db",
		"postgres://u:s3cr3t@h:5432/db?sslmode=disable",
		"postgresql://u:s3%2Fcr3t@h/db",
		"mysql://u:s3cr3t@[::1]:3306/db",
		"mariadb://u:s3@cr3t@h/db",
		"mysql://u:s3/cr3t@h/db",
		"postgres://h/db?password=s3cr3t",
		"host=h password=s3cr3t",
		"host=h password = 's3 cr3t' dbname=x",
	};
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct strata_url *u = ok(f, urls[i]);

		if (strstr(u->masked, "s3") || strstr(u->masked, "cr3t"))
			fail_msg("'%s' masked as '%s'", urls[i], u->masked);
		assert_non_null(strstr(u->masked, "****"));
		assert_non_null(u->password);
	}
}

static void assert_mask(const char *in, const char *want)
{
	char *got = url_mask(in);

	assert_non_null(got);
	if (strcmp(got, want) != 0) {
		free(got);
		fail_msg("url_mask('%s') != '%s'", in ? in : "(null)", want);
	}
	free(got);
}

static void test_url_mask(void **state)
{
	(void)state;
	assert_mask("postgres://u:secret@h/db", "postgres://u:****@h/db");
	assert_mask(
		"connect to mysql://root:pw@127.0.0.1:3306/app failed: x",
		"connect to mysql://root:****@127.0.0.1:3306/app failed: x");
	assert_mask("a postgres://u:p@h and 'mysql://v:q@h2/x'",
		    "a postgres://u:****@h and 'mysql://v:****@h2/x'");
	assert_mask("postgres://u:pa/ss@h/db", "postgres://u:****@h/db");
	assert_mask("host=h password=secret user=u",
		    "host=h password=**** user=u");
	assert_mask("password = 'se cret' host=h", "password = **** host=h");
	assert_mask("PASSWORD=x", "PASSWORD=****");
	assert_mask("sslpassword=abc", "sslpassword=****");
	assert_mask("postgres://h/db?sslmode=x&password=abc&a=b",
		    "postgres://h/db?sslmode=x&password=****&a=b");
	assert_mask("postgres://u@h/db", "postgres://u@h/db");
	assert_mask("postgres://h:5432/db", "postgres://h:5432/db");
	assert_mask("no secrets here", "no secrets here");
	assert_mask("", "");
	assert_mask(NULL, "");
}

static void test_url_release_twice(void **state)
{
	struct fx *f = *state;
	struct strata_url zero;

	memset(&zero, 0, sizeof(zero));
	url_release(&zero);
	url_release(&zero);
	url_release(NULL);
	ok(f, "postgres://u:p@h/db?a=b");
	url_release(&f->u);
	assert_null(f->u.engine);
	assert_int_equal(f->u.n_params, 0);
	url_release(&f->u);
}

static void test_url_open_masks_password(void **state)
{
	strata *c = NULL;

	(void)state;
	assert_int_equal(strata_open(&c, "postgres://u:hunter2@h:port/db"),
			 STRATA_EINVAL);
	assert_non_null(c);
	assert_null(strstr(strata_errmsg(c), "hunter2"));
	assert_non_null(strstr(strata_errmsg(c), "bad port 'port'"));
	assert_int_equal(strata_set_url(c, "sqlite::memory:"), STRATA_OK);
	strata_close(c);
}

/*
 * Parse 'text'; its password must be 'password', its masked form 'masked',
 * and url_mask() / strata_url_mask() of the text must read it the same way.
 */
static void assert_masked_as(struct fx *f, const char *text,
			     const char *password, const char *masked)
{
	struct strata_url *u = ok(f, text);
	char *m1 = url_mask(text), *m2 = strata_url_mask(text);

	assert_non_null(m1);
	assert_non_null(m2);
	if (password)
		assert_string_equal(u->password, password);
	else
		assert_null(u->password);
	if (strcmp(u->masked, masked) != 0 || strcmp(m1, masked) != 0 ||
	    strcmp(m2, masked) != 0) {
		fail_msg("'%s': masked '%s', url_mask '%s', want '%s'", text,
			 u->masked, m1, masked);
	}
	free(m1);
	strata_free(m2);
}

static void test_url_mask_encoded_key(void **state)
{
	struct fx *f = *state;

	assert_masked_as(f, "postgres://u@h/db?pass%77ord=secret", "secret",
			 "postgres://u@h/db?pass%77ord=****");
	assert_masked_as(f, "postgres://u@h/db?%70%61%73%73%77%6f%72%64=secret",
			 "secret",
			 "postgres://u@h/db?%70%61%73%73%77%6f%72%64=****");
	assert_masked_as(f, "mysql://u@h/db?PASSWORD=secret&x=1", NULL,
			 "mysql://u@h/db?PASSWORD=****&x=1");
	assert_masked_as(f, "postgres://h/db?sslpass%77ord=k3y&sslmode=require",
			 NULL,
			 "postgres://h/db?sslpass%77ord=****&sslmode=require");
	assert_masked_as(f, "postgres://h/db?passwd=secret", NULL,
			 "postgres://h/db?passwd=****");
}

static void test_url_mask_spaces_and_escapes(void **state)
{
	struct fx *f = *state;

	assert_masked_as(f, "postgres://u@h/db?password=abc%20Secret",
			 "abc Secret", "postgres://u@h/db?password=****");
	assert_masked_as(f, "postgres://u@h/db?password=abc Secret&a=b",
			 "abc Secret", "postgres://u@h/db?password=****&a=b");
	assert_masked_as(f, "postgres://u@h/db?password=abc\tSecret",
			 "abc\tSecret", "postgres://u@h/db?password=****");
	assert_masked_as(f, "postgres://u:abc Secret@h/db", "abc Secret",
			 "postgres://u:****@h/db");
	assert_masked_as(f, "postgres://u:p%40ss@h/db", "p@ss",
			 "postgres://u:****@h/db");
	assert_masked_as(f, "postgres://u:p:w@x@h:5432/db", "p:w@x",
			 "postgres://u:****@h:5432/db");
	/* libpq key=value strings: quotes, backslashes, escaped blanks. */
	assert_masked_as(f, "host=h password='a b\\' c' dbname=d", "a b' c",
			 "host=h password=**** dbname=d");
	assert_masked_as(f, "host=h password=a\\ Secret dbname=d", "a Secret",
			 "host=h password=**** dbname=d");
	assert_masked_as(f, "host=h password = \t'x y' user=u", "x y",
			 "host=h password = \t**** user=u");
	assert_masked_as(f, "host=h sslpassword=k3y password=pw", "pw",
			 "host=h sslpassword=**** password=****");
}

static void test_url_mask_broken_conninfo(void **state)
{
	struct fx *f = *state;
	static const char *const texts[] = {
		"host=h junk password=s3cr3t",
		"host=h password='s3cr3t",
		"host=h password=s3\\ cr3t junk",
		"host=h port=x password='s3 cr3t'",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *msg = bad(f, texts[i]);
		char *m = url_mask(texts[i]);

		assert_non_null(m);
		if (strstr(msg, "s3") || strstr(msg, "cr3t") ||
		    strstr(m, "s3") || strstr(m, "cr3t"))
			fail_msg("'%s' gave '%s' / '%s'", texts[i], msg, m);
		free(m);
	}
}

static void test_url_mask_free_text(void **state)
{
	(void)state;
	/* A quoted URL ends at its closing quote, blanks and all. */
	assert_mask("cannot connect to 'postgres://u:abc Secret@h/db': refused",
		    "cannot connect to 'postgres://u:****@h/db': refused");
	assert_mask("see \"mysql://u@h/db?pass%77ord=x y\".",
		    "see \"mysql://u@h/db?pass%77ord=****\".");
	assert_mask("x mysql+pymysql://u:pw@h/db y",
		    "x mysql+pymysql://u:****@h/db y");
	assert_mask("bad 'password=a\\ b' here", "bad 'password=**** here");
	assert_mask("unknown command 'sslpassword=k'",
		    "unknown command 'sslpassword=****");
	/* Already masked text stays as it is. */
	assert_mask(
		"cannot connect to 'postgres://u:****@h/db?password=****': x",
		"cannot connect to 'postgres://u:****@h/db?password=****': x");
	/* Words that merely contain "password" are not keys. */
	assert_mask("the password is wrong", "the password is wrong");
	assert_mask("passwords=1", "passwords=1");
}

static void test_url_driver_suffix(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	u = ok(f, "mysql+pymysql://u:pw@127.0.0.1:3306/app");
	assert_string_equal(u->engine, "mysql");
	assert_string_equal(u->scheme, "mysql");
	assert_string_equal(u->password, "pw");
	assert_string_equal(u->masked,
			    "mysql+pymysql://u:****@127.0.0.1:3306/app");
	u = ok(f, "mysql+mysqldb://h/app");
	assert_string_equal(u->engine, "mysql");
	u = ok(f, "mariadb+mariadbconnector://h/app");
	assert_string_equal(u->engine, "mysql");
	u = ok(f, "postgresql+psycopg2://u:pw@h/db?sslmode=disable");
	assert_string_equal(u->engine, "postgres");
	assert_string_equal(u->scheme, "postgresql");
	assert_string_equal(url_param(u, "sslmode"), "disable");
	u = ok(f, "postgres+asyncpg://h/db");
	assert_string_equal(u->engine, "postgres");
	assert_non_null(strstr(bad(f, "redis+x://h/0"), "unsupported"));
}

static void test_url_sqlalchemy_sqlite(void **state)
{
	struct fx *f = *state;

	/* Three slashes relative, four absolute, as SQLAlchemy reads them. */
	assert_sqlite(f, "sqlite+pysqlite:///app.db", "app.db", "sqlite");
	assert_sqlite(f, "sqlite+pysqlite:////abs/app.db", "/abs/app.db",
		      "sqlite");
	assert_sqlite(f, "sqlite+pysqlite:///dir/app.db", "dir/app.db",
		      "sqlite");
	assert_sqlite(f, "sqlite+pysqlite:///:memory:", ":memory:", "sqlite");
	assert_sqlite(f, "sqlite+aiosqlite:///x.sqlite3", "x.sqlite3",
		      "sqlite");
	/* Without a driver strata's own rule stays: three slashes absolute. */
	assert_sqlite(f, "sqlite:///abs/x.db", "/abs/x.db", "sqlite");
	assert_non_null(
		strstr(bad(f, "sqlite+pysqlite://"), "missing database file"));
	assert_non_null(
		strstr(bad(f, "sqlite+pysqlite:///"), "missing database file"));
}

static void test_url_charset(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;
	const char *msg;

	u = ok(f, "mysql://u:pw@h/db?charset=utf8mb4&sslmode=disable");
	assert_null(url_param(u, "charset"));
	assert_string_equal(url_param(u, "sslmode"), "disable");
	assert_int_equal(u->n_params, 1);
	u = ok(f, "mysql://h/db?CHARSET=UTF8MB4");
	assert_int_equal(u->n_params, 0);
	u = ok(f, "postgres://h/db?charset=utf8");
	assert_int_equal(u->n_params, 0);

	msg = bad(f,
		  "mysql://u:s3cr3t@h/db?sslmode=disable&charset=latin1&a=b");
	assert_string_equal(
		msg,
		"unsupported charset 'latin1' in URL "
		"'mysql://u:****@h/db?sslmode=disable&charset=latin1&a=b': "
		"strata always uses utf8mb4 (write charset=utf8mb4 or leave it out)");
	assert_non_null(strstr(bad(f, "mysql://h/db?charset=utf8"),
			       "strata always uses utf8mb4"));
	assert_non_null(strstr(bad(f, "postgres://h/db?charset=latin1"),
			       "strata always uses UTF-8"));
}

static void test_url_localhost_port(void **state)
{
	struct fx *f = *state;
	struct strata_url *u;

	/* The host stays as written; the MySQL engine asks for TCP. */
	u = ok(f, "mysql://u:pw@localhost:3306/app");
	assert_string_equal(u->host, "localhost");
	assert_int_equal(u->port, 3306);
	u = ok(f, "postgres://localhost:5432/db");
	assert_string_equal(u->host, "localhost");
	assert_int_equal(u->port, 5432);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_url_sqlite_forms),
		T(test_url_sqlite_bare_path),
		T(test_url_sqlite_empty_path),
		T(test_url_postgres_full),
		T(test_url_server_schemes),
		T(test_url_missing_parts),
		T(test_url_ipv6),
		T(test_url_bad_port),
		T(test_url_query),
		T(test_url_password_special_chars),
		T(test_url_conninfo),
		T(test_url_conninfo_errors),
		T(test_url_unsupported_scheme),
		T(test_url_cannot_tell_engine),
		T(test_url_empty),
		T(test_url_errors_never_show_password),
		T(test_url_masked_never_shows_password),
		T(test_url_mask),
		T(test_url_release_twice),
		T(test_url_open_masks_password),
		T(test_url_mask_encoded_key),
		T(test_url_mask_spaces_and_escapes),
		T(test_url_mask_broken_conninfo),
		T(test_url_mask_free_text),
		T(test_url_driver_suffix),
		T(test_url_sqlalchemy_sqlite),
		T(test_url_charset),
		T(test_url_localhost_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
