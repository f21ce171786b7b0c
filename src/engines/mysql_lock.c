/*
 * mysql_lock.c - the run lock of a MySQL/MariaDB database and the record
 * of an attempt in progress.
 *
 * The lock is a named user lock, GET_LOCK('strata:<db>:<prefix>', 0),
 * held on a connection of its own that never opens a transaction; a
 * waiter polls it every 50 ms up to the timeout, so it holds no snapshot
 * or metadata lock while it waits.  The lock dies with its session, so a
 * killed runner never leaves it behind.
 *
 * The attempt protocol ('running' history rows) is generic (track.c): it
 * asks this engine only for its insert id and my_lock_held_elsewhere
 * (IS_USED_LOCK by another session).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "err.h"
#include "mysql_int.h"
#include "sb.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define LOCK_POLL_MS 50

void my_lock_name(struct my_conn *m, const char *prefix,
		  char out[MY_LOCK_NAME_MAX + 1])
{
	char folded[MY_LOCK_NAME_MAX + 1];
	int n;

	/* Where "App" and "app" are one table, they are one lock too. */
	if (my_names_fold(m, prefix)) {
		size_t i;

		for (i = 0; prefix[i] && i < MY_LOCK_NAME_MAX; i++)
			folded[i] = (char)tolower((unsigned char)prefix[i]);
		folded[i] = '\0';
		prefix = folded;
	}
	n = snprintf(out, MY_LOCK_NAME_MAX + 1, "strata:%s:%s",
		     m->dbname ? m->dbname : "", prefix);

	if (n < 0 || n > MY_LOCK_NAME_MAX) {
		/* Too long: a 64-bit FNV-1a of both, which fits. */
		uint64_t h = 14695981039346656037ULL;
		const char *parts[2] = { m->dbname ? m->dbname : "", prefix };

		for (int i = 0; i < 2; i++) {
			for (const char *s = parts[i]; *s; s++) {
				h ^= (unsigned char)*s;
				h *= 1099511628211ULL;
			}
			h ^= '/';
			h *= 1099511628211ULL;
		}
		snprintf(out, MY_LOCK_NAME_MAX + 1, "strata:%016llx",
			 (unsigned long long)h);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The first column of the first row, as a copy (NULL for SQL NULL). */
struct first_value {
	char *value;
	bool got, oom;
};

static int first_row(void *payload, int ncol, const char *const *v)
{
	struct first_value *f = payload;

	f->got = true;
	if (ncol > 0 && v[0] && !(f->value = strdup(v[0])))
		f->oom = true;
	return 1;
}

static int scalar(struct my_conn *m, MYSQL *db, const char *sql,
		  const struct sql_param *p, int np, char **out)
{
	struct first_value f = { NULL, false, false };
	int rc = my_query_on(m, db, sql, p, np, first_row, &f);

	if (!rc && f.oom)
		rc = err_oom(m->base.ctx);
	if (rc) {
		free(f.value);
		f.value = NULL;
	}
	*out = f.value;
	return rc;
}

/*
 * Who holds the lock 'name' other than the session 'self' (0: none):
 * "MySQL connection N (user@host)" from the process list when we may see
 * it, else just the connection id.
 */
static int holder_of(struct my_conn *m, MYSQL *db, const char *name,
		     unsigned long self, bool *held, char **holder)
{
	char *id = NULL, *who = NULL;
	int rc;

	*held = false;
	if (holder)
		*holder = NULL;
	rc = scalar(m, db, "SELECT IS_USED_LOCK(?)", &PTEXT(name), 1, &id);
	if (rc || !id)
		return rc;
	if (strtoul(id, NULL, 10) == self) {
		free(id);
		return STRATA_OK;
	}
	*held = true;
	if (holder) {
		struct sb sb = SB_INIT;
		struct sql_param p = PINT(strtoll(id, NULL, 10));

		/* Best effort: without PROCESS we see only our own sessions. */
		if (scalar(m, db,
			   "SELECT CONCAT(user, '@', host) FROM"
			   " information_schema.processlist WHERE id = ?",
			   &p, 1, &who))
			err_clear(m->base.ctx);
		sb_addf(&sb, "MySQL connection %s", id);
		if (who)
			sb_addf(&sb, " (%s)", who);
		*holder = sb_detach(&sb);
		if (!*holder)
			rc = err_oom(m->base.ctx);
	}
	free(who);
	free(id);
	return rc;
}

int my_lock_held_elsewhere(struct my_conn *m, const char *prefix, bool *held,
			   char **holder)
{
	char name[MY_LOCK_NAME_MAX + 1];

	*held = false;
	if (holder)
		*holder = NULL;
	my_lock_name(m, prefix, name);
	if (m->lock_db && strcmp(name, m->lock_name) == 0)
		return STRATA_OK; /* ours */
	return holder_of(m, m->db, name, 0, held, holder);
}

int my_lock(struct engine_conn *c, int timeout_s)
{
	struct my_conn *m = (struct my_conn *)c;
	int64_t deadline = util_ms() + (int64_t)timeout_s * 1000;
	char *got = NULL;
	int rc;

	if (m->lock_db)
		return STRATA_OK;
	my_lock_name(m, c->ctx->table, m->lock_name);
	rc = my_open(m, &m->lock_db);
	if (rc)
		return rc;
	for (;;) {
		free(got);
		got = NULL;
		rc = scalar(m, m->lock_db, "SELECT GET_LOCK(?, 0)",
			    &PTEXT(m->lock_name), 1, &got);
		if (rc || (got && strcmp(got, "1") == 0) ||
		    util_ms() >= deadline)
			break;
		sleep_ms(LOCK_POLL_MS);
	}
	if (!rc && !(got && strcmp(got, "1") == 0)) {
		char *holder = NULL;
		bool held;

		holder_of(m, m->lock_db, m->lock_name,
			  mysql_thread_id(m->lock_db), &held, &holder);
		err_clear(c->ctx);
		rc = err_set(c->ctx, STRATA_ELOCKED,
			     "timed out after %d s waiting for the lock on '%s'"
			     " (held by %s)",
			     timeout_s, m->masked,
			     holder ? holder : "another runner");
		free(holder);
	}
	free(got);
	if (rc) {
		mysql_close(m->lock_db);
		m->lock_db = NULL;
	}
	return rc;
}

/*
 * Errors that mean the session is gone: server gone away, lost during the
 * query, killed, disconnected for inactivity (MySQL 8), not connected.
 */
static bool session_gone(unsigned int err)
{
	return err == 2006 || err == 2013 || err == 2055 || err == 1927 ||
	       err == 4031 || err == 2002 || err == 2003;
}

int my_lock_verify(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;
	char *ours = NULL, *holder = NULL;
	struct sb msg = SB_INIT;
	bool held = false;
	int rc;

	if (m->lock_lost)
		return err_set(c->ctx, STRATA_ELOCKED,
			       "lost the lock on '%s' earlier in this run",
			       m->masked);
	if (!m->lock_db)
		return STRATA_OK; /* never taken: nothing to lose */
	/* NULL: nobody holds it; another id: a new session of a proxy's. */
	rc = scalar(m, m->lock_db, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()",
		    &PTEXT(m->lock_name), 1, &ours);
	if (!rc && ours && strcmp(ours, "1") == 0) {
		free(ours);
		return STRATA_OK;
	}
	free(ours);
	if (rc && !mysql_errno(m->lock_db))
		return rc; /* out of memory, not a lost session */
	if (rc)
		/* Alive but failing: unchecked is as good as lost. */
		sb_addf(&msg, "%s: %s (MySQL error %u)",
			session_gone(mysql_errno(m->lock_db))
				? "its session ended"
				: "it could not be checked",
			mysql_error(m->lock_db), mysql_errno(m->lock_db));
	else
		sb_adds(&msg, "its session no longer holds it");
	mysql_close(m->lock_db);
	m->lock_db = NULL;
	m->lock_lost = true;
	/* Another runner may have taken it since: say who. */
	if (holder_of(m, m->db, m->lock_name, 0, &held, &holder) == STRATA_OK &&
	    held)
		sb_addf(&msg, "; another runner holds it now: %s", holder);
	err_clear(c->ctx); /* only the loss itself is the message */
	rc = msg.failed ? err_oom(c->ctx)
			: err_set(c->ctx, STRATA_ELOCKED,
				  "lost the lock on '%s' (%s)", m->masked,
				  msg.buf);
	free(holder);
	sb_release(&msg);
	return rc;
}

void my_unlock(struct engine_conn *c)
{
	struct my_conn *m = (struct my_conn *)c;
	char *ignored = NULL;

	if (!m->lock_db)
		return;
	/* Closing the session would release it too; say so explicitly. */
	if (scalar(m, m->lock_db, "SELECT RELEASE_LOCK(?)",
		   &PTEXT(m->lock_name), 1, &ignored) == STRATA_OK)
		free(ignored);
	mysql_close(m->lock_db);
	m->lock_db = NULL;
}
