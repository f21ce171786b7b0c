/* args.c - split a command line into options and positional arguments. */
#include "args.h"

#include <stdio.h>
#include <string.h>

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

void args_init(struct args *a, int argc, char **argv, int first)
{
	a->argc = argc;
	a->argv = argv;
	a->i = first;
	a->short_rest = NULL;
	a->no_more_opts = false;
}

static const struct opt_spec *find_long(const struct opt_spec *const *sets,
					const char *name, size_t len)
{
	const struct opt_spec *o;
	size_t k;

	for (k = 0; sets[k]; k++)
		for (o = sets[k]; o->id; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    !memcmp(o->long_name, name, len))
				return o;
	return NULL;
}

static const struct opt_spec *find_short(const struct opt_spec *const *sets,
					 char c)
{
	const struct opt_spec *o;
	size_t k;

	for (k = 0; sets[k]; k++)
		for (o = sets[k]; o->id; o++)
			if (o->short_name && o->short_name == c)
				return o;
	return NULL;
}

/* The next element of a "-abc" group. */
static int next_short(struct args *a, const struct opt_spec *const *sets,
		      const struct opt_spec **opt, const char **value,
		      char *errbuf, size_t errsize)
{
	const char *p = a->short_rest;
	const struct opt_spec *o = find_short(sets, *p);

	a->short_rest = p[1] ? p + 1 : NULL;
	if (!o) {
		snprintf(errbuf, errsize, "unknown option '-%c'", *p);
		*value = errbuf;
		return ARGS_ERROR;
	}
	*opt = o;
	*value = NULL;
	if (!o->arg)
		return ARGS_OPT;
	if (a->short_rest) { /* -uVALUE */
		*value = a->short_rest;
		a->short_rest = NULL;
		return ARGS_OPT;
	}
	if (a->i >= a->argc) {
		snprintf(errbuf, errsize, "option '-%c' needs a value (%s)",
			 o->short_name, o->arg);
		*value = errbuf;
		return ARGS_ERROR;
	}
	*value = a->argv[a->i++];
	return ARGS_OPT;
}

int args_next(struct args *a, const struct opt_spec *const *sets,
	      const struct opt_spec **opt, const char **value, char *errbuf,
	      size_t errsize)
{
	const struct opt_spec *o;
	const char *arg, *name, *eq;
	size_t len;

	*opt = NULL;
	*value = NULL;
	if (a->short_rest)
		return next_short(a, sets, opt, value, errbuf, errsize);
	if (a->i >= a->argc)
		return ARGS_END;
	arg = a->argv[a->i++];
	/* "-" and negative numbers are arguments (a bad version says so). */
	if (a->no_more_opts || arg[0] != '-' || arg[1] == '\0' ||
	    (arg[1] >= '0' && arg[1] <= '9')) {
		*value = arg;
		return ARGS_POSITIONAL;
	}
	if (arg[1] != '-') {
		a->short_rest = arg + 1;
		return next_short(a, sets, opt, value, errbuf, errsize);
	}
	if (arg[2] == '\0') {
		a->no_more_opts = true;
		return args_next(a, sets, opt, value, errbuf, errsize);
	}
	name = arg + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	o = find_long(sets, name, len);
	if (!o) {
		snprintf(errbuf, errsize, "unknown option '--%.*s'", (int)len,
			 name);
		*value = errbuf;
		return ARGS_ERROR;
	}
	*opt = o;
	if (!o->arg) {
		if (eq) {
			snprintf(errbuf, errsize,
				 "option '--%s' takes no value", o->long_name);
			*value = errbuf;
			return ARGS_ERROR;
		}
		return ARGS_OPT;
	}
	if (eq) {
		*value = eq + 1;
		return ARGS_OPT;
	}
	if (a->i >= a->argc) {
		snprintf(errbuf, errsize, "option '--%s' needs a value (%s)",
			 o->long_name, o->arg);
		*value = errbuf;
		return ARGS_ERROR;
	}
	*value = a->argv[a->i++];
	return ARGS_OPT;
}
