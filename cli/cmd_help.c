/* cmd_help.c - 'help [COMMAND]'. */
#include "cli.h"
#include "commands.h"
#include "help.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int cmd_help(struct cli *cli)
{
	const struct cmd *c = NULL;

	if (cli->argc == 1) {
		c = find_cmd(cli->argv[0]);
		if (!c) {
			cli->cmd = NULL; /* the hint is 'strata help' */
			return cli_usage(cli, "unknown command '%s'",
					 cli->argv[0]);
		}
	}
	return cli_show_help(cli, c);
}
