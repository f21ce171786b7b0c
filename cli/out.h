/* out.h - what the tool prints: colour, messages, tables, JSON. */
#ifndef STRATA_CLI_OUT_H
#define STRATA_CLI_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strata.h"

struct cli;

/* Colours, used only through out_on()/out_off(). */
#define C_RED    "\033[31m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD   "\033[1m"
#define C_DIM    "\033[2m"

/*
 * Decide once per stream whether to colour it: a terminal, no --no-color,
 * no NO_COLOR in the environment (any value), TERM not "dumb".
 */
void out_setup_color(bool no_color);
bool out_color(FILE *f);
/* 'code' when f is coloured, else "". */
const char *out_on(FILE *f, const char *code);
/* The reset sequence when f is coloured and 'code' is not NULL, else "". */
const char *out_off(FILE *f, const char *code);

/* "strata: warning: MSG", "strata: note: MSG", "strata: error: MSG". */
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where progress and info lines go: stderr under --json, else stdout. */
FILE *out_info_stream(const struct cli *cli);

/* The strata_set_log() callback; payload is the struct cli. */
void out_log(int level, const char *msg, void *payload);
/* The strata_set_progress() callback; payload is the struct cli. */
void out_progress(const strata_event *ev, void *payload);

/*
 * The number of digits 'version' has in its file's name (the highest
 * file's width when it has no file; 3 when there are none), for printing
 * "%0*" PRId64 "_%s".
 */
int out_vwidth(struct cli *cli, int64_t version);

/* An aligned text table. */
struct table {
	size_t ncols;
	const char *const *head;
	size_t nrows, cap;
	char **cells;        /* nrows * ncols; NULL is an empty cell */
	const char **colors; /* the same shape; NULL: no colour */
	bool failed;         /* an allocation failed */
};

void table_init(struct table *t, size_t ncols, const char *const *head);
/* Start a new row; its cells are empty until set. */
void table_row(struct table *t);
/* Set cell 'col' of the last row. */
void table_set(struct table *t, size_t col, const char *color, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* Print to f, columns two spaces apart; returns -1 if memory ran out. */
int table_print(struct table *t, FILE *f);
void table_release(struct table *t);

/* JSON values that never fail on odd input: NULL becomes null. */
json_t *jstr(const char *s);
json_t *jstrn(const char *s, size_t len);
json_t *jint(int64_t v);
json_t *jint_or_null(int64_t v); /* -1: null */
/* Print obj on stdout (indented), free it, mark the JSON as printed. */
int out_json(struct cli *cli, json_t *obj);

#endif
