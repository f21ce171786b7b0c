/* util.h - clocks, the runner's identity, small file helpers. */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stdint.h>

#define ISO_TIME_LEN 32

/* UTC now as ISO-8601 with milliseconds: 2026-11-22T01:56:08.123Z */
void util_now_iso(char out[ISO_TIME_LEN]);

/* Milliseconds on a monotonic clock, for durations. */
int64_t util_ms(void);

/* "user@host" of this process, cached; never NULL. */
const char *util_user_host(void);

/* The host name, cached; never NULL. */
const char *util_host(void);

#endif
