/* settings.h - flags > environment > .env > defaults; the context set up. */
#ifndef STRATA_CLI_SETTINGS_H
#define STRATA_CLI_SETTINGS_H

#include "cli.h"
#include "env.h"

/*
 * Fill cli->url, dir, table, backup_dir and the numbers from the flags,
 * else the environment, else .env (or --env-file), else the defaults.
 * Returns an exit code; a bad value is a usage error.
 */
int cli_resolve_settings(struct cli *cli, struct env *env);

/* Open the context and give it the settings the command needs. */
int cli_setup_ctx(struct cli *cli);

/*
 * "strata: database: URL (from ...)" on stderr before a command that
 * changes the database, so it never runs against a guessed target.
 */
void cli_database_line(struct cli *cli);

#endif
