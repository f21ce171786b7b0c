/* checksum.c - SHA-256 of a migration body (libcrypto), as lowercase hex. */
#include "checksum.h"

#include "banned.h"
#include <openssl/evp.h>
#include <pthread.h>

/*
 * The algorithm, fetched once: EVP_sha256() looks it up again on every
 * digest in OpenSSL 3, which cost more than hashing a thousand small files.
 */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void checksum_sha256_hex(const char *data, size_t len,
			 char out[CHECKSUM_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned int i;

	pthread_once(&sha256_once, fetch_sha256);
	/*
	 * EVP_Digest fails only when libcrypto cannot allocate its state.
	 * The result is then "", which matches no stored checksum, rather
	 * than a plausible digest of the wrong bytes.
	 */
	if (!sha256 ||
	    !EVP_Digest(data ? data : "", data ? len : 0, md, &md_len, sha256,
			NULL) ||
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
