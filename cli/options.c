/* options.c - strata's option tables; the command line read into cli. */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "commands.h"
#include "options.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* Accepted before or after the command name. */
const struct opt_spec global_opts[] = {
	{ OPT_URL, "url", 'u', "URL",
	  "database URL (DATABASE_URL; default sqlite:./db.sqlite3)" },
	{ OPT_DIR, "dir", 'd', "DIR",
	  "migrations folder (STRATA_DIR; default ./migrations)" },
	{ OPT_TABLE, "table", 0, "NAME",
	  "tracking table prefix (STRATA_TABLE; default strata)" },
	{ OPT_BACKUP_DIR, "backup-dir", 0, "DIR",
	  "backups folder (STRATA_BACKUP_DIR; default backups/ beside the database)" },
	{ OPT_KEEP_BACKUPS, "keep-backups", 0, "N",
	  "backups kept (STRATA_KEEP_BACKUPS; default 10)" },
	{ OPT_LOCK_TIMEOUT, "lock-timeout", 0, "SECONDS",
	  "how long to wait for the lock (STRATA_LOCK_TIMEOUT; default 60)" },
	{ OPT_ENV, "env", 0, "VAR",
	  "read the database URL from VAR instead of DATABASE_URL" },
	{ OPT_ENV_FILE, "env-file", 0, "FILE",
	  "read settings from FILE instead of ./.env (FILE must exist)" },
	{ OPT_WAIT, "wait", 0, NULL,
	  "wait for a server that is not accepting connections yet" },
	{ OPT_WAIT_TIMEOUT, "wait-timeout", 0, "SECONDS",
	  "how long --wait waits (STRATA_WAIT_TIMEOUT; default 60; implies --wait)" },
	{ OPT_JSON, "json", 0, NULL, "print one JSON object on stdout" },
	{ OPT_QUIET, "quiet", 'q', NULL,
	  "print no progress lines, only results, warnings and errors" },
	{ OPT_VERBOSE, "verbose", 'v', NULL,
	  "print debug lines and where errors were raised" },
	{ OPT_NO_COLOR, "no-color", 0, NULL,
	  "never colour the output (also when NO_COLOR is set)" },
	{ OPT_NO_BACKUP, "no-backup", 0, NULL,
	  "skip the automatic backup before changing a SQLite database" },
	{ OPT_BACKUP, "backup", 0, NULL,
	  "dump a PostgreSQL/MySQL database before changing it" },
	{ OPT_NO_CHECK, "no-check", 0, NULL,
	  "skip the SQLite quick_check before and after a run (risky: a damaged file is migrated)" },
	{ OPT_HELP, "help", 'h', NULL, "show help" },
	{ OPT_VERSION, "version", 0, NULL, "print the version" },
	{ 0 },
};

const struct opt_spec no_opts[] = { { 0 } };

const struct opt_spec new_opts[] = {
	{ OPT_TIMESTAMP, "timestamp", 0, NULL,
	  "use a UTC timestamp (YYYYMMDDHHMMSS) as the version" },
	{ 0 },
};

const struct opt_spec status_opts[] = {
	{ OPT_EXIT_CODE, "exit-code", 0, NULL,
	  "exit 3 when migrations are pending" },
	{ 0 },
};

const struct opt_spec up_opts[] = {
	{ OPT_STEPS, "steps", 0, "N",
	  "apply the next N pending (also: up +N)" },
	{ OPT_DRY_RUN, "dry-run", 0, NULL,
	  "print the plan and its exact SQL; change nothing" },
	{ OPT_ALLOW_OUT_OF_ORDER, "allow-out-of-order", 0, NULL,
	  "also apply pending migrations below the highest applied one" },
	{ OPT_IGNORE_CHECKSUMS, "ignore-checksums", 0, NULL,
	  "do not refuse to run when an applied migration's file changed" },
	{ OPT_SQL, "sql", 0, NULL,
	  "print the run as one SQL script for the engine's own client" },
	{ OPT_FROM, "from", 0, "VERSION|base",
	  "with --sql: plan from the files as if the database were at VERSION; connect to nothing" },
	{ 0 },
};

const struct opt_spec down_opts[] = {
	{ OPT_STEPS, "steps", 0, "N",
	  "roll back the N most recently applied (also: down -N)" },
	{ OPT_DRY_RUN, "dry-run", 0, NULL,
	  "print the plan and its exact SQL; change nothing" },
	{ OPT_SQL, "sql", 0, NULL,
	  "print the run as one SQL script for the engine's own client" },
	{ OPT_FROM, "from", 0, "VERSION|base",
	  "with --sql: plan from the files as if the database were at VERSION; connect to nothing" },
	{ 0 },
};

const struct opt_spec adopt_opts[] = {
	{ OPT_DRY_RUN, "dry-run", 0, NULL,
	  "show what would be recorded; write nothing" },
	{ 0 },
};

const struct opt_spec stamp_opts[] = {
	{ OPT_DELETE, "delete", 0, NULL,
	  "remove the record of VERSION instead" },
	{ 0 },
};

const struct opt_spec repair_opts[] = {
	{ OPT_YES, "yes", 0, NULL,
	  "re-record the checksums of modified applied migrations" },
	{ 0 },
};

