/* help.h - help output for strata and for one command. */
#ifndef STRATA_CLI_HELP_H
#define STRATA_CLI_HELP_H

#include <stdio.h>

#include "cli.h"

/* The general help: usage, the commands, the global options. */
void cli_general_help(FILE *f);

/*
 * Help for command c, or the general help when c is NULL, on stdout: text,
 * or one JSON object with --json.  Returns an exit code.
 */
int cli_show_help(struct cli *cli, const struct cmd *c);

#endif
