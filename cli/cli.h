/* cli.h - what the files of the strata command-line tool share. */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* Exit codes (SPEC.md section 4). */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1,    /* a migration, validation or database error */
	CLI_USAGE = 2,   /* bad usage or bad input */
	CLI_PENDING = 3, /* 'status --exit-code' with pending migrations */
};

/* What main() does for a command before calling it. */
#define CMD_NO_CTX      0x1u  /* no context at all (help) */
#define CMD_NEEDS_DB    0x2u  /* set the database URL */
#define CMD_NEEDS_DIR   0x4u  /* read the migrations folder */
#define CMD_CHANGES     0x8u  /* may change the database: name it first */
#define CMD_CHANGES_ARG 0x10u /* changes it when given an argument */

struct cli;
struct opt_spec;

struct cmd {
	const char *name;
	int (*run)(struct cli *cli);
	unsigned flags;              /* CMD_* */
	int min_args, max_args;      /* positional arguments; -1: no limit */
	const char *args;            /* usage: "NAME", "[VERSION]" */
	const char *summary;         /* one line for 'strata help' */
	const char *details;         /* more for 'strata help CMD', or NULL */
	const struct opt_spec *opts; /* the command's own options */
};

/* The versions of the migration files and their digit counts. */
struct vwidth {
	int64_t version;
	int width;
};

struct cli {
	/* Settings as given by flags (NULL: not given). */
	const char *opt_url, *opt_dir, *opt_table, *opt_backup_dir;
	const char *opt_keep_backups, *opt_lock_timeout;
	const char *opt_env;          /* --env VAR: the URL's variable */
	const char *opt_env_file;     /* --env-file FILE instead of ./.env */
	const char *opt_wait_timeout; /* --wait-timeout SECONDS */
	bool wait;                    /* --wait */

	/* Settings resolved: flag > environment > .env > default. */
	const char *url;
	const char *url_from; /* where url came from, for the database line */
	const char *dir;
	const char *table;
	const char *backup_dir; /* NULL: the library's default */
	int keep_backups;       /* -1: the library's default */
	int lock_timeout;       /* -1: the library's default */
	int wait_timeout;       /* seconds to wait for a server; 0: none */

	/* Global flags. */
	bool json, quiet, verbose, no_color, no_backup, backup;
	bool help, version;

	/* The command's own options. */
	bool dry_run, allow_out_of_order, ignore_checksums, exit_code;
	bool timestamp, delete, yes;
	int steps;          /* up/down --steps, +N, -N; 0 when not given */
	const char *format; /* schema --format; NULL when not given */
	const char *output; /* backup/recover/embed --output */
	const char *symbol; /* embed --symbol */
	bool sql;           /* up/down --sql */
	const char *from;   /* up/down --from; NULL when not given */
	const char *to;     /* test --to; NULL when not given */
	bool from_live;     /* test --from-live */

	const struct cmd *cmd;
	int argc; /* positional arguments after the command name */
	char **argv;
	strata *ctx;

	/* The error main() prints, once. */
	char *err_msg;
	char *err_loc; /* where the library raised it, or NULL */
	int err_code;
	bool json_done; /* the command printed its JSON object */

	/* Digit counts of the migration files, read on first use. */
	bool widths_loaded;
	struct vwidth *widths;
	size_t n_widths;
	int default_width;

	bool no_check; /* --no-check */
	bool force;    /* restore --force */
};

/*
 * Record the library's last error (strata_errmsg) as the one main()
 * prints.  Returns the exit code for 'rc': 2 for STRATA_EINVAL, else 1.
 */
int cli_lib_error(struct cli *cli, int rc);
/* The same with a chosen exit code. */
int cli_lib_error_as(struct cli *cli, int code);
/* Record our own error message; returns 'code'. */
int cli_error(struct cli *cli, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error: adds "(see 'strata help CMD')"; returns CLI_USAGE. */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Read a version argument: a non-negative integer.  On failure records a
 * usage error (unless cli is NULL) and returns false.
 */
bool cli_parse_version(struct cli *cli, const char *s, int64_t *out);
/*
 * A version argument that may also be 'head' or 'latest': the highest
 * version of the migrations (0 when there are none).  Records a usage
 * error and returns false on anything else.
 */
bool cli_parse_target(struct cli *cli, const char *s, int64_t *out);
/* A non-negative integer that fits an int; false when it does not. */
bool cli_parse_count(const char *s, int *out);
/* "head" or "latest": the highest version. */
bool cli_is_head(const char *s);
/* "+N" / "-N" with N a positive integer: *steps = N. */
bool cli_signed_steps(const char *s, char sign, int *steps);

/* What up, down and redo share (run.c). */
/* The STRATA_* run flags the options ask for. */
unsigned cli_run_flags(const struct cli *cli);
/* --dry-run: print the plan and its SQL, change nothing; an exit code. */
int cli_dry_run(struct cli *cli, int direction, int64_t target, int steps,
		unsigned flags);
/*
 * Report a run: its JSON object (even when it failed), or its summary.
 * The error itself is printed by main().  Frees run; returns the exit code.
 */
int cli_run_report(struct cli *cli, const char *what, int rc, strata_run *run);

/* History rows, which 'status' shows too (cmd_history.c). */
json_t *cli_history_row_json(const strata_history_row *r);
/*
 * Print history rows as a table.  'running_note' (may be NULL) is added
 * to the status of a running row, which is in progress or was interrupted.
 */
int cli_history_table(struct cli *cli, const strata_history_row *rows, size_t n,
		      const char *running_note);
/* Backups as a JSON array, or as a table (cmd_restore.c). */
json_t *cli_backups_json(const strata_backup_info *b, size_t n);
int cli_backups_table(struct cli *cli, const strata_backup_info *b, size_t n);
/* How many pending migrations are out of order (cmd_status.c). */
size_t cli_count_out_of_order(const strata_status *st);

/* The commands, one function each. */
int cmd_init(struct cli *cli);
int cmd_new(struct cli *cli);
int cmd_status(struct cli *cli);
int cmd_up(struct cli *cli);
int cmd_down(struct cli *cli);
int cmd_redo(struct cli *cli);
int cmd_history(struct cli *cli);
int cmd_validate(struct cli *cli);
int cmd_stamp(struct cli *cli);
int cmd_adopt(struct cli *cli); /* cmd_adopt.c */
int cmd_repair(struct cli *cli);
int cmd_schema(struct cli *cli);
int cmd_help(struct cli *cli);
/* up/down --sql [--from VERSION|base] (cmd_sql.c). */
int cmd_sql_script(struct cli *cli, int direction, int64_t target, int steps,
		   unsigned flags);
int cmd_backup(struct cli *cli);
int cmd_restore(struct cli *cli);
int cmd_check(struct cli *cli);
int cmd_recover(struct cli *cli);
int cmd_embed(struct cli *cli);
int cmd_test(struct cli *cli);
int cmd_current(struct cli *cli);
int cmd_show(struct cli *cli);

#endif
