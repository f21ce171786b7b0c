"""`status`, `history` and JSON shapes (SPEC sections 3, 4, 6, 8)."""

import re

import pytest

from conftest import HISTORY_COLUMNS, listing, parse_json_out

STATUS_KEYS = {"database", "engine", "current_version", "dirty", "applied", "pending", "missing",
               "modified", "history", "backups"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


def test_status_on_missing_database_creates_nothing(strata, mig, engine, workdir):
    mig.simple(1, "one")
    mig.simple(2, "two")
    before = listing(workdir)
    code, out, err = strata("status")
    assert code == 0, err
    code, obj, err = strata.json("status")
    assert code == 0, err
    assert listing(workdir) == before
    assert not engine.exists()
    assert obj["current_version"] is None
    assert [p["version"] for p in obj["pending"]] == [1, 2]
    assert obj["applied"] == [] and obj["dirty"] is False


@pytest.mark.parametrize("args", [["history"], ["validate"], ["--json", "history"], ["status", "--exit-code"]])
def test_read_only_commands_on_missing_database_create_nothing(strata, mig, engine, workdir, args):
    mig.simple(1, "one")
    before = listing(workdir)
    code, out, err = strata(*args)
    assert code in (0, 3), (out, err)
    assert listing(workdir) == before


def test_read_only_commands_leave_an_existing_database_untouched(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up", "1")
    assert code == 0, err
    assert engine.applied() == [1]
    snap = engine.snapshot()
    for args in (["status"], ["--json", "status"], ["status", "--exit-code"], ["history"], ["--json", "history"],
                 ["validate"], ["schema"], ["schema", "--format", "json"], ["up", "--dry-run"],
                 ["down", "--dry-run"], ["repair"]):
        code, out, err = strata(*args)
        assert code in (0, 3), (args, out, err)
        assert engine.snapshot() == snap, args


def test_status_exit_code(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("status", "--exit-code")
    assert code == 3, (out, err)
    code, obj, err = strata.json("status", "--exit-code")
    assert code == 3
    assert [p["version"] for p in obj["pending"]] == [1]
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("status", "--exit-code")
    assert code == 0, (out, err)
    code, out, err = strata("status")
    assert code == 0
    mig.simple(2, "two")
    code, out, err = strata("status")
    assert code == 0  # pending without --exit-code is still 0
    code, out, err = strata("status", "--exit-code")
    assert code == 3


def test_status_json_keys_and_values(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.simple(3, "three")
    code, out, err = strata("up", "2")
    assert code == 0, err
    code, obj, err = strata.json("status")
    assert code == 0, err
    assert STATUS_KEYS <= set(obj), STATUS_KEYS - set(obj)
    assert obj["engine"] == engine.name
    assert obj["current_version"] == 2
    assert obj["dirty"] is False
    assert [a["version"] for a in obj["applied"]] == [1, 2]
    for a in obj["applied"]:
        assert {"version", "name", "description", "checksum", "applied_at", "execution_ms"} <= set(a)
        assert ISO_UTC.match(a["applied_at"]), a["applied_at"]
        assert isinstance(a["execution_ms"], int)
        assert a["checksum"] == engine.migration_row(a["version"])["checksum"]
    assert obj["applied"][0]["name"] == "one"
    assert obj["applied"][0]["description"] == "Create t_one"
    assert [(p["version"], p["name"]) for p in obj["pending"]] == [(3, "three")]
    assert obj["pending"][0]["file"].endswith("003_three.sql")
    assert obj["missing"] == [] and obj["modified"] == []
    assert isinstance(obj["history"], list) and len(obj["history"]) >= 2
    for h in obj["history"]:
        assert {"id", "version", "direction", "status", "started_at", "finished_at", "error"} <= set(h)
    assert isinstance(obj["backups"], list)
    for b in obj["backups"]:
        assert {"path", "size", "created_at"} <= set(b)


def test_status_missing_and_modified(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("002_two.sql")
    mig.write("001_one.sql", up="CREATE TABLE t_one (id INTEGER PRIMARY KEY, v TEXT, w TEXT);", down="DROP TABLE t_one;")
    code, obj, err = strata.json("status")
    assert code == 0, err
    assert [(m["version"], m["name"]) for m in obj["missing"]] == [(2, "two")]
    assert [(m["version"], m["name"]) for m in obj["modified"]] == [(1, "one")]
    assert obj["modified"][0]["file"].endswith("001_one.sql")
    assert obj["current_version"] == 2


def test_status_text_runs(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("status")
    assert code == 0, err
    assert "one" in out


# --------------------------------------------------------------------------- history

@pytest.mark.txn_ddl
def test_history_json_has_every_column_newest_last(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.write("003_bad.sql", up="CREATE TABLE nope (a INTEGER);\nINSERT INTO missing_table VALUES (1);", down="DROP TABLE nope;")
    code, out, err = strata("up")
    assert code == 1
    code, out, err = strata("down")
    assert code == 0, err
    code, obj, err = strata.json("history")
    assert code == 0, err
    rows = obj["history"]
    assert len(rows) == 4
    for r in rows:
        assert set(HISTORY_COLUMNS) <= set(r), set(HISTORY_COLUMNS) - set(r)
    assert [(r["version"], r["direction"], r["status"]) for r in rows] == [
        (1, "up", "success"), (2, "up", "success"), (3, "up", "failed"), (2, "down", "success")]
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert rows[0]["name"] == "one"
    assert "missing_table" in rows[2]["error"]
    assert rows[2]["statements_done"] == 1
    assert rows[0]["statements_done"] == 1
    for r in rows:
        assert ISO_UTC.match(r["started_at"]) and ISO_UTC.match(r["finished_at"])
        assert isinstance(r["execution_ms"], int)
        assert "@" in r["applied_by"]
    # the JSON matches the table
    db = engine.history()
    assert [(r["id"], r["version"], r["direction"], r["status"]) for r in db] == \
           [(r["id"], r["version"], r["direction"], r["status"]) for r in rows]


def test_history_text_and_empty(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("history")
    assert code == 0, (out, err)
    code, obj, err = strata.json("history")
    assert code == 0, err
    assert obj["history"] == []
    code, out, err = strata("up")
    code, out, err = strata("history")
    assert code == 0, err
    assert "one" in out or "1" in out


def test_migrations_row_contents(strata, mig, engine):
    mig.write("001_full.sql", raw="-- Full row\n-- strata:up\nCREATE TABLE full_row (a INTEGER);\n\n-- strata:down\nDROP TABLE full_row;\n")
    code, out, err = strata("up")
    assert code == 0, err
    rows = engine.dicts("SELECT * FROM strata_migrations")
    assert len(rows) == 1
    r = rows[0]
    assert r["version"] == 1 and r["name"] == "full" and r["description"] == "Full row"
    assert r["checksum_algo"] == "sha256" and re.match(r"^[0-9a-f]{64}$", r["checksum"])
    assert ISO_UTC.match(r["applied_at"]), r["applied_at"]
    assert isinstance(r["execution_ms"], int) and r["execution_ms"] >= 0
    assert "@" in r["applied_by"]
    assert r["up_sql"].strip() == "CREATE TABLE full_row (a INTEGER);"
    assert r["down_sql"].strip() == "DROP TABLE full_row;"
    h = engine.history()
    assert len(h) == 1
    assert h[0]["direction"] == "up" and h[0]["status"] == "success" and h[0]["version"] == 1
    assert h[0]["statements_done"] == 1 and h[0]["error"] is None
    assert h[0]["name"] == "full"


# --------------------------------------------------------------------------- JSON everywhere

@pytest.mark.parametrize("args", [
    ["status"], ["history"], ["validate"], ["up"], ["up", "--dry-run"], ["down"], ["down", "--dry-run"],
    ["redo"], ["stamp", "1"], ["repair"], ["repair", "--yes"], ["schema"], ["schema", "--format", "json"],
    ["schema", "--format", "sql"], ["new", "another"], ["init"], ["stamp", "--delete", "1"],
    ["down", "base"], ["up", "1"], ["status", "--exit-code"],
])
def test_json_stdout_is_one_object(strata, mig, engine, args):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up", "1")
    assert code == 0, err
    assert engine.applied() == [1]
    code, out, err = strata(*(["--json"] + args))
    assert code in (0, 3), (out, err)
    parse_json_out(out)
    code2, out2, err2 = strata(*(args + ["--json"]))
    parse_json_out(out2)


@pytest.mark.parametrize("setup,args,expected", [
    ("modified", ["up"], 1),
    ("modified", ["validate"], 1),
    ("duplicate", ["validate"], 2),
    ("duplicate", ["status"], 2),
    ("irreversible", ["down"], 1),
    ("none", ["stamp", "--delete", "7"], 1),
    ("none", ["frobnicate"], 2),
    ("badsql", ["up"], 1),
])
def test_json_on_errors(strata, mig, engine, setup, args, expected):
    mig.simple(1, "one")
    if setup == "irreversible":
        mig.write("002_oneway.sql", raw="CREATE TABLE oneway (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    if setup == "modified":
        mig.write("001_one.sql", up="CREATE TABLE t_one (changed INTEGER);", down="DROP TABLE t_one;")
        mig.simple(2, "two")
    elif setup == "duplicate":
        mig.write("1_again.sql", raw="SELECT 1;\n")
    elif setup == "badsql":
        mig.write("002_bad.sql", up="SELEC oops;", down="")
    code, obj, err = strata.json(*args)
    assert code == expected, (obj, err)
    assert "strata: error:" in err
    if "failed" in obj and obj["failed"] is not None:
        assert isinstance(obj["failed"]["version"], int)
        assert obj["failed"]["error"]
    elif args == ["validate"] and expected == 1:
        pass  # validate's own report (modified / out-of-order) is its normal object
    else:
        assert obj.get("exit_code") == expected
        assert isinstance(obj.get("error"), str) and obj["error"]
