/*
 * checksum.c - SHA-256 of a migration body, through GNU Nettle.
 *
 * Nettle rather than OpenSSL's libcrypto: the no-op start hashes every
 * file, and libcrypto cost ~2.5M instructions of dynamic linking plus
 * ~5.3M for OpenSSL 3's first algorithm fetch on every start, more than
 * hashing 1,000 files.  Nettle is small, has no fetch, and its "fat"
 * build (Debian's) picks the CPU's SHA instructions at load time.
 */
#include "checksum.h"

#include <nettle/sha2.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

void checksum_sha256_hex(const char *data, size_t len,
			 char out[CHECKSUM_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx h;

	sha256_init(&h);
	sha256_update(&h, len, (const uint8_t *)data);
	sha256_digest(&h, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[CHECKSUM_HEX_LEN] = '\0';
}
