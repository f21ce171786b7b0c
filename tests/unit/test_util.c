/* test_util.c - util_mkdir_p: parents, existing folders, files in the way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strata.h"
#include "tmpdir.h"
#include "util.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdir_p_makes_parents(void **state)
{
	char path[512];
	bool created = false;
	size_t bad = 99;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &created, &bad), 0);
	assert_true(created);
	assert_true(is_dir(path));
	assert_int_equal(bad, 0);
	/* Again: nothing to make, still fine. */
	assert_int_equal(util_mkdir_p(path, 0755, &created, &bad), 0);
	assert_false(created);
}

static void test_mkdir_p_slashes(void **state)
{
	char path[512], made[512];
	bool created = false;
	size_t bad;

	(void)state;
	/* Repeated and trailing slashes name the same folders. */
	snprintf(path, sizeof(path), "%s//x///y/", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &created, &bad), 0);
	assert_true(created);
	snprintf(made, sizeof(made), "%s/x/y", dir);
	assert_true(is_dir(made));
	assert_int_equal(util_mkdir_p("/", 0755, &created, &bad), 0);
	assert_false(created);
	/* A parent that exists is not 'created'; NULL is allowed. */
	assert_int_equal(util_mkdir_p(dir, 0755, NULL, &bad), 0);
}

static void test_mkdir_p_relative(void **state)
{
	char cwd[512];
	bool created = false;
	size_t bad;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(util_mkdir_p("rel/one", 0755, &created, &bad), 0);
	assert_true(created);
	assert_true(is_dir("rel/one"));
	assert_int_equal(util_mkdir_p("r", 0755, &created, &bad), 0);
	assert_true(is_dir("r"));
	assert_int_equal(chdir(cwd), 0);
}

/* The old copies read path[1] of "" (past its end): refused now. */
static void test_mkdir_p_empty(void **state)
{
	bool created = true;
	size_t bad = 7;

	(void)state;
	errno = 0;
	assert_int_equal(util_mkdir_p("", 0755, &created, &bad), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(created);
	assert_int_equal(bad, 0);
}

static void test_mkdir_p_file_in_the_way(void **state)
{
	char file[512], path[512];
	bool created = true;
	size_t bad = 0;
	FILE *f;

	(void)state;
	snprintf(file, sizeof(file), "%s/plain", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	/* The file itself: not a folder. */
	assert_int_equal(util_mkdir_p(file, 0755, &created, &bad), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(bad, strlen(file));
	/* Below it: the failing prefix is the file. */
	snprintf(path, sizeof(path), "%s/plain/sub/deeper", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &created, &bad), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_false(created);
	assert_int_equal(bad, strlen(file));
	assert_memory_equal(path, file, bad);
}

/* strata_init_dir: the public face, with messages. */
static void test_init_dir(void **state)
{
	char path[512], file[512];
	strata *ctx = NULL;
	bool created = true;
	FILE *f;

	(void)state;
	assert_int_equal(strata_open(&ctx, NULL), STRATA_OK);
	snprintf(path, sizeof(path), "%s/m/n", dir);
	assert_int_equal(strata_init_dir(ctx, path, &created), STRATA_OK);
	assert_true(created);
	assert_int_equal(strata_init_dir(ctx, path, &created), STRATA_OK);
	assert_false(created);
	created = true;
	assert_int_equal(strata_init_dir(ctx, "", &created), STRATA_EINVAL);
	assert_false(created);
	assert_int_equal(strata_init_dir(ctx, NULL, &created), STRATA_EINVAL);
	snprintf(file, sizeof(file), "%s/f", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/f/g", dir);
	created = true;
	assert_int_equal(strata_init_dir(ctx, path, &created), STRATA_EIO);
	assert_false(created);
	assert_non_null(strstr(strata_errmsg(ctx), "cannot create folder '"));
	assert_non_null(strstr(strata_errmsg(ctx), "/f': "));
	strata_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdir_p_makes_parents,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_slashes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_relative, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_file_in_the_way,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
