"""`up --sql` / `down --sql [--from VERSION|base]`: the run as one script for the engine's
own client (sqlite3, psql -v ON_ERROR_STOP=1, mariadb).

Each test runs the script with the real client on a second database of the same engine and
compares it with what `strata up`/`down` did on the first: the same schema (`strata schema`),
the same tracking rows (times, applied_by and execution_ms aside), `status` up to date, and a
second run of the script stopped by its guard.
"""

import json
import os
import re
import subprocess
from urllib.parse import urlsplit

import pytest

from conftest import SqliteEngine

try:
    import pg_engine
except ImportError:  # pragma: no cover
    pg_engine = None
try:
    import mysql_engine
except ImportError:  # pragma: no cover
    mysql_engine = None


# Migrations every engine takes: quotes and backslashes in the stored SQL, an index, a
# no-transaction migration, a data statement.
MIGRATIONS = [
    ("001_users.sql",
     "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL DEFAULT 'it''s');\n"
     "INSERT INTO users (id, name) VALUES (1, 'semi;colon');",
     "DROP TABLE users;", "Create users"),
    ("002_posts.sql",
     "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, body TEXT);\n"
     "CREATE INDEX posts_user ON posts (user_id);",
     "DROP TABLE posts;", "Posts, with a back\\slash in the description"),
    ("003_tags.sql",
     "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(20))",
     "DROP TABLE tags;", "no terminator on the last statement"),
]
NO_TXN = ("004_users_name.sql", "CREATE INDEX users_name ON users (name);",
          "DROP INDEX users_name ON users;", "an index outside a transaction")

# Times, who ran it, and the backup strata takes first (a script takes none) differ.
TIMES = {"applied_at", "started_at", "finished_at", "applied_by", "execution_ms", "backup_path"}


def write_all(mig, no_txn=True, engine_name="sqlite"):
    for fn, up, down, desc in MIGRATIONS:
        mig.write(fn, up=up, down=down, desc=desc)
    if no_txn:
        fn, up, down, desc = NO_TXN
        if engine_name == "postgres" or engine_name == "sqlite":
            down = "DROP INDEX users_name;"
        if engine_name == "postgres":  # fails inside a transaction block
            up = "CREATE INDEX CONCURRENTLY users_name ON users (name);"
        mig.write(fn, up=up, down=down, desc=desc, directives=["-- strata:no-transaction"])


@pytest.fixture
def other(engine, workdir):
    """A second, empty database of the same engine."""
    if engine.name == "sqlite":
        d = workdir / "other"
        d.mkdir()
        e = SqliteEngine(d)
    else:
        e = type(engine)(workdir)
    yield e
    if hasattr(e, "close"):
        e.close()


def run_client(engine, script, workdir):
    """Run script with the engine's own client, as a DBA would; returns (code, stderr)."""
    path = workdir / "script.sql"
    path.write_text(script)
    if engine.name == "sqlite":
        p = subprocess.run(["sqlite3", str(engine.path)], stdin=open(path, "rb"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    elif engine.name == "postgres":
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg_engine.PG_URL,
                            "-f", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, PGCONNECT_TIMEOUT="10"), timeout=60)
    else:
        p = subprocess.run([mysql_engine.CLIENT] + mysql_engine.server_args()
                           + ["--batch", "--default-character-set=utf8mb4"],
                           stdin=open(path, "rb"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=mysql_engine.client_env(), timeout=60)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def offline_url(engine):
    """The engine's URL with its server moved to a closed port: nothing answers there."""
    if engine.name == "sqlite":
        return engine.url
    u = urlsplit(engine.url)
    netloc = u.netloc.rsplit("@", 1)
    host = "127.0.0.1:1"
    return u._replace(netloc=(netloc[0] + "@" + host) if len(netloc) == 2 else host).geturl()


def schema_of(run, engine, mig):
    r = run("-u", engine.url, "-d", str(mig), "schema")
    assert r.code == 0, r.err
    out = r.out
    # The schema (PostgreSQL) or database (MySQL) name is the test's own: leave it out.
    for name in (getattr(engine, "schema", None), getattr(engine, "database", None)):
        if name:
            out = out.replace(name, "NAME")
    return out


def tracking(engine):
    rows = engine.dicts("SELECT * FROM strata_migrations ORDER BY version")
    hist = engine.history()
    strip = lambda r: {k: v for k, v in r.items() if k not in TIMES}
    return [strip(r) for r in rows], [strip(r) for r in hist]


def script_of(run, engine, mig, *args, url=None):
    r = run("-u", url or engine.url, "-d", str(mig), *args)
    assert r.code == 0, r.err
    return r.out


def assert_same(run, a, b, mig):
    assert schema_of(run, a, mig) == schema_of(run, b, mig)
    assert tracking(a) == tracking(b)


def assert_up_to_date(run, engine, mig):
    r = run("-u", engine.url, "-d", str(mig), "--json", "status")
    assert r.code == 0, r.err
    st = json.loads(r.out)
    assert st["pending"] == [] and st["modified"] == [] and not st["dirty"], st
    return st


# ----------------------------------------------------------------------------- up --sql

def test_up_sql_script_matches_up(run, engine, other, mig, workdir):
    write_all(mig, engine_name=engine.name)
    r = run("-u", engine.url, "-d", str(mig), "up")
    assert r.code == 0, r.err

    script = script_of(run, other, mig, "up", "--sql")
    if other.name == "sqlite":
        assert not other.path.exists()  # reading a missing database creates nothing
    assert "assumes the database is at base" in script
    # the header lists what it was made from
    assert re.search(r"(?m)^--   4_users_name  \S*004_users_name\.sql$", script), script
    assert "****" in script or "@" not in other.url  # the header's URL is masked
    if getattr(other, "password", None):
        assert other.password not in script
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)
    st = assert_up_to_date(run, other, mig)
    assert st["current_version"] == 4

    # A DBA who runs it twice gets the guard's error, and nothing changes.
    before = tracking(other)
    code, err = run_client(other, script, workdir)
    assert code != 0
    assert "not at base" in err
    assert tracking(other) == before


