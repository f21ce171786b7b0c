/* checksum.h - SHA-256 of a migration body, as 64 lowercase hex digits. */
#ifndef STRATA_CHECKSUM_H
#define STRATA_CHECKSUM_H

#include <stddef.h>

#define CHECKSUM_ALGO    "sha256"
#define CHECKSUM_HEX_LEN 64

/* Write the hex digest of data[0..len) and a NUL into out. */
void checksum_sha256_hex(const char *data, size_t len,
			 char out[CHECKSUM_HEX_LEN + 1]);

#endif
