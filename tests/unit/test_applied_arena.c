/*
 * test_applied_arena.c - applied rows keep their strings in blocks of the
 * list: many rows, strings longer than a block, NULLs, a read in order
 * left as it is, one out of order sorted, and a release that frees them
 * all (ASan/valgrind find a leak or a use after free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

static void push(struct applied_list *al, int64_t v, const char *name,
		 const char *sum)
{
	assert_int_equal(applied_push(al, v, name, NULL, sum, NULL, -1, NULL),
			 0);
}

static void test_many_rows_share_blocks(void **state)
{
	struct applied_list al = { 0 };
	char name[32], sum[65];

	(void)state;
	for (int i = 1; i <= 20000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(sum, sizeof(sum), "%064d", i);
		push(&al, i, name, sum);
	}
	assert_int_equal(al.n, 20000);
	applied_sort(&al);
	for (int i = 1; i <= 20000; i += 997) {
		const struct applied *a = applied_find(&al, i);

		snprintf(name, sizeof(name), "m%d", i);
		snprintf(sum, sizeof(sum), "%064d", i);
		assert_non_null(a);
		assert_string_equal(a->name, name);
		assert_string_equal(a->checksum, sum);
		assert_null(a->description);
		assert_null(a->applied_at);
		assert_null(a->applied_by);
	}
	/* Earlier rows' strings were not moved by later blocks. */
	assert_string_equal(al.items[0].name, "m1");
	assert_string_equal(al.items[19999].name, "m20000");
	applied_release(&al);
	assert_int_equal(al.n, 0);
	assert_null(al.items);
	assert_null(al.blocks);
}

static void test_string_larger_than_a_block(void **state)
{
	struct applied_list al = { 0 };
	size_t n = 200 * 1024;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 'd', n);
	big[n] = '\0';
	push(&al, 1, "a", "s");
	assert_int_equal(
		applied_push(&al, 2, "b", big, "t", "2026-01-01", 3, "me"), 0);
	push(&al, 3, "c", "u");
	free(big);
	assert_int_equal(strlen(al.items[1].description), n);
	assert_string_equal(al.items[1].applied_by, "me");
	assert_string_equal(al.items[0].name, "a");
	assert_string_equal(al.items[2].name, "c");
	assert_string_equal(al.items[2].checksum, "u");
	applied_release(&al);
}

static void test_sort_only_when_needed(void **state)
{
	struct applied_list al = { 0 };

	(void)state;
	push(&al, 5, "five", "x");
	push(&al, 2, "two", "y");
	push(&al, 9, "nine", "z");
	applied_sort(&al);
	assert_int_equal(al.items[0].version, 2);
	assert_string_equal(al.items[0].name, "two");
	assert_int_equal(al.items[1].version, 5);
	assert_int_equal(al.items[2].version, 9);
	assert_string_equal(al.items[2].checksum, "z");
	applied_release(&al);
	applied_release(&al); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_rows_share_blocks),
		cmocka_unit_test(test_string_larger_than_a_block),
		cmocka_unit_test(test_sort_only_when_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
