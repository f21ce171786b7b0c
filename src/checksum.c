/*
 * checksum.c - SHA-256 of a migration body (FIPS 180-4), as lowercase hex.
 *
 * Our own, rather than libcrypto's: linking libcrypto alone costs every
 * start about a millisecond of loading and relocation, and OpenSSL 3
 * fetches the algorithm from its providers on first use (another few
 * million instructions), both more than hashing a thousand migration
 * files.  Migration bodies are small, so a plain implementation is
 * enough (docs/design.md, "Start-up").
 */
#include "checksum.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "banned.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#define S0(x)        (ror(x, 2) ^ ror(x, 13) ^ ror(x, 22))
#define S1(x)        (ror(x, 6) ^ ror(x, 11) ^ ror(x, 25))
#define CH(x, y, z)  ((x & (y ^ z)) ^ z)
#define MAJ(x, y, z) ((x & y) | (z & (x | y)))
/* One round; the eight words rotate by renaming, not by moving. */
#define ROUND(a, b, c, d, e, f, g, h, i)                             \
	do {                                                         \
		uint32_t t1 = h + S1(e) + CH(e, f, g) + K[i] + w[i]; \
		d += t1;                                             \
		h = t1 + S0(a) + MAJ(a, b, c);                       \
	} while (0)

/* One 64-byte block into the state st. */
static void compress(uint32_t st[8], const unsigned char *block)
{
	uint32_t w[64];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(block + 4 * i);
	for (; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (i = 0; i < 64; i += 8) {
		ROUND(a, b, c, d, e, f, g, h, i);
		ROUND(h, a, b, c, d, e, f, g, i + 1);
		ROUND(g, h, a, b, c, d, e, f, i + 2);
		ROUND(f, g, h, a, b, c, d, e, i + 3);
		ROUND(e, f, g, h, a, b, c, d, i + 4);
		ROUND(d, e, f, g, h, a, b, c, i + 5);
		ROUND(c, d, e, f, g, h, a, b, i + 6);
		ROUND(b, c, d, e, f, g, h, a, i + 7);
	}
	st[0] += a, st[1] += b, st[2] += c, st[3] += d;
	st[4] += e, st[5] += f, st[6] += g, st[7] += h;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>

/*
 * The x86 SHA extensions (most CPUs since 2017): the same digest, about
 * ten times faster per block.  Used when CPUID says they are there.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_ni(uint32_t st[8], const unsigned char *p, size_t blocks)
{
	const __m128i swap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, x[16], m, abef, cdgh;
	int i;

	t = _mm_loadu_si128((const __m128i *)(const void *)&st[0]);
	s1 = _mm_loadu_si128((const __m128i *)(const void *)&st[4]);
	t = _mm_shuffle_epi32(t, 0xB1);    /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);  /* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);    /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0); /* CDGH */
	for (; blocks; blocks--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (i = 0; i < 16; i++) {
			if (i < 4)
				x[i] = _mm_shuffle_epi8(
					_mm_loadu_si128(
						(const __m128i
							 *)(const void
								    *)(p +
								       16 * i)),
					swap);
			else
				x[i] = _mm_sha256msg2_epu32(
					_mm_add_epi32(
						_mm_sha256msg1_epu32(x[i - 4],
								     x[i - 3]),
						_mm_alignr_epi8(x[i - 1],
								x[i - 2], 4)),
					x[i - 1]);
			m = _mm_add_epi32(
				x[i],
				_mm_loadu_si128(
					(const __m128i *)(const void
								  *)&K[4 * i]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			m = _mm_shuffle_epi32(m, 0x0E);
			s0 = _mm_sha256rnds2_epu32(s0, s1, m);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);  /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xF0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)(void *)&st[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&st[4], s1);
}

static bool sha_ni;
static pthread_once_t sha_ni_once = PTHREAD_ONCE_INIT;

static void detect_sha_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) ||
	    !(c & bit_SSE4_1))
		return;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)))
		sha_ni = true;
}
#endif

/* Hash blocks whole 64-byte blocks of p into st. */
static void compress_blocks(uint32_t st[8], const unsigned char *p,
			    size_t blocks, bool portable)
{
#ifdef HAVE_SHA_NI
	pthread_once(&sha_ni_once, detect_sha_ni);
	if (sha_ni && !portable) {
		compress_ni(st, p, blocks);
		return;
	}
#endif
	(void)portable;
	for (; blocks; blocks--, p += 64)
		compress(st, p);
}

static void sha256_hex(const char *data, size_t len,
		       char out[CHECKSUM_HEX_LEN + 1], bool portable)

{
	static const char hex[] = "0123456789abcdef";
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = (const unsigned char *)(data ? data : "");
	unsigned char tail[128];
	uint64_t bits;
	size_t rest, pad;
	int i;

	if (!data)
		len = 0;
	bits = (uint64_t)len * 8;
	compress_blocks(h, p, len / 64, portable);
	p += len / 64 * 64;
	rest = len % 64;
	/* The last bytes, a 1 bit, zeros, and the length in bits. */
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p, rest);
	tail[rest] = 0x80;
	pad = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[pad - 1 - i] = (unsigned char)(bits >> (8 * i));
	compress_blocks(h, tail, pad / 64, portable);
	for (i = 0; i < 32; i++) {
		unsigned char byte =
			(unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
		out[2 * i] = hex[byte >> 4];
		out[2 * i + 1] = hex[byte & 0xf];
	}
	out[CHECKSUM_HEX_LEN] = '\0';
}

void checksum_sha256_hex(const char *data, size_t len,
			 char out[CHECKSUM_HEX_LEN + 1])
{
	sha256_hex(data, len, out, false);
}

void checksum_sha256_hex_portable(const char *data, size_t len,
				  char out[CHECKSUM_HEX_LEN + 1])
{
	sha256_hex(data, len, out, true);
}
