/* dumptool.c - run a server's dump program (pg_dump, mysqldump) into a file. */
#include "dumptool.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sb.h"
#include "url.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

void dumptool_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* Start the first installed program; *err is ENOENT when none is. */
static int spawn_first(const char *const *progs, char **argv, char **env,
		       const char *in_path, int out_fd, int close_fd,
		       pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int err = ENOENT;

	for (size_t i = 0; progs[i] && err == ENOENT; i++) {
		argv[0] = (char *)progs[i];
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
		posix_spawn_file_actions_addclose(&fa, close_fd);
		posix_spawn_file_actions_addclose(&fa, out_fd);
		err = posix_spawnp(pid, progs[i], &fa, NULL, argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	return err;
}

/* Read what the tool prints (the first 4 KiB are kept) until it ends. */
static int wait_tool(int fd, pid_t pid, struct sb *out)
{
	char buf[512];
	ssize_t got;
	int status = 0;

	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (out->len < 4096)
			sb_add(out, buf, (size_t)got);
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static int run_tool(strata *ctx, const char *const *progs, char **argv,
		    char **env, const char *in_path, const char *install_hint,
		    char *(*one_line)(const char *s), int pipefd[2]);

int dumptool_run(strata *ctx, const char *path, const char *const *progs,
		 char **argv, char **env, const char *install_hint,
		 char *(*one_line)(const char *s))
{
	int pipefd[2], fd, rc = STRATA_OK;

	/*
	 * A new file, 0600 from its first byte: never one (or a link) that
	 * was put there before (the caller removed its own leftovers).
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return err_set(ctx, STRATA_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	close(fd);
	if (pipe(pipefd) != 0) {
		rc = err_set(ctx, STRATA_EIO, "cannot run %s: %s", progs[0],
			     strerror(errno));
		goto out;
	}
	rc = run_tool(ctx, progs, argv, env, "/dev/null", install_hint,
		      one_line, pipefd);
out:
	if (rc)
		unlink(path);
	return rc;
}

int dumptool_exec(strata *ctx, const char *const *progs, char **argv,
		  char **env, const char *in_path, const char *install_hint,
		  char *(*one_line)(const char *s))
{
	int pipefd[2];

	if (pipe(pipefd) != 0)
		return err_set(ctx, STRATA_EIO, "cannot run %s: %s", progs[0],
			       strerror(errno));
	return run_tool(ctx, progs, argv, env, in_path, install_hint, one_line,
			pipefd);
}

static int run_tool(strata *ctx, const char *const *progs, char **argv,
		    char **env, const char *in_path, const char *install_hint,
		    char *(*one_line)(const char *s), int pipefd[2])
{
	struct sb errs = SB_INIT;
	int status, err, rc = STRATA_OK;
	pid_t pid = 0;

	err = spawn_first(progs, argv, env, in_path, pipefd[1], pipefd[0],
			  &pid);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		return err == ENOENT
			       ? err_set(ctx, STRATA_EIO,
					 "%s is not installed: %s", progs[0],
					 install_hint)
			       : err_set(ctx, STRATA_EIO, "cannot run %s: %s",
					 progs[0], strerror(err));
	}
	status = wait_tool(pipefd[0], pid, &errs);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *line = one_line(errs.buf);
		char *masked = line ? url_mask(line) : NULL;

		rc = err_set(ctx, STRATA_EIO, "%s failed (%s %d): %s", argv[0],
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status)
					       : WTERMSIG(status),
			     masked ? masked : "");
		free(line);
		free(masked);
	}
	sb_release(&errs);
	return rc;
}
