/* help.c - 'strata help' and --help, as text or JSON, from the tables. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "commands.h"
#include "help.h"
#include "options.h"
#include "out.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static void opt_label(const struct opt_spec *o, char *buf, size_t size)
{
	if (o->short_name)
		snprintf(buf, size, "-%c, --%s%s%s", o->short_name,
			 o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(buf, size, "    --%s%s%s", o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_opts(FILE *f, const struct opt_spec *opts)
{
	const struct opt_spec *o;
	char label[96];
	size_t w = 0, n;

	for (o = opts; o->id; o++) {
		opt_label(o, label, sizeof(label));
		n = strlen(label);
		if (n > w)
			w = n;
	}
	for (o = opts; o->id; o++) {
		opt_label(o, label, sizeof(label));
		fprintf(f, "  %-*s  %s\n", (int)w, label, o->help);
	}
}

static json_t *opts_json(const struct opt_spec *opts)
{
	const struct opt_spec *o;
	json_t *a = json_array();
	char name[64];

	for (o = opts; o->id; o++) {
		snprintf(name, sizeof(name), "--%s", o->long_name);
		json_array_append_new(
			a,
			json_pack("{s:s, s:o, s:o, s:s}", "name", name, "short",
				  o->short_name
					  ? json_sprintf("-%c", o->short_name)
					  : json_null(),
				  "arg", jstr(o->arg), "help", o->help));
	}
	return a;
}

static void usage_line(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: strata %s%s%s%s\n", c->name,
		c->opts[0].id ? " [OPTIONS]" : "", *c->args ? " " : "",
		c->args);
}

void cli_general_help(FILE *f)
{
	size_t i, w = 0, n;
	char label[64];

	fprintf(f,
		"usage: strata [OPTIONS] COMMAND [ARGS]\n\n"
		"Keep a database's schema in step with an ordered set of migrations.\n\n"
		"commands:\n");
	for (i = 0; i < n_commands; i++) {
		n = strlen(commands[i].name) + 1 + strlen(commands[i].args);
		if (n > w)
			w = n;
	}
	for (i = 0; i < n_commands; i++) {
		snprintf(label, sizeof(label), "%s%s%s", commands[i].name,
			 *commands[i].args ? " " : "", commands[i].args);
		fprintf(f, "  %-*s  %s\n", (int)w, label, commands[i].summary);
	}
	fprintf(f, "\noptions (before or after the command):\n");
	print_opts(f, global_opts);
	fprintf(f,
		"\nRun 'strata help COMMAND' for the options of a command.\n");
}

static void command_help(FILE *f, const struct cmd *c)
{
	usage_line(f, c);
	fprintf(f, "\n%s\n", c->summary);
	if (c->details)
		fprintf(f, "\n%s\n", c->details);
	if (c->opts[0].id) {
		fprintf(f, "\noptions:\n");
		print_opts(f, c->opts);
	}
	fprintf(f,
		"\nThe global options ('strata help') may stand before or after the command.\n");
}

int cli_show_help(struct cli *cli, const struct cmd *c)
{
	json_t *o, *cmds;
	size_t i;

	if (!cli->json) {
		if (c)
			command_help(stdout, c);
		else
			cli_general_help(stdout);
		return CLI_OK;
	}
	if (c)
		return out_json(cli, json_pack("{s:s, s:s, s:s, s:o}",
					       "command", c->name, "args",
					       c->args, "summary", c->summary,
					       "options", opts_json(c->opts)));
	cmds = json_array();
	for (i = 0; i < n_commands; i++)
		json_array_append_new(cmds,
				      json_pack("{s:s, s:s, s:s}", "name",
						commands[i].name, "args",
						commands[i].args, "summary",
						commands[i].summary));
	o = json_pack("{s:o, s:o}", "commands", cmds, "options",
		      opts_json(global_opts));
	return out_json(cli, o);
}
