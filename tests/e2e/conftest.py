"""End-to-end tests: drive the built `strata` binary and read the database directly.

Run:  STRATA_BIN=/abs/path/build/strata /usr/bin/python3 -m pytest -q tests/e2e

Fixtures
  workdir   a fresh temporary directory, the working directory of every strata process
  mig       the migrations folder (workdir/migrations) and helpers to write files into it
  engine    the database under test: .url for strata, .query()/.scalar()/.execute() to read
            and write it directly.  Parametrised by engine name: "sqlite" by default;
            STRATA_E2E_ENGINES=sqlite,postgres adds PostgreSQL (pg_engine.py, a server named
            by STRATA_PG_URL: `bash scripts/with-postgres.sh make e2e`).  A server engine
            gets every test that is not marked sqlite_only.
  run       run(*args, env=None, input=None, timeout=60) -> Result(code, out, err),
            the raw binary with a clean environment (no DATABASE_URL / STRATA_* leaking in)
  strata    like run, but with `-u <engine url> -d <migrations>` put before the arguments;
            strata.json(*args) adds --json and returns (code, obj, err) after checking that
            stdout is exactly one JSON object.

Markers
  sqlite_only   the test relies on SQLite specifics (file bytes, lock file, PRAGMAs, ...):
                it is only generated for the "sqlite" engine.
"""

import collections
import hashlib
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STRATA_BIN = os.environ.get("STRATA_BIN") or str(REPO / "build" / "strata")
# A server engine joins by default when its server is there (scripts/with-*.sh).
_DEFAULT_ENGINES = ",".join(
    ["sqlite"] + (["postgres"] if os.environ.get("STRATA_PG_URL") else [])
    + (["mysql"] if os.environ.get("STRATA_MYSQL_URL") else []))
ENGINES = [e.strip() for e in os.environ.get("STRATA_E2E_ENGINES", _DEFAULT_ENGINES).split(",")
           if e.strip()]

# Columns of the tracking tables, SPEC section 3.
MIGRATIONS_COLUMNS = [
    "version", "name", "description", "checksum", "checksum_algo", "applied_at",
    "execution_ms", "applied_by", "up_sql", "down_sql",
]
HISTORY_COLUMNS = [
    "id", "version", "name", "direction", "status", "started_at", "finished_at",
    "execution_ms", "statements_done", "error", "backup_path", "applied_by",
]

Result = collections.namedtuple("Result", "code out err")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only: relies on SQLite specifics; generated for the sqlite engine only")
    config.addinivalue_line(
        "markers", "txn_ddl: needs DDL that rolls back (SQLite, PostgreSQL); not generated for "
        "MySQL, where a failed migration with committed DDL is dirty (test_mysql.py covers it)")
    config.addinivalue_line(
        "markers", "not_mysql_sql: uses SQL MariaDB does not take (DROP INDEX without ON, "
        "TEXT over 64 KiB); not generated for MySQL")


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames:
        engines = ENGINES
        if metafunc.definition.get_closest_marker("sqlite_only"):
            engines = [e for e in ENGINES if e == "sqlite"]
        if (metafunc.definition.get_closest_marker("txn_ddl")
                or metafunc.definition.get_closest_marker("not_mysql_sql")):
            engines = [e for e in engines if e != "mysql"]
        metafunc.parametrize("engine", engines, indirect=True)


# --------------------------------------------------------------------------- helpers

_MARKER_RE = re.compile(r"^[ \t]*--[ \t]*strata[ \t]*:[ \t]*(up|down)[ \t]*$", re.I)
_WS = " \t\n\r\v\f"


