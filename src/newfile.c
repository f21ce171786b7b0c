/* newfile.c - create the next migration file of a folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "sb.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

/* mkdir -p, with the library's messages. */
static int make_dirs(strata *ctx, const char *dir, bool *created)
{
	size_t bad;

	if (!dir || !*dir)
		return err_set(ctx, STRATA_EINVAL,
			       "no migrations folder given");
	if (!util_mkdir_p(dir, 0755, created, &bad))
		return STRATA_OK;
	if (errno == ENOMEM)
		return err_oom(ctx);
	return err_set(ctx, STRATA_EIO, "cannot create folder '%.*s': %s",
		       (int)bad, dir, strerror(errno));
}

int strata_init_dir(strata *ctx, const char *dir, bool *created)
{
	bool made;
	int rc;

	err_clear(ctx);
	*created = false;
	rc = make_dirs(ctx, dir, &made);
	if (!rc)
		*created = made;
	return rc;
}

/* The highest version in dir and the digit width its files use. */
static int scan(strata *ctx, const char *dir, int64_t *max, int *width)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	*max = 0;
	*width = 0;
	if (!d)
		return err_set(ctx, STRATA_EIO, "cannot read folder '%s': %s",
			       dir, strerror(errno));
	while ((de = readdir(d))) {
		int64_t v;
		char *name = NULL;
		int kind;
		if (!parse_file_name(de->d_name, &v, &name, &kind))
			continue;
		free(name);
		if (v >= *max)
			*max = v;
		int w = (int)strspn(de->d_name, "0123456789");
		if (w > *width)
			*width = w;
	}
	closedir(d);
	return STRATA_OK;
}

/* "add_power-state" reads as "add power state" in the description. */
static void add_title(struct sb *sb, const char *name)
{
	for (; *name; name++)
		sb_addc(sb, *name == '_' || *name == '-' ? ' ' : *name);
}

int strata_new_file(strata *ctx, const char *dir, const char *name,
		    bool timestamp, char **path_out)
{
	struct sb path = SB_INIT, body = SB_INIT;
	int64_t max, version;
	int width, fd, rc, format;
	const char *markers = "-- strata:up\n\n\n-- strata:down\n\n";

	err_clear(ctx);
	*path_out = NULL;
	if (!dir || !*dir)
		return err_set(
			ctx, STRATA_EINVAL,
			"no migrations folder given (the folder name is empty)");
	if (!migration_name_ok(name))
		return err_set(
			ctx, STRATA_EINVAL,
			"bad migration name '%s': use letters, digits, '_' and '-'",
			name ? name : "");
	rc = make_dirs(ctx, dir, NULL);
	if (!rc)
		rc = scan(ctx, dir, &max, &width);
	if (rc)
		return rc;
	if (max == INT64_MAX) /* max + 1 would overflow */
		return err_set(
			ctx, STRATA_EINVAL,
			"cannot number a new migration in '%s': its highest version, %lld, is the largest one strata can hold",
			dir, (long long)max);
	/* Another tool's folder gets a file in its format (SPEC 10). */
	format = source_dir_format(ctx, dir);
	if (format == FMT_DBMATE)
		markers = "-- migrate:up\n\n\n-- migrate:down\n\n";
	else if (format == FMT_GOOSE)
		markers = "-- +goose Up\n\n\n-- +goose Down\n\n";
	else if (format == FMT_SQL_MIGRATE)
		markers = "-- +migrate Up\n\n\n-- +migrate Down\n\n";
	else if (format != FMT_STRATA && format != FMT_GOLANG_MIGRATE)
		return err_set(
			ctx, STRATA_EINVAL,
			"'%s' holds %s migrations: strata new writes <version>_<name>.sql files, which would mix formats (write the %s migration by hand)",
			dir, mig_format_name(format), mig_format_name(format));
	if (timestamp) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[16];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		version = strtoll(stamp, NULL, 10);
		if (version <= max) /* two in one second stay in order */
			version = max + 1;
		width = 14;
	} else {
		version = max + 1;
		if (!width)
			width = 3;
	}
	sb_addf(&path, "%s%s%0*lld_%s.sql", dir,
		dir[strlen(dir) - 1] == '/' ? "" : "/", width,
		(long long)version, name);
	sb_adds(&body, "-- ");
	add_title(&body, name);
	sb_adds(&body, "\n");
	sb_adds(&body, markers);
	if (path.failed || body.failed) {
		rc = err_oom(ctx);
		goto out;
	}
	fd = open(path.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = err_set(ctx, STRATA_EIO, "cannot create '%s': %s",
			     path.buf, strerror(errno));
		goto out;
	}
	if (write(fd, body.buf, body.len) != (ssize_t)body.len) {
		rc = err_set(ctx, STRATA_EIO, "cannot write '%s': %s", path.buf,
			     strerror(errno));
		close(fd);
		unlink(path.buf);
		goto out;
	}
	close(fd);
	*path_out = sb_detach(&path);
	if (!*path_out)
		rc = err_oom(ctx);
out:
	sb_release(&path);
	sb_release(&body);
	return rc;
}
