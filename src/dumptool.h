/* dumptool.h - run a server's dump program (pg_dump, mysqldump) into a file. */
#ifndef STRATA_DUMPTOOL_H
#define STRATA_DUMPTOOL_H

#include "strata.h"

/*
 * Create 'path' with mode 0600 (before the tool writes a byte), then run
 * the first of 'progs' (NULL-terminated) that is installed, with argv
 * (argv[0] is set to the program's name) and env, stdin from /dev/null and
 * its output captured.  A tool that is missing or fails is STRATA_EIO:
 * "<prog> is not installed: <hint>" or "<prog> failed (exit N): <output>",
 * the output on one line (one_line) with passwords masked; 'path' is then
 * removed.
 */
int dumptool_run(strata *ctx, const char *path, const char *const *progs,
		 char **argv, char **env, const char *install_hint,
		 char *(*one_line)(const char *s));

/*
 * Run the first installed program of 'progs' as dumptool_run does, with
 * stdin from the file 'in_path' ("/dev/null" for none) and no output file
 * (pg_restore, the mysql client); the same errors.
 */
int dumptool_exec(strata *ctx, const char *const *progs, char **argv,
		  char **env, const char *in_path, const char *install_hint,
		  char *(*one_line)(const char *s));

/* free() every string of a NULL-terminated array, then the array. */
void dumptool_env_free(char **env);

#endif
