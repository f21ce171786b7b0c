/*
 * mysql_dl.h - MariaDB Connector/C, loaded with dlopen() when a MySQL URL
 * is first used, as postgres_dl.h does for libpq: a program that never
 * talks to MySQL never pays for loading it (and its TLS libraries).  The
 * engine's files call mysql_ functions as usual: the macros below route
 * each call through the table filled by my_load().
 */
#ifndef STRATA_MYSQL_DL_H
#define STRATA_MYSQL_DL_H

#include <mysql.h>

#include "strata.h"

/* X(name) for every client function the engine uses. */
#define MY_FUNCTIONS(X)             \
	X(mysql_affected_rows)      \
	X(mysql_close)              \
	X(mysql_errno)              \
	X(mysql_error)              \
	X(mysql_fetch_lengths)      \
	X(mysql_fetch_row)          \
	X(mysql_field_count)        \
	X(mysql_free_result)        \
	X(mysql_get_server_info)    \
	X(mysql_get_socket)         \
	X(mysql_init)               \
	X(mysql_insert_id)          \
	X(mysql_more_results)       \
	X(mysql_next_result)        \
	X(mysql_num_fields)         \
	X(mysql_options)            \
	X(mysql_real_connect)       \
	X(mysql_real_escape_string) \
	X(mysql_real_query)         \
	X(mysql_select_db)          \
	X(mysql_sqlstate)           \
	X(mysql_store_result)       \
	X(mysql_thread_id)          \
	X(mysql_warning_count)      \
	X(mysql_reset_connection)   \
	X(mariadb_get_infov)

struct my_api {
#define MY_FIELD(f) __typeof__(f) *f;
	MY_FUNCTIONS(MY_FIELD)
#undef MY_FIELD
};

extern struct my_api my_api;

/*
 * Load the client library once per process.  Returns STRATA_OK, or
 * STRATA_EUNSUPPORTED with a message saying which library to install.
 */
int my_load(strata *ctx);

#ifndef MY_DL_LOADER
/* A macro does not expand inside itself, so each name becomes the field. */
#define mysql_affected_rows      my_api.mysql_affected_rows
#define mysql_close              my_api.mysql_close
#define mysql_errno              my_api.mysql_errno
#define mysql_error              my_api.mysql_error
#define mysql_fetch_lengths      my_api.mysql_fetch_lengths
#define mysql_fetch_row          my_api.mysql_fetch_row
#define mysql_field_count        my_api.mysql_field_count
#define mysql_free_result        my_api.mysql_free_result
#define mysql_get_server_info    my_api.mysql_get_server_info
#define mysql_get_socket         my_api.mysql_get_socket
#define mysql_init               my_api.mysql_init
#define mysql_insert_id          my_api.mysql_insert_id
#define mysql_more_results       my_api.mysql_more_results
#define mysql_next_result        my_api.mysql_next_result
#define mysql_num_fields         my_api.mysql_num_fields
#define mysql_options            my_api.mysql_options
#define mysql_real_connect       my_api.mysql_real_connect
#define mysql_real_escape_string my_api.mysql_real_escape_string
#define mysql_real_query         my_api.mysql_real_query
#define mysql_select_db          my_api.mysql_select_db
#define mysql_sqlstate           my_api.mysql_sqlstate
#define mysql_store_result       my_api.mysql_store_result
#define mysql_thread_id          my_api.mysql_thread_id
#define mysql_warning_count      my_api.mysql_warning_count
#define mysql_reset_connection   my_api.mysql_reset_connection
#define mariadb_get_infov        my_api.mariadb_get_infov
#endif

#endif
