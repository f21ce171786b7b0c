/* main.c - strata's flags, settings, command table, dispatch and exit codes. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "banned.h"
#include "cli.h"
#include "env.h"
#include "out.h"
#include "strata.h"

enum opt_id {
	OPT_URL = 1,
	OPT_DIR,
	OPT_TABLE,
	OPT_BACKUP_DIR,
	OPT_KEEP_BACKUPS,
	OPT_LOCK_TIMEOUT,
	OPT_JSON,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_NO_COLOR,
	OPT_NO_BACKUP,
	OPT_BACKUP,
	OPT_HELP,
	OPT_VERSION,
	OPT_DRY_RUN,
	OPT_ALLOW_OUT_OF_ORDER,
	OPT_IGNORE_CHECKSUMS,
	OPT_STEPS,
	OPT_EXIT_CODE,
	OPT_TIMESTAMP,
	OPT_DELETE,
	OPT_YES,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_SYMBOL,
	OPT_SQL,
	OPT_FROM,
	OPT_TO,
	OPT_FROM_LIVE,
	OPT_ENV,
	OPT_ENV_FILE,
	OPT_WAIT,
	OPT_WAIT_TIMEOUT,
	OPT_NO_CHECK,
	OPT_FORCE,
};

/* Accepted before or after the command name. */
static const struct opt_spec global_opts[] = {
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

static const struct opt_spec no_opts[] = { { 0 } };

static const struct opt_spec new_opts[] = {
	{ OPT_TIMESTAMP, "timestamp", 0, NULL,
	  "use a UTC timestamp (YYYYMMDDHHMMSS) as the version" },
	{ 0 },
};

static const struct opt_spec status_opts[] = {
	{ OPT_EXIT_CODE, "exit-code", 0, NULL,
	  "exit 3 when migrations are pending" },
	{ 0 },
};

static const struct opt_spec up_opts[] = {
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

static const struct opt_spec down_opts[] = {
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

static const struct opt_spec stamp_opts[] = {
	{ OPT_DELETE, "delete", 0, NULL,
	  "remove the record of VERSION instead" },
	{ 0 },
};

static const struct opt_spec adopt_opts[] = {
	{ OPT_DRY_RUN, "dry-run", 0, NULL,
	  "show what would be recorded; write nothing" },
	{ 0 },
};

static const struct opt_spec repair_opts[] = {
	{ OPT_YES, "yes", 0, NULL,
	  "re-record the checksums of modified applied migrations" },
	{ 0 },
};

static const struct opt_spec restore_opts[] = {
	{ OPT_FORCE, "force", 0, NULL,
	  "restore a backup whose name says it is another database's" },
	{ 0 },
};

static const struct opt_spec schema_opts[] = {
	{ OPT_FORMAT, "format", 0, "sql|json",
	  "output format (default sql; json with --json)" },
	{ 0 },
};

static const struct opt_spec backup_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "FILE",
	  "write the backup to FILE instead of the backups folder" },
	{ 0 },
};

static const struct opt_spec recover_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "NEW.db",
	  "the new database file to salvage into (must not exist)" },
	{ 0 },
};

static const struct opt_spec embed_opts[] = {
	{ OPT_OUTPUT, "output", 'o', "FILE.c",
	  "write FILE.c and FILE.h instead of printing the source" },
	{ OPT_SYMBOL, "symbol", 0, "NAME",
	  "the array's name (default migrations; also NAME_count)" },
	{ 0 },
};

static const struct opt_spec test_opts[] = {
	{ OPT_TO, "to", 0, "VERSION",
	  "test the migrations up to VERSION (default: all)" },
	{ OPT_FROM_LIVE, "from-live", 0, NULL,
	  "start from a copy of the live state, not from base" },
	{ 0 },
};

