/*
 * mysql_backup.c - a backup of a MySQL/MariaDB database with mysqldump
 * (or mariadb-dump) --single-transaction: a consistent snapshot of InnoDB
 * tables without locking writers out.  The password reaches it through
 * the MYSQL_PWD environment variable, never its command line, where any
 * user could read it with ps.
 */
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

extern char **environ;

/* Our environment, without MYSQL_PWD, plus MYSQL_PWD=password if any. */
char **my_dump_env(const char *password)
{
	size_t n = 0, cap = 2;
	char **env;

	for (char **e = environ; *e; e++)
		cap++;
	env = calloc(cap, sizeof(*env));
	if (!env)
		return NULL;
	if (password) {
		struct sb sb = SB_INIT;

		sb_addf(&sb, "MYSQL_PWD=%s", password);
		if (!(env[n++] = sb_detach(&sb)))
			goto oom;
	}
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "MYSQL_PWD=", 10) == 0)
			continue;
		if (!(env[n++] = strdup(*e)))
			goto oom;
	}
	return env;
oom:
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	return NULL;
}

/* argv for the dump: options from the URL, then the database. */
/* One argument: 'opt' followed by 'val' (may be NULL). */
void my_arg(struct my_args *a, const char *opt, const char *val)
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

void my_conn_args(struct my_args *a, const struct strata_url *u)
{
	const char *sock = url_param(u, "socket"), *mode;
	char port[16];

	if (!sock)
		sock = url_param(u, "unix_socket");
	if (u->host)
		my_arg(a, "--host=", u->host);
	if (u->port) {
		snprintf(port, sizeof(port), "%d", u->port);
		my_arg(a, "--port=", port);
		my_arg(a, "--protocol=TCP", NULL);
	}
	if (u->user)
		my_arg(a, "--user=", u->user);
	if (sock)
		my_arg(a, "--socket=", sock);
	mode = url_param(u, "sslmode");
	if (mode && strncasecmp(mode, "disable", 7) != 0 &&
	    strncasecmp(mode, "prefer", 6) != 0)
		my_arg(a, "--ssl", NULL);
	if (url_param(u, "sslrootcert"))
		my_arg(a, "--ssl-ca=", url_param(u, "sslrootcert"));
	if (url_param(u, "sslcert"))
		my_arg(a, "--ssl-cert=", url_param(u, "sslcert"));
	if (url_param(u, "sslkey"))
		my_arg(a, "--ssl-key=", url_param(u, "sslkey"));
}

void my_args_release(struct my_args *a)
{
	for (int i = 1; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static void build_args(struct my_conn *m, struct my_args *a, const char *path)
{
	a->v[a->n++] = NULL; /* the program's name, set by dumptool_run */
	my_arg(a, "--no-defaults", NULL); /* must come first after the name */
	my_arg(a, "--single-transaction", NULL);
	my_arg(a, "--routines", NULL);
	my_arg(a, "--triggers", NULL);
	my_arg(a, "--hex-blob", NULL);
	my_arg(a, "--no-tablespaces", NULL);
	my_arg(a, "--default-character-set=utf8mb4", NULL);
	my_conn_args(a, m->url);
	my_arg(a, "--result-file=", path);
	my_arg(a, m->dbname, NULL);
	a->v[a->n] = NULL;
}

int my_backup(struct engine_conn *c, const char *path)
{
	static const char *const progs[] = { "mysqldump", "mariadb-dump",
					     NULL };
	struct my_conn *m = (struct my_conn *)c;
	struct my_args a = { .n = 0 };
	char **env;
	int rc;

	env = my_dump_env(m->url->password);
	build_args(m, &a, path);
	if (!env || a.oom)
		rc = err_oom(c->ctx);
	else
		rc = dumptool_run(
			c->ctx, path, progs, a.v, env,
			"install the MySQL/MariaDB client programs (Debian: apt-get install mariadb-client), or run without --backup",
			my_one_line);
	dumptool_env_free(env);
	my_args_release(&a);
	return rc;
}
