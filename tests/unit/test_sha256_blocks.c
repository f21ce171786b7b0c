/*
 * test_sha256_blocks.c - SHA-256 (Nettle, as strata calls it) at every
 * padding boundary
 * (one or two final blocks), against digests from Python's hashlib.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checksum.h"

static const struct {
	size_t len;
	const char *hex;
} vectors[] = {
	{ 55,
	  "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
	{ 56,
	  "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
	{ 57,
	  "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73" },
	{ 63,
	  "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
	{ 64,
	  "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
	{ 65,
	  "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
	{ 119,
	  "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
	{ 120,
	  "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
	{ 127,
	  "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
	{ 128,
	  "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
	{ 1000,
	  "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371" },
};

/* bytes (i * 7 + 3) mod 256, the same as the Python that made the vectors */
static void test_sha256_padding_boundaries(void **state)
{
	char out[CHECKSUM_HEX_LEN + 1];
	char data[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(unsigned char)((i * 7 + 3) & 0xff);
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		checksum_sha256_hex(data, vectors[v].len, out);
		assert_string_equal(out, vectors[v].hex);
	}
}

/* NIST's two-block message "abcdbcdecdef...nopq" (448 bits). */
static void test_sha256_nist_two_blocks(void **state)
{
	static const char msg[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char out[CHECKSUM_HEX_LEN + 1];

	(void)state;
	checksum_sha256_hex(msg, strlen(msg), out);
	assert_string_equal(
		out,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_padding_boundaries),
		cmocka_unit_test(test_sha256_nist_two_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
