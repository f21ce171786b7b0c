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

#include "banned.h"
#include "dumptool.h"
#include "err.h"
#include "mysql_int.h"
#include "sb.h"

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

struct args {
	char *v[20];
	int n;
	bool oom;
};

static void arg(struct args *a, const char *opt, const char *val)
{
	struct sb sb = SB_INIT;

	if (a->n >= (int)(sizeof(a->v) / sizeof(a->v[0])) - 1) {
		a->oom = true;
		return;
	}
	sb_adds(&sb, opt);
	if (val)
		sb_adds(&sb, val);
	if (!(a->v[a->n++] = sb_detach(&sb)))
		a->oom = true;
}

/* The client's options: the connection of the URL, then the database. */
static void build_args(struct my_conn *m, struct args *a)
{
	const struct strata_url *u = m->url;
	const char *sock = url_param(u, "socket"), *mode;
	char port[16];

	if (!sock)
		sock = url_param(u, "unix_socket");
	a->v[a->n++] = NULL; /* the program's name, set by dumptool_exec */
	arg(a, "--no-defaults", NULL);
	arg(a, "--batch", NULL);
	arg(a, "--default-character-set=utf8mb4", NULL);
	if (u->host)
		arg(a, "--host=", u->host);
	if (u->port) {
		snprintf(port, sizeof(port), "%d", u->port);
		arg(a, "--port=", port);
		arg(a, "--protocol=TCP", NULL);
	}
	if (u->user)
		arg(a, "--user=", u->user);
	if (sock)
		arg(a, "--socket=", sock);
	mode = url_param(u, "sslmode");
	if (mode && strncasecmp(mode, "disable", 7) != 0 &&
	    strncasecmp(mode, "prefer", 6) != 0)
		arg(a, "--ssl", NULL);
	if (url_param(u, "sslrootcert"))
		arg(a, "--ssl-ca=", url_param(u, "sslrootcert"));
	if (url_param(u, "sslcert"))
		arg(a, "--ssl-cert=", url_param(u, "sslcert"));
	if (url_param(u, "sslkey"))
		arg(a, "--ssl-key=", url_param(u, "sslkey"));
	arg(a, "--database=", m->dbname);
	a->v[a->n] = NULL;
}

int my_restore_dump(struct engine_conn *c, const char *path,
		    int (*stage)(struct engine_conn *live, void *arg),
		    void *arg)
{
	static const char *const progs[] = { "mariadb", "mysql", NULL };
	struct my_conn *m = (struct my_conn *)c;
	struct args a = { .n = 0 };
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
	dumptool_env_free(env);
	for (int i = 1; i < a.n; i++)
		free(a.v[i]);
	return rc;
}
