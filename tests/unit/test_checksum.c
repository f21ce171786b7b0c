/* test_checksum.c - SHA-256 as lowercase hex, against known vectors. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checksum.h"

static void test_checksum_empty(void **state)
{
	char out[CHECKSUM_HEX_LEN + 1];

	(void)state;
	checksum_sha256_hex("", 0, out);
	assert_string_equal(
		out,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_checksum_null_empty(void **state)
{
	char out[CHECKSUM_HEX_LEN + 1];

	(void)state;
	checksum_sha256_hex(NULL, 0, out);
	assert_string_equal(
		out,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_checksum_abc(void **state)
{
	char out[CHECKSUM_HEX_LEN + 1];

	(void)state;
	checksum_sha256_hex("abc", 3, out);
	assert_string_equal(
		out,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(out), CHECKSUM_HEX_LEN);
}

static void test_checksum_uses_length_not_nul(void **state)
{
	char a[CHECKSUM_HEX_LEN + 1], b[CHECKSUM_HEX_LEN + 1];
	static const char with_nul[] = { 'a', '\0', 'b' };

	(void)state;
	checksum_sha256_hex("abcdef", 3, a);
	assert_string_equal(
		a,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	checksum_sha256_hex(with_nul, sizeof(with_nul), a);
	checksum_sha256_hex(with_nul, 1, b);
	assert_string_not_equal(a, b);
}

static void test_checksum_million_a(void **state)
{
	char out[CHECKSUM_HEX_LEN + 1];
	char *data = malloc(1000000);

	(void)state;
	assert_non_null(data);
	memset(data, 'a', 1000000);
	checksum_sha256_hex(data, 1000000, out);
	free(data);
	assert_string_equal(
		out,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_empty),
		cmocka_unit_test(test_checksum_null_empty),
		cmocka_unit_test(test_checksum_abc),
		cmocka_unit_test(test_checksum_uses_length_not_nul),
		cmocka_unit_test(test_checksum_million_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
