/* options.h - strata's option ids and tables; the command line read. */
#ifndef STRATA_CLI_OPTIONS_H
#define STRATA_CLI_OPTIONS_H

#include "args.h"

struct cli;

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

/* The global options, and each command's own (each table ends with id 0). */
extern const struct opt_spec global_opts[];
extern const struct opt_spec no_opts[];
extern const struct opt_spec new_opts[];
extern const struct opt_spec status_opts[];
extern const struct opt_spec up_opts[];
extern const struct opt_spec down_opts[];
extern const struct opt_spec adopt_opts[];
extern const struct opt_spec stamp_opts[];
extern const struct opt_spec repair_opts[];
extern const struct opt_spec restore_opts[];
extern const struct opt_spec schema_opts[];
extern const struct opt_spec backup_opts[];
extern const struct opt_spec recover_opts[];
extern const struct opt_spec embed_opts[];
extern const struct opt_spec test_opts[];

/* Read the command line into cli; stops early at --help and --version. */
int cli_parse_cmdline(struct cli *cli, int argc, char **argv);

#endif
