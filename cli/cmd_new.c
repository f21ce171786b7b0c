/* cmd_new.c - 'new NAME': the next migration file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* "migrations/003_add_x.sql" -> 3 and "add_x". */
static json_t *new_json(const char *path)
{
	const char *base = strrchr(path, '/'), *p, *end;
	int64_t v = 0;

	base = base ? base + 1 : path;
	for (p = base; *p >= '0' && *p <= '9'; p++)
		if (v <= (INT64_MAX - 9) / 10)
			v = v * 10 + (*p - '0');
	if (*p == '_')
		p++;
	end = strstr(p, ".");
	if (!end)
		end = p + strlen(p);
	return json_pack("{s:s, s:o, s:s%}", "path", path, "version", jint(v),
			 "name", p, (size_t)(end - p));
}

int cmd_new(struct cli *cli)
{
	const char *name = cli->argv[0];
	char *path = NULL;
	int rc;

	rc = strata_new_file(cli->ctx, cli->dir, name, cli->timestamp, &path);
	if (rc) {
		strata_free(path);
		return cli_lib_error(cli, rc);
	}
	if (cli->json)
		rc = out_json(cli, new_json(path));
	else
		printf("%s\n", path);
	strata_free(path);
	return rc;
}
