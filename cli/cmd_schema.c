/* cmd_schema.c - 'schema': the live schema, tracking tables left out. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_schema(struct cli *cli)
{
	bool want_json = cli->format ? !strcmp(cli->format, "json") : cli->json;
	char *text = NULL;
	json_t *parsed;
	size_t len;
	int rc;

	rc = strata_schema(cli->ctx,
			   want_json ? STRATA_SCHEMA_JSON : STRATA_SCHEMA_SQL,
			   &text);
	if (rc) {
		strata_free(text);
		return cli_lib_error(cli, rc);
	}
	if (cli->json) {
		/* One object on stdout: the schema itself, or it wrapped. */
		parsed = want_json && text ? json_loads(text, 0, NULL) : NULL;
		if (!json_is_object(parsed)) {
			json_t *inner = parsed;

			parsed = json_pack("{s:s, s:o}", "format",
					   want_json ? "json" : "sql", "schema",
					   inner ? inner
						 : jstr(text ? text : ""));
		}
		rc = out_json(cli, parsed);
	} else if (text) {
		len = strlen(text);
		fputs(text, stdout);
		if (len && text[len - 1] != '\n')
			fputc('\n', stdout);
	}
	strata_free(text);
	return rc;
}
