/*
 * names.c - what strata knows of every engine, built in or not: names,
 * URL schemes and forms, ?charset= values, backup extensions, script
 * dialects.  Always built (also into the URL fuzz target), so that a
 * build without an engine still knows its URLs and can say it is not
 * built in.  The engines built in are listed in src/engine.c.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const char *const sqlite_schemes[] = { "sqlite", "sqlite3", NULL };
static const char *const sqlite_suffixes[] = { ".db", ".sqlite", ".sqlite3",
					       NULL };
static const char *const pg_schemes[] = { "postgres", "postgresql", NULL };
static const char *const pg_charsets[] = { "utf8", "utf-8", "utf8mb4", NULL };
static const char *const my_schemes[] = { "mysql", "mariadb", NULL };
static const char *const my_charsets[] = { "utf8mb4", NULL };

static const struct engine_info infos[] = {
	{
		.name = "sqlite",
		.label = "SQLite",
		.schemes = sqlite_schemes,
		.forms = URL_FORM_FILE,
		.file_suffixes = sqlite_suffixes,
		.dump_ext = ".bak",
		.dialect = SCRIPT_SQLITE,
	},
	{
		.name = "postgres",
		.label = "PostgreSQL",
		.schemes = pg_schemes,
		.forms = URL_FORM_SERVER | URL_FORM_CONNINFO,
		.charsets = pg_charsets,
		.charset_used = "UTF-8",
		.dump_ext = ".dump",
		.dialect = SCRIPT_PG,
	},
	{
		.name = "mysql",
		.label = "MySQL/MariaDB",
		.schemes = my_schemes,
		.forms = URL_FORM_SERVER,
		.charsets = my_charsets,
		.charset_used = "utf8mb4",
		.dump_ext = ".sql",
		.dialect = SCRIPT_MYSQL,
	},
};

#define N_INFOS (sizeof(infos) / sizeof(infos[0]))

const struct engine_info *engine_info_named(const char *name)
{
	for (size_t i = 0; name && i < N_INFOS; i++)
		if (strcmp(infos[i].name, name) == 0)
			return &infos[i];
	return NULL;
}

static const struct engine_info *test_info;

void engine_info_register_test(const struct engine_info *info)
{
	test_info = info;
}

static bool has_scheme(const struct engine_info *e, const char *s, size_t n)
{
	for (const char *const *sc = e->schemes; *sc; sc++)
		if (strlen(*sc) == n && strncasecmp(s, *sc, n) == 0)
			return true;
	return false;
}

const struct engine_info *engine_info_for_scheme(const char *s, size_t n)
{
	for (size_t i = 0; i < N_INFOS; i++)
		if (has_scheme(&infos[i], s, n))
			return &infos[i];
	return test_info && has_scheme(test_info, s, n) ? test_info : NULL;
}

const struct engine_info *engine_info_with_form(unsigned form)
{
	for (size_t i = 0; i < N_INFOS; i++)
		if (infos[i].forms & form)
			return &infos[i];
	return NULL;
}

const struct engine_info *engine_info_for_file(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < N_INFOS; i++) {
		const char *const *sf = infos[i].file_suffixes;

		for (; sf && *sf; sf++) {
			size_t m = strlen(*sf);

			if (n > m && strcmp(path + n - m, *sf) == 0)
				return &infos[i];
		}
	}
	return NULL;
}
