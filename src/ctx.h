/* ctx.h - the context behind the opaque 'strata' handle. */
#ifndef STRATA_CTX_H
#define STRATA_CTX_H

#include <stdbool.h>

#include "migration.h"
#include "sb.h"
#include "strata.h"
#include "url.h"

struct strata {
	struct strata_url url;
	bool has_url;
	char *table; /* tracking table prefix */
	int lock_timeout;
	int connect_wait; /* seconds to wait for a server to accept */
	char *backup_dir;
	int keep_backups;
	int auto_backup; /* -1: the engine's default, 0: off, 1: on */
	struct source src;
	struct sqlite3 *app_db;   /* an application's handle: never closed */
	strata_migration *listed; /* strata_list_migrations() view of src */

	strata_log_fn log_fn;
	void *log_payload;
	strata_progress_fn progress_fn;
	void *progress_payload;

	int err_rc;
	struct sb err_msg;
	char err_loc[128];
};

#endif
