/* out.c - what the tool prints: colour, messages, tables, JSON. */
#include "out.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define C_RESET "\033[0m"

static bool color_stdout, color_stderr;

void out_setup_color(bool no_color)
{
	const char *term = getenv("TERM");
	bool ok = !no_color && !getenv("NO_COLOR") &&
		  !(term && !strcmp(term, "dumb"));

	color_stdout = ok && isatty(STDOUT_FILENO);
	color_stderr = ok && isatty(STDERR_FILENO);
}

bool out_color(FILE *f)
{
	return f == stdout ? color_stdout : f == stderr ? color_stderr : false;
}

const char *out_on(FILE *f, const char *code)
{
	return code && out_color(f) ? code : "";
}

const char *out_off(FILE *f, const char *code)
{
	return code && out_color(f) ? C_RESET : "";
}

static void vmessage(const char *what, const char *color, const char *fmt,
		     va_list ap) __attribute__((format(printf, 3, 0)));

static void vmessage(const char *what, const char *color, const char *fmt,
		     va_list ap)
{
	fflush(stdout); /* keep stdout and stderr lines in order on a tty */
	fprintf(stderr, "strata: %s%s%s: ", out_on(stderr, color), what,
		out_off(stderr, color));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void out_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", C_YELLOW, fmt, ap);
	va_end(ap);
}

void out_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("note", C_BOLD, fmt, ap);
	va_end(ap);
}

void out_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", C_RED, fmt, ap);
	va_end(ap);
}

FILE *out_info_stream(const struct cli *cli)
{
	return cli->json ? stderr : stdout;
}

void out_log(int level, const char *msg, void *payload)
{
	struct cli *cli = payload;
	FILE *f;

	switch (level) {
	case STRATA_LOG_WARN: out_warn("%s", msg); break;
	case STRATA_LOG_NOTE: out_note("%s", msg); break;
	case STRATA_LOG_INFO:
		if (cli->quiet)
			break;
		f = out_info_stream(cli);
		fprintf(f, "%s\n", msg);
		fflush(f);
		break;
	default:
		/*
		 * Errors reach the user once, from main(); the library's
		 * error-level lines and debug lines are for -v.
		 */
		if (cli->verbose)
			fprintf(stderr, "strata: debug: %s\n", msg);
		break;
	}
}

void out_progress(const strata_event *ev, void *payload)
{
	struct cli *cli = payload;
	FILE *f = out_info_stream(cli);
	bool up = ev->direction == STRATA_UP;
	int w = out_vwidth(cli, ev->version);
	const char *name = ev->name ? ev->name : "";
	const char *c;

	if (cli->quiet)
		return;
	switch (ev->type) {
	case STRATA_EV_START:
		fprintf(f, "%s %0*" PRId64 "_%s%s ...\n",
			up ? "applying" : "rolling back", w, ev->version, name,
			ev->no_transaction ? " (no transaction)" : "");
		break;
	case STRATA_EV_DONE:
		c = C_GREEN;
		fprintf(f, "%s%s%s %0*" PRId64 "_%s in %" PRId64 " ms\n",
			out_on(f, c), up ? "applied" : "rolled back",
			out_off(f, c), w, ev->version, name, ev->execution_ms);
		break;
	case STRATA_EV_COPY:
		/* Pages copied, on a terminal only, for copies of some size. */
		if (!isatty(fileno(stderr)) || ev->total < 4096)
			break;
		fprintf(stderr,
			"\rcopying: %" PRId64 "/%" PRId64 " pages (%d%%)",
			ev->copied, ev->total,
			(int)(ev->total ? 100 * ev->copied / ev->total : 100));
		if (ev->copied >= ev->total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	case STRATA_EV_FAIL:
		c = C_RED;
		fprintf(f, "%sfailed%s %0*" PRId64 "_%s after %" PRId64 " ms\n",
			out_on(f, c), out_off(f, c), w, ev->version, name,
			ev->execution_ms);
		break;
	default: break;
	}
	fflush(f);
}

/* ---- digit counts of the migration files --------------------------------- */

static int cmp_vwidth(const void *a, const void *b)
{
	const struct vwidth *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* "<digits>_<name>.sql" (or .up.sql, .down.sql): its version and width. */
static bool file_version(const char *name, int64_t *version, int *width)
{
	const char *p = name;
	int64_t v = 0;
	size_t len;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	len = strlen(name);
	if (p == name || *p != '_' || len < 4 || strcmp(name + len - 4, ".sql"))
		return false;
	*version = v;
	*width = (int)(p - name);
	return true;
}

static void load_widths(struct cli *cli)
{
	DIR *d;
	struct dirent *de;
	struct vwidth *v;
	size_t cap = 0;
	int64_t version;
	int width;

	cli->widths_loaded = true;
	cli->default_width = 3;
	d = cli->dir ? opendir(cli->dir) : NULL;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!file_version(de->d_name, &version, &width))
			continue;
		if (cli->n_widths == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(cli->widths, cap * sizeof(*v));
			if (!v)
				break;
			cli->widths = v;
		}
		cli->widths[cli->n_widths].version = version;
		cli->widths[cli->n_widths].width = width;
		cli->n_widths++;
	}
	closedir(d);
	if (cli->n_widths) {
		qsort(cli->widths, cli->n_widths, sizeof(*cli->widths),
		      cmp_vwidth);
		cli->default_width = cli->widths[cli->n_widths - 1].width;
	}
}

