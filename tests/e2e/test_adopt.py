"""strata adopt: take over a database golang-migrate, dbmate, goose, Flyway or sql-migrate
migrated (SPEC section 10), and the hint status and up give on such a database."""
import os
import shutil
import subprocess

import pytest

from conftest import parse_json_out


def _serial(engine):
    return {"postgres": "serial", "mysql": "integer auto_increment"}.get(engine.name, "integer")


def peer_table(engine, tool, applied, dirty=False):
    """The tool's tracking table, created and filled as that tool does (versions: ints)."""
    ts = "CURRENT_TIMESTAMP"
    if tool == "dbmate":
        sql = ["CREATE TABLE schema_migrations (version varchar(128) primary key)"]
        sql += ["INSERT INTO schema_migrations (version) VALUES ('%03d')" % v for v in applied]
    elif tool == "golang-migrate":
        sql = ["CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)"]
        if applied:
            sql.append("INSERT INTO schema_migrations (version, dirty) VALUES (%d, %s)"
                       % (max(applied), "TRUE" if dirty else "FALSE"))
    elif tool == "goose":
        sql = ["CREATE TABLE goose_db_version (id %s primary key, version_id bigint not null, "
               "is_applied boolean not null, tstamp timestamp default %s)" % (_serial(engine), ts)]
        rows = [(0, True)] + [(v, True) for v in applied]
        sql += ["INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (%d, %d, %s)"
                % (i + 1, v, "TRUE" if a else "FALSE") for i, (v, a) in enumerate(rows)]
    elif tool == "flyway":
        sql = ["CREATE TABLE flyway_schema_history (installed_rank integer not null primary key, "
               "version varchar(50), description varchar(200) not null, type varchar(20) not null, "
               "script varchar(1000) not null, checksum integer, installed_by varchar(100) not null, "
               "installed_on timestamp not null default %s, execution_time integer not null, "
               "success boolean not null)" % ts]
        sql += ["INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
                "checksum, installed_by, execution_time, success) VALUES (%d, '%d', 'm%d', 'SQL', "
                "'V%d__m.sql', 123, 'me', 1, TRUE)" % (i + 1, v, v, v) for i, v in enumerate(applied)]
    elif tool == "sql-migrate":
        sql = ["CREATE TABLE gorp_migrations (id varchar(255) not null primary key, applied_at timestamp null)"]
        sql += ["INSERT INTO gorp_migrations (id, applied_at) VALUES ('%03d_m.sql', %s)" % (v, ts)
                for v in applied]
    else:
        raise AssertionError(tool)
    engine.execute(";\n".join(sql) + ";")


TABLE = {"dbmate": "schema_migrations", "golang-migrate": "schema_migrations",
         "goose": "goose_db_version", "flyway": "flyway_schema_history",
         "sql-migrate": "gorp_migrations"}
TOOLS = sorted(TABLE)


def peer_rows(engine, tool):
    return sorted(tuple(str(c) for c in r) for r in engine.query("SELECT * FROM %s" % TABLE[tool]))


def three(mig, engine, applied=(1, 2)):
    if engine.name == "postgres":  # the test's schema, which strata would create
        engine.execute("CREATE SCHEMA IF NOT EXISTS %s" % engine.schema)
    for v, n in ((1, "a"), (2, "b"), (3, "c")):
        mig.simple(v, n)
    for v in applied:
        engine.execute("CREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT);" % "abc"[v - 1])


@pytest.mark.parametrize("tool", TOOLS)
def test_adopt_then_up_applies_exactly_the_rest(strata, engine, mig, tool):
    three(mig, engine)
    peer_table(engine, tool, [1, 2])
    before = peer_rows(engine, tool)

    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert out == {"adopted_from": tool, "table": TABLE[tool],
                   "recorded": [{"version": 1, "name": "a"}, {"version": 2, "name": "b"}],
                   "dirty": None, "dry_run": False}
    assert "strata: database:" in err
    assert engine.applied() == [1, 2]
    hist = engine.history()
    assert [(h["version"], h["direction"], h["status"]) for h in hist] == \
        [(1, "stamp", "success"), (2, "stamp", "success")]
    assert all(h["error"] == "adopted from %s (%s)" % (tool, TABLE[tool]) for h in hist)
    row = engine.migration_row(1)
    assert row["checksum"] and len(row["checksum"]) == 64
    assert "CREATE TABLE t_a" in row["up_sql"]

    code, out, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in out["applied"]] == [3]
    assert engine.applied() == [1, 2, 3]
    assert engine.has_table("t_c")
    # the other tool's table is only read
    assert peer_rows(engine, tool) == before


@pytest.mark.parametrize("tool", ["dbmate", "goose"])
def test_dry_run_writes_nothing(strata, engine, mig, tool):
    three(mig, engine)
    peer_table(engine, tool, [1, 2])
    code, out, err = strata.json("adopt", "--dry-run")
    assert code == 0, err
    assert out["dry_run"] is True
    assert [r["version"] for r in out["recorded"]] == [1, 2]
    assert not engine.has_table("strata_migrations")
    assert not engine.has_table("strata_history")
    code, out, err = strata("adopt", "--dry-run")
    assert code == 0 and "would record 001_a as applied" in out, out + err


def test_dirty_golang_migrate_becomes_strata_dirty(strata, engine, mig):
    three(mig, engine, applied=(1,))
    peer_table(engine, "golang-migrate", [1, 2], dirty=True)
    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert out["recorded"] == [{"version": 1, "name": "a"}]
    assert out["dirty"] == 2
    assert engine.applied() == [1]
    assert [(h["version"], h["status"]) for h in engine.history()] == [(1, "success"), (2, "dirty")]
    code, st, err = strata.json("status")
    assert code == 0 and st["dirty"] is True
    code, out, err = strata("up")
    assert code == 1 and "dirty" in err
    assert not engine.has_table("t_b")


