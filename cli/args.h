/* args.h - split a command line into options and positional arguments. */
#ifndef STRATA_CLI_ARGS_H
#define STRATA_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* One option a command or the tool as a whole accepts. */
struct opt_spec {
	int id;                /* 0 ends a table */
	const char *long_name; /* without the leading "--" */
	char short_name;       /* 0: none */
	const char *arg;       /* NULL: a flag; else the value's name */
	const char *help;
};

struct args {
	int argc;
	char **argv;
	int i;                  /* the argument being read */
	const char *short_rest; /* the rest of a "-abc" group, or NULL */
	bool no_more_opts;      /* after "--" */
};

enum args_token {
	ARGS_END = 0,
	ARGS_OPT,        /* *opt and *value are set */
	ARGS_POSITIONAL, /* *value is set */
	ARGS_ERROR,      /* *value is the message */
};

/* Start reading argv[first..argc-1]. */
void args_init(struct args *a, int argc, char **argv, int first);

/*
 * Read the next token.  Options are looked up in the NULL-terminated
 * list 'sets' of option tables, exactly by name: "--name", "--name=value",
 * "--name value", "-x", "-x value", "-xvalue" and groups of flags "-qv".
 * "--" ends the options.  On ARGS_ERROR, *value points to a message in
 * 'errbuf' (size 'errsize') such as "unknown option '--foo'".
 */
int args_next(struct args *a, const struct opt_spec *const *sets,
	      const struct opt_spec **opt, const char **value, char *errbuf,
	      size_t errsize);

#endif
