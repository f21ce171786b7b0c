/*
 * test_track.c - track_sql names the tracking tables only through the
 * engine's tracking_name, and attempt_status is the one dirty decision.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"
#include "track.h"

/* An engine whose names are "sch"."<prefix>_<table>". */
static void fake_name(struct engine_conn *c, const char *prefix,
		      const char *table, struct sb *out)
{
	(void)c;
	sb_addf(out, "\"sch\".\"%s_%s\"", prefix, table);
}

static const struct engine fake = { .name = "fake",
				    .tracking_name = fake_name };

static char *expand(const char *prefix, const char *tmpl)
{
	strata *ctx = NULL;
	struct engine_conn c;
	char *out;

	assert_int_equal(strata_open(&ctx, "sqlite::memory:"), STRATA_OK);
	c.eng = &fake;
	c.ctx = ctx;
	out = track_sql(&c, prefix, tmpl);
	strata_close(ctx);
	return out;
}

static void test_track_sql_qualifies_both_tables(void **state)
{
	char *s;

	(void)state;
	s = expand("strata", "INSERT INTO %s_history SELECT * FROM"
			     " %s_migrations WHERE 1");
	assert_string_equal(s, "INSERT INTO \"sch\".\"strata_history\" SELECT"
			       " * FROM \"sch\".\"strata_migrations\" WHERE 1");
	free(s);
}

static void test_track_sql_other_names_keep_the_prefix(void **state)
{
	char *s;

	(void)state;
	/* An index name is not a table: the prefix as it is. */
	s = expand("App", "CREATE INDEX %s_history_open ON %s_history (id)");
	assert_string_equal(
		s,
		"CREATE INDEX App_history_open ON \"sch\".\"App_history\" (id)");
	free(s);
	s = expand("p", "no placeholder at all");
	assert_string_equal(s, "no placeholder at all");
	free(s);
	s = expand("p", "%s_migrationsX %s_");
	assert_string_equal(s, "p_migrationsX p_");
	free(s);
}

static void
test_attempt_status_is_dirty_only_after_an_implicit_commit(void **state)
{
	(void)state;
	assert_string_equal(attempt_status(true), "dirty");
	assert_string_equal(attempt_status(false), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track_sql_qualifies_both_tables),
		cmocka_unit_test(test_track_sql_other_names_keep_the_prefix),
		cmocka_unit_test(
			test_attempt_status_is_dirty_only_after_an_implicit_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
