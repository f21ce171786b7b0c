/*
 * postgres_backup.c - a backup of a PostgreSQL database with pg_dump
 * --format=custom.  The connection parameters reach pg_dump through its
 * environment (PGHOST, PGPASSWORD, ...), never its command line, where
 * any user could read them with ps.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"
#include "err.h"
#include "postgres_int.h"
#include "sb.h"

extern char **environ;

/* The PG* variables that carry what our connection actually used. */
static int dump_env(struct pg_conn *p, char ***out)
{
	PQconninfoOption *opts = PQconninfo(p->db), *o;
	size_t n = 0, cap = 8;
	char **env;

	*out = NULL;
	if (!opts)
		return err_oom(p->base.ctx);
	for (char **e = environ; *e; e++)
		cap++;
	for (o = opts; o->keyword; o++)
		cap++;
	env = calloc(cap, sizeof(*env));
	if (!env) {
		PQconninfoFree(opts);
		return err_oom(p->base.ctx);
	}
	for (o = opts; o->keyword; o++) {
		struct sb sb = SB_INIT;

		/* pg_dump chooses its own encoding and application name. */
		if (!o->envvar || !o->val ||
		    strcmp(o->keyword, "client_encoding") == 0 ||
		    strcmp(o->keyword, "application_name") == 0)
			continue;
		sb_addf(&sb, "%s=%s", o->envvar, o->val);
		if (!(env[n++] = sb_detach(&sb)))
			goto oom;
	}
	if (!(env[n++] = strdup("PGAPPNAME=strata pg_dump")))
		goto oom;
	/* The rest of our environment, minus what we set above. */
	for (char **e = environ; *e; e++) {
		size_t klen = strcspn(*e, "=");
		bool dup = false;

		for (size_t i = 0; i < n && !dup; i++)
			dup = strncmp(env[i], *e, klen + 1) == 0;
		if (!dup && !(env[n++] = strdup(*e)))
			goto oom;
	}
	PQconninfoFree(opts);
	*out = env;
	return STRATA_OK;
oom:
	PQconninfoFree(opts);
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	return err_oom(p->base.ctx);
}

static void env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

int pg_backup(struct engine_conn *c, const char *path)
{
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb file_arg = SB_INIT, errs = SB_INIT;
	posix_spawn_file_actions_t fa;
	char **env = NULL;
	int pipefd[2] = { -1, -1 }, fd, status = 0, rc, err;
	pid_t pid;
	char buf[512];
	char a0[] = "pg_dump", a1[] = "--format=custom", a2[] = "--no-password";
	ssize_t got;

	/* Mode 0600 before pg_dump writes a byte into it. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(c->ctx, STRATA_EIO, "cannot create '%s': %s",
			       path, strerror(errno));
	fchmod(fd, 0600);
	close(fd);
	rc = dump_env(p, &env);
	if (rc)
		goto fail;
	sb_addf(&file_arg, "--file=%s", path);
	if (file_arg.failed) {
		rc = err_oom(c->ctx);
		goto fail;
	}
	char *argv[] = { a0, a1, a2, file_arg.buf, NULL };
	if (pipe(pipefd) != 0) {
		rc = err_set(c->ctx, STRATA_EIO, "cannot run pg_dump: %s",
			     strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	err = posix_spawnp(&pid, "pg_dump", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		rc = err_set(c->ctx, err == ENOENT ? STRATA_EIO : STRATA_EIO,
			     err == ENOENT ? "pg_dump is not installed: %s"
					   : "cannot run pg_dump: %s",
			     err == ENOENT
				     ? "install the PostgreSQL client"
				       " programs, or run without --backup"
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
		char *line = pg_one_line(errs.buf);
		char *masked = line ? url_mask(line) : NULL;

		rc = err_set(c->ctx, STRATA_EIO, "pg_dump failed (%s %d): %s",
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status)
					       : WTERMSIG(status),
			     masked ? masked : "");
		free(line);
		free(masked);
		goto fail;
	}
	env_free(env);
	sb_release(&file_arg);
	sb_release(&errs);
	return STRATA_OK;
fail:
	unlink(path);
	env_free(env);
	sb_release(&file_arg);
	sb_release(&errs);
	return rc;
}