static const struct cmd commands[] = {
	{ "init", cmd_init, CMD_NEEDS_DB | CMD_CHANGES, 0, 0, "",
	  "create the migrations folder and the tracking tables",
	  "Makes the migrations folder with its parents, then the tracking tables\n"
	  "PREFIX_migrations and PREFIX_history; a missing SQLite file is created.",
	  no_opts },
	{ "new", cmd_new, 0, 1, 1, "NAME", "create the next migration file",
	  "NAME is letters, digits, '_' and '-'.  The version is the next integer,\n"
	  "zero-padded to the width of the existing files (001 in an empty folder).",
	  new_opts },
	{ "status", cmd_status, CMD_NEEDS_DB | CMD_NEEDS_DIR, 0, 0, "",
	  "show applied, pending, missing and modified migrations",
	  "Creates nothing: without a database file everything is pending.",
	  status_opts },
	{ "up", cmd_up, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 0, 1,
	  "[VERSION|head|+N]",
	  "apply pending migrations (all, or up to VERSION)",
	  "Stops with exit 1 if an applied migration's file changed, or if a pending\n"
	  "migration is below the highest applied one.  Then takes the lock, backs up\n"
	  "a SQLite database and applies each migration in its own transaction.\n"
	  "'head' or 'latest' is the highest version; '+N' (or --steps N) applies the\n"
	  "next N.  A VERSION no migration has is exit 2.\n"
	  "With --sql, changes nothing and prints the run as one script for the\n"
	  "engine's own client (sqlite3, psql -v ON_ERROR_STOP=1, mariadb): a guard\n"
	  "that fails unless the database is at the version it was planned from,\n"
	  "the tracking tables, then each migration with its tracking rows.  With\n"
	  "--from VERSION|base it connects to nothing: the plan is made from the\n"
	  "files as if the database were at VERSION.\n"
	  "  strata -u postgres://app@db/prod up --sql --from 12 > up.sql",
	  up_opts },
	{ "down", cmd_down, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 0, 1,
	  "[VERSION|base|-N]",
	  "roll back the most recently applied migration, or all above VERSION",
	  "With no VERSION, rolls back the most recently applied migration; with\n"
	  "VERSION, every applied migration above it (0 or 'base': all of them).\n"
	  "Refused as a whole when one of them is irreversible.  A migration whose\n"
	  "file is gone is rolled back with the down SQL stored when it was applied.\n"
	  "'-N' (or --steps N) rolls back the N most recently applied.  A database\n"
	  "that does not exist is exit 1 (nothing is created).\n"
	  "With --sql [--from VERSION|base], prints the rollback as one script for\n"
	  "the engine's own client instead (see 'strata help up').",
	  down_opts },
	{ "redo", cmd_redo, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 0, 0,
	  "",
	  "roll back the most recently applied migration and apply it again",
	  NULL, no_opts },
	{ "history", cmd_history, CMD_NEEDS_DB, 0, 0, "",
	  "list every recorded attempt, newest last", NULL, no_opts },
	{ "validate", cmd_validate, CMD_NEEDS_DB | CMD_NEEDS_DIR, 0, 0, "",
	  "check the files against the applied migrations",
	  "Exit 1 when an applied migration's file changed or a pending migration is\n"
	  "out of order; an applied migration whose file is gone is only a warning.",
	  no_opts },
	{ "stamp", cmd_stamp, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 1, 1,
	  "VERSION|head",
	  "record migrations up to VERSION as applied without running them",
	  "Adopts an existing database: nothing is run.  'head' or 'latest' stamps\n"
	  "every migration.  With --delete, removes the record of VERSION alone and\n"
	  "leaves the schema as it is.  A VERSION no migration has is exit 2.",
	  stamp_opts },
	{ "adopt", cmd_adopt, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 0, 0,
	  "", "take over a database another migration tool migrated",
	  "Reads golang-migrate's or dbmate's schema_migrations, goose's\n"
	  "goose_db_version, Flyway's flyway_schema_history or sql-migrate's\n"
	  "gorp_migrations and records the same migrations as applied (history\n"
	  "direction 'stamp'), checksums and SQL from the files; nothing is run and\n"
	  "the other tool's table is left as it was.  A dirty golang-migrate version\n"
	  "becomes strata's dirty state.  An applied version without a migration\n"
	  "file, or strata rows the other tool does not have, is exit 1.  --dry-run\n"
	  "shows what would be recorded and writes nothing.",
	  adopt_opts },
	{ "repair", cmd_repair, CMD_NEEDS_DB | CMD_NEEDS_DIR | CMD_CHANGES, 0,
	  0, "",
	  "record interrupted attempts, clear a dirty state, re-record checksums",
	  "Without --yes, lists the checksums it would re-record and changes none.",
	  repair_opts },
	{ "schema", cmd_schema, CMD_NEEDS_DB, 0, 0, "",
	  "print the live schema, tracking tables left out", NULL,
	  schema_opts },
	{ "test", cmd_test, CMD_NEEDS_DB | CMD_NEEDS_DIR, 0, 0, "",
	  "prove on a scratch database that each down restores the schema",
	  "On a scratch database (SQLite: a file in a private temporary folder;\n"
	  "servers: a temporary database strata_test_<random>, or on PostgreSQL a\n"
	  "schema where databases may not be created), dropped at the end, each\n"
	  "migration in order: the schema, up, down, the schema again (it must be\n"
	  "the same), up again.  Each is reported reversible, irreversible (no down\n"
	  "section: only applied) or broken (the down failed or did not restore the\n"
	  "schema: the diff is shown; or an up failed, which ends the test).  Exit 1\n"
	  "if any is broken.  The database of the URL is only read.",
	  test_opts },
	{ "backup", cmd_backup, CMD_NEEDS_DB, 0, 0, "",
	  "take a consistent backup of the database now",
	  "SQLite: the online backup API (consistent while others write, WAL\n"
	  "included) into the backups folder as <db>.<UTC time>.v<version>.bak,\n"
	  "mode 0600 in a 0700 folder.  PostgreSQL: pg_dump --format=custom.",
	  backup_opts },
	{ "restore", cmd_restore, CMD_NEEDS_DB | CMD_CHANGES_ARG, 0, 1,
	  "[FILE]", "list backups, or restore one",
	  "With no FILE, lists the backups (path, size, time, version).  With FILE,\n"
	  "checks its integrity (a damaged file is refused and nothing changes),\n"
	  "backs up the current database, copies FILE in and records a 'restore'\n"
	  "history row.  PostgreSQL/MySQL: a --backup dump, through pg_restore or the\n"
	  "mysql client, after a fresh dump (unless --no-backup).",
	  restore_opts },
	{ "check", cmd_check, CMD_NEEDS_DB, 0, 0, "",
	  "check the database's integrity and foreign keys",
	  "SQLite: PRAGMA integrity_check and PRAGMA foreign_key_check; servers:\n"
	  "connection, version, tracking tables, invalid indexes.  Exit 1 on any\n"
	  "problem.",
	  no_opts },
	{ "recover", cmd_recover, CMD_NEEDS_DB, 0, 0, "",
	  "salvage what can be read of a damaged SQLite file into a new one",
	  "Copies the readable schema, then each table's readable rows, skipping\n"
	  "damaged pages and counting what was lost.  The damaged file is opened\n"
	  "read-only and never written.",
	  recover_opts },
	{ "embed", cmd_embed, 0, 1, 1, "DIR",
	  "write a C source file holding DIR's migrations",
	  "The array of strata_migration holds each migration's version, name,\n"
	  "description, flags and the exact bytes of its bodies; pass it to\n"
	  "strata_add_migrations().  With -o FILE.c a matching FILE.h is written.",
	  embed_opts },
	{ "current", cmd_current, CMD_NEEDS_DB, 0, 0, "",
	  "print the current version, one line",
	  "The highest applied version ('none' when nothing is applied; with --json\n"
	  "{\"current_version\": N or null, \"dirty\": bool}).  Creates nothing.",
	  no_opts },
	{ "show", cmd_show, CMD_NEEDS_DB | CMD_NEEDS_DIR, 1, 1, "VERSION|head",
	  "show one migration: its file, checksum, applied row and SQL",
	  "The file and its checksum, the applied row (applied_at, execution_ms,\n"
	  "applied_by, checksum as recorded) and the up and down SQL as on disk and\n"
	  "as stored, saying where they differ.  A VERSION that neither a file nor\n"
	  "an applied row has is exit 2.  Creates nothing.",
	  no_opts },
	{ "help", cmd_help, CMD_NO_CTX, 0, 1, "[COMMAND]",
	  "show help for strata or for one command", NULL, no_opts },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* ---- errors -------------------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/*
 * A copy of 'msg' (our own message, which may quote an argument the user
 * gave) with any password in it shown as "****", read as the library reads
 * URLs and connection strings.  Frees msg.
 */
static char *mask_secrets(char *msg)
{
	char *masked = msg ? strata_url_mask(msg) : NULL, *copy;

	free(msg);
	if (!masked)
		return NULL;
	copy = strdup(masked); /* set_error's messages are free()d */
	strata_free(masked);
	return copy;
}

/* Keep the first error: it is the most specific one. */
static void set_error(struct cli *cli, int code, char *msg, const char *loc)
{
	if (cli->err_msg || cli->err_code) {
		free(msg);
		return;
	}
	cli->err_code = code;
	cli->err_msg = msg ? msg : strdup("out of memory");
	cli->err_loc = loc && *loc ? strdup(loc) : NULL;
}

int cli_lib_error_as(struct cli *cli, int code)
{
	const char *msg = cli->ctx ? strata_errmsg(cli->ctx) : "out of memory";

	set_error(cli, code, strdup(msg),
		  cli->ctx ? strata_errloc(cli->ctx) : NULL);
	return code;
}

int cli_lib_error(struct cli *cli, int rc)
{
	/*
	 * Bad input is exit 2; so is an engine this build lacks (a URL the
	 * binary cannot use), which the library reports when it connects.
	 */
	if (rc == STRATA_EINVAL || rc == STRATA_EUNSUPPORTED)
		return cli_lib_error_as(cli, CLI_USAGE);
	return cli_lib_error_as(cli, CLI_FAIL);
}

int cli_error(struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(cli, code, mask_secrets(vformat(fmt, ap)), NULL);
	va_end(ap);
	return code;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full = NULL;
	size_t n;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	if (msg) {
		n = strlen(msg) + 64 + (cli->cmd ? strlen(cli->cmd->name) : 0);
		full = malloc(n);
		if (full)
			snprintf(full, n, "%s (see 'strata help%s%s')", msg,
				 cli->cmd ? " " : "",
				 cli->cmd ? cli->cmd->name : "");
		free(msg);
	}
	set_error(cli, CLI_USAGE, mask_secrets(full), NULL);
	return CLI_USAGE;
}

/* Digits only, at most 'max'. */
static bool parse_digits(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool cli_parse_version(struct cli *cli, const char *s, int64_t *out)
{
	if (parse_digits(s, INT64_MAX, out))
		return true;
	if (cli)
		cli_usage(cli,
			  "bad version '%s': expected a non-negative integer",
			  s);
	return false;
}

bool cli_parse_count(const char *s, int *out)
{
	int64_t v;

	if (!parse_digits(s, INT_MAX, &v))
		return false;
	*out = (int)v;
	return true;
}

/* ---- help ---------------------------------------------------------------- */

static void opt_label(const struct opt_spec *o, char *buf, size_t size)
{
	if (o->short_name)
		snprintf(buf, size, "-%c, --%s%s%s", o->short_name,
			 o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(buf, size, "    --%s%s%s", o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_opts(FILE *f, const struct opt_spec *opts)
{
	const struct opt_spec *o;
	char label[96];
	size_t w = 0, n;

	for (o = opts; o->id; o++) {
		opt_label(o, label, sizeof(label));
		n = strlen(label);
		if (n > w)
			w = n;
	}
	for (o = opts; o->id; o++) {
		opt_label(o, label, sizeof(label));
		fprintf(f, "  %-*s  %s\n", (int)w, label, o->help);
	}
}

static json_t *opts_json(const struct opt_spec *opts)
{
	const struct opt_spec *o;
	json_t *a = json_array();
	char name[64];

	for (o = opts; o->id; o++) {
		snprintf(name, sizeof(name), "--%s", o->long_name);
		json_array_append_new(
			a,
			json_pack("{s:s, s:o, s:o, s:s}", "name", name, "short",
				  o->short_name
					  ? json_sprintf("-%c", o->short_name)
					  : json_null(),
				  "arg", jstr(o->arg), "help", o->help));
	}
	return a;
}

static void usage_line(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: strata %s%s%s%s\n", c->name,
		c->opts[0].id ? " [OPTIONS]" : "", *c->args ? " " : "",
		c->args);
}

static void general_help(FILE *f)
{
	size_t i, w = 0, n;
	char label[64];

	fprintf(f,
		"usage: strata [OPTIONS] COMMAND [ARGS]\n\n"
		"Keep a database's schema in step with an ordered set of migrations.\n\n"
		"commands:\n");
	for (i = 0; i < N_COMMANDS; i++) {
		n = strlen(commands[i].name) + 1 + strlen(commands[i].args);
		if (n > w)
			w = n;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		snprintf(label, sizeof(label), "%s%s%s", commands[i].name,
			 *commands[i].args ? " " : "", commands[i].args);
		fprintf(f, "  %-*s  %s\n", (int)w, label, commands[i].summary);
	}
	fprintf(f, "\noptions (before or after the command):\n");
	print_opts(f, global_opts);
	fprintf(f,
		"\nRun 'strata help COMMAND' for the options of a command.\n");
}

static void command_help(FILE *f, const struct cmd *c)
{
	usage_line(f, c);
	fprintf(f, "\n%s\n", c->summary);
	if (c->details)
		fprintf(f, "\n%s\n", c->details);
	if (c->opts[0].id) {
		fprintf(f, "\noptions:\n");
		print_opts(f, c->opts);
	}
	fprintf(f,
		"\nThe global options ('strata help') may stand before or after the command.\n");
}

static int show_help(struct cli *cli, const struct cmd *c)
{
	json_t *o, *cmds;
	size_t i;

	if (!cli->json) {
		if (c)
			command_help(stdout, c);
		else
			general_help(stdout);
		return CLI_OK;
	}
	if (c)
		return out_json(cli, json_pack("{s:s, s:s, s:s, s:o}",
					       "command", c->name, "args",
					       c->args, "summary", c->summary,
					       "options", opts_json(c->opts)));
	cmds = json_array();
	for (i = 0; i < N_COMMANDS; i++)
		json_array_append_new(cmds,
				      json_pack("{s:s, s:s, s:s}", "name",
						commands[i].name, "args",
						commands[i].args, "summary",
						commands[i].summary));
	o = json_pack("{s:o, s:o}", "commands", cmds, "options",
		      opts_json(global_opts));
	return out_json(cli, o);
}

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
	return show_help(cli, c);
}

/* ---- flags and settings -------------------------------------------------- */

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

static int resolve_settings(struct cli *cli, struct env *env)
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

/*
 * "strata: database: URL (from ...)" on stderr before a command that
 * changes the database, so it never runs against a guessed target.
 */
static void database_line(struct cli *cli)
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

/* Open the context and give it the settings the command needs. */
static int setup_ctx(struct cli *cli)
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

/* Read the command line into cli; stops early at --help and --version. */
static int parse_cmdline(struct cli *cli, int argc, char **argv)
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

	rc = parse_cmdline(cli, argc, argv);
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
		return show_help(cli, cli->cmd);
	if (!cli->cmd) {
		if (!cli->json)
			general_help(stderr);
		return cli_error(cli, CLI_USAGE, "no command given");
	}
	rc = check_arity(cli);
	if (rc)
		return rc;
	if (!(cli->cmd->flags & CMD_NO_CTX)) {
		rc = resolve_settings(cli, env);
		if (rc)
			return rc;
		rc = setup_ctx(cli);
		if (rc)
			return rc;
		/* A --sql script changes nothing; its header names the URL. */
		if (((cli->cmd->flags & CMD_CHANGES) ||
		     ((cli->cmd->flags & CMD_CHANGES_ARG) && cli->argc)) &&
		    !cli->sql && !cli->from)
			database_line(cli);
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
