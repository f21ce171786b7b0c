/*
 * sqlite_scratch.c - strata test's scratch database: a file in a new
 * private (0700) temporary folder, removed with everything in it after.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sb.h"
#include "sqlite_int.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

int sqlite_scratch_create(strata *ctx, const struct strata_url *live,
			  struct scratch *sc)
{
	const char *tmp = getenv("TMPDIR");
	struct sb dir = SB_INIT, file = SB_INIT, masked = SB_INIT;
	int rc = STRATA_OK;

	(void)live;
	memset(sc, 0, sizeof(*sc));
	if (!tmp || !*tmp)
		tmp = "/tmp";
	sb_addf(&dir, "%s/strata-test-XXXXXX", tmp);
	if (dir.failed) {
		rc = err_oom(ctx);
		goto out;
	}
	if (!mkdtemp(dir.buf)) { /* mode 0700 */
		rc = err_set(ctx, STRATA_EIO,
			     "cannot create a temporary folder in '%s': %s",
			     tmp, strerror(errno));
		goto out;
	}
	sb_addf(&file, "%s/test.sqlite3", dir.buf);
	sb_addf(&masked, "sqlite:%s", file.buf);
	sc->name = sb_detach(&dir);
	sc->file = sb_detach(&file);
	sc->url.masked = sb_detach(&masked);
	sc->url.engine = strdup("sqlite");
	sc->url.scheme = strdup("sqlite");
	sc->url.path = sc->file ? strdup(sc->file) : NULL;
	sc->what = sc->file ? strdup("a temporary file") : NULL;
	if (!sc->name || !sc->file || !sc->url.masked || !sc->url.engine ||
	    !sc->url.scheme || !sc->url.path || !sc->what) {
		if (sc->name)
			rmdir(sc->name);
		scratch_release(sc);
		rc = err_oom(ctx);
	}
out:
	sb_release(&dir);
	sb_release(&file);
	sb_release(&masked);
	return rc;
}

void sqlite_scratch_drop(strata *ctx, const struct strata_url *live,
			 struct scratch *sc)
{
	DIR *d;
	struct dirent *e;
	struct sb path = SB_INIT;

	(void)live;
	if (!sc->name) {
		scratch_release(sc);
		return;
	}
	/* Only what strata made there: the file, its journal, WAL, lock. */
	d = opendir(sc->name);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sb_reset(&path);
		sb_addf(&path, "%s/%s", sc->name, e->d_name);
		if (!path.failed && unlink(path.buf) != 0)
			log_msg(ctx, STRATA_LOG_WARN, "cannot remove '%s': %s",
				path.buf, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rmdir(sc->name) != 0)
		log_msg(ctx, STRATA_LOG_WARN,
			"cannot remove the temporary folder '%s': %s", sc->name,
			strerror(errno));
	sb_release(&path);
	scratch_release(sc);
}
