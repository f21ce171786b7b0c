/* test_source.c - migrations folders and embedded arrays. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "migration.h"
#include "sb.h"
#include "strata.h"

/* Everything one test uses, freed by teardown even when a test fails. */
struct fx {
	strata *ctx;
	char dir[64];
	struct source src;
	struct sb log; /* "LEVEL:message\n" per log line */
	char buf[512];
};

static void on_log(int level, const char *msg, void *payload)
{
	struct fx *f = payload;

	sb_addf(&f->log, "%d:%s\n", level, msg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->log = (struct sb)SB_INIT;
	strcpy(f->dir, "/tmp/strata-test-source-XXXXXX");
	if (strata_open(&f->ctx, NULL) != STRATA_OK || !mkdtemp(f->dir)) {
		strata_close(f->ctx);
		free(f);
		return -1;
	}
	strata_set_log(f->ctx, on_log, f);
	*state = f;
	return 0;
}

/* Remove a folder and what it holds (two levels are all the tests make). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[1024];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	remove_tree(f->dir);
	source_release(&f->src);
	sb_release(&f->log);
	strata_close(f->ctx);
	free(f);
	return 0;
}

/* f->dir + "/" + name, in f->buf. */
static const char *at(struct fx *f, const char *name)
{
	snprintf(f->buf, sizeof(f->buf), "%s/%s", f->dir, name);
	return f->buf;
}

static void write_len(struct fx *f, const char *name, const char *text,
		      size_t len)
{
	FILE *fp = fopen(at(f, name), "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void write_file(struct fx *f, const char *name, const char *text)
{
	write_len(f, name, text, strlen(text));
}

static void make_dir(struct fx *f, const char *name)
{
	assert_int_equal(mkdir(at(f, name), 0700), 0);
}

/* Load f->dir into f->src, which must succeed (source_finish too). */
static void load_ok(struct fx *f)
{
	err_clear(f->ctx);
	if (source_add_dir(f->ctx, &f->src, f->dir) != STRATA_OK)
		fail_msg("load failed: %s", strata_errmsg(f->ctx));
	assert_int_equal(source_finish(f->ctx, &f->src), STRATA_OK);
}

/* Load f->dir, which must fail with EINVAL and add nothing: the message. */
static const char *load_bad(struct fx *f)
{
	size_t n = f->src.n;

	err_clear(f->ctx);
	assert_int_equal(source_add_dir(f->ctx, &f->src, f->dir),
			 STRATA_EINVAL);
	assert_int_equal(f->src.n, n);
	return strata_errmsg(f->ctx);
}

/* The expected message, with DIR replaced by the test's folder. */
static void assert_msg(struct fx *f, const char *got, const char *fmt)
{
	struct sb want = SB_INIT;
	const char *p;

	for (p = fmt; *p; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			sb_adds(&want, f->dir);
			p += 2;
		} else {
			sb_addc(&want, *p);
		}
	}
	assert_false(want.failed);
	if (strcmp(got, want.buf) != 0) {
		fail_msg("got  '%s'\nwant '%s'", got, want.buf);
	}
	sb_release(&want);
}

static void test_source_good_folder(void **state)
{
	struct fx *f = *state;
	const struct migration *m;

	write_file(f, "001_init.sql",
		   "-- Initial\n-- strata:up\nA;\n"
		   "-- strata:down\nB;\n");
	write_file(f, "002_users.up.sql", "-- Users\nCREATE TABLE u;\n");
	write_file(f, "002_users.down.sql", "DROP TABLE u;\n");
	write_file(f, "3_lone.up.sql", "C;");
	write_file(f, "10_ten.sql", "D;");
	write_file(f, "README.md", "# migrations\n");
	write_file(f, "notes.txt", "x");
	write_file(f, ".hidden.sql", "\xff not even text");
	write_file(f, ".004_hidden.sql", "");
	make_dir(f, ".git");
	make_dir(f, "other");
	load_ok(f);
	assert_int_equal(f->src.n, 4);
	assert_string_equal(f->log.buf, "");

	m = &f->src.items[0];
	assert_int_equal(m->version, 1);
	assert_string_equal(m->name, "init");
	assert_string_equal(m->description, "Initial");
	assert_string_equal(m->path, at(f, "001_init.sql"));
	assert_null(m->down_path);
	assert_string_equal(m->up, "A;");
	assert_int_equal(m->up_line, 3);
	assert_string_equal(m->down, "B;");

	m = &f->src.items[1];
	assert_int_equal(m->version, 2);
	assert_string_equal(m->name, "users");
	assert_string_equal(m->description, "Users");
	assert_string_equal(m->path, at(f, "002_users.up.sql"));
	assert_string_equal(m->down_path, at(f, "002_users.down.sql"));
	assert_string_equal(m->down, "DROP TABLE u;");

	m = &f->src.items[2];
	assert_int_equal(m->version, 3);
	assert_string_equal(m->name, "lone");
	assert_null(m->down);
	assert_null(m->down_path);

	assert_int_equal(f->src.items[3].version, 10);
	assert_ptr_equal(source_find(&f->src, 2), &f->src.items[1]);
	assert_ptr_equal(source_find(&f->src, 10), &f->src.items[3]);
	assert_null(source_find(&f->src, 4));
	assert_null(source_find(&f->src, 0));
	assert_null(source_find(&f->src, 11));
}

static void test_source_trailing_slash(void **state)
{
	struct fx *f = *state;
	char dir[80];

	write_file(f, "001_a.sql", "A;");
	snprintf(dir, sizeof(dir), "%s/", f->dir);
	assert_int_equal(source_add_dir(f->ctx, &f->src, dir), STRATA_OK);
	assert_int_equal(f->src.n, 1);
	assert_string_equal(f->src.items[0].path, at(f, "001_a.sql"));
}

static void test_source_empty_folder(void **state)
{
	struct fx *f = *state;

	load_ok(f);
	assert_int_equal(f->src.n, 0);
	assert_null(source_find(&f->src, 1));
}

static void test_source_warnings(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_ok.sql", "A;");
	write_file(f, "abc.sql", "x");
	write_file(f, "002-dash.sql", "x");
	write_file(f, "003_a b.sql", "x");
	write_file(f, "004_\xff\xfe.sql", "x");
	write_file(f, "005_caf\xc3\xa9.sql", "x");
	write_file(f, "006_x.txt", "x");
	write_file(f, "007_x.sql.bak", "x");
	write_file(f, "008_tab\t.sql", "x");
	make_dir(f, "009_folder");
	make_dir(f, "010_folder.sql");
	make_dir(f, "plain.sql");
	make_dir(f, "archive");
	load_ok(f);
	/* SPEC 2: a name is any text without '/': 003 and 005 fit. */
	assert_int_equal(f->src.n, 3);
	assert_string_equal(f->src.items[1].name, "a b");
	assert_string_equal(f->src.items[2].name, "caf\xc3\xa9");
	assert_msg(
		f, f->log.buf,
		"1:ignoring folder 'DIR/009_folder': migrations are files\n"
		"1:ignoring folder 'DIR/010_folder.sql': migrations are files\n"
		"1:ignoring 'DIR/002-dash.sql': name does not fit <version>_<name>.sql\n"
		"1:ignoring 'DIR/004_\\xff\\xfe.sql': name does not fit <version>_<name>.sql\n"
		"1:ignoring 'DIR/008_tab\\x09.sql': name does not fit <version>_<name>.sql\n"
		"1:ignoring 'DIR/abc.sql': name does not fit <version>_<name>.sql\n");
}

static void test_source_missing_folder(void **state)
{
	struct fx *f = *state;
	char dir[80];

	snprintf(dir, sizeof(dir), "%s/nope", f->dir);
	assert_int_equal(source_add_dir(f->ctx, &f->src, dir), STRATA_EINVAL);
	assert_msg(f, strata_errmsg(f->ctx),
		   "migrations folder 'DIR/nope' does not exist");
	err_clear(f->ctx);
	assert_int_equal(source_add_dir(f->ctx, &f->src, ""), STRATA_EINVAL);
	err_clear(f->ctx);
	assert_int_equal(source_add_dir(f->ctx, &f->src, NULL), STRATA_EINVAL);
	assert_int_equal(f->src.n, 0);
}

static void test_source_not_a_folder(void **state)
{
	struct fx *f = *state;
	char dir[80];

	write_file(f, "file", "x");
	snprintf(dir, sizeof(dir), "%s/file", f->dir);
	assert_int_equal(source_add_dir(f->ctx, &f->src, dir), STRATA_EINVAL);
	assert_msg(f, strata_errmsg(f->ctx),
		   "migrations folder 'DIR/file' is not a folder");
}

static void test_source_unreadable_folder(void **state)
{
	struct fx *f = *state;
	char dir[80];

	if (geteuid() == 0)
		skip(); /* root reads any folder */
	snprintf(dir, sizeof(dir), "%s/locked", f->dir);
	assert_int_equal(mkdir(dir, 0), 0);
	assert_int_equal(source_add_dir(f->ctx, &f->src, dir), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(f->ctx), "cannot read"));
	chmod(dir, 0700);
}

static void test_source_down_without_up(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_a.sql", "A;");
	write_file(f, "002_x.down.sql", "B;");
	write_file(f, "002_y.up.sql", "C;");
	write_file(f, "002_y.down.sql", "D;");
	assert_msg(f, load_bad(f),
		   "'DIR/002_x.down.sql' has no matching '002_x.up.sql'");
}

static void test_source_down_alone(void **state)
{
	struct fx *f = *state;

	write_file(f, "5_x.down.sql", "B;");
	assert_msg(f, load_bad(f),
		   "'DIR/5_x.down.sql' has no matching '5_x.up.sql'");
	/* Pairs match by the exact name before the suffix. */
	unlink(at(f, "5_x.down.sql"));
	write_file(f, "005_x.up.sql", "A;");
	write_file(f, "5_x.down.sql", "B;");
	assert_msg(f, load_bad(f),
		   "'DIR/5_x.down.sql' has no matching '5_x.up.sql'");
}

static void test_source_duplicates(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_a.sql", "A;");
	write_file(f, "1_b.sql", "B;");
	assert_msg(f, load_bad(f),
		   "duplicate version 1: 'DIR/001_a.sql' and 'DIR/1_b.sql'");
	unlink(at(f, "1_b.sql"));
	write_file(f, "001_a.up.sql", "B;");
	assert_msg(
		f, load_bad(f),
		"duplicate version 1: 'DIR/001_a.sql' and 'DIR/001_a.up.sql'");
	unlink(at(f, "001_a.sql"));
	write_file(f, "001_a.down.sql", "C;");
	write_file(f, "0001_z.sql", "D;");
	assert_msg(
		f, load_bad(f),
		"duplicate version 1: 'DIR/0001_z.sql' and 'DIR/001_a.up.sql'");
}

static void test_source_parse_errors(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_a.sql", "A;");
	write_file(f, "002_b.sql", "-- b\nB;\n-- strata:down\nC;\n");
	assert_msg(f, load_bad(f),
		   "DIR/002_b.sql:3: down marker without an up marker");

	write_file(f, "002_b.sql", "-- strata:up\nB;\n-- strata:nope\n");
	assert_msg(
		f, load_bad(f),
		"DIR/002_b.sql:3: unknown strata marker 'nope' (expected up, down or no-transaction)");

	write_len(f, "002_b.sql", "B;\0", 3);
	assert_msg(f, load_bad(f), "DIR/002_b.sql: contains a NUL byte");

	write_file(f, "002_b.sql", "-- x\r\n\r\nB \xc3;\r\n");
	assert_msg(f, load_bad(f), "DIR/002_b.sql:3: not valid UTF-8 text");

	unlink(at(f, "002_b.sql"));
	write_file(f, "003_c.up.sql", "-- strata:up\nA;");
	write_file(f, "003_c.down.sql", "B;");
	assert_msg(
		f, load_bad(f),
		"DIR/003_c.up.sql:1: marker line in a pair-form file (.up.sql/.down.sql hold bodies only)");
	write_file(f, "003_c.up.sql", "A;");
	write_file(f, "003_c.down.sql", "B;\n-- strata:down\n");
	assert_msg(
		f, load_bad(f),
		"DIR/003_c.down.sql:2: marker line in a pair-form file (.up.sql/.down.sql hold bodies only)");
	write_file(f, "003_c.down.sql", "-- +goose Down\n");
	assert_msg(
		f, load_bad(f),
		"DIR/003_c.down.sql:1: goose marker in a file that holds a body only");
}

static void test_source_failure_adds_nothing(void **state)
{
	struct fx *f = *state;
	static const strata_migration arr[] = {
		{ .version = 50, .name = "e", .up = "E;", .up_len = 2 },
	};

	assert_int_equal(source_add_array(f->ctx, &f->src, arr, 1), STRATA_OK);
	write_file(f, "001_a.sql", "A;");
	write_file(f, "002_b.sql", "B;");
	write_file(f, "003_c.sql", "-- strata:down\n");
	load_bad(f);
	assert_int_equal(f->src.n, 1);
	unlink(at(f, "003_c.sql"));
	load_ok(f);
	assert_int_equal(f->src.n, 3);
	assert_int_equal(f->src.items[0].version, 1);
	assert_int_equal(f->src.items[2].version, 50);
}

static void test_source_crlf_bom_checksum(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_lf.sql",
		   "-- d\n-- strata:up\nA;\nB;\n"
		   "-- strata:down\nC;\n");
	write_file(f, "002_crlf.sql",
		   "-- d\r\n-- strata:up\r\nA;\r\nB;\r\n"
		   "-- strata:down\r\nC;\r\n");
	write_file(f, "003_bom.sql",
		   "\xef\xbb\xbf-- d\r\n-- strata:up\r\n"
		   "A;\r\nB;\r\n-- strata:down\r\nC;\r\n");
	write_file(f, "004_pair.up.sql", "\xef\xbb\xbf\r\nA;\r\nB;\r\n\r\n");
	load_ok(f);
	assert_int_equal(f->src.n, 4);
	assert_string_equal(f->src.items[0].checksum, f->src.items[1].checksum);
	assert_string_equal(f->src.items[0].checksum, f->src.items[2].checksum);
	assert_string_equal(f->src.items[0].checksum, f->src.items[3].checksum);
	assert_int_equal(f->src.items[2].up_line, 3);
}