const struct opt_spec restore_opts[] = {
	{ OPT_FORCE, "force", 0, NULL,
	  "restore a backup whose name says it is another database's" },
	{ 0 },
};

const struct opt_spec schema_opts[] = {
	{ OPT_FORMAT, "format", 0, "sql|json",
	  "output format (default sql; json with --json)" },
	{ 0 },
};

const struct opt_spec backup_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "FILE",
	  "write the backup to FILE instead of the backups folder" },
	{ 0 },
};

const struct opt_spec recover_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "NEW.db",
	  "the new database file to salvage into (must not exist)" },
	{ 0 },
};

const struct opt_spec embed_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "FILE.c",
	  "write FILE.c and FILE.h instead of printing the source" },
	{ OPT_SYMBOL, "symbol", 0, "NAME",
	  "the array's name (default migrations; also NAME_count)" },
	{ 0 },
};

const struct opt_spec test_opts[] = {
	{ OPT_TO, "to", 0, "VERSION",
	  "test the migrations up to VERSION (default: all)" },
	{ OPT_FROM_LIVE, "from-live", 0, NULL,
	  "start from a copy of the live state, not from base" },
	{ 0 },
};

static int apply_opt(struct cli *cli, const struct opt_spec *o,
		     const char *value)
{
	switch (o->id) {
	case OPT_URL: cli->opt_url = value; break;
	case OPT_DIR: cli->opt_dir = value; break;
	case OPT_TABLE: cli->opt_table = value; break;
	case OPT_BACKUP_DIR: cli->opt_backup_dir = value; break;
	case OPT_KEEP_BACKUPS: cli->opt_keep_backups = value; break;
	case OPT_LOCK_TIMEOUT: cli->opt_lock_timeout = value; break;
	case OPT_JSON: cli->json = true; break;
	case OPT_QUIET: cli->quiet = true; break;
	case OPT_VERBOSE: cli->verbose = true; break;
	case OPT_NO_COLOR: cli->no_color = true; break;
	case OPT_NO_BACKUP:
		cli->no_backup = true;
		cli->backup = false;
		break;
	case OPT_BACKUP:
		cli->backup = true;
		cli->no_backup = false;
		break;
	case OPT_HELP: cli->help = true; break;
	case OPT_VERSION: cli->version = true; break;
	case OPT_DRY_RUN: cli->dry_run = true; break;
	case OPT_ALLOW_OUT_OF_ORDER: cli->allow_out_of_order = true; break;
	case OPT_IGNORE_CHECKSUMS: cli->ignore_checksums = true; break;
	case OPT_EXIT_CODE: cli->exit_code = true; break;
	case OPT_TIMESTAMP: cli->timestamp = true; break;
	case OPT_DELETE: cli->delete = true; break;
	case OPT_YES: cli->yes = true; break;
	case OPT_STEPS:
		if (!cli_parse_count(value, &cli->steps) || cli->steps < 1)
			return cli_usage(
				cli,
				"bad number '%s' for --steps: expected a positive integer",
				value);
		break;
	case OPT_OUTPUT: cli->output = value; break;
	case OPT_SYMBOL: cli->symbol = value; break;
	case OPT_SQL: cli->sql = true; break;
	case OPT_FROM: cli->from = value; break;
	case OPT_TO: cli->to = value; break;
	case OPT_FROM_LIVE: cli->from_live = true; break;
	case OPT_ENV: cli->opt_env = value; break;
	case OPT_ENV_FILE: cli->opt_env_file = value; break;
	case OPT_WAIT: cli->wait = true; break;
	case OPT_WAIT_TIMEOUT: cli->opt_wait_timeout = value; break;
	case OPT_NO_CHECK: cli->no_check = true; break;
	case OPT_FORCE: cli->force = true; break;
	case OPT_FORMAT:
		if (strcmp(value, "sql") && strcmp(value, "json"))
			return cli_usage(
				cli,
				"bad format '%s' for --format: use sql or json",
				value);
		cli->format = value;
		break;
	default: break;
	}
	return CLI_OK;
}

int cli_parse_cmdline(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec *sets[3] = { global_opts, NULL, NULL };
	const struct opt_spec *o;
	const char *value;
	struct args a;
	char errbuf[256];
	int t, rc;

	cli->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!cli->argv)
		return cli_error(cli, CLI_FAIL, "out of memory");
	args_init(&a, argc, argv, 1);
	while ((t = args_next(&a, sets, &o, &value, errbuf, sizeof(errbuf)))) {
		if (t == ARGS_ERROR && cli->help)
			break; /* 'strata up --help --bad': the help wins */
		if (t == ARGS_ERROR)
			return cli_usage(cli, "%s", value);
		if (t == ARGS_POSITIONAL && !cli->cmd) {
			cli->cmd = find_cmd(value);
			if (!cli->cmd)
				return cli_usage(cli, "unknown command '%s'",
						 value);
			sets[1] = cli->cmd->opts;
			continue;
		}
		if (t == ARGS_POSITIONAL) {
			cli->argv[cli->argc++] = (char *)value;
			continue;
		}
		rc = apply_opt(cli, o, value);
		if (rc)
			return rc;
		if (cli->version)
			return CLI_OK;
	}
	return CLI_OK;
}
