/* util.h - clocks, the runner's identity, small file helpers. */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ISO_TIME_LEN 32

/* UTC now as ISO-8601 with milliseconds: 2026-11-22T01:56:08.123Z */
void util_now_iso(char out[ISO_TIME_LEN]);

/* Milliseconds on a monotonic clock, for durations. */
int64_t util_ms(void);

/* "user@host" of this process, cached; never NULL. */
const char *util_user_host(void);

/* The host name, cached; never NULL. */
const char *util_host(void);

/*
 * mkdir -p: create folder 'path' and its missing parents with 'mode'.  An
 * existing folder is fine; a file in the way is ENOTDIR.  Returns 0, or -1
 * with errno set (ENOMEM, ENOENT for an empty path) and path[0..*bad_len)
 * the folder that could not be made.  *created (may be NULL) says whether
 * any folder was made.
 */
int util_mkdir_p(const char *path, mode_t mode, bool *created, size_t *bad_len);

#endif
