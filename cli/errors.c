/* errors.c - the one error main() prints, and its exit code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "strata.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static char *vformat(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/*
 * A copy of 'msg' (our own message, which may quote an argument the user
 * gave) with any password in it shown as "****", read as the library reads
 * URLs and connection strings.  Frees msg.
 */
static char *mask_secrets(char *msg)
{
	char *masked = msg ? strata_url_mask(msg) : NULL, *copy;

	free(msg);
	if (!masked)
		return NULL;
	copy = strdup(masked); /* set_error's messages are free()d */
	strata_free(masked);
	return copy;
}

/* Keep the first error: it is the most specific one. */
static void set_error(struct cli *cli, int code, char *msg, const char *loc)
{
	if (cli->err_msg || cli->err_code) {
		free(msg);
		return;
	}
	cli->err_code = code;
	cli->err_msg = msg ? msg : strdup("out of memory");
	cli->err_loc = loc && *loc ? strdup(loc) : NULL;
}

int cli_lib_error_as(struct cli *cli, int code)
{
	const char *msg = cli->ctx ? strata_errmsg(cli->ctx) : "out of memory";

	set_error(cli, code, strdup(msg),
		  cli->ctx ? strata_errloc(cli->ctx) : NULL);
	return code;
}

int cli_lib_error(struct cli *cli, int rc)
{
	/*
	 * Bad input is exit 2; so is an engine this build lacks (a URL the
	 * binary cannot use), which the library reports when it connects.
	 */
	if (rc == STRATA_EINVAL || rc == STRATA_EUNSUPPORTED)
		return cli_lib_error_as(cli, CLI_USAGE);
	return cli_lib_error_as(cli, CLI_FAIL);
}

int cli_error(struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(cli, code, mask_secrets(vformat(fmt, ap)), NULL);
	va_end(ap);
	return code;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full = NULL;
	size_t n;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	if (msg) {
		n = strlen(msg) + 64 + (cli->cmd ? strlen(cli->cmd->name) : 0);
		full = malloc(n);
		if (full)
			snprintf(full, n, "%s (see 'strata help%s%s')", msg,
				 cli->cmd ? " " : "",
				 cli->cmd ? cli->cmd->name : "");
		free(msg);
	}
	set_error(cli, CLI_USAGE, mask_secrets(full), NULL);
	return CLI_USAGE;
}
