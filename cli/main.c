/* main.c - strata's main(): parse, dispatch, the error line, the exit code. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "env.h"
#include "help.h"
#include "options.h"
#include "out.h"
#include "settings.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/*
 * Before parsing: is --json, --no-color or -v on the line?  Used for the
 * colours, and for the form of an error found while parsing.
 */
static void prescan(int argc, char **argv, bool *json, bool *no_color,
		    bool *verbose)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--json"))
			*json = true;
		else if (!strcmp(argv[i], "--no-color"))
			*no_color = true;
		else if (!strcmp(argv[i], "--verbose") ||
			 !strcmp(argv[i], "-v"))
			*verbose = true;
	}
}

static int check_arity(struct cli *cli)
{
	const struct cmd *c = cli->cmd;

	if (cli->argc < c->min_args)
		return cli_usage(cli, "'%s' needs %s", c->name, c->args);
	if (c->max_args >= 0 && cli->argc > c->max_args)
		return cli_usage(cli, "unexpected argument '%s'",
				 cli->argv[c->max_args]);
	return CLI_OK;
}

static int run(struct cli *cli, struct env *env, int argc, char **argv)
{
	int rc;

	rc = cli_parse_cmdline(cli, argc, argv);
	if (rc)
		return rc;
	if (cli->version) {
		if (cli->json)
			return out_json(cli,
					json_pack("{s:s}", "strata_version",
						  strata_libversion()));
		printf("strata %s\n", strata_libversion());
		return CLI_OK;
	}
	if (cli->help)
		return cli_show_help(cli, cli->cmd);
	if (!cli->cmd) {
		if (!cli->json)
			cli_general_help(stderr);
		return cli_error(cli, CLI_USAGE, "no command given");
	}
	rc = check_arity(cli);
	if (rc)
		return rc;
	if (!(cli->cmd->flags & CMD_NO_CTX)) {
		rc = cli_resolve_settings(cli, env);
		if (rc)
			return rc;
		rc = cli_setup_ctx(cli);
		if (rc)
			return rc;
		/* A --sql script changes nothing; its header names the URL. */
		if (((cli->cmd->flags & CMD_CHANGES) ||
		     ((cli->cmd->flags & CMD_CHANGES_ARG) && cli->argc)) &&
		    !cli->sql && !cli->from)
			cli_database_line(cli);
	}
	return cli->cmd->run(cli);
}

int main(int argc, char **argv)
{
	struct cli cli = { .keep_backups = -1, .lock_timeout = -1 };
	struct env env = ENV_INIT;
	bool json = false, no_color = false, verbose = false;
	int code;

	prescan(argc, argv, &json, &no_color, &verbose);
	out_setup_color(no_color);
	code = run(&cli, &env, argc, argv);
	if (code && code != CLI_PENDING) {
		/* An error while parsing may come before --json was read. */
		cli.json = cli.json || json;
		cli.verbose = cli.verbose || verbose;
		if (!cli.err_msg)
			cli_error(&cli, code, "failed");
		if (cli.verbose && cli.err_loc)
			out_error("%s [%s]", cli.err_msg, cli.err_loc);
		else
			out_error("%s", cli.err_msg);
		if (cli.json && !cli.json_done)
			out_json(&cli, json_pack("{s:o, s:i}", "error",
						 jstr(cli.err_msg), "exit_code",
						 code));
	}
	strata_close(cli.ctx);
	env_release(&env);
	free(cli.argv);
	free(cli.widths);
	free(cli.err_msg);
	free(cli.err_loc);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr,
			"strata: error: cannot write to standard output\n");
		if (!code)
			code = CLI_FAIL;
	}
	return code;
}
