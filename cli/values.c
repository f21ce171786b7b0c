/* values.c - reading argument values: versions, counts and targets. */
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "cli.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* Digits only, at most 'max'. */
static bool parse_digits(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool cli_parse_version(struct cli *cli, const char *s, int64_t *out)
{
	if (parse_digits(s, INT64_MAX, out))
		return true;
	if (cli)
		cli_usage(cli,
			  "bad version '%s': expected a non-negative integer",
			  s);
	return false;
}

bool cli_parse_count(const char *s, int *out)
{
	int64_t v;

	if (!parse_digits(s, INT_MAX, &v))
		return false;
	*out = (int)v;
	return true;
}

bool cli_is_head(const char *s)
{
	return !strcmp(s, "head") || !strcmp(s, "latest");
}

bool cli_signed_steps(const char *s, char sign, int *steps)
{
	return s[0] == sign && cli_parse_count(s + 1, steps) && *steps > 0;
}

bool cli_parse_target(struct cli *cli, const char *s, int64_t *out)
{
	const strata_migration *m;
	size_t n = 0;

	if (!cli_is_head(s))
		return cli_parse_version(cli, s, out);
	*out = 0;
	if (!strata_list_migrations(cli->ctx, &m, &n) && n)
		*out = m[n - 1].version;
	return true;
}
