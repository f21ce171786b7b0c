/*
 * mysql_restore.c - restore a --backup dump (mysqldump's .sql) through
 * the mariadb/mysql client in one session.  The file is read whole first
 * and must end with mysqldump's completion line; the password reaches
 * the client through MYSQL_PWD, never its command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dumptool.h"
#include "err.h"
#include "mysql_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static const char completed[] = "-- Dump completed";

/*
 * Read the whole file: a dump cut short (a full disk, a killed dump)
 * lacks the last line mysqldump writes, "-- Dump completed[ on ...]".
 */
int my_inspect_dump(strata *ctx, const char *path, const char *prefix,
		    bool verify, int64_t *version)
{
	char buf[65536], last[256] = "", line[256];
	size_t n, ln = 0;
	FILE *f;
	bool err;

	(void)prefix;
	(void)verify;
	*version = -1;
	if (!(f = fopen(path, "rb")))
		return err_set(ctx,
			       errno == ENOENT ? STRATA_ENOTFOUND : STRATA_EIO,
			       "cannot read '%s': %s", path, strerror(errno));
	/* Keep the last non-blank line (its first 255 bytes). */
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				if (ln) {
					memcpy(last, line, ln);
					last[ln] = '\0';
				}
				ln = 0;
			} else if (ln < sizeof(line) - 1) {
				line[ln++] = buf[i];
			}
		}
	err = ferror(f) != 0;
	fclose(f);
	if (ln) {
		memcpy(last, line, ln);
		last[ln] = '\0';
	}
	if (err)
		return err_set(ctx, STRATA_EIO, "cannot read '%s'", path);
	if (strncmp(last, completed, sizeof(completed) - 1) != 0)
		return err_set(
			ctx, STRATA_ERROR,
			"'%s' is not a whole mysqldump file: it does not end with '%s' (cut short?)",
			path, completed);
	return STRATA_OK;
}

/* The client's options: the connection of the URL, then the database. */
static void build_args(struct my_conn *m, struct my_args *a)
{
	a->v[a->n++] = NULL; /* the program's name, set by dumptool_exec */
	my_arg(a, "--no-defaults", NULL);
	my_arg(a, "--batch", NULL);
	my_arg(a, "--default-character-set=utf8mb4", NULL);
	my_conn_args(a, m->url);
	my_arg(a, "--database=", m->dbname);
	a->v[a->n] = NULL;
}

/*
 * The tables and views the dump recreates, from mysqldump's "DROP TABLE
 * IF EXISTS `t`;" and "DROP VIEW IF EXISTS `v`" lines, as "\nname\n".
 */
static void dump_names(const char *path, struct sb *out)
{
	static const char *const marks[] = { "DROP TABLE IF EXISTS `",
					     "DROP VIEW IF EXISTS `" };
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "rb");

	sb_addc(out, '\n');
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0)
		for (size_t k = 0; k < 2; k++) {
			const char *p = strstr(line, marks[k]);
			if (!p)
				continue;
			p += strlen(marks[k]);
			/* `` is one backtick inside a name */
			for (; *p && *p != '\n'; p++) {
				if (*p == '`' && p[1] != '`')
					break;
				if (*p == '`')
					p++;
				sb_addc(out, *p);
			}
			sb_addc(out, '\n');
		}
	free(line);
	fclose(f);
}

static int add_name(void *payload, int ncol, const char *const *vals)
{
	struct sb *b = payload;

	if (ncol >= 1 && vals[0])
		sb_addf(b, "%s\n", vals[0]);
	return 0;
}

/* Tables the dump does not recreate are left as they were: say which. */
static void warn_leftovers(struct my_conn *m, const char *path)
{
	struct sb in_dump = SB_INIT, live = SB_INIT, left = SB_INIT;
	int n = 0;

	dump_names(path, &in_dump);
	if (!in_dump.failed &&
	    m->base.eng->query(
		    &m->base,
		    "SELECT table_name FROM information_schema.tables"
		    " WHERE table_schema = DATABASE() ORDER BY 1",
		    NULL, 0, add_name, &live) == STRATA_OK) {
		for (const char *l = live.buf; *l;) {
			size_t len = strcspn(l, "\n");
			struct sb needle = SB_INIT;
			sb_addf(&needle, "\n%.*s\n", (int)len, l);
			if (!needle.failed &&
			    !strstr(in_dump.buf, needle.buf) && n++ < 10)
				sb_addf(&left, "%s%.*s", left.len ? ", " : "",
					(int)len, l);
			sb_release(&needle);
			l += len + (l[len] == '\n');
		}
	}
	if (n && !left.failed)
		log_msg(m->base.ctx, STRATA_LOG_WARN,
			"not in the dump, left as they were: %s%s (drop them if a migration after the backup created them)",
			left.buf, n > 10 ? ", ..." : "");
	sb_release(&in_dump);
	sb_release(&live);
	sb_release(&left);
}

int my_restore_dump(struct engine_conn *c, const char *path,
		    int (*stage)(struct engine_conn *live, void *arg),
		    void *arg)
{
	static const char *const progs[] = { "mariadb", "mysql", NULL };
	struct my_conn *m = (struct my_conn *)c;
	struct my_args a = { .n = 0 };
	char **env = my_dump_env(m->url->password);
	int rc;

	build_args(m, &a);
	if (!env || a.oom)
		rc = err_oom(c->ctx);
	else
		rc = dumptool_exec(
			c->ctx, progs, a.v, env, path,
			"install the MySQL/MariaDB client programs (Debian: apt-get install mariadb-client)",
			my_one_line);
	if (rc && !strstr(strata_errmsg(c->ctx), "not installed"))
		err_prefix(
			c->ctx,
			"restore failed part way (MySQL cannot take DDL back: restore the backup taken before it): ");
	/* The history row: after the restore, in its tracking table. */
	if (!rc)
		rc = stage(c, arg);
	if (!rc)
		warn_leftovers(m, path);
	dumptool_env_free(env);
	my_args_release(&a);
	return rc;
}
