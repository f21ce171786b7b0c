/* cmd_test.c - 'test': prove each down restores the schema, on a scratch db. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const char *outcome_name(int outcome)
{
	switch (outcome) {
	case STRATA_TEST_REVERSIBLE: return "reversible";
	case STRATA_TEST_IRREVERSIBLE: return "irreversible";
	case STRATA_TEST_BROKEN: return "broken";
	default: return "untested";
	}
}

static const char *why_broken(const strata_test_item *it)
{
	if (!it->phase)
		return "";
	if (!strcmp(it->phase, "schema"))
		return "the down does not restore the schema";
	if (!strcmp(it->phase, "down"))
		return "the down fails";
	if (!strcmp(it->phase, "up again"))
		return "the up fails after its down";
	return "the up fails";
}

static int test_json(struct cli *cli, const strata_test_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n; i++) {
		const strata_test_item *it = &r->items[i];

		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
				     "version", jint(it->version), "name",
				     jstr(it->name), "file", jstr(it->file),
				     "result", outcome_name(it->outcome),
				     "phase", jstr(it->phase), "error",
				     jstr(it->error), "diff", jstr(it->diff)));
	}
	return out_json(
		cli,
		json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
			  "migrations", a, "from",
			  r->from_live ? "live" : "base", "start_version",
			  jint(r->start_version), "scratch", jstr(r->scratch),
			  "reversible", jint((int64_t)r->n_reversible),
			  "irreversible", jint((int64_t)r->n_irreversible),
			  "broken", jint((int64_t)r->n_broken), "untested",
			  jint((int64_t)r->n_untested), "ok", r->ok));
}

static void test_text(struct cli *cli, const strata_test_result *r)
{
	size_t w = 0;
	char label[160];

	for (size_t i = 0; i < r->n; i++) {
		int n = snprintf(label, sizeof(label), "%0*" PRId64 "_%s",
				 out_vwidth(cli, r->items[i].version),
				 r->items[i].version, r->items[i].name);
		if (n > 0 && (size_t)n > w)
			w = (size_t)n;
	}
	if (!cli->quiet) {
		printf("test: on %s, from ", r->scratch ? r->scratch : "?");
		if (r->from_live && r->start_version)
			printf("the live state (version %" PRId64 ")\n",
			       r->start_version);
		else if (r->from_live)
			printf("the live state (nothing applied)\n");
		else
			printf("base\n");
	}
	for (size_t i = 0; i < r->n; i++) {
		const strata_test_item *it = &r->items[i];
		const char *c = it->outcome == STRATA_TEST_BROKEN ? C_RED
				: it->outcome == STRATA_TEST_REVERSIBLE
					? C_GREEN
					: C_YELLOW;

		if (cli->quiet && it->outcome != STRATA_TEST_BROKEN)
			continue;
		snprintf(label, sizeof(label), "%0*" PRId64 "_%s",
			 out_vwidth(cli, it->version), it->version, it->name);
		printf("  %-*s  %s%s%s", (int)w, label, out_on(stdout, c),
		       outcome_name(it->outcome), out_off(stdout, c));
		if (it->outcome == STRATA_TEST_IRREVERSIBLE)
			printf(" (no down section)");
		else if (it->outcome == STRATA_TEST_UNTESTED)
			printf(" (an earlier up failed)");
		else if (it->outcome == STRATA_TEST_BROKEN)
			printf(": %s", why_broken(it));
		fputc('\n', stdout);
		if (it->error)
			printf("    %s%s\n",
			       it->phase && !strcmp(it->phase, "schema")
				       ? "then the up again fails: "
				       : "",
			       it->error);
		if (it->diff)
			fputs(it->diff, stdout);
	}
	if (!cli->quiet)
		printf("test: %zu reversible, %zu irreversible, %s%zu broken%s"
		       "%s",
		       r->n_reversible, r->n_irreversible,
		       out_on(stdout, r->n_broken ? C_RED : NULL), r->n_broken,
		       out_off(stdout, r->n_broken ? C_RED : NULL),
		       r->n_untested ? "" : "\n");
	if (!cli->quiet && r->n_untested)
		printf(", %zu untested\n", r->n_untested);
}

int cmd_test(struct cli *cli)
{
	int64_t target = STRATA_LATEST;
	unsigned flags = cli->from_live ? STRATA_TEST_FROM_LIVE : 0;
	strata_test_result *r = NULL;
	int rc, code = CLI_OK;

	if (cli->to && strcmp(cli->to, "head") && strcmp(cli->to, "latest") &&
	    !cli_parse_version(cli, cli->to, &target))
		return CLI_USAGE;
	rc = strata_test(cli->ctx, target, flags, &r);
	if (rc == STRATA_ENOTFOUND)
		return cli_lib_error_as(cli, CLI_USAGE);
	if (rc)
		return cli_lib_error(cli, rc);
	if (!r->ok) {
		const char *first = NULL;

		for (size_t i = 0; i < r->n && !first; i++)
			if (r->items[i].outcome == STRATA_TEST_BROKEN)
				first = r->items[i].name;
		code = cli_error(
			cli, CLI_FAIL, "%zu migration%s broken (the first: %s)",
			r->n_broken, r->n_broken == 1 ? " is" : "s are",
			first ? first : "?");
	}
	if (cli->json)
		test_json(cli, r);
	else
		test_text(cli, r);
	strata_test_free(r);
	return code;
}