static void test_source_down_edit_keeps_checksum(void **state)
{
	struct fx *f = *state;
	char before[CHECKSUM_HEX_LEN + 1];

	write_file(f, "001_a.sql", "-- strata:up\nA;\n-- strata:down\nB;\n");
	load_ok(f);
	memcpy(before, f->src.items[0].checksum, sizeof(before));
	source_release(&f->src);
	write_file(f, "001_a.sql",
		   "-- strata:up\nA;\n-- strata:down\n"
		   "-- fixed\nDROP TABLE b;\n");
	load_ok(f);
	assert_string_equal(f->src.items[0].checksum, before);
	source_release(&f->src);
	write_file(f, "001_a.sql", "-- strata:up\nA2;\n-- strata:down\nB;\n");
	load_ok(f);
	assert_string_not_equal(f->src.items[0].checksum, before);
}

static void test_source_empty_down_vs_none(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_none.sql", "-- strata:up\nA;\n");
	write_file(f, "002_empty.sql", "-- strata:up\nA;\n-- strata:down\n");
	write_file(f, "003_nomark.sql", "A;\n");
	write_file(f, "004_pair.up.sql", "A;");
	write_file(f, "004_pair.down.sql", "\n\n");
	load_ok(f);
	assert_null(f->src.items[0].down);
	assert_non_null(f->src.items[1].down);
	assert_int_equal(f->src.items[1].down_len, 0);
	assert_null(f->src.items[2].down);
	assert_non_null(f->src.items[3].down);
	assert_int_equal(f->src.items[3].down_len, 0);
}

