/*
 * test_engine_names.c - the registry of every engine strata knows
 * (src/engines/names.c): schemes, URL forms, file suffixes, charsets,
 * backup extensions and script dialects, and that the URL parser, the
 * "built without" message and the built engines all agree with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ctx.h"
#include "engine.h"
#include "err.h"
#include "strata.h"
#include "url.h"

static const struct engine_info *scheme(const char *s)
{
	return engine_info_for_scheme(s, strlen(s));
}

static void test_schemes_map_to_engines(void **state)
{
	(void)state;
	assert_string_equal(scheme("sqlite")->name, "sqlite");
	assert_string_equal(scheme("SQLite3")->name, "sqlite");
	assert_string_equal(scheme("postgres")->name, "postgres");
	assert_string_equal(scheme("PostgreSQL")->name, "postgres");
	assert_string_equal(scheme("mysql")->name, "mysql");
	assert_string_equal(scheme("MariaDB")->name, "mysql");
	assert_null(scheme("oracle"));
	assert_null(scheme("postgre"));
	assert_null(scheme("postgresqlx"));
	assert_null(scheme(""));
	/* Only the first n bytes count. */
	assert_string_equal(engine_info_for_scheme("mysql+pymysql", 5)->name,
			    "mysql");
	assert_null(engine_info_for_scheme("mysql+pymysql", 13));
}

static void test_names_and_forms(void **state)
{
	const struct engine_info *e;

	(void)state;
	assert_null(engine_info_named(NULL));
	assert_null(engine_info_named("fake"));
	e = engine_info_named("postgres");
	assert_non_null(e);
	assert_string_equal(e->label, "PostgreSQL");
	assert_string_equal(e->dump_ext, ".dump");
	assert_int_equal(e->dialect, SCRIPT_PG);
	assert_true(e->forms & URL_FORM_SERVER);
	assert_true(e->forms & URL_FORM_CONNINFO);
	e = engine_info_named("mysql");
	assert_string_equal(e->label, "MySQL/MariaDB");
	assert_string_equal(e->dump_ext, ".sql");
	assert_int_equal(e->dialect, SCRIPT_MYSQL);
	assert_string_equal(e->charsets[0], "utf8mb4");
	assert_null(e->charsets[1]);
	e = engine_info_named("sqlite");
	assert_string_equal(e->dump_ext, ".bak");
	assert_int_equal(e->dialect, SCRIPT_SQLITE);
	assert_true(e->forms & URL_FORM_FILE);
	assert_false(e->forms & URL_FORM_SERVER);
	assert_string_equal(engine_info_with_form(URL_FORM_CONNINFO)->name,
			    "postgres");
	assert_string_equal(engine_info_with_form(URL_FORM_FILE)->name,
			    "sqlite");
}

static void test_file_suffixes(void **state)
{
	(void)state;
	assert_string_equal(engine_info_for_file("app.db")->name, "sqlite");
	assert_string_equal(engine_info_for_file("a/b.sqlite")->name, "sqlite");
	assert_string_equal(engine_info_for_file("x.sqlite3")->name, "sqlite");
	assert_null(engine_info_for_file(".db"));
	assert_null(engine_info_for_file("app.dbx"));
	assert_null(engine_info_for_file("app"));
}

/*
 * Every scheme of every engine parses to that engine, and engine_find
 * either returns the built engine of that name or says, by the
 * registry's label, that it is not built in.
 */
static void test_every_scheme_parses_and_finds(void **state)
{
	static const char *const names[] = { "sqlite", "postgres", "mysql" };
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct engine_info *e = engine_info_named(names[i]);

		assert_non_null(e);
		for (const char *const *s = e->schemes; *s; s++) {
			char text[128];
			struct strata_url u;
			const struct engine *found;
			strata *ctx; /* one each: a context keeps its first
					error */

			assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
			snprintf(text, sizeof(text), "%s%s", *s,
				 e->forms & URL_FORM_SERVER ? "://h/db"
							    : ":x.db");
			assert_int_equal(url_parse(ctx, text, &u), STRATA_OK);
			assert_string_equal(u.engine, e->name);
			assert_string_equal(u.scheme, *s);
			found = engine_find(ctx, &u);
			if (found) {
				assert_string_equal(found->name, e->name);
			} else {
				char want[128];

				snprintf(want, sizeof(want),
					 "strata was built without %s support",
					 e->label);
				assert_string_equal(strata_errmsg(ctx), want);
			}
			url_release(&u);
			strata_close(ctx);
		}
	}
}

/* The ?charset= values each server engine accepts, and the refusal. */
static void test_charsets(void **state)
{
	struct strata_url u;
	strata *ctx;

	(void)state;
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	assert_int_equal(url_parse(ctx, "postgres://h/db?charset=UTF-8", &u),
			 STRATA_OK);
	assert_int_equal(u.n_params, 0);
	url_release(&u);
	assert_int_equal(url_parse(ctx, "mysql://h/db?charset=UTF8MB4&x=1", &u),
			 STRATA_OK);
	assert_int_equal(u.n_params, 1);
	url_release(&u);
	assert_int_equal(url_parse(ctx, "mysql://h/db?charset=utf8", &u),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(ctx),
		"unsupported charset 'utf8' in URL 'mysql://h/db?charset=utf8': strata always uses utf8mb4 (write charset=utf8mb4 or leave it out)");
	strata_close(ctx); /* a context keeps its first error */
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	assert_int_equal(url_parse(ctx, "host=h charset=latin1", &u),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(ctx),
		"unsupported charset 'latin1' in URL 'host=h charset=latin1': strata always uses UTF-8 (write charset=utf8 or leave it out)");
	strata_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemes_map_to_engines),
		cmocka_unit_test(test_names_and_forms),
		cmocka_unit_test(test_file_suffixes),
		cmocka_unit_test(test_every_scheme_parses_and_finds),
		cmocka_unit_test(test_charsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
