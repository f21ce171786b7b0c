"""The MySQL/MariaDB engine of the e2e suite: one fresh database per test.

STRATA_MYSQL_URL names a server (scripts/with-mariadb.sh sets it); each test gets
a database of its own (t_<random>) in the URL, which strata creates on its first
write, and which close() drops.  The database is read with the mariadb (or mysql)
client in --xml mode, where NULL is marked apart from the text 'NULL'; integers
come back as Python ints (digit strings without a leading zero), as with the
sqlite3 module.
"""

import os
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

MYSQL_URL = os.environ.get("STRATA_MYSQL_URL")
CLIENT = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_INT_RE = re.compile(r"^-?(0|[1-9][0-9]*)$")


def server_args(url=None):
    """Client arguments for the server of url (password through MYSQL_PWD)."""
    u = urlsplit(url or MYSQL_URL)
    args = ["--no-defaults", "--protocol=TCP", "-h", u.hostname or "127.0.0.1"]
    if u.port:
        args += ["-P", str(u.port)]
    if u.username:
        args += ["-u", unquote(u.username)]
    return args


def client_env(url=None):
    u = urlsplit(url or MYSQL_URL)
    env = dict(os.environ)
    env["MYSQL_PWD"] = unquote(u.password or "")
    return env


def run_sql(sql, database=None, check=True, xml=False, url=None):
    """Run sql (many statements, DELIMITER lines too) through the client."""
    args = [CLIENT] + server_args(url) + ["--batch", "--raw", "--default-character-set=utf8mb4"]
    if xml:
        args.append("--xml")
    if database:
        args += ["-D", database]
    p = subprocess.run(args, input=sql.encode(), env=client_env(url), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError("mariadb failed on %r: %s" % (sql, p.stderr.decode()))
    return p.stdout.decode()


def _value(field):
    if field.get(_XSI_NIL) == "true":
        return None
    text = field.text or ""
    if _INT_RE.match(text) and len(text) < 19:
        return int(text)
    return text


def parse_xml(out):
    """Rows of the client's --xml output as a list of dicts, in column order."""
    rows = []
    out = out.strip()
    if not out:
        return rows
    root = ET.fromstring(out)
    for row in root.iter("row"):
        rows.append({f.get("name"): _value(f) for f in row.findall("field")})
    return rows


class MysqlEngine:
    name = "mysql"

    def __init__(self, workdir):
        if not MYSQL_URL:
            raise RuntimeError("STRATA_MYSQL_URL is not set")
        self.workdir = workdir
        self.database = "t_" + uuid.uuid4().hex[:12]
        u = urlsplit(MYSQL_URL)
        self.url = u._replace(path="/" + self.database).geturl()
        self.backup_dir = workdir / "backups"
        self.password = unquote(u.password or "")

    # -- the client ------------------------------------------------------------
    def _rows(self, sql, params):
        if params:
            sql = _bind(sql, params)
        if not self.exists():
            raise AssertionError("database %s does not exist" % self.database)
        return parse_xml(run_sql(sql + ";\n", self.database, xml=True))

    # -- direct access ---------------------------------------------------------
    def exists(self):
        out = run_sql("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '%s'"
                      % self.database)
        return out.strip().splitlines()[-1].strip() == "1"

    def dicts(self, sql, *params):
        return self._rows(sql, params)

    def query(self, sql, *params):
        return [tuple(r.values()) for r in self._rows(sql, params)]

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def execute(self, sql):
        run_sql("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4" % self.database)
        run_sql(sql, self.database)

    def tables(self):
        if not self.exists():
            return []
        return [r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            " AND table_type = 'BASE TABLE' ORDER BY table_name", self.database)]

    def user_tables(self, prefix="strata"):
        return [t for t in self.tables() if not t.startswith(prefix + "_")]

    def has_table(self, name):
        return name in self.tables()

    def columns(self, table):
        return [r[0] for r in self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s ORDER BY ordinal_position", self.database, table)]

    def snapshot(self):
        """What a refused run must leave untouched: every row of every table."""
        state = []
        for t in self.tables():
            state.append((t, self.query("SELECT * FROM `%s` ORDER BY 1" % t)))
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
        run_sql("DROP DATABASE IF EXISTS `%s`" % self.database, check=False)


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


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
