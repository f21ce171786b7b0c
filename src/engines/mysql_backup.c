/*
 * mysql_backup.c - a backup of a MySQL/MariaDB database with mysqldump
 * (or mariadb-dump) --single-transaction: a consistent snapshot of InnoDB
 * tables without locking writers out.  The password reaches it through
 * the MYSQL_PWD environment variable, never its command line, where any
 * user could read it with ps.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"
#include "err.h"
#include "mysql_int.h"
#include "sb.h"

extern char **environ;

/* Our environment, without MYSQL_PWD, plus MYSQL_PWD=password if any. */
static char **dump_env(const char *password)
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

static void env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* argv for the dump: options from the URL, then the database. */
struct args {
	char *v[24];
	int n;
	bool oom;
};

/* One argument: 'opt' followed by 'val' (may be NULL). */
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

static void build_args(struct my_conn *m, struct args *a, const char *prog,
		       const char *path)
{
	const struct strata_url *u = m->url;
	const char *sock = url_param(u, "socket"), *mode;
	char port[16];

	if (!sock)
		sock = url_param(u, "unix_socket");
	arg(a, prog, NULL);
	arg(a, "--no-defaults", NULL); /* must come first after the name */
	arg(a, "--single-transaction", NULL);
	arg(a, "--routines", NULL);
	arg(a, "--triggers", NULL);
	arg(a, "--hex-blob", NULL);
	arg(a, "--no-tablespaces", NULL);
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
	arg(a, "--result-file=", path);
	arg(a, m->dbname, NULL);
	a->v[a->n] = NULL;
}

static void args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

int my_backup(struct engine_conn *c, const char *path)
{
	static const char *const progs[] = { "mysqldump", "mariadb-dump",
					     NULL };
	struct my_conn *m = (struct my_conn *)c;
	struct sb errs = SB_INIT;
	struct args a = { .n = 0 };
	posix_spawn_file_actions_t fa;
	char **env = NULL;
	int pipefd[2] = { -1, -1 }, fd, status = 0, rc, err = ENOENT;
	pid_t pid = 0;
	char buf[512];
	ssize_t got;

	/* Mode 0600 before the dump writes a byte into it. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(c->ctx, STRATA_EIO, "cannot create '%s': %s",
			       path, strerror(errno));
	fchmod(fd, 0600);
	close(fd);
	env = dump_env(m->url->password);
	if (!env) {
		rc = err_oom(c->ctx);
		goto fail;
	}
	if (pipe(pipefd) != 0) {
		rc = err_set(c->ctx, STRATA_EIO, "cannot run mysqldump: %s",
			     strerror(errno));
		goto fail;
	}
	for (size_t i = 0; progs[i] && err == ENOENT; i++) {
		args_free(&a);
		build_args(m, &a, progs[i], path);
		if (a.oom) {
			close(pipefd[0]);
			close(pipefd[1]);
			rc = err_oom(c->ctx);
			goto fail;
		}
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
						 0);
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
		posix_spawn_file_actions_addclose(&fa, pipefd[0]);
		posix_spawn_file_actions_addclose(&fa, pipefd[1]);
		err = posix_spawnp(&pid, progs[i], &fa, NULL, a.v, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		rc = err_set(c->ctx, STRATA_EIO,
			     err == ENOENT ? "mysqldump is not installed: %s"
					   : "cannot run mysqldump: %s",
			     err == ENOENT
				     ? "install the MySQL/MariaDB client"
				       " programs (Debian: apt-get install"
				       " mariadb-client), or run without"
				       " --backup"
				     : strerror(err));
		goto fail;
	}
	while ((got = read(pipefd[0], buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (errs.len < 4096)
			sb_add(&errs, buf, (size_t)got);
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *line = my_one_line(errs.buf);
		char *masked = line ? url_mask(line) : NULL;

		rc = err_set(c->ctx, STRATA_EIO, "%s failed (%s %d): %s",
			     a.v[0], WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status)
					       : WTERMSIG(status),
			     masked ? masked : "");
		free(line);
		free(masked);
		goto fail;
	}
	env_free(env);
	args_free(&a);
	sb_release(&errs);
	return STRATA_OK;
fail:
	unlink(path);
	env_free(env);
	args_free(&a);
	sb_release(&errs);
	return rc;
}