def test_up_sql_from_live_version(run, engine, other, mig, workdir):
    """From a database at version 2: the script applies the rest, and checks for 2."""
    write_all(mig, engine_name=engine.name)
    for e in (engine, other):
        r = run("-u", e.url, "-d", str(mig), "up", "2")
        assert r.code == 0, r.err
    r = run("-u", engine.url, "-d", str(mig), "up")
    assert r.code == 0, r.err

    script = script_of(run, other, mig, "up", "--sql")
    assert "assumes the database is at version 2" in script
    assert "CREATE TABLE users" not in script  # already applied
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)
    assert_up_to_date(run, other, mig)
    code, err = run_client(other, script, workdir)
    assert code != 0 and "not at version 2" in err


def test_up_sql_from_base_needs_no_server(run, engine, other, mig, workdir):
    write_all(mig, engine_name=engine.name)
    r = run("-u", engine.url, "-d", str(mig), "up")
    assert r.code == 0, r.err

    url = offline_url(other)
    script = script_of(run, other, mig, "up", "--sql", "--from", "base", url=url)
    assert "assumes the database is at base" in script
    if other.name == "sqlite":
        assert not other.path.exists()  # nothing was opened or created
    else:
        # without --from, the same URL needs the server that is not there
        r = run("-u", url, "-d", str(mig), "up", "--sql")
        assert r.code == 1 and "strata: error:" in r.err
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)
    assert_up_to_date(run, other, mig)


def test_up_sql_from_version_offline(run, engine, other, mig, workdir):
    write_all(mig, engine_name=engine.name)
    for e in (engine, other):
        r = run("-u", e.url, "-d", str(mig), "up", "1")
        assert r.code == 0, r.err
    r = run("-u", engine.url, "-d", str(mig), "up", "3")
    assert r.code == 0, r.err
    script = script_of(run, other, mig, "up", "3", "--sql", "--from", "1",
                       url=offline_url(other))
    assert "assumes the database is at version 1" in script
    assert "users_name" not in script.split("the guard")[1]  # 4 is above the target
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)


def test_no_transaction_migration_has_no_begin(run, engine, mig):
    write_all(mig, engine_name=engine.name)
    script = script_of(run, engine, mig, "up", "--sql", "--from", "base",
                       url=offline_url(engine))
    sections = re.split(r"(?m)^-- up ", script)
    assert len(sections) == 5
    begin = {"sqlite": "BEGIN IMMEDIATE;", "postgres": "BEGIN;",
             "mysql": "START TRANSACTION;"}[engine.name]
    for s in sections[1:4]:
        assert begin in s and "COMMIT;" in s
    last = sections[4]
    assert last.startswith("4_users_name")
    assert "no transaction" in last
    assert "BEGIN" not in last and "START TRANSACTION" not in last and "COMMIT" not in last
    assert "users_name ON users (name);" in last


# --------------------------------------------------------------------------- down --sql

def test_down_sql_script_matches_down(run, engine, other, mig, workdir):
    write_all(mig, engine_name=engine.name)
    for e in (engine, other):
        r = run("-u", e.url, "-d", str(mig), "up")
        assert r.code == 0, r.err
    r = run("-u", engine.url, "-d", str(mig), "down", "1")
    assert r.code == 0, r.err

    script = script_of(run, other, mig, "down", "1", "--sql")
    assert "assumes the database is at version 4" in script
    assert "CREATE TABLE IF NOT EXISTS" not in script  # a down creates no tables
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)
    assert other.applied() == [1]
    code, err = run_client(other, script, workdir)
    assert code != 0 and "not at version 4" in err


