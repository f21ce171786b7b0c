/* checksum.c - SHA-256 of a migration body (libcrypto), as lowercase hex. */
#include "checksum.h"

#include <openssl/evp.h>

void checksum_sha256_hex(const char *data, size_t len,
			 char out[CHECKSUM_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned int i;

	/*
	 * EVP_Digest fails only when libcrypto cannot allocate its state.
	 * The result is then "", which matches no stored checksum, rather
	 * than a plausible digest of the wrong bytes.
	 */
	if (!EVP_Digest(data ? data : "", data ? len : 0, md, &md_len,
			EVP_sha256(), NULL) ||
	    md_len * 2 != CHECKSUM_HEX_LEN) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[CHECKSUM_HEX_LEN] = '\0';
}
