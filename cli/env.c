/* env.c - settings from the environment and from a ./.env file. */
#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c, bool first)
{
	if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	return !first && c >= '0' && c <= '9';
}

/* Add or replace a variable: the last line for a key wins. */
static int env_put(struct env *e, const char *key, size_t klen, char *value)
{
	struct env_var *v;
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (strlen(e->vars[i].key) == klen &&
		    !memcmp(e->vars[i].key, key, klen)) {
			free(e->vars[i].value);
			e->vars[i].value = value;
			return 0;
		}
	}
	v = realloc(e->vars, (e->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	e->vars = v;
	v[e->n].key = strndup(key, klen);
	if (!v[e->n].key)
		return -1;
	v[e->n].value = value;
	e->n++;
	return 0;
}

/*
 * The value part of a line, unquoted.  "..." understands \", \\, \n and
 * \t; '...' is taken as it stands; an unquoted value ends at a '#' that
 * follows a blank.  Returns NULL with *bad set for an unclosed quote.
 */
static char *parse_value(const char *p, bool *bad)
{
	char *out = malloc(strlen(p) + 1), *o = out;
	char q;

	*bad = false;
	if (!out)
		return NULL;
	while (is_blank(*p))
		p++;
	if (*p == '"' || *p == '\'') {
		q = *p++;
		for (; *p && *p != q; p++) {
			if (q == '"' && *p == '\\' && p[1]) {
				p++;
				*o++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				continue;
			}
			*o++ = *p;
		}
		if (*p != q)
			goto bad;
		for (p++; is_blank(*p); p++)
			;
		if (*p && *p != '#')
			goto bad;
		*o = '\0';
		return out;
	}
	for (; *p; p++) {
		if (*p == '#' && (o == out || is_blank(o[-1])))
			break;
		*o++ = *p;
	}
	while (o > out && is_blank(o[-1]))
		o--;
	*o = '\0';
	return out;
bad:
	free(out);
	*bad = true;
	return NULL;
}

static void env_load(struct env *e)
{
	const char *path = e->path ? e->path : ".env";
	FILE *f;
	char *line = NULL, *p, *key, *value;
	size_t cap = 0, klen;
	ssize_t len;
	struct stat sb;
	int lineno = 0;
	bool bad;

	e->loaded = true;
	if (stat(path, &sb) || !S_ISREG(sb.st_mode))
		return;
	f = fopen(path, "r");
	if (!f) {
		out_warn("cannot read '%s': %s", path, strerror(errno));
		return;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; is_blank(*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (!strncmp(p, "export", 6) && is_blank(p[6]))
			for (p += 6; is_blank(*p); p++)
				;
		key = p;
		while (is_key_char(*p, p == key))
			p++;
		klen = (size_t)(p - key);
		while (is_blank(*p))
			p++;
		if (klen == 0 || *p != '=') {
			out_warn("%s:%d: ignoring a line that is not KEY=VALUE",
				 path, lineno);
			continue;
		}
		value = parse_value(p + 1, &bad);
		if (bad) {
			out_warn(
				"%s:%d: ignoring a value with an unclosed quote",
				path, lineno);
			continue;
		}
		if (!value || env_put(e, key, klen, value)) {
			free(value);
			out_warn("out of memory reading '%s'", path);
			break;
		}
	}
	free(line);
	fclose(f);
}

const char *env_get(struct env *e, const char *name, const char **from)
{
	const char *v = getenv(name);
	size_t i;

	if (v && *v) {
		if (from)
			*from = "the environment";
		return v;
	}
	if (!e->loaded)
		env_load(e);
	for (i = 0; i < e->n; i++) {
		if (!strcmp(e->vars[i].key, name) && e->vars[i].value[0]) {
			if (from)
				*from = e->path ? e->path : ".env";
			return e->vars[i].value;
		}
	}
	return NULL;
}

int env_open(struct env *e, const char *path)
{
	struct stat sb;

	if (stat(path, &sb))
		return -1;
	if (!S_ISREG(sb.st_mode)) {
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if (access(path, R_OK))
		return -1;
	e->path = path;
	env_load(e);
	return 0;
}

void env_release(struct env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->vars[i].key);
		free(e->vars[i].value);
	}
	free(e->vars);
	e->vars = NULL;
	e->n = 0;
	e->loaded = false;
}