int out_vwidth(struct cli *cli, int64_t version)
{
	struct vwidth key = { .version = version }, *hit;

	if (!cli->widths_loaded)
		load_widths(cli);
	if (!cli->n_widths)
		return cli->default_width;
	hit = bsearch(&key, cli->widths, cli->n_widths, sizeof(key),
		      cmp_vwidth);
	return hit ? hit->width : cli->default_width;
}

/* ---- tables -------------------------------------------------------------- */

void table_init(struct table *t, size_t ncols, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->head = head;
}

void table_row(struct table *t)
{
	size_t cap;
	char **cells;
	const char **colors;

	if (t->failed)
		return;
	if (t->nrows == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
		if (cells)
			t->cells = cells;
		colors = realloc(t->colors, cap * t->ncols * sizeof(*colors));
		if (colors)
			t->colors = colors;
		if (!cells || !colors) {
			t->failed = true;
			return;
		}
		t->cap = cap;
	}
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(char *));
	memset(t->colors + t->nrows * t->ncols, 0,
	       t->ncols * sizeof(const char *));
	t->nrows++;
}

void table_set(struct table *t, size_t col, const char *color, const char *fmt,
	       ...)
{
	va_list ap;
	char *s = NULL, small[128];
	size_t at;
	int n;

	if (t->failed || !t->nrows || col >= t->ncols)
		return;
	/* One formatting pass for the usual short cell, two for a long one. */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0)
		s = malloc((size_t)n + 1);
	if (!s) {
		t->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		memcpy(s, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	/* A cell is one line. */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	at = (t->nrows - 1) * t->ncols + col;
	free(t->cells[at]);
	t->cells[at] = s;
	t->colors[at] = color;
}

/* Width on screen: UTF-8 code points. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; s && *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void print_cell(FILE *f, const char *s, const char *color, size_t width,
		       bool last)
{
	static const char spaces[] = "                                ";
	size_t w = text_width(s), pad;

	fputs(out_on(f, color), f);
	fputs(s ? s : "", f);
	fputs(out_off(f, color), f);
	for (pad = last || w >= width + 2 ? 0 : width + 2 - w; pad;) {
		size_t k = pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1;
		fwrite(spaces, 1, k, f);
		pad -= k;
	}
}

int table_print(struct table *t, FILE *f)
{
	size_t *width, r, c, w;
	size_t last;

	if (t->failed)
		return -1;
	width = calloc(t->ncols, sizeof(*width));
	if (!width)
		return -1;
	for (c = 0; c < t->ncols; c++)
		width[c] = text_width(t->head[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	/* Trailing empty columns of a row print nothing, not spaces. */
	for (c = 0; c < t->ncols; c++)
		print_cell(f, t->head[c], C_BOLD, width[c], c + 1 == t->ncols);
	fputc('\n', f);
	for (r = 0; r < t->nrows; r++) {
		last = t->ncols;
		while (last > 1 && !t->cells[r * t->ncols + last - 1])
			last--;
		for (c = 0; c < last; c++)
			print_cell(f, t->cells[r * t->ncols + c],
				   t->colors[r * t->ncols + c], width[c],
				   c + 1 == last);
		fputc('\n', f);
	}
	free(width);
	return 0;
}

void table_release(struct table *t)
{
	size_t i;

	for (i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	memset(t, 0, sizeof(*t));
}

/* ---- JSON ---------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

json_t *jstrn(const char *s, size_t len)
{
	json_t *j;
	char *copy;
	size_t i, n, o = 0;

	if (!s)
		return json_null();
	j = json_stringn(s, len);
	if (j)
		return j;
	/* Not UTF-8: replace the bad bytes so the output stays JSON. */
	copy = malloc(len + 1);
	if (!copy)
		return json_null();
	for (i = 0; i < len; i += n) {
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (!n) {
			copy[o++] = '?';
			n = 1;
			continue;
		}
		memcpy(copy + o, s + i, n);
		o += n;
	}
	j = json_stringn(copy, o);
	free(copy);
	return j ? j : json_null();
}

json_t *jstr(const char *s)
{
	return s ? jstrn(s, strlen(s)) : json_null();
}

json_t *jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

json_t *jint_or_null(int64_t v)
{
	return v == -1 ? json_null() : jint(v);
}

int out_json(struct cli *cli, json_t *obj)
{
	int rc;

	if (!obj)
		return cli_error(cli, CLI_FAIL, "out of memory");
	cli->json_done = true;
	rc = json_dumpf(obj, stdout, JSON_INDENT(2));
	json_decref(obj);
	fputc('\n', stdout);
	if (rc)
		return cli_error(cli, CLI_FAIL, "cannot write JSON output");
	return CLI_OK;
}
