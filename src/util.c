/* util.c - clocks, the runner's identity and mkdir -p. */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

void util_now_iso(char out[ISO_TIME_LEN])
{
	struct timespec ts;
	struct tm tm;
	char date[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, ISO_TIME_LEN, "%.20s.%03dZ", date,
		 (int)(ts.tv_nsec / 1000000) % 1000);
}

int64_t util_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Filled once per process (pthread_once), then only read. */
static char host[256];
static char who[512];
static pthread_once_t identity_once = PTHREAD_ONCE_INIT;

static void find_identity(void)
{
	const char *user = getenv("USER");
	struct passwd *pw;

	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	if (!user || !*user) {
		pw = getpwuid(geteuid());
		user = pw ? pw->pw_name : "unknown";
	}
	snprintf(who, sizeof(who), "%s@%s", user, host);
}

const char *util_host(void)
{
	pthread_once(&identity_once, find_identity);
	return host;
}

const char *util_user_host(void)
{
	pthread_once(&identity_once, find_identity);
	return who;
}

/* One folder; an existing folder counts as made before. */
static int mkdir_one(const char *dir, mode_t mode, bool *made)
{
	struct stat st;

	if (mkdir(dir, mode) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST || stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int util_mkdir_p(const char *path, mode_t mode, bool *created, size_t *bad_len)
{
	size_t len = strlen(path);
	bool made = false;
	char *copy;
	int rc = 0, saved;

	*bad_len = 0;
	if (created)
		*created = false;
	if (!len) {
		errno = ENOENT;
		return -1;
	}
	copy = malloc(len + 1);
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(copy, path, len + 1);
	/* Each parent ends before a '/' that follows a name (not the root). */
	for (size_t i = 1; i < len && !rc; i++) {
		if (copy[i] != '/' || copy[i - 1] == '/')
			continue;
		copy[i] = '\0';
		rc = mkdir_one(copy, mode, &made);
		copy[i] = '/';
		if (rc)
			*bad_len = i;
	}
	if (!rc && (rc = mkdir_one(copy, mode, &made)) != 0)
		*bad_len = len;
	saved = errno;
	free(copy);
	errno = saved;
	if (created)
		*created = made;
	return rc;
}
