/*
 * postgres_restore.c - restore a --backup dump (pg_dump --format=custom)
 * with pg_restore --clean --if-exists --single-transaction: every object
 * of the dump is dropped and recreated in one transaction, so a restore
 * that fails half way leaves the database as it was.  The connection
 * reaches pg_restore through its environment (PGPASSWORD, ...), never
 * its command line.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumptool.h"
#include "err.h"
#include "postgres_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

extern char **environ;

static const char *const progs[] = { "pg_restore", NULL };
static const char hint[] =
	"install the PostgreSQL client programs (Debian: apt-get install postgresql-client)";

/*
 * The dump must be whole before anything is dropped: its table of
 * contents is listed (--list), then every data block is read into a
 * script thrown away (--file=/dev/null), which fails on a truncated or
 * damaged file.  The version comes from the restored tracking table.
 */
int pg_inspect_dump(strata *ctx, const char *path, const char *prefix,
		    bool verify, int64_t *version)
{
	char a_list[] = "--list", a_null[] = "--file=/dev/null";
	char *file = strdup(path);
	int fd, rc;

	(void)prefix;
	*version = -1;
	if (!file)
		return err_oom(ctx);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(file);
		return err_set(ctx, STRATA_ENOTFOUND, "'%s' does not exist",
			       path);
	}
	close(fd);
	char *list[] = { NULL, a_list, file, NULL };
	char *read_all[] = { NULL, a_null, file, NULL };
	rc = dumptool_exec(ctx, progs, list, environ, "/dev/null", hint,
			   pg_one_line);
	if (!rc && verify)
		rc = dumptool_exec(ctx, progs, read_all, environ, "/dev/null",
				   hint, pg_one_line);
	if (rc == STRATA_EIO && !strstr(strata_errmsg(ctx), "not installed"))
		err_prefix(ctx,
			   "'%s' is not a whole pg_dump custom-format file: ",
			   path);
	free(file);
	return rc;
}

/* "oid schema.name" of every user relation, one a line. */
static int add_rel(void *payload, int ncol, const char *const *vals)
{
	struct sb *b = payload;

	if (ncol == 3 && vals[0] && vals[1] && vals[2])
		sb_addf(b, "%s %s.%s\n", vals[0], vals[1], vals[2]);
	return 0;
}

static const char rels_sql[] =
	"SELECT c.oid::text, n.nspname, c.relname FROM pg_class c"
	" JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
	" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
	" AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
	" ORDER BY 2, 3";

/*
 * pg_restore --clean recreates what the dump holds (new OIDs) and leaves
 * the rest: a relation whose OID survived is not in the dump (a table a
 * later migration created).  Named in a warning; never dropped.
 */
static void warn_leftovers(struct pg_conn *p, const char *before)
{
	struct sb after = SB_INIT, left = SB_INIT;
	int n = 0;

	/* 'before' starts with a newline: each line is "\n<line>\n" in it. */
	if (!before || p->base.eng->query(&p->base, rels_sql, NULL, 0, add_rel,
					  &after) != STRATA_OK) {
		sb_release(&after);
		return;
	}
	for (const char *l = after.buf; *l;) {
		size_t len = strcspn(l, "\n"), sp = strcspn(l, " ");
		struct sb needle = SB_INIT;

		sb_addf(&needle, "\n%.*s\n", (int)len, l);
		if (!needle.failed && strstr(before, needle.buf) && sp < len &&
		    n++ < 10)
			sb_addf(&left, "%s%.*s", left.len ? ", " : "",
				(int)(len - sp - 1), l + sp + 1);
		sb_release(&needle);
		l += len + (l[len] == '\n');
	}
	if (n && !left.failed)
		log_msg(p->base.ctx, STRATA_LOG_WARN,
			"not in the dump, left as they were: %s%s (drop them if a migration after the backup created them)",
			left.buf, n > 10 ? ", ..." : "");
	sb_release(&after);
	sb_release(&left);
}

/* dbname='...' as a libpq connection string: the value quoted. */
static char *dbname_conninfo(const char *name)
{
	struct sb sb = SB_INIT;

	sb_adds(&sb, "--dbname=dbname='");
	for (const char *p = name; *p; p++) {
		if (*p == '\'' || *p == '\\')
			sb_addc(&sb, '\\');
		sb_addc(&sb, *p);
	}
	sb_addc(&sb, '\'');
	return sb_detach(&sb);
}

int pg_restore_dump(struct engine_conn *c, const char *path,
		    int (*stage)(struct engine_conn *live, void *arg),
		    void *arg)
{
	struct pg_conn *p = (struct pg_conn *)c;
	char a1[] = "--clean", a2[] = "--if-exists",
	     a3[] = "--single-transaction", a4[] = "--no-password",
	     a5[] = "--exit-on-error";
	char *db = dbname_conninfo(p->dbname ? p->dbname : "");
	char *file = strdup(path);
	struct sb before = SB_INIT;
	char **env = NULL;
	int rc;

	rc = db && file ? pg_dump_env(p, &env) : err_oom(c->ctx);
	sb_addc(&before, '\n');
	if (!rc)
		rc = c->eng->query(c, rels_sql, NULL, 0, add_rel, &before);
	if (!rc) {
		char *argv[] = { NULL, a1, a2, a3, a4, a5, db, file, NULL };
		rc = dumptool_exec(c->ctx, progs, argv, env, "/dev/null", hint,
				   pg_one_line);
		if (rc)
			err_prefix(
				c->ctx,
				"restore failed, nothing was changed (one transaction): ");
	}
	/* The history row: after the restore, in its tracking table. */
	if (!rc)
		rc = stage(c, arg);
	if (!rc)
		warn_leftovers(p, before.failed ? NULL : before.buf);
	sb_release(&before);
	dumptool_env_free(env);
	free(db);
	free(file);
	return rc;
}