def test_down_sql_to_base_offline(run, engine, other, mig, workdir):
    write_all(mig, no_txn=False, engine_name=engine.name)
    for e in (engine, other):
        r = run("-u", e.url, "-d", str(mig), "up")
        assert r.code == 0, r.err
    r = run("-u", engine.url, "-d", str(mig), "down", "base")
    assert r.code == 0, r.err
    script = script_of(run, other, mig, "down", "base", "--sql", "--from", "3",
                       url=offline_url(other))
    assert "assumes the database is at version 3" in script
    # most recent first
    assert script.index("-- down 3_tags") < script.index("-- down 2_posts") \
        < script.index("-- down 1_users")
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert_same(run, engine, other, mig)
    assert other.applied() == []


def test_down_sql_uses_stored_sql_when_file_is_gone(run, engine, other, mig, workdir):
    write_all(mig, no_txn=False, engine_name=engine.name)
    r = run("-u", other.url, "-d", str(mig), "up")
    assert r.code == 0, r.err
    mig.remove("003_tags.sql")
    script = script_of(run, other, mig, "down", "--sql")
    assert "stored down SQL" in script
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert other.applied() == [1, 2]
    assert "tags" not in other.user_tables()


# ------------------------------------------------------------------------------ MySQL

def test_mysql_trigger_gets_delimiter_lines(run, engine, other, mig, workdir):
    if engine.name != "mysql":
        pytest.skip("DELIMITER lines are the mysql client's")
    mig.write("001_t.sql", up="CREATE TABLE t (id INT PRIMARY KEY, n INT, note TEXT);",
              down="DROP TABLE t;")
    mig.write("002_trg.sql",
              up="DELIMITER //\n"
                 "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n"
                 "  SET NEW.n = NEW.n + 1;\n  SET NEW.note = 'a\\\\b;c';\nEND//\n"
                 "DELIMITER ;\n"
                 "INSERT INTO t (id, n) VALUES (1, 41);",
              down="DROP TRIGGER t_bi;")
    r = run("-u", engine.url, "-d", str(mig), "up")
    assert r.code == 0, r.err
    script = script_of(run, other, mig, "up", "--sql", "--from", "base",
                       url=offline_url(other))
    m = re.search(r"(?ms)^DELIMITER (\S+)\nCREATE TRIGGER t_bi.*?END\1\nDELIMITER ;\n", script)
    assert m, script
    assert "CONVERT(X'" in script  # the stored SQL holds a backslash
    code, err = run_client(other, script, workdir)
    assert code == 0, err
    assert other.query("SELECT n, note FROM t") == [(42, "a\\b;c")]
    assert_same(run, engine, other, mig)


# -------------------------------------------------------------------------- bad input

def test_from_unknown_version_is_exit_2(strata, mig):
    write_all(mig, no_txn=False)
    r = strata("up", "--sql", "--from", "7")
    assert r.code == 2
    assert r.err.startswith("strata: error:") and "7" in r.err
    r = strata("down", "--sql", "--from", "nope")
    assert r.code == 2


def test_from_without_sql_is_exit_2(strata, mig):
    write_all(mig, no_txn=False)
    for cmd in ("up", "down"):
        r = strata(cmd, "--from", "base")
        assert r.code == 2
        assert "--sql" in r.err
    r = strata("up", "--sql", "--dry-run")
    assert r.code == 2


def test_sql_changes_nothing(strata, engine, mig, workdir):
    write_all(mig, no_txn=False)
    r = strata("up", "1")
    assert r.code == 0, r.err
    before = engine.snapshot()
    r = strata("up", "--sql")
    assert r.code == 0, r.err
    assert "-- up 2_posts" in r.out
    r = strata("--json", "up", "--sql")
    assert r.code == 0, r.err
    assert json.loads(r.out)["script"].count("-- up 2_posts") == 1
    assert engine.snapshot() == before


def test_help_and_completion_mention_sql(run):
    r = run("help", "up")
    assert r.code == 0 and "--sql" in r.out and "--from" in r.out
    r = run("help", "down")
    assert "--sql" in r.out
    from conftest import REPO
    text = (REPO / "contrib" / "strata.bash").read_text()
    up = re.search(r"(?m)^\s*up\) echo \"([^\"]*)\"", text).group(1).split()
    down = re.search(r"(?m)^\s*down\) echo \"([^\"]*)\"", text).group(1).split()
    assert "--sql" in up and "--from" in up and "--sql" in down and "--from" in down


def test_postgres_search_path_of_one_migration_does_not_leak(run, engine, mig, workdir):
    """A pg_dump-style migration empties search_path; the next one still finds its schema."""
    if engine.name != "postgres":
        pytest.skip("search_path is PostgreSQL's")
    mig.write("001_dump.sql", up="SELECT pg_catalog.set_config('search_path', '', false);",
              down="SELECT 1;")
    mig.write("002_b.sql", up="CREATE TABLE b (id integer);", down="DROP TABLE b;")
    script = script_of(run, engine, mig, "up", "--sql")
    assert 'SET search_path = "%s";' % engine.schema in script
    code, err = run_client(engine, script, workdir)
    assert code == 0, err
    assert engine.user_tables() == ["b"]
    assert engine.applied() == [1, 2]
