/*
 * postgres_lock.c - the run lock of a PostgreSQL database and the record
 * of an attempt in progress.
 *
 * The lock is a session advisory lock on a key derived from the database,
 * the schema and the table prefix, held on a connection of its own that
 * never opens a transaction.  A waiter polls pg_try_advisory_lock instead
 * of blocking in pg_advisory_lock: a blocked call holds a snapshot, and
 * CREATE INDEX CONCURRENTLY in the holder's migration waits for every
 * snapshot to go, so the two would wait on each other forever.  The lock
 * dies with its session, so a killed runner never leaves it behind.
 *
 * The attempt protocol ('running' history rows) is generic (track.c): it
 * asks this engine only for pg_insert_id and pg_lock_held_elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "postgres_int.h"
#include "sb.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define LOCK_POLL_MS 50
#define HOLDER_TAG   "strata lock: "

/* 64-bit FNV-1a of "database/schema/prefix" (prefix folded as PG does). */
static int64_t lock_key(const struct pg_conn *p, const char *prefix)
{
	uint64_t h = 14695981039346656037ULL;
	const char *parts[3] = { p->dbname, p->schema, prefix };

	for (int i = 0; i < 3; i++) {
		for (const char *s = parts[i] ? parts[i] : ""; *s; s++) {
			char ch = *s;

			if (i == 2 && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			h ^= (unsigned char)ch;
			h *= 1099511628211ULL;
		}
		if (i < 2) {
			h ^= '/';
			h *= 1099511628211ULL;
		}
	}
	return (int64_t)h;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One boolean from a one-row query. */
static int query_bool(struct pg_conn *p, PGconn *db, const char *sql, int n,
		      const char *const *vals, bool *out)
{
	PGresult *r;
	int rc = pg_exec_params(p, db, sql, n, vals, &r);

	*out = !rc && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) &&
	       PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return rc;
}

/* A bigint advisory key as pg_locks shows it: classid, objid (objsubid 1). */
static void key_halves(int64_t key, char hi[16], char lo[16])
{
	snprintf(hi, 16, "%lu", (unsigned long)((uint64_t)key >> 32));
	snprintf(lo, 16, "%lu", (unsigned long)((uint64_t)key & 0xffffffffu));
}

/*
 * Who holds the advisory lock on 'key' other than this session's lock
 * connection: "pid 12 on host" for a strata runner (from the lock
 * session's application_name), else the backend pid and user.
 */
static int holder_of(struct pg_conn *p, PGconn *db, int64_t key, bool *held,
		     char **holder)
{
	char hi[16], lo[16];
	const char *v[2] = { hi, lo };
	PGresult *r;
	int rc;

	*held = false;
	if (holder)
		*holder = NULL;
	key_halves(key, hi, lo);
	rc = pg_exec_params(
		p, db,
		"SELECT l.pid, a.application_name, a.usename,"
		" a.client_addr::text, a.backend_start"
		" FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
		" WHERE l.locktype = 'advisory' AND l.granted"
		" AND l.database = (SELECT oid FROM pg_database"
		"  WHERE datname = current_database())"
		" AND l.classid = $1::oid AND l.objid = $2::oid"
		" AND l.objsubid = 1 AND l.pid <> pg_backend_pid()"
		" LIMIT 1",
		2, v, &r);
	if (rc)
		return rc;
	if (PQntuples(r) > 0) {
		const char *app = PQgetvalue(r, 0, 1);
		struct sb sb = SB_INIT;

		*held = true;
		if (holder) {
			if (strncmp(app, HOLDER_TAG, strlen(HOLDER_TAG)) == 0)
				sb_adds(&sb, app + strlen(HOLDER_TAG));
			else
				sb_addf(&sb,
					"PostgreSQL backend pid %s (%s%s%s)",
					PQgetvalue(r, 0, 0),
					PQgetvalue(r, 0, 2),
					PQgetisnull(r, 0, 3) ? "" : "@",
					PQgetvalue(r, 0, 3));
			if (!PQgetisnull(r, 0, 4))
				sb_addf(&sb, ", connected since %s",
					PQgetvalue(r, 0, 4));
			*holder = sb_detach(&sb);
			if (!*holder)
				rc = err_oom(p->base.ctx);
		}
	}
	PQclear(r);
	return rc;
}

int pg_lock_held_elsewhere(struct pg_conn *p, const char *prefix, bool *held,
			   char **holder)
{
	int64_t key = lock_key(p, prefix);

	*held = false;
	if (holder)
		*holder = NULL;
	if (p->lock_db && key == p->lock_key)
		return STRATA_OK; /* ours */
	return holder_of(p, p->db, key, held, holder);
}

int pg_lock(struct engine_conn *c, int timeout_s)
{
	struct pg_conn *p = (struct pg_conn *)c;
	int64_t deadline = util_ms() + (int64_t)timeout_s * 1000;
	char key[24], app[64];
	const char *v[1] = { key };
	bool got = false;
	int rc;

	if (p->lock_db)
		return STRATA_OK;
	p->lock_key = lock_key(p, c->ctx->table);
	snprintf(key, sizeof(key), "%lld", (long long)p->lock_key);
	rc = pg_open(p, &p->lock_db);
	if (rc)
		return rc;
	/* Who holds it, for a runner that times out waiting (63 bytes max). */
	snprintf(app, sizeof(app), HOLDER_TAG "pid %ld on %s", (long)getpid(),
		 util_host());
	const char *a[1] = { app };
	/*
	 * The lock lives as long as this session, which is idle while the
	 * migrations run: a server's idle_session_timeout (14+) must not end
	 * it.  A proxy still may; pg_lock_verify notices before each commit.
	 */
	rc = query_bool(p, p->lock_db,
			PQserverVersion(p->lock_db) >= 140000
				? "SELECT set_config('application_name', $1,"
				  " false) IS NOT NULL AND set_config("
				  "'idle_session_timeout', '0', false)"
				  " IS NOT NULL"
				: "SELECT set_config('application_name', $1,"
				  " false) IS NOT NULL",
			1, a, &got);
	got = false;
	while (!rc) {
		rc = query_bool(p, p->lock_db,
				"SELECT pg_try_advisory_lock($1::bigint)", 1, v,
				&got);
		if (rc || got || util_ms() >= deadline)
			break;
		sleep_ms(LOCK_POLL_MS);
	}
	if (!rc && got) {
		/* The backend that holds it, for pg_lock_verify. */
		PGresult *r =
			PQexecParams(p->lock_db, "SELECT pg_backend_pid()", 0,
				     NULL, NULL, NULL, NULL, 0);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			snprintf(p->lock_pid, sizeof(p->lock_pid), "%s",
				 PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if (!rc && !got) {
		char *holder = NULL;
		bool held;

		holder_of(p, p->lock_db, p->lock_key, &held, &holder);
		rc = err_set(c->ctx, STRATA_ELOCKED,
			     "timed out after %d s waiting for the lock on '%s'"
			     " (held by %s)",
			     timeout_s, p->masked,
			     holder ? holder : "another runner");
		free(holder);
	}
	if (rc) {
		PQfinish(p->lock_db);
		p->lock_db = NULL;
	}
	return rc;
}

int pg_lock_verify(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;
	const char *v[1] = { p->lock_pid };
	struct sb msg = SB_INIT;
	char *holder = NULL;
	bool held = false;
	PGresult *r;
	int rc;

	if (p->lock_lost)
		return err_set(c->ctx, STRATA_ELOCKED,
			       "lost the lock on '%s' earlier in this run",
			       p->masked);
	if (!p->lock_db)
		return STRATA_OK; /* never taken: nothing to lose */
	/*
	 * A session advisory lock lasts as long as its backend: strata never
	 * unlocks it mid-run.  So the same backend still answering means the
	 * lock is still ours; a proxy's new session would have another pid.
	 * One cheap round trip (a pg_locks scan cost ~0.5 ms a migration).
	 */
	r = PQexecParams(p->lock_db, "SELECT pg_backend_pid()::text = $1", 1,
			 NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    PQgetvalue(r, 0, 0)[0] == 't') {
		PQclear(r);
		return STRATA_OK;
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		sb_adds(&msg, "its session no longer holds it");
	} else {
		/* Its first line says why ("FATAL:  terminating ..."). */
		const char *e = PQerrorMessage(p->lock_db);
		size_t n;

		if (strncmp(e, "FATAL:", 6) == 0)
			e += 6;
		e += strspn(e, " ");
		n = strcspn(e, "\n");
		/* Alive but failing: unchecked is as good as lost. */
		sb_adds(&msg, PQstatus(p->lock_db) == CONNECTION_OK
				      ? "it could not be checked: "
				      : "its session ended: ");
		if (n > 0)
			sb_add(&msg, e, n);
		else
			sb_adds(&msg, "the connection is closed");
	}
	PQclear(r);
	PQfinish(p->lock_db);
	p->lock_db = NULL;
	p->lock_lost = true;
	/* Another runner may have taken it since: say who. */
	if (holder_of(p, p->db, p->lock_key, &held, &holder) == STRATA_OK &&
	    held)
		sb_addf(&msg, "; another runner holds it now: %s", holder);
	err_clear(c->ctx); /* only the loss itself is the message */
	rc = msg.failed ? err_oom(c->ctx)
			: err_set(c->ctx, STRATA_ELOCKED,
				  "lost the lock on '%s' (%s)", p->masked,
				  msg.buf);
	free(holder);
	sb_release(&msg);
	return rc;
}

void pg_unlock(struct engine_conn *c)
{
	struct pg_conn *p = (struct pg_conn *)c;
	char key[24];
	const char *v[1] = { key };

	if (!p->lock_db)
		return;
	snprintf(key, sizeof(key), "%lld", (long long)p->lock_key);
	/* Closing the session would release it too; say so explicitly. */
	PQclear(PQexecParams(p->lock_db,
			     "SELECT pg_advisory_unlock($1::bigint)", 1, NULL,
			     v, NULL, NULL, 0));
	PQfinish(p->lock_db);
	p->lock_db = NULL;
}
