"""PostgreSQL specifics, end to end (the shared suite runs on PostgreSQL too).

Needs STRATA_PG_URL (see scripts/with-postgres.sh) and STRATA_BIN; reads the database with psql.
Each test works in a schema of its own (?search_path=...), dropped afterwards.

    bash scripts/with-postgres.sh env STRATA_BIN=$PWD/build/strata \
        python3 -m pytest -q tests/e2e/test_postgres.py
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PG_URL = os.environ.get("STRATA_PG_URL")
STRATA_BIN = os.environ.get("STRATA_BIN", str(Path(__file__).resolve().parents[2] / "build" / "strata"))

pytestmark = pytest.mark.skipif(not PG_URL, reason="STRATA_PG_URL is not set (run under scripts/with-postgres.sh)")


def password():
    return urlsplit(PG_URL).password or ""


def psql(sql, schema=None, check=True):
    env = dict(os.environ)
    if schema:
        env["PGOPTIONS"] = "-c search_path=%s" % schema
    p = subprocess.run(["psql", PG_URL, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr.decode()
    return [line.split("|") for line in p.stdout.decode().splitlines() if line]


class Mig:
    def __init__(self, path):
        self.dir = path
        path.mkdir(parents=True, exist_ok=True)

    def write(self, name, up, down=None, no_txn=False, desc="a migration"):
        text = "-- %s\n" % desc
        if no_txn:
            text += "-- strata:no-transaction\n"
        text += "-- strata:up\n" + up.strip() + "\n"
        if down is not None:
            text += "-- strata:down\n" + down.strip() + "\n"
        (self.dir / name).write_text(text)
        return self.dir / name


@pytest.fixture
def schema():
    name = "t_" + uuid.uuid4().hex[:12]
    yield name
    psql('DROP SCHEMA IF EXISTS "%s" CASCADE' % name)


@pytest.fixture
def url(schema):
    return PG_URL + ("&" if "?" in PG_URL else "?") + "search_path=" + schema


@pytest.fixture
def mig(tmp_path):
    return Mig(tmp_path / "migrations")


@pytest.fixture
def strata(url, mig, tmp_path):
    def run(*args, u=None, timeout=120):
        p = subprocess.run([STRATA_BIN, "-u", u or url, "-d", str(mig.dir)] + [str(a) for a in args],
                           cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        out, err = p.stdout.decode(), p.stderr.decode()
        assert password() not in out + err or not password()
        return p.returncode, out, err
    return run


def tables(schema):
    return sorted(r[0] for r in psql("SELECT tablename FROM pg_tables WHERE schemaname = '%s'" % schema))


def history(schema):
    return [dict(zip(["id", "version", "direction", "status", "statements_done", "error"], r))
            for r in psql("SELECT id, version, direction, status, statements_done, error"
                          " FROM strata_history ORDER BY id", schema)]


# --------------------------------------------------------------------------- basics

def test_up_status_down_history(strata, mig, schema):
    mig.write("001_a.sql", "CREATE TABLE a (id int PRIMARY KEY);", "DROP TABLE a;")
    mig.write("002_b.sql", "CREATE TABLE b (id int REFERENCES a(id));", "DROP TABLE b;")
    code, out, err = strata("status", "--json")
    assert code == 0, err
    st = json.loads(out)
    assert st["engine"] == "postgres" and st["current_version"] is None
    assert "strata_migrations" not in tables(schema)  # status creates nothing
    code, out, err = strata("up")
    assert code == 0, err
    assert tables(schema) == ["a", "b", "strata_history", "strata_migrations"]
    assert [r[0] for r in psql("SELECT version FROM strata_migrations ORDER BY 1", schema)] == ["1", "2"]
    code, out, err = strata("status", "--json")
    assert json.loads(out)["current_version"] == 2
    code, out, err = strata("down")
    assert code == 0, err
    assert "b" not in tables(schema)
    code, out, err = strata("history", "--json")
    rows = json.loads(out)["history"]
    assert [(r["version"], r["direction"], r["status"]) for r in rows] == \
        [(1, "up", "success"), (2, "up", "success"), (2, "down", "success")]
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("redo")
    assert code == 0, err
    assert "b" in tables(schema)
    code, out, err = strata("up")
    assert code == 0 and "schema is up to date" in out


def test_tracking_columns_match_sqlite(strata, mig, schema):
    mig.write("001_a.sql", "SELECT 1;", "SELECT 1;")
    assert strata("up")[0] == 0
    cols = lambda t: [r[0] for r in psql("SELECT column_name FROM information_schema.columns WHERE table_schema"
                                         " = '%s' AND table_name = '%s' ORDER BY ordinal_position" % (schema, t))]
    assert cols("strata_migrations") == ["version", "name", "description", "checksum", "checksum_algo",
                                         "applied_at", "execution_ms", "applied_by", "up_sql", "down_sql"]
    assert cols("strata_history") == ["id", "version", "name", "direction", "status", "started_at",
                                      "finished_at", "execution_ms", "statements_done", "error",
                                      "backup_path", "applied_by"]


def test_failing_migration_rolls_back_and_is_recorded(strata, mig, schema):
    mig.write("001_ok.sql", "CREATE TABLE ok (id int);", "DROP TABLE ok;")
    path = mig.write("002_bad.sql", "CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\n"
                     "INSERT INTO half VALUES (1/0);", "DROP TABLE half;")
    code, out, err = strata("up")
    assert code == 1
    # header, directive-free: line 1 desc, 2 marker, 3..5 body: the division is line 5
    assert "002_bad.sql:5:" in err and "division by zero" in err and "SQLSTATE 22012" in err
    assert "half" not in tables(schema) and "ok" in tables(schema)
    assert [r[0] for r in psql("SELECT version FROM strata_migrations", schema)] == ["1"]
    h = history(schema)
    assert [(r["version"], r["status"]) for r in h] == [("1", "success"), ("2", "failed")]
    assert "002_bad.sql:5:" in h[-1]["error"]
    assert not [r for r in h if r["status"] == "running"]


def test_error_line_mapping_with_multibyte_text(strata, mig, schema):
    mig.write("001_x.sql", "SELECT 'ééééé';\n-- ñññ ñññ\nSELECT 1;\n\n  SELEC oops;", "SELECT 1;")
    code, out, err = strata("up")
    assert code == 1
    assert "001_x.sql:7:" in err and "syntax error" in err and "SQLSTATE 42601" in err


def test_error_line_mapping_no_transaction(strata, mig, schema):
    mig.write("001_x.sql", "CREATE TABLE nt (id int);\n-- ü\nSELECT 'ü', nope FROM nt;", "SELECT 1;", no_txn=True)
    code, out, err = strata("up")
    assert code == 1
    assert "001_x.sql:6:" in err and 'column "nope" does not exist' in err
    h = history(schema)
    assert h[-1]["status"] == "dirty" and h[-1]["statements_done"] == "1"


def test_detail_and_hint_on_one_line(strata, mig, schema):
    mig.write("001_x.sql", "CREATE TABLE p (id int PRIMARY KEY);\nINSERT INTO p VALUES (1), (1);", "SELECT 1;")
    code, out, err = strata("up")
    assert code == 1
    line = [l for l in err.splitlines() if "strata: error" in l][0]
    assert "SQLSTATE 23505" in line and "DETAIL: Key (id)=(1) already exists." in line


# --------------------------------------------------------------------------- statements

def test_create_index_concurrently_no_transaction(strata, mig, schema):
    mig.write("001_t.sql", "CREATE TABLE t (id int, name text);", "DROP TABLE t;")
    mig.write("002_i.sql", "CREATE INDEX CONCURRENTLY t_name ON t (name);\n"
              "CREATE INDEX CONCURRENTLY t_id ON t (id);",
              "DROP INDEX CONCURRENTLY t_id;\nDROP INDEX CONCURRENTLY t_name;", no_txn=True)
    code, out, err = strata("up")
    assert code == 0, err
    rows = psql("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '%s'"
                " AND c.relname LIKE 't\\_%%' ORDER BY 1" % schema)
    assert rows == [["t_id", "t"], ["t_name", "t"]]
    assert history(schema)[-1]["statements_done"] == "2"
    code, out, err = strata("down")
    assert code == 0, err


def test_create_index_concurrently_in_transaction_gets_a_hint(strata, mig, schema):
    mig.write("001_t.sql", "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);", "SELECT 1;")
    code, out, err = strata("up")
    assert code == 1
    assert "001_t.sql:4:" in err and "strata:no-transaction" in err
    assert "t" not in tables(schema)


FUNC = """
CREATE TABLE items (id int PRIMARY KEY, note text, touched text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- a ; in a comment, and 'quotes'
  NEW.touched := 'yes; really ' || $$it's$$;
  RETURN NEW;
END;
$fn$;
CREATE TRIGGER items_touch BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION sign_of(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 WHEN x < 0 THEN -1 ELSE 0 END;
END;
INSERT INTO items (id, note) VALUES (1, E'semi\\';colon');
"""


@pytest.mark.parametrize("no_txn", [False, True])
def test_dollar_quoted_functions_and_triggers(strata, mig, schema, no_txn):
    mig.write("001_f.sql", FUNC, "DROP TABLE items; DROP FUNCTION touch(); DROP FUNCTION sign_of(int);",
              no_txn=no_txn)
    code, out, err = strata("up")
    assert code == 0, err
    assert psql("SELECT note, touched FROM items", schema) == [["semi';colon", "yes; really it's"]]
    assert psql("SELECT sign_of(-5), sign_of(3)", schema) == [["-1", "1"]]
    code, out, err = strata("schema", "--format", "json")
    obj = json.loads(out)
    assert [f["name"] for f in obj["functions"]] == ["sign_of", "touch"]
    assert [t["name"] for t in obj["triggers"]] == ["items_touch"]
    code, out, err = strata("down")
    assert code == 0, err
    assert "items" not in tables(schema)


# --------------------------------------------------------------------------- locking

def test_eight_concurrent_ups_apply_each_migration_once(url, mig, schema, tmp_path):
    for i in range(1, 16):
        mig.write("%03d_m%d.sql" % (i, i), "CREATE TABLE m%d (id int);\nSELECT pg_sleep(0.02);" % i,
                  "DROP TABLE m%d;" % i)
    procs = [subprocess.Popen([STRATA_BIN, "-u", url, "-d", str(mig.dir), "up"], cwd=str(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(8)]
    results = [(p.wait(timeout=120), p.stdout.read().decode(), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 0 for code, _, _ in results), results
    assert psql("SELECT count(*), count(DISTINCT version) FROM strata_migrations", schema) == [["15", "15"]]
    h = history(schema)
    assert len(h) == 15 and all(r["status"] == "success" for r in h)
    assert sum("schema is up to date" in out for _, out, _ in results) >= 1


def test_lock_timeout_names_the_holder_and_killed_runner_is_recorded(url, mig, schema, tmp_path, strata):
    mig.write("001_slow.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);", "DROP TABLE slow;")
    holder = subprocess.Popen([STRATA_BIN, "-u", url, "-d", str(mig.dir), "up"], cwd=str(tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            if "strata_history" in tables(schema) and psql(
                    "SELECT 1 FROM strata_history WHERE status = 'running'", schema):
                break
            time.sleep(0.1)
        t0 = time.time()
        code, out, err = strata("--lock-timeout", "1", "up")
        assert code == 1 and "timed out" in err and "pid %d" % holder.pid in err
        assert time.time() - t0 < 10
        code, out, err = strata("status", "--json")
        assert code == 0, err
        assert [r["status"] for r in json.loads(out)["history"]] == ["running"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    mig.write("001_slow.sql", "CREATE TABLE slow (id int);", "DROP TABLE slow;")
    code, out, err = strata("up")
    assert code == 0, err
    assert "interrupted" in err
    h = history(schema)
    assert [(r["status"], r["error"]) for r in h] == [("failed", "interrupted"), ("success", "")]


# --------------------------------------------------------------------------- schema, stamp, repair

def test_search_path_chooses_the_schema(strata, mig, schema):
    mig.write("001_a.sql", "CREATE TABLE a (id int);", "DROP TABLE a;")
    code, out, err = strata("up")
    assert code == 0, err
    assert tables(schema) == ["a", "strata_history", "strata_migrations"]
    assert not psql("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'a'")
    other = schema + "_b"
    try:
        code, out, err = strata("up", u=PG_URL + "?schema=" + other)
        assert code == 0, err
        assert tables(other) == ["a", "strata_history", "strata_migrations"]
    finally:
        psql('DROP SCHEMA IF EXISTS "%s" CASCADE' % other)


def test_schema_dump_stable_and_loadable(strata, mig, schema):
    mig.write("001_s.sql", """
CREATE TABLE aaa (id serial PRIMARY KEY, v real CHECK (v > 0));
CREATE TABLE bbb (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL DEFAULT 'x',
                  a_id int REFERENCES aaa(id) ON DELETE CASCADE, UNIQUE (name, a_id));
CREATE INDEX idx_bbb_name ON bbb (lower(name)) WHERE name <> '';
CREATE VIEW vvv AS SELECT id FROM aaa;
CREATE SEQUENCE seq_x START 5;
CREATE FUNCTION f_aaa() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := 1; RETURN NEW; END $$;
CREATE TRIGGER trg_aaa BEFORE INSERT ON aaa FOR EACH ROW EXECUTE FUNCTION f_aaa();
""", "SELECT 1;")
    assert strata("up")[0] == 0
    code, sql1, err = strata("schema", "--format", "sql")
    assert code == 0, err
    assert strata("schema", "--format", "sql")[1] == sql1
    for name in ("aaa", "bbb", "idx_bbb_name", "vvv", "seq_x", "f_aaa", "trg_aaa"):
        assert name in sql1
    assert "strata_" not in sql1
    code, js, err = strata("schema", "--format", "json")
    obj = json.loads(js)
    assert {"tables", "indexes", "views", "triggers", "sequences", "functions"} <= set(obj)
    assert [t["name"] for t in obj["tables"]] == ["aaa", "bbb"]
    bbb = obj["tables"][1]
    assert [c["name"] for c in bbb["columns"]] == ["id", "name", "a_id"]
    assert bbb["foreign_keys"][0]["references"] == "aaa" and bbb["foreign_keys"][0]["on_delete"] == "CASCADE"
    # loads into another schema and dumps the same
    other = schema + "_copy"
    try:
        psql('CREATE SCHEMA "%s"' % other)
        env = dict(os.environ, PGOPTIONS="-c search_path=%s" % other)
        p = subprocess.run(["psql", PG_URL, "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=sql1.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert p.returncode == 0, p.stderr.decode()
        code, sql2, err = strata("schema", "--format", "sql", u=PG_URL + "?search_path=" + other)
        assert code == 0, err
        assert sql2 == sql1
    finally:
        psql('DROP SCHEMA IF EXISTS "%s" CASCADE' % other)


def test_stamp_validate_repair(strata, mig, schema):
    mig.write("001_a.sql", "CREATE TABLE a (id int);", "DROP TABLE a;")
    mig.write("002_b.sql", "CREATE TABLE b (id int);", "DROP TABLE b;")
    code, out, err = strata("stamp", "1")
    assert code == 0, err
    assert "a" not in tables(schema)
    assert [r[0] for r in psql("SELECT version FROM strata_migrations", schema)] == ["1"]
    code, out, err = strata("validate")
    assert code == 0, err
    mig.write("001_a.sql", "CREATE TABLE a (id bigint);", "DROP TABLE a;")
    code, out, err = strata("validate")
    assert code == 1 and "001_a" in out + err
    code, out, err = strata("repair", "--yes")
    assert code == 0, err
    assert strata("validate")[0] == 0


# --------------------------------------------------------------------------- passwords

def test_password_never_printed(strata, mig, url, schema):
    mig.write("001_a.sql", "CREATE TABLE a (id int);", "DROP TABLE a;")
    for args in (["status"], ["status", "--json"], ["up"], ["history", "--json"], ["up", "--dry-run"]):
        code, out, err = strata(*args)
        assert code == 0, err
        assert password() not in out + err
    parts = urlsplit(PG_URL)
    wrong = PG_URL.replace(":%s@" % parts.password, ":S3cretWr0ng@")
    code, out, err = strata("status", u=wrong)
    assert code == 1
    assert "S3cretWr0ng" not in out + err and "****" in err
    assert "password authentication failed" in err
    kv = "host=%s port=%s user=%s password=S3cretWr0ng dbname=%s" % (
        parts.hostname, parts.port, parts.username, parts.path.lstrip("/"))
    code, out, err = strata("status", u=kv)
    assert code == 1 and "S3cretWr0ng" not in out + err


def test_env_fills_what_the_url_leaves_out(mig, tmp_path, schema):
    mig.write("001_a.sql", "CREATE TABLE a (id int);", "DROP TABLE a;")
    parts = urlsplit(PG_URL)
    env = dict(os.environ, PGHOST=parts.hostname, PGPORT=str(parts.port), PGUSER=parts.username,
               PGPASSWORD=parts.password)
    p = subprocess.run([STRATA_BIN, "-u", "postgres:///%s?search_path=%s" % (parts.path.lstrip("/"), schema),
                        "-d", str(mig.dir), "up"], cwd=str(tmp_path), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert "a" in tables(schema)
