/* tmpdir.h - a fresh temporary folder per test, for cmocka setup/teardown. */
#ifndef STRATA_TEST_TMPDIR_H
#define STRATA_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* The folder of the running test, made by setup and removed by teardown. */
static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/strata-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
