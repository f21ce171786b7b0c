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
/* backup_take without the pruning: a run prunes once it knows its end. */
int backup_take_unpruned(struct session *s, char **path_out);
/*
 * After the run that took the backup at 'path': when it failed and
 * changed nothing (!changed, and not dirty), the history rows naming the
 * backup are set to NULL and the backup is removed (true is returned);
 * then the backups are pruned.  A backup whose rows cannot be updated
 * is kept.  Errors are logged, never returned.
 */
bool backup_settle(struct session *s, const char *path, bool changed);

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

/*
 * The database a backup's file name says it belongs to, when that is
 * not this one ("<other>.<stamp>.v<N><ext>"); NULL when the name is this
 * database's or not a backup name.  malloc'd.
 */
char *backup_name_other(const strata *ctx, const char *file);

#endif
