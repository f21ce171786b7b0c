"""The PostgreSQL engine of the e2e suite: one fresh schema per test.

STRATA_PG_URL names a server (scripts/with-postgres.sh sets it); each test gets
its own schema through `?search_path=`, which strata creates, and which close()
drops.  The database is read with psql: rows come back as JSON, so integers
stay integers and NULL stays None, as with the sqlite3 module.
"""

import json
import os
import subprocess
import uuid
from urllib.parse import urlsplit

PG_URL = os.environ.get("STRATA_PG_URL")


class PostgresEngine:
    name = "postgres"

    def __init__(self, workdir):
        if not PG_URL:
            raise RuntimeError("STRATA_PG_URL is not set")
        self.workdir = workdir
        self.schema = "t_" + uuid.uuid4().hex[:12]
        sep = "&" if "?" in PG_URL else "?"
        self.url = "%s%ssearch_path=%s" % (PG_URL, sep, self.schema)
        self.backup_dir = workdir / "backups"
        self.password = urlsplit(PG_URL).password

    # -- psql ----------------------------------------------------------------
    def _psql(self, sql, check=True):
        env = dict(os.environ, PGOPTIONS="-c search_path=%s" % self.schema,
                   PGCONNECT_TIMEOUT="10")
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", PG_URL,
                            "-c", sql], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("psql failed on %r: %s" % (sql, p.stderr.decode()))
        return p.stdout.decode()

    def _json_rows(self, sql, params):
        if params:
            sql = _bind(sql, params)
        out = self._psql("SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM (%s) q" % sql)
        return json.loads(out)

    # -- direct access ---------------------------------------------------------
    def exists(self):
        return self.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", self.schema) > 0

    def dicts(self, sql, *params):
        return self._json_rows(sql, params)

    def query(self, sql, *params):
        return [tuple(r.values()) for r in self._json_rows(sql, params)]

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def execute(self, sql):
        self._psql(sql)

    def tables(self):
        return [r[0] for r in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            self.schema)]

    def user_tables(self, prefix="strata"):
        return [t for t in self.tables() if not t.startswith(prefix + "_")]

    def has_table(self, name):
        return name in self.tables()

    def columns(self, table):
        return [r[0] for r in self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s ORDER BY ordinal_position", self.schema, table)]

    def snapshot(self):
        """What a refused run must leave untouched: every row of every table."""
        state = []
        for t in self.tables():
            state.append((t, self.query("SELECT * FROM %s ORDER BY 1" % t)))
        backups = sorted(str(p) for p in self.backup_dir.rglob("*")) if self.backup_dir.exists() else None
        return (state, backups)

    # -- tracking tables -------------------------------------------------------
    def applied(self, prefix="strata"):
        if not self.has_table(prefix + "_migrations"):
            return []
        return [r[0] for r in self.query("SELECT version FROM %s_migrations ORDER BY version" % prefix)]

    def migration_row(self, version, prefix="strata"):
        rows = self.dicts("SELECT * FROM %s_migrations WHERE version = %%s" % prefix, version)
        assert len(rows) <= 1
        return rows[0] if rows else None

    def history(self, prefix="strata"):
        if not self.has_table(prefix + "_history"):
            return []
        return self.dicts("SELECT * FROM %s_history ORDER BY id" % prefix)

    def close(self):
        self._psql("DROP SCHEMA IF EXISTS %s CASCADE" % self.schema, check=False)


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _bind(sql, params):
    """Replace each '?' or '%s' placeholder, in order, with a quoted literal."""
    out, i = [], 0
    parts = sql.replace("%s", "?").split("?")
    for n, part in enumerate(parts):
        out.append(part)
        if n < len(parts) - 1:
            out.append(_literal(params[i]))
            i += 1
    return "".join(out)