static void test_source_symlink_and_fifo(void **state)
{
	struct fx *f = *state;
	char target[80];

	write_file(f, "real.txt", "A;");
	snprintf(target, sizeof(target), "%s/real.txt", f->dir);
	assert_int_equal(symlink(target, at(f, "001_link.sql")), 0);
	load_ok(f);
	assert_int_equal(f->src.n, 1);
	assert_string_equal(f->src.items[0].up, "A;");
	source_release(&f->src);

	assert_int_equal(mkfifo(at(f, "002_fifo.sql"), 0600), 0);
	assert_msg(f, load_bad(f), "'DIR/002_fifo.sql' is not a regular file");
}

static void test_source_large_file(void **state)
{
	struct fx *f = *state;
	size_t n = 8 << 20, i;
	char *text = malloc(n);

	assert_non_null(text);
	memcpy(text, "-- strata:up\n", 13);
	for (i = 13; i < n; i++)
		text[i] = i % 64 == 63 ? '\n' : 'x';
	write_len(f, "001_big.sql", text, n);
	free(text);
	load_ok(f);
	assert_int_equal(f->src.n, 1);
	assert_int_equal(f->src.items[0].up_len, n - 13 - 1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_source_thousand_files(void **state)
{
	struct fx *f = *state;
	char name[64], text[256];
	double t0, ms;
	int i;

	for (i = 1000; i >= 1; i--) {
		snprintf(name, sizeof(name), "%04d_step_%d.sql", i, i);
		snprintf(
			text, sizeof(text),
			"-- Step %d\n-- strata:up\nCREATE TABLE t%d (id INTEGER "
			"PRIMARY KEY, name TEXT);\n-- strata:down\nDROP TABLE "
			"t%d;\n",
			i, i, i);
		write_file(f, name, text);
	}
	t0 = now_ms();
	load_ok(f);
	ms = now_ms() - t0;
	print_message("1000 files loaded in %.2f ms\n", ms);
	assert_int_equal(f->src.n, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(f->src.items[i].version, i + 1);
	assert_string_equal(source_find(&f->src, 777)->name, "step_777");
	assert_string_equal(source_find(&f->src, 777)->description, "Step 777");
	/* Generous, for valgrind; a plain build takes a few ms. */
	assert_true(ms < 5000);
}

static void test_source_array(void **state)
{
	struct fx *f = *state;
	static const strata_migration arr[] = {
		{ .version = 3, .name = "c", .up = "C;", .up_len = 2 },
		{ .version = 1,
		  .name = "a",
		  .description = "First",
		  .up = "\r\nA;\r\n",
		  .up_len = 6,
		  .down = "X;",
		  .down_len = 2 },
		{ .version = 2,
		  .name = "b",
		  .up = "B;",
		  .up_len = 2,
		  .down = "",
		  .down_len = 0,
		  .flags = STRATA_NO_TRANSACTION },
	};
	const struct migration *m;

	assert_int_equal(source_add_array(f->ctx, &f->src, arr, 3), STRATA_OK);
	assert_int_equal(source_finish(f->ctx, &f->src), STRATA_OK);
	assert_int_equal(f->src.n, 3);
	m = source_find(&f->src, 1);
	assert_non_null(m);
	assert_string_equal(m->name, "a");
	assert_string_equal(m->description, "First");
	assert_string_equal(m->up, "A;");
	assert_string_equal(m->down, "X;");
	assert_null(m->path);
	m = source_find(&f->src, 2);
	assert_non_null(m->down);
	assert_int_equal(m->down_len, 0);
	assert_int_equal(m->flags, STRATA_NO_TRANSACTION);
	assert_string_equal(m->description, "");
	m = source_find(&f->src, 3);
	assert_null(m->down);
	assert_int_equal(f->src.items[0].version, 1);
	assert_int_equal(f->src.items[2].version, 3);

	/* The same up text in a file has the same checksum. */
	write_file(f, "007_a.sql", "A;\n");
	load_ok(f);
	assert_string_equal(source_find(&f->src, 7)->checksum,
			    source_find(&f->src, 1)->checksum);
	assert_int_equal(source_add_array(f->ctx, &f->src, arr, 0), STRATA_OK);
	assert_int_equal(f->src.n, 4);
}

static void test_source_array_errors(void **state)
{
	struct fx *f = *state;
	static const strata_migration dup[] = {
		{ .version = 3, .name = "a", .up = "A;", .up_len = 2 },
		{ .version = 1, .name = "x", .up = "X;", .up_len = 2 },
		{ .version = 3, .name = "b", .up = "B;", .up_len = 2 },
	};
	static const strata_migration badname[] = {
		{ .version = 1, .name = "ok", .up = "A;", .up_len = 2 },
		{ .version = 2, .name = "no good", .up = "B;", .up_len = 2 },
	};
	static const strata_migration noup[] = {
		{ .version = 2, .name = "b" },
	};

	assert_int_equal(source_add_array(f->ctx, &f->src, dup, 3),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"duplicate version 3: embedded migration 3_a and embedded migration 3_b");
	err_clear(f->ctx);
	assert_int_equal(source_add_array(f->ctx, &f->src, badname, 2),
			 STRATA_EINVAL);
	assert_string_equal(
		strata_errmsg(f->ctx),
		"embedded migration 1: bad name 'no good' (use letters, digits, '_' and '-')");
	err_clear(f->ctx);
	assert_int_equal(source_add_array(f->ctx, &f->src, noup, 1),
			 STRATA_EINVAL);
	assert_string_equal(strata_errmsg(f->ctx),
			    "embedded migration 0: no up body");
	err_clear(f->ctx);
	assert_int_equal(source_add_array(f->ctx, &f->src, NULL, 1),
			 STRATA_EINVAL);
	assert_int_equal(f->src.n, 0);
}

static void test_source_duplicate_across_sources(void **state)
{
	struct fx *f = *state;
	static const strata_migration arr[] = {
		{ .version = 1, .name = "x", .up = "X;", .up_len = 2 },
		{ .version = 9, .name = "y", .up = "Y;", .up_len = 2 },
	};

	write_file(f, "001_a.sql", "A;");
	load_ok(f);
	assert_int_equal(source_add_array(f->ctx, &f->src, arr, 2),
			 STRATA_EINVAL);
	assert_msg(
		f, strata_errmsg(f->ctx),
		"duplicate version 1: 'DIR/001_a.sql' and embedded migration 1_x");
	assert_int_equal(f->src.n, 1);

	source_release(&f->src);
	assert_int_equal(source_add_array(f->ctx, &f->src, arr, 2), STRATA_OK);
	assert_msg(
		f, load_bad(f),
		"duplicate version 1: embedded migration 1_x and 'DIR/001_a.sql'");
	assert_int_equal(f->src.n, 2);
}

static void test_source_finish_sorts_and_refuses(void **state)
{
	struct fx *f = *state;
	static const strata_migration a[] = {
		{ .version = 5, .name = "five", .up = "5;", .up_len = 2 },
	};
	static const strata_migration b[] = {
		{ .version = 2, .name = "two", .up = "2;", .up_len = 2 },
	};

	assert_int_equal(source_add_array(f->ctx, &f->src, a, 1), STRATA_OK);
	assert_int_equal(source_add_array(f->ctx, &f->src, b, 1), STRATA_OK);
	assert_int_equal(f->src.items[0].version, 5);
	assert_int_equal(source_finish(f->ctx, &f->src), STRATA_OK);
	assert_int_equal(f->src.items[0].version, 2);
	assert_int_equal(f->src.items[1].version, 5);
	assert_string_equal(source_find(&f->src, 5)->name, "five");

	/* Duplicates that came in some other way are still refused. */
	f->src.items[0].version = 5;
	assert_int_equal(source_finish(f->ctx, &f->src), STRATA_EINVAL);
	assert_non_null(strstr(strata_errmsg(f->ctx), "duplicate version 5: "));
}

static void test_source_through_context(void **state)
{
	struct fx *f = *state;

	write_file(f, "001_a.sql", "A;");
	write_file(f, "1_b.sql", "B;");
	assert_int_equal(strata_add_dir(f->ctx, f->dir), STRATA_EINVAL);
	assert_msg(f, strata_errmsg(f->ctx),
		   "duplicate version 1: 'DIR/001_a.sql' and 'DIR/1_b.sql'");
	unlink(at(f, "1_b.sql"));
	assert_int_equal(strata_add_dir(f->ctx, f->dir), STRATA_OK);
}

static void make_path(struct fx *f, const char *rel, const char *text)
{
	char dir[128];
	const char *slash = strrchr(rel, '/');

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		mkdir(at(f, dir), 0700);
	}
	write_file(f, rel, text);
}

static void test_source_golang_migrate_names(void **state)
{
	struct fx *f = *state;

	write_file(f, "0_initial.up.sql", "A;");
	write_file(f, "0002_1.7.0_schema.up.sql", "B;");
	write_file(f, "0002_1.7.0_schema.down.sql", "");
	load_ok(f);
	assert_int_equal(f->src.format, FMT_GOLANG_MIGRATE);
	assert_int_equal(f->src.n, 2);
	assert_int_equal(f->src.items[0].version, 0);
	assert_null(f->src.items[0].down);
	assert_string_equal(f->src.items[1].name, "1.7.0_schema");
	assert_string_equal(f->src.items[1].down, "");
	write_file(f, "003_c.sql", "C;");
	source_release(&f->src);
	load_ok(f);
	assert_int_equal(f->src.format, FMT_STRATA); /* singles + pairs */
}

static void test_source_single_formats(void **state)
{
	struct fx *f = *state;

	write_file(f, "20200101000000_a.sql",
		   "-- migrate:up\nA;\n-- migrate:down\nB;\n");
	write_file(f, "20200102000000_b.sql", "-- migrate:up\nC;\n");
	load_ok(f);
	assert_int_equal(f->src.format, FMT_DBMATE);
	assert_string_equal(f->src.items[0].up, "A;");
	assert_string_equal(f->src.items[0].down, "B;");
	write_file(f, "20200103000000_c.sql", "-- +goose Up\nD;\n");
	assert_msg(
		f, load_bad(f),
		"migrations folder mixes formats: 'DIR/20200101000000_a.sql' is dbmate, 'DIR/20200103000000_c.sql' is goose (one folder holds one format)");
	write_file(f, "20200103000000_c.sql", "D;\n");
	assert_msg(
		f, load_bad(f),
		"migrations folder mixes formats: 'DIR/20200103000000_c.sql' is strata, 'DIR/20200101000000_a.sql' is dbmate (one folder holds one format)");
}

static void test_source_flyway(void **state)
{
	struct fx *f = *state;

	write_file(f, "V1__create_users.sql", "A;");
	write_file(f, "U1__undo_users.sql", "B;");
	write_file(f, "V002__more.sql", "C;");
	write_file(f, "afterMigrate.sql", "X;");
	load_ok(f);
	assert_int_equal(f->src.format, FMT_FLYWAY);
	assert_int_equal(f->src.n, 2);
	assert_string_equal(f->src.items[0].name, "create_users");
	assert_string_equal(f->src.items[0].down, "B;");
	assert_string_equal(f->src.items[0].down_path,
			    at(f, "U1__undo_users.sql"));
	assert_int_equal(f->src.items[1].version, 2);
	assert_null(f->src.items[1].down);
	assert_msg(
		f, f->log.buf,
		"1:ignoring 'DIR/afterMigrate.sql': name does not fit <version>_<name>.sql\n");
	assert_int_equal(f->src.items[0].flags, 0);

	/* A Flyway script's .sql.conf: executeInTransaction=false. */
	write_file(f, "V002__more.sql.conf", "executeInTransaction=false\n");
	write_file(f, "V1__create_users.sql.conf",
		   "executeInTransaction=true\n");
	source_release(&f->src);
	load_ok(f);
	assert_int_equal(f->src.items[0].flags, 0);
	assert_int_equal(f->src.items[1].flags, STRATA_NO_TRANSACTION);

	write_file(f, "U3__x.sql", "D;");
	assert_msg(f, load_bad(f),
		   "'DIR/U3__x.sql' has no matching 'V3__<desc>.sql'");
	unlink(at(f, "U3__x.sql"));
	write_file(f, "V1__again.sql", "D;");
	assert_msg(
		f, load_bad(f),
		"duplicate version 1: 'DIR/V1__again.sql' and 'DIR/V1__create_users.sql'");
	unlink(at(f, "V1__again.sql"));
	write_file(f, "V1.1__dotted.sql", "D;");
	assert_msg(
		f, load_bad(f),
		"'DIR/V1.1__dotted.sql': dotted Flyway version '1.1' (strata orders versions as one integer: rename it V<integer>__...)");
	unlink(at(f, "V1.1__dotted.sql"));
	write_file(f, "R__views.sql", "D;");
	assert_msg(
		f, load_bad(f),
		"'DIR/R__views.sql': Flyway repeatable migrations (R__) are not supported yet");
	unlink(at(f, "R__views.sql"));
	write_file(f, "V99999999999999999999__big.sql", "D;");
	assert_msg(
		f, load_bad(f),
		"'DIR/V99999999999999999999__big.sql': version past 64 bits");
}

static void test_source_diesel(void **state)
{
	struct fx *f = *state;

	make_path(f, "00000000000000_diesel_initial_setup/up.sql", "");
	make_path(f, "00000000000000_diesel_initial_setup/down.sql", "");
	make_path(f, "2018-04-27-155151_create_users/up.sql", "A;");
	make_path(f, "2018-04-27-155151_create_users/down.sql", "B;");
	make_path(f, "2024-03-13_170000_sso/up.sql", "C;");
	make_path(f, "2024-03-13_170000_sso/README", "x");
	make_path(f, "2024-03-14-000000_no_down/up.sql", "D;");
	load_ok(f);
	assert_int_equal(f->src.format, FMT_DIESEL);
	assert_int_equal(f->src.n, 4);
	assert_int_equal(f->src.items[0].version, 0);
	assert_string_equal(f->src.items[0].up, "");
	assert_string_equal(f->src.items[0].down, "");
	assert_int_equal(f->src.items[1].version, INT64_C(20180427155151));
	assert_string_equal(f->src.items[1].name, "create_users");
	assert_string_equal(f->src.items[1].path,
			    at(f, "2018-04-27-155151_create_users/up.sql"));
	assert_int_equal(f->src.items[2].version, INT64_C(20240313000000));
	assert_string_equal(f->src.items[2].name, "170000_sso");
	assert_null(f->src.items[2].down);
	assert_int_equal(f->src.items[3].version, INT64_C(20240314000000));
	assert_int_equal(f->src.items[1].flags, 0);

	/* diesel's metadata.toml: run_in_transaction = false. */
	make_path(f, "2018-04-27-155151_create_users/metadata.toml",
		  "# settings\nrun_in_transaction = false\n");
	make_path(f, "2024-03-13_170000_sso/metadata.toml",
		  "run_in_transaction = true\n");
	source_release(&f->src);
	load_ok(f);
	assert_int_equal(f->src.items[1].flags, STRATA_NO_TRANSACTION);
	assert_int_equal(f->src.items[2].flags, 0);

	/* A longer version widens every version: diesel's string order. */
	make_path(f, "2024-03-15-0000001_longer/up.sql", "E;");
	source_release(&f->src);
	load_ok(f);
	assert_int_equal(f->src.items[1].version, INT64_C(201804271551510));
	assert_int_equal(f->src.items[4].version, INT64_C(202403150000001));

	make_path(f, "2025-01-01-000000_bad/down.sql", "F;");
	assert_msg(
		f, load_bad(f),
		"'DIR/2025-01-01-000000_bad/down.sql' has no matching 'up.sql'");
	make_path(f, "2025-01-01-000000_bad/migration.sql", "F;");
	assert_msg(
		f, load_bad(f),
		"'DIR/2025-01-01-000000_bad' holds both migration.sql (Prisma) and up.sql/down.sql (diesel)");
}

static void test_source_prisma(void **state)
{
	struct fx *f = *state;

	write_file(f, "migration_lock.toml", "provider = \"sqlite\"\n");
	make_path(f, "0_init/migration.sql", "A;");
	make_path(f, "20210101000000_more/migration.sql", "-- m\nB;");
	load_ok(f);
	assert_int_equal(f->src.format, FMT_PRISMA);
	assert_int_equal(f->src.n, 2);
	assert_int_equal(f->src.items[1].version, INT64_C(20210101000000));
	assert_null(f->src.items[1].down);
	assert_string_equal(f->src.items[1].description, "m");
	write_file(f, "20210102000000_x.up.sql", "C;");
	assert_msg(
		f, load_bad(f),
		"migrations folder mixes formats: 'DIR/20210102000000_x.up.sql' is golang-migrate, 'DIR/0_init/migration.sql' is prisma (one folder holds one format)");
}

static void test_source_too_big_and_misfits(void **state)
{
	struct fx *f = *state;

	write_file(f, "create_users.sql", "A;");
	write_file(f, "more.sql", "B;");
	assert_msg(
		f, load_bad(f),
		"no file in migrations folder 'DIR' is a migration strata can read (such as 'DIR/create_users.sql'): name them <version>_<name>.sql");
	write_file(f, "001_ok.sql", "A;");
	load_ok(f);
	write_file(f, "99999999999999999999_big.up.sql", "A;");
	assert_msg(
		f, load_bad(f),
		"'DIR/99999999999999999999_big.up.sql': version past 64 bits");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_source_good_folder),
		T(test_source_trailing_slash),
		T(test_source_empty_folder),
		T(test_source_warnings),
		T(test_source_missing_folder),
		T(test_source_not_a_folder),
		T(test_source_unreadable_folder),
		T(test_source_down_without_up),
		T(test_source_down_alone),
		T(test_source_duplicates),
		T(test_source_parse_errors),
		T(test_source_failure_adds_nothing),
		T(test_source_crlf_bom_checksum),
		T(test_source_down_edit_keeps_checksum),
		T(test_source_empty_down_vs_none),
		T(test_source_symlink_and_fifo),
		T(test_source_large_file),
		T(test_source_thousand_files),
		T(test_source_array),
		T(test_source_array_errors),
		T(test_source_duplicate_across_sources),
		T(test_source_finish_sorts_and_refuses),
		T(test_source_through_context),
		T(test_source_golang_migrate_names),
		T(test_source_single_formats),
		T(test_source_flyway),
		T(test_source_diesel),
		T(test_source_prisma),
		T(test_source_too_big_and_misfits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
