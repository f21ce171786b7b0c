/*
 * postgres_backup.c - a backup of a PostgreSQL database with pg_dump
 * --format=custom.  The connection parameters reach pg_dump through its
 * environment (PGHOST, PGPASSWORD, ...), never its command line, where
 * any user could read them with ps.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dumptool.h"
#include "err.h"
#include "postgres_int.h"
#include "sb.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

extern char **environ;

/* The PG* variables that carry what our connection actually used. */
int pg_dump_env(struct pg_conn *p, char ***out)
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

int pg_backup(struct engine_conn *c, const char *path)
{
	static const char *const progs[] = { "pg_dump", NULL };
	struct pg_conn *p = (struct pg_conn *)c;
	struct sb file_arg = SB_INIT;
	char a1[] = "--format=custom", a2[] = "--no-password";
	char **env = NULL;
	int rc;

	rc = pg_dump_env(p, &env);
	if (rc)
		return rc;
	sb_addf(&file_arg, "--file=%s", path);
	if (file_arg.failed) {
		dumptool_env_free(env);
		return err_oom(c->ctx);
	}
	char *argv[] = { NULL, a1, a2, file_arg.buf, NULL };
	rc = dumptool_run(
		c->ctx, path, progs, argv, env,
		"install the PostgreSQL client programs, or run without --backup",
		pg_one_line);
	dumptool_env_free(env);
	sb_release(&file_arg);
	return rc;
}
