/* settings.c - flags > environment > .env > defaults; the context set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "env.h"
#include "out.h"
#include "settings.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* A string setting: flag > environment > .env > default. */
static const char *setting(struct env *env, const char *flag, const char *var,
			   const char *dflt)
{
	const char *v;

	if (flag)
		return flag;
	v = env_get(env, var, NULL);
	return v ? v : dflt;
}

/* A number setting; -1 when not given anywhere. */
static int number_setting(struct cli *cli, struct env *env, const char *flag,
			  const char *opt_name, const char *var, int *out)
{
	const char *from = NULL;
	const char *v = flag ? flag : env_get(env, var, &from);

	*out = -1;
	if (!v)
		return CLI_OK;
	if (cli_parse_count(v, out))
		return CLI_OK;
	if (flag)
		return cli_usage(
			cli,
			"bad number '%s' for --%s: expected a non-negative integer",
			v, opt_name);
	return cli_error(
		cli, CLI_USAGE,
		"bad number '%s' in %s (from %s): expected a non-negative integer",
		v, var, from);
}

/* A variable name: a letter or '_', then letters, digits and '_'. */
static bool var_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* The URL and, for the database line, where it came from. */
static int resolve_url(struct cli *cli, struct env *env)
{
	static char from_buf[512];
	const char *var = cli->opt_env ? cli->opt_env : "DATABASE_URL";
	const char *from = NULL;

	if (cli->opt_env && !var_name_ok(cli->opt_env))
		return cli_usage(
			cli,
			"bad variable name '%s' for --env: use letters, digits and '_'",
			cli->opt_env);
	if (cli->opt_url) {
		cli->url = cli->opt_url;
		cli->url_from = NULL;
		return CLI_OK;
	}
	cli->url = env_get(env, var, &from);
	if (cli->url) {
		snprintf(from_buf, sizeof(from_buf), "from %s in %s", var,
			 from);
		cli->url_from = from_buf;
		return CLI_OK;
	}
	if (cli->opt_env) /* never fall back to a guess when a name was given */
		return cli_error(
			cli, CLI_USAGE,
			"--env %s: %s is not set (neither in the environment nor in %s)",
			var, var,
			cli->opt_env_file ? cli->opt_env_file : ".env");
	cli->url = "sqlite:./db.sqlite3";
	cli->url_from = "the default: no -u, no DATABASE_URL";
	return CLI_OK;
}

int cli_resolve_settings(struct cli *cli, struct env *env)
{
	int rc;

	if (cli->opt_env_file && env_open(env, cli->opt_env_file))
		return cli_error(cli, CLI_USAGE,
				 "cannot read --env-file '%s': %s",
				 cli->opt_env_file, strerror(errno));
	rc = resolve_url(cli, env);
	if (rc)
		return rc;
	cli->dir = setting(env, cli->opt_dir, "STRATA_DIR", "./migrations");
	if (!*cli->dir) /* make_dirs and the folder reader need a name */
		return cli_usage(cli, "no migrations folder given: %s is empty",
				 cli->opt_dir ? "-d/--dir" : "STRATA_DIR");
	cli->table = setting(env, cli->opt_table, "STRATA_TABLE", "strata");
	cli->backup_dir =
		setting(env, cli->opt_backup_dir, "STRATA_BACKUP_DIR", NULL);
	/* STRATA_NO_BACKUP=1 is --no-backup, unless a flag says otherwise. */
	if (!cli->backup && !cli->no_backup &&
	    !strcmp(setting(env, NULL, "STRATA_NO_BACKUP", "0"), "1"))
		cli->no_backup = true;
	rc = number_setting(cli, env, cli->opt_keep_backups, "keep-backups",
			    "STRATA_KEEP_BACKUPS", &cli->keep_backups);
	if (rc)
		return rc;
	rc = number_setting(cli, env, cli->opt_lock_timeout, "lock-timeout",
			    "STRATA_LOCK_TIMEOUT", &cli->lock_timeout);
	if (rc)
		return rc;
	rc = number_setting(cli, env, cli->opt_wait_timeout, "wait-timeout",
			    "STRATA_WAIT_TIMEOUT", &cli->wait_timeout);
	if (rc)
		return rc;
	if (cli->opt_wait_timeout) /* --wait-timeout alone means --wait */
		cli->wait = true;
	if (!cli->wait)
		cli->wait_timeout = 0;
	else if (cli->wait_timeout < 0)
		cli->wait_timeout = 60;
	return CLI_OK;
}

void cli_database_line(struct cli *cli)
{
	char *masked;

	if (cli->quiet)
		return;
	masked = strata_url_mask(cli->url);
	if (!masked)
		return;
	if (cli->url_from)
		fprintf(stderr, "strata: database: %s (%s)\n", masked,
			cli->url_from);
	else
		fprintf(stderr, "strata: database: %s\n", masked);
	strata_free(masked);
}

int cli_setup_ctx(struct cli *cli)
{
	unsigned flags = cli->cmd->flags;
	int rc;

	rc = strata_open(&cli->ctx, NULL);
	if (rc)
		return cli_lib_error_as(cli, CLI_FAIL);
	strata_set_log(cli->ctx, out_log, cli);
	rc = strata_set_table(cli->ctx, cli->table);
	if (rc)
		return cli_lib_error_as(cli, CLI_USAGE);
	if (cli->lock_timeout >= 0)
		strata_set_lock_timeout(cli->ctx, cli->lock_timeout);
	if (cli->wait_timeout > 0)
		strata_set_connect_wait(cli->ctx, cli->wait_timeout);
	if (cli->keep_backups >= 0)
		strata_set_keep_backups(cli->ctx, cli->keep_backups);
	if (cli->no_backup || cli->backup)
		strata_set_auto_backup(cli->ctx, cli->backup);
	if (cli->backup_dir) {
		rc = strata_set_backup_dir(cli->ctx, cli->backup_dir);
		if (rc)
			return cli_lib_error(cli, rc);
	}
	if (flags & CMD_NEEDS_DB) {
		rc = strata_set_url(cli->ctx, cli->url);
		if (rc) /* a bad URL is bad input, whatever the code */
			return cli_lib_error_as(cli, CLI_USAGE);
	}
	if (flags & CMD_NEEDS_DIR) {
		rc = strata_add_dir(cli->ctx, cli->dir);
		if (rc) /* a missing or malformed folder is bad input */
			return cli_lib_error_as(cli, CLI_USAGE);
	}
	return CLI_OK;
}
