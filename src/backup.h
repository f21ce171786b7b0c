/* backup.h - backups before a run and on demand (naming, folder, keeping). */
#ifndef STRATA_BACKUP_H
#define STRATA_BACKUP_H

#include <stdbool.h>

#include "session.h"

/* The backups folder of this context's database; *out malloc'd. */
int backup_dir(const strata *ctx, char **out);

/* Should a run with these flags back up first? */
bool backup_wanted(const struct session *s, unsigned flags);

/*
 * Back up the session's database into the backups folder (0700) under
 * "<db>.<UTC stamp>.v<version>.bak" (0600), then drop the oldest beyond
 * the number kept.  *path_out is malloc'd.  On failure nothing is left.
 */
int backup_take(struct session *s, char **path_out);

/*
 * Remove what interrupted backups of this database left in its backups
 * folder (temporary files whose writer process is gone, SQLite side
 * files); a folder that is a symlink or writable by others is left alone.
 */
void backup_clean(strata *ctx);

/*
 * The backups of this database, oldest first.  read_versions opens each
 * one to read its version; otherwise the name's version is used.  The
 * strings live in *strings (2 per item), which the caller frees.
 */
int backup_list(strata *ctx, bool read_versions, size_t *n_out,
		strata_backup_info **out, char ***strings);

#endif