@pytest.mark.parametrize("tool", ["dbmate", "golang-migrate", "flyway"])
def test_hint_on_status_and_up_refuses(strata, engine, mig, tool):
    three(mig, engine)
    peer_table(engine, tool, [1, 2])
    msg = "this database was migrated by %s (%s): run 'strata adopt' to take it over" % (tool, TABLE[tool])
    code, out, err = strata("status")
    assert code == 0 and msg in err, err
    code, out, err = strata("up")
    assert code == 1 and msg in err, err
    assert engine.applied() == []
    assert not engine.has_table("t_c")
    code, out, err = strata("adopt", "-q")
    assert code == 0, err
    code, out, err = strata("status")
    assert code == 0 and "migrated by" not in err


def test_no_hint_for_an_empty_peer_table(strata, engine, mig):
    three(mig, engine, applied=())
    peer_table(engine, "goose", [])  # only goose's own version-0 row
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2, 3]


def test_goose_latest_row_decides(strata, engine, mig):
    three(mig, engine, applied=(1,))
    peer_table(engine, "goose", [1, 2])
    engine.execute("INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (10, 2, FALSE);")
    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert [r["version"] for r in out["recorded"]] == [1]
    code, out, err = strata.json("up")
    assert code == 0 and [a["version"] for a in out["applied"]] == [2, 3]


def test_version_without_file_is_exit_1(strata, engine, mig):
    three(mig, engine)
    peer_table(engine, "dbmate", [1, 2, 9])
    code, out, err = strata("adopt")
    assert code == 1
    assert "version 9" in err and "no migration file" in err
    assert engine.applied() == []


def test_no_peer_table_is_exit_1(strata, engine, mig):
    three(mig, engine, applied=())
    strata("init")
    code, out, err = strata("adopt")
    assert code == 1 and "no other tool's tracking table" in err


def test_existing_strata_rows_must_agree(strata, engine, mig):
    three(mig, engine, applied=(1,))
    code, out, err = strata("stamp", "1")
    assert code == 0, err
    peer_table(engine, "dbmate", [1, 2])
    engine.execute("CREATE TABLE t_b (id INTEGER PRIMARY KEY, v TEXT);")
    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert out["recorded"] == [{"version": 2, "name": "b"}]  # 1 already recorded
    assert engine.applied() == [1, 2]
    code, out, err = strata("up")
    assert code == 0, err
    # strata now records 3, which dbmate does not: refused
    code, out, err = strata("adopt")
    assert code == 1 and "version 3" in err and "refusing" in err


# --------------------------------------------------------------- the real peers (SQLite)

def _dbmate():
    p = "/tmp/bench-dbmate/node_modules/.bin/dbmate"
    return p if os.access(p, os.X_OK) else shutil.which("dbmate")


@pytest.mark.sqlite_only
def test_real_dbmate_halfway_then_strata(strata, engine, mig, workdir):
    dbmate = _dbmate()
    if not dbmate:
        pytest.skip("dbmate is not installed")
    for v, n in ((1, "a"), (2, "b"), (3, "c")):
        mig.write("%03d_%s.sql" % (v, n), raw="-- migrate:up\nCREATE TABLE t_%s (id integer);\n\n"
                  "-- migrate:down\nDROP TABLE t_%s;\n" % (n, n))
    (workdir / "later").mkdir()
    shutil.move(str(mig.path("003_c.sql")), str(workdir / "later"))
    p = subprocess.run([dbmate, "--url", "sqlite:%s" % engine.path, "--migrations-dir", str(mig.dir),
                        "--no-dump-schema", "up"], cwd=str(workdir), capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("dbmate could not run here: %s" % p.stderr.strip()[:200])
    shutil.move(str(workdir / "later" / "003_c.sql"), str(mig.dir))
    before = peer_rows(engine, "dbmate")
    code, out, err = strata("up")
    assert code == 1 and "migrated by dbmate" in err
    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert [r["version"] for r in out["recorded"]] == [1, 2]
    code, out, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in out["applied"]] == [3]
    assert peer_rows(engine, "dbmate") == before


@pytest.mark.sqlite_only
def test_real_sql_migrate_halfway_then_strata(strata, engine, mig, workdir):
    tool = shutil.which("sql-migrate")
    if not tool:
        pytest.skip("sql-migrate is not installed")
    for v, n in ((1, "a"), (2, "b"), (3, "c")):
        mig.write("%03d_%s.sql" % (v, n), raw="-- +migrate Up\nCREATE TABLE t_%s (id integer);\n\n"
                  "-- +migrate Down\nDROP TABLE t_%s;\n" % (n, n))
    (workdir / "dbconfig.yml").write_text(
        "development:\n  dialect: sqlite3\n  datasource: %s\n  dir: %s\n" % (engine.path, mig.dir))
    p = subprocess.run([tool, "up", "-limit=2"], cwd=str(workdir), capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("sql-migrate could not run here: %s" % (p.stderr or p.stdout).strip()[:200])
    before = peer_rows(engine, "sql-migrate")
    assert len(before) == 2
    code, out, err = strata.json("adopt")
    assert code == 0, err
    assert out["adopted_from"] == "sql-migrate"
    assert [r["version"] for r in out["recorded"]] == [1, 2]
    code, out, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in out["applied"]] == [3]
    assert peer_rows(engine, "sql-migrate") == before
