/* commands.h - the command table. */
#ifndef STRATA_CLI_COMMANDS_H
#define STRATA_CLI_COMMANDS_H

#include <stddef.h>

#include "cli.h"

/* Every command, in the order 'strata help' lists them. */
extern const struct cmd commands[];
extern const size_t n_commands;

/* The command named exactly 'name', or NULL. */
const struct cmd *find_cmd(const char *name);

#endif