def up_body(data):
    """The up body of a single-file migration as SPEC section 8 defines it."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if data.startswith("\ufeff"):
        data = data[1:]
    data = data.replace("\r\n", "\n")
    lines = data.split("\n")
    up_at = down_at = None
    for i, line in enumerate(lines):
        m = _MARKER_RE.match(line)
        if m and m.group(1).lower() == "up" and up_at is None:
            up_at = i
        elif m and m.group(1).lower() == "down" and down_at is None:
            down_at = i
    if up_at is None:
        body = lines
    else:
        body = lines[up_at + 1: down_at if down_at is not None else len(lines)]
    return "\n".join(body).strip(_WS)


def checksum_of(data):
    """sha256 hex of the trimmed, LF-normalised, BOM-less up body."""
    return hashlib.sha256(up_body(data).encode("utf-8")).hexdigest()


def migration_text(up, down=None, desc=None, directives=()):
    parts = []
    if desc is not None:
        parts.append("-- %s" % desc)
    for d in directives:
        parts.append(d)
    parts.append("-- strata:up")
    parts.append(up)
    if down is not None:
        parts.append("")
        parts.append("-- strata:down")
        parts.append(down)
    return "\n".join(parts) + "\n"


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k != "DATABASE_URL" and not k.startswith("STRATA_")}
    env["NO_COLOR"] = "1"
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


def walk_versions(obj, path="$"):
    """Yield (path, value) for every 'version'/'current_version' key in a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("version", "current_version"):
                yield path + "." + k, v
            yield from walk_versions(v, path + "." + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk_versions(v, "%s[%d]" % (path, i))


def assert_versions_are_ints(obj):
    for p, v in walk_versions(obj):
        assert v is None or (isinstance(v, int) and not isinstance(v, bool)), \
            "%s is %r, not an integer" % (p, v)


def parse_json_out(out):
    try:
        obj = json.loads(out)
    except ValueError as e:  # pragma: no cover - reported as a failure
        raise AssertionError("stdout is not exactly one JSON object: %s\n--- stdout ---\n%s" % (e, out))
    assert isinstance(obj, dict), "stdout JSON is not an object: %r" % (obj,)
    assert_versions_are_ints(obj)
    return obj


def listing(root):
    """Every path under root (relative), for 'nothing was created' checks."""
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def workdir(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d


class Migrations:
    def __init__(self, path):
        self.dir = path

    def __str__(self):
        return str(self.dir)

    def mkdir(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, filename, up=None, down=None, desc=None, directives=(), raw=None):
        """Write one migration.  raw= (str or bytes) is written as is; otherwise the
        single-file form is built from up/down/desc (down=None: no down marker)."""
        self.mkdir()
        p = self.dir / filename
        if raw is None:
            raw = migration_text(up, down, desc=desc if desc is not None else filename, directives=directives)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        p.write_bytes(raw)
        return p

    def path(self, filename):
        return self.dir / filename

    def read(self, filename):
        return (self.dir / filename).read_bytes()

    def remove(self, filename):
        (self.dir / filename).unlink()

    def simple(self, version, name, table=None, width=3):
        """A reversible migration creating one table (named after the migration)."""
        table = table or "t_%s" % name
        fn = "%0*d_%s.sql" % (width, version, name)
        return self.write(fn, up="CREATE TABLE %s (id INTEGER PRIMARY KEY, v TEXT);" % table,
                          down="DROP TABLE %s;" % table, desc="Create %s" % table)


@pytest.fixture
def mig(workdir):
    return Migrations(workdir / "migrations").mkdir()


class SqliteEngine:
    name = "sqlite"

    def __init__(self, workdir):
        self.workdir = workdir
        self.path = workdir / "db.sqlite3"
        self.url = "sqlite:%s" % self.path
        self.lock_path = Path(str(self.path) + ".strata.lock")
        self.backup_dir = workdir / "backups"

    # -- direct access ---------------------------------------------------------
    def exists(self):
        return self.path.exists()

    def _connect(self, write=False):
        if write:
            return sqlite3.connect(str(self.path), timeout=10)
        if not self.path.exists():
            raise AssertionError("database file %s does not exist" % self.path)
        return sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)

    def query(self, sql, *params):
        con = self._connect()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def dicts(self, sql, *params):
        con = self._connect()
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql, params).fetchall()]
        finally:
            con.close()

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def execute(self, sql):
        con = self._connect(write=True)
        try:
            con.executescript(sql)
            con.commit()
        finally:
            con.close()

    def tables(self):
        """All tables (tracking tables included), sorted; [] when there is no database."""
        if not self.exists():
            return []
        return [r[0] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def user_tables(self, prefix="strata"):
        return [t for t in self.tables() if not t.startswith(prefix + "_")]

    def has_table(self, name):
        return name in self.tables()

    def columns(self, table):
        return [r[1] for r in self.query("PRAGMA table_info(%s)" % table)]

    def snapshot(self):
        """Everything a refused run must leave untouched."""
        def rb(p):
            return p.read_bytes() if p.exists() else None
        backups = listing(self.backup_dir) if self.backup_dir.exists() else None
        return (rb(self.path), rb(Path(str(self.path) + "-wal")), backups)

    # -- tracking tables -------------------------------------------------------
    def applied(self, prefix="strata"):
        if not self.has_table(prefix + "_migrations"):
            return []
        return [r[0] for r in self.query("SELECT version FROM %s_migrations ORDER BY version" % prefix)]

    def migration_row(self, version, prefix="strata"):
        rows = self.dicts("SELECT * FROM %s_migrations WHERE version = ?" % prefix, version)
        assert len(rows) <= 1
        return rows[0] if rows else None

    def history(self, prefix="strata"):
        if not self.has_table(prefix + "_history"):
            return []
        return self.dicts("SELECT * FROM %s_history ORDER BY id" % prefix)


# To add a server engine: a class with the same methods (url, query, dicts, scalar, execute,
# exists, tables, user_tables, has_table, columns, snapshot, applied, migration_row, history)
# that creates a fresh database or schema per test and drops it in close(); then list it in
# _ENGINE_CLASSES and in STRATA_E2E_ENGINES.
_ENGINE_CLASSES = {"sqlite": SqliteEngine}


def _engine_class(name):
    if name == "postgres" and "postgres" not in _ENGINE_CLASSES:
        if not os.environ.get("STRATA_PG_URL"):
            pytest.skip("STRATA_PG_URL is not set (see scripts/with-postgres.sh)")
        from pg_engine import PostgresEngine  # tests/e2e/pg_engine.py
        _ENGINE_CLASSES["postgres"] = PostgresEngine
    if name == "mysql" and "mysql" not in _ENGINE_CLASSES:
        if not os.environ.get("STRATA_MYSQL_URL"):
            pytest.skip("STRATA_MYSQL_URL is not set (see scripts/with-mariadb.sh)")
        from mysql_engine import MysqlEngine  # tests/e2e/mysql_engine.py
        _ENGINE_CLASSES["mysql"] = MysqlEngine
    return _ENGINE_CLASSES.get(name)


@pytest.fixture
def engine(request, workdir):
    cls = _engine_class(request.param)
    if cls is None:
        pytest.skip("engine %s is not wired into the e2e suite" % request.param)
    e = cls(workdir)
    yield e
    if hasattr(e, "close"):
        e.close()


@pytest.fixture
def run(workdir):
    if not os.access(STRATA_BIN, os.X_OK):
        pytest.fail("strata binary not found at %s (set STRATA_BIN or `make build/strata`)" % STRATA_BIN)

    def _run(*args, env=None, input=None, timeout=60, cwd=None):
        if isinstance(input, str):
            input = input.encode()
        p = subprocess.run([STRATA_BIN] + [str(a) for a in args], cwd=str(cwd or workdir),
                           env=clean_env(env), input=input if input is not None else b"",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))

    return _run


class StrataRunner:
    def __init__(self, run, engine, mig):
        self._run = run
        self.engine = engine
        self.mig = mig

    def base_args(self):
        return ["-u", self.engine.url, "-d", str(self.mig.dir)]

    def __call__(self, *args, **kw):
        return self._run(*(self.base_args() + list(args)), **kw)

    def json(self, *args, **kw):
        code, out, err = self(*(["--json"] + list(args)), **kw)
        return code, parse_json_out(out), err

    def popen(self, *args):
        return subprocess.Popen([STRATA_BIN] + self.base_args() + [str(a) for a in args],
                                cwd=str(self.mig.dir.parent), env=clean_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def strata(run, engine, mig):
    return StrataRunner(run, engine, mig)
