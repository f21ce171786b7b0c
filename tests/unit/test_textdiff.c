/* test_textdiff.c - the unified diff strata test prints for a broken down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textdiff.h"

static void check(const char *a, const char *b, int context, const char *want)
{
	char *got = textdiff_unified(a, b, "a", "b", context);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_equal_texts_give_nothing(void **state)
{
	(void)state;
	check("", "", 3, "");
	check("x\ny\n", "x\ny\n", 3, "");
}

static void test_changed_line_with_context(void **state)
{
	(void)state;
	check("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n", 2,
	      "--- a\n+++ b\n@@ -3,5 +3,5 @@\n 3\n 4\n-5\n+FIVE\n 6\n 7\n");
}

static void test_added_and_removed_lines(void **state)
{
	(void)state;
	check("a\nb\n", "a\nx\nb\n", 3,
	      "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n+x\n b\n");
	check("a\nx\nb\n", "a\nb\n", 0, "--- a\n+++ b\n@@ -2,1 +1,0 @@\n-x\n");
	check("", "new\n", 3, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n");
}

static void test_far_apart_changes_are_two_hunks(void **state)
{
	(void)state;
	check("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "X\n2\n3\n4\n5\n6\n7\n8\nY\n", 1,
	      "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-1\n+X\n 2\n"
	      "@@ -8,2 +8,2 @@\n 8\n-9\n+Y\n");
	/* Close changes share one hunk. */
	check("1\n2\n3\n4\n", "X\n2\n3\nY\n", 1,
	      "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n-4\n+Y\n");
}

static void test_last_line_without_newline(void **state)
{
	(void)state;
	check("a\nb", "a\nc", 3, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_texts_give_nothing),
		cmocka_unit_test(test_changed_line_with_context),
		cmocka_unit_test(test_added_and_removed_lines),
		cmocka_unit_test(test_far_apart_changes_are_two_hunks),
		cmocka_unit_test(test_last_line_without_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
