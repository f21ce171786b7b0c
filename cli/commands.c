/* commands.c - the command table: flags, arity and help texts. */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "options.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

const struct cmd commands[] = {
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

const size_t n_commands = sizeof(commands) / sizeof(commands[0]);

const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < n_commands; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}
