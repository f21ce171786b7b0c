"""`validate`, `stamp`, `repair` and `schema` (SPEC sections 4, 6, 8; docs/design.md)."""

import json

import pytest

from conftest import checksum_of


# --------------------------------------------------------------------------- validate

def test_validate_clean(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("validate")      # nothing applied, nothing created
    assert code == 0, (out, err)
    assert not engine.exists()
    code, out, err = strata("up", "1")
    assert code == 0, err
    assert engine.applied() == [1]
    code, out, err = strata("validate")      # a pending migration above the highest is fine
    assert code == 0, (out, err)
    code, obj, err = strata.json("validate")
    assert code == 0, err


def test_validate_modified_is_exit_1(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    snap = engine.snapshot()
    mig.write("001_one.sql", up="CREATE TABLE t_one (x INTEGER);", down="DROP TABLE t_one;")
    code, out, err = strata("validate")
    assert code == 1, (out, err)
    assert "001_one.sql" in out + err
    code, obj, err = strata.json("validate")
    assert code == 1
    assert engine.snapshot() == snap


def test_validate_out_of_order_is_exit_1(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    code, out, err = strata("validate")
    assert code == 1, (out, err)
    assert "002_two.sql" in out + err


def test_validate_missing_is_a_warning(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("002_two.sql")
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    assert err.strip() != ""


def test_validate_duplicates_is_exit_2(strata, mig, engine):
    mig.write("001_a.sql", raw="CREATE TABLE a (x INTEGER);\n")
    mig.write("1_b.sql", raw="CREATE TABLE b (x INTEGER);\n")
    code, out, err = strata("validate")
    assert code == 2, (out, err)
    assert "001_a.sql" in err and "1_b.sql" in err


# --------------------------------------------------------------------------- stamp

def test_stamp_records_without_running(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.simple(3, "three")
    code, out, err = strata("init")
    assert code == 0, err
    code, out, err = strata("stamp", "2")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    assert engine.user_tables() == []  # nothing ran
    for v in (1, 2):
        row = engine.migration_row(v)
        assert row["checksum"] == checksum_of(mig.read("%03d_%s.sql" % (v, ["", "one", "two"][v])))
    h = engine.history()
    assert [(r["version"], r["direction"], r["status"]) for r in h] == [(1, "stamp", "success"), (2, "stamp", "success")]
    code, obj, err = strata.json("status")
    assert obj["current_version"] == 2
    assert [p["version"] for p in obj["pending"]] == [3]
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [3]
    assert engine.user_tables() == ["t_three"]


def test_stamp_version_between_migrations(strata, mig, engine):
    """SPEC 4: a VERSION no migration has is exit 2; `stamp VERSION` records every one up to it."""
    mig.simple(1, "one")
    mig.simple(3, "three")
    code, out, err = strata("stamp", "2")
    assert code == 2, (out, err)
    assert "no migration has version 2" in err
    assert engine.applied() == []
    code, out, err = strata("stamp", "1")
    assert code == 0, (out, err)
    assert engine.applied() == [1]
    code, obj, err = strata.json("status")
    assert [p["version"] for p in obj["pending"]] == [3]


def test_stamp_adopts_existing_database(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("init")
    assert code == 0, err
    engine.execute("CREATE TABLE t_one (id INTEGER PRIMARY KEY, v TEXT);")
    code, obj, err = strata.json("stamp", "1")
    assert code == 0, err
    assert engine.applied() == [1]
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2]


def test_stamp_delete(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("stamp", "--delete", "2")
    assert code == 0, err
    assert engine.applied() == [1]
    assert engine.has_table("t_two")  # the record only
    h = engine.history()
    assert (h[-1]["version"], h[-1]["direction"], h[-1]["status"], h[-1]["error"]) == (2, "stamp", "success", "deleted")
    n = len(h)
    snap = engine.snapshot()
    code, out, err = strata("stamp", "--delete", "2")
    assert code == 1, (out, err)
    assert "strata: error:" in err
    assert engine.snapshot() == snap
    assert len(engine.history()) == n
    code, obj, err = strata.json("status")
    assert [p["version"] for p in obj["pending"]] == [2]


# --------------------------------------------------------------------------- repair

def test_repair_checksums_needs_yes(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 0, err
    old = engine.migration_row(1)["checksum"]
    mig.write("001_one.sql", up="CREATE TABLE t_one (id INTEGER PRIMARY KEY, v TEXT); -- cosmetic edit",
              down="DROP TABLE t_one;")
    new = checksum_of(mig.read("001_one.sql"))
    assert new != old
    code, out, err = strata("repair")
    assert code == 0, (out, err)
    assert engine.migration_row(1)["checksum"] == old
    code, out, err = strata("validate")
    assert code == 1
    code, obj, err = strata.json("repair")
    assert code == 0, err
    assert engine.migration_row(1)["checksum"] == old
    assert not any(r["direction"] == "repair" for r in engine.history())
    code, out, err = strata("repair", "--yes")
    assert code == 0, (out, err)
    assert engine.migration_row(1)["checksum"] == new
    assert engine.migration_row(2)["checksum"] == checksum_of(mig.read("002_two.sql"))
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    reps = [r for r in engine.history() if r["direction"] == "repair"]
    assert len(reps) == 1 and reps[0]["version"] is None and reps[0]["status"] == "success"


def test_repair_with_nothing_to_do_writes_nothing(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1]
    snap = engine.snapshot()
    code, out, err = strata("repair", "--yes")
    assert code == 0, err
    assert engine.snapshot() == snap


# --------------------------------------------------------------------------- schema

# The schema fixtures use SQLite trigger syntax: a server engine needs its own variant.
def schema_setup(mig, order):
    stmts = {
        "b": "CREATE TABLE bbb (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', a_id INTEGER REFERENCES aaa(id));",
        "a": "CREATE TABLE aaa (id INTEGER PRIMARY KEY, v REAL);",
        "i": "CREATE INDEX idx_bbb_name ON bbb(name);",
        "v": "CREATE VIEW vvv AS SELECT id FROM aaa;",
        "t": "CREATE TRIGGER trg_aaa AFTER INSERT ON aaa BEGIN UPDATE aaa SET v = 1 WHERE id = NEW.id; END;",
    }
    up = "\n".join(stmts[k] for k in order)
    mig.write("001_schema.sql", up=up, down="SELECT 1;")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fmt", ["sql", "json"])
def test_schema_leaves_out_tracking_tables_and_is_stable(strata, mig, engine, fmt):
    schema_setup(mig, "abivt")
    code, out, err = strata("up")
    assert code == 0, err
    code, out1, err = strata("schema", "--format", fmt)
    assert code == 0, err
    code, out2, err = strata("schema", "--format", fmt)
    assert out1 == out2
    for name in ("aaa", "bbb", "idx_bbb_name", "vvv", "trg_aaa"):
        assert name in out1
    assert "strata_migrations" not in out1 and "strata_history" not in out1
    if fmt == "json":
        obj = json.loads(out1)
        assert isinstance(obj, dict)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fmt", ["sql", "json"])
def test_schema_order_does_not_depend_on_creation_order(run, engine, workdir, fmt):
    from conftest import Migrations
    outs = []
    for i, order in enumerate(("abivt", "baitv")):
        m = Migrations(workdir / ("m%d" % i)).mkdir()
        schema_setup(m, order)
        url = engine.url.replace("db.sqlite3", "db%d.sqlite3" % i) if engine.name == "sqlite" else engine.url
        code, out, err = run("-u", url, "-d", str(m.dir), "up")
        assert code == 0, err
        code, out, err = run("-u", url, "-d", str(m.dir), "schema", "--format", fmt)
        assert code == 0, err
        assert "aaa" in out and "trg_aaa" in out
        outs.append(out)
    assert outs[0] == outs[1]


@pytest.mark.sqlite_only
def test_schema_default_format_and_json_flag(strata, mig, engine):
    schema_setup(mig, "abivt")
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("schema")
    assert code == 0, err
    assert "aaa" in out and "strata_history" not in out
    code, obj, err = strata.json("schema")
    assert code == 0, err
    assert "strata_migrations" not in json.dumps(obj)


@pytest.mark.sqlite_only
def test_schema_sql_is_loadable(strata, mig, engine, workdir):
    import sqlite3
    schema_setup(mig, "abivt")
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("schema", "--format", "sql")
    assert code == 0, err
    con = sqlite3.connect(str(workdir / "reload.db"))
    con.executescript(out)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    assert {"aaa", "bbb", "idx_bbb_name", "vvv", "trg_aaa"} <= names
