/* util.c - clocks and the runner's identity. */
#include "util.h"

#include "banned.h"
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
