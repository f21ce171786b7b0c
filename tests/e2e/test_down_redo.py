"""`down` and `redo` (SPEC sections 3, 4, 5, 8)."""

import pytest


def applied_three(strata, mig):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err


def test_down_rolls_back_the_most_recent(strata, mig, engine):
    applied_three(strata, mig)
    code, obj, err = strata.json("down")
    assert code == 0, err
    assert [(r["version"], r["name"]) for r in obj["rolled_back"]] == [(3, "three")]
    assert isinstance(obj["rolled_back"][0]["execution_ms"], int)
    assert obj["failed"] is None
    assert engine.applied() == [1, 2]
    assert not engine.has_table("t_three")
    h = engine.history()
    assert (h[-1]["version"], h[-1]["direction"], h[-1]["status"]) == (3, "down", "success")
    assert h[-1]["statements_done"] == 1


def test_most_recent_means_most_recently_applied(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    code, out, err = strata("up", "--allow-out-of-order")
    assert code == 0, err
    code, obj, err = strata.json("down")
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [2]
    assert engine.applied() == [1, 3]


def test_down_to_version(strata, mig, engine):
    applied_three(strata, mig)
    code, obj, err = strata.json("down", "1")
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [3, 2]
    assert engine.applied() == [1]
    assert engine.user_tables() == ["t_one"]


@pytest.mark.parametrize("target", ["0", "base"])
def test_down_to_base(strata, mig, engine, target):
    applied_three(strata, mig)
    code, obj, err = strata.json("down", target)
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [3, 2, 1]
    assert engine.applied() == []
    assert engine.user_tables() == []
    assert [(r["version"], r["direction"]) for r in engine.history()][3:] == [(3, "down"), (2, "down"), (1, "down")]


def test_down_steps(strata, mig, engine):
    applied_three(strata, mig)
    code, obj, err = strata.json("down", "--steps", "2")
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [3, 2]
    assert engine.applied() == [1]


def test_down_with_nothing_applied(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("init")
    assert code == 0, err
    snap = engine.snapshot()
    code, out, err = strata("down")
    assert code == 0, (out, err)
    assert "schema is up to date" in out
    assert engine.snapshot() == snap


def test_down_to_a_version_no_migration_has_is_refused(strata, mig, engine):
    """SPEC 4: a VERSION that no migration has is exit 2, and nothing changes."""
    applied_three(strata, mig)
    snap = engine.snapshot()
    code, out, err = strata("down", "7")
    assert code == 2, (out, err)
    assert "no migration has version 7" in err
    assert engine.snapshot() == snap
    # the highest applied version itself: nothing above it to roll back
    code, out, err = strata("down", "3")
    assert code == 0, (out, err)
    assert "schema is up to date" in out
    assert engine.snapshot() == snap


def test_down_dry_run_prints_sql_and_changes_nothing(strata, mig, engine):
    mig.write("001_a.sql", up="CREATE TABLE dd (a INTEGER);", down="DROP TABLE dd; -- dry down token")
    code, out, err = strata("up")
    assert code == 0, err
    snap = engine.snapshot()
    code, out, err = strata("down", "--dry-run")
    assert code == 0, err
    assert "DROP TABLE dd; -- dry down token" in out
    assert engine.snapshot() == snap
    code, obj, err = strata.json("down", "--dry-run")
    assert code == 0, err
    assert engine.snapshot() == snap
    assert engine.applied() == [1]


def test_irreversible_refused_up_front(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_oneway.sql", raw="-- One way\n-- strata:up\nCREATE TABLE oneway (a INTEGER);\n")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.migration_row(2)["down_sql"] is None
    snap = engine.snapshot()
    for args in (["down", "0"], ["down", "1"], ["down", "--steps", "2"], ["down", "base"]):
        code, out, err = strata(*args)
        assert code == 1, (args, out, err)
        assert "strata: error:" in err and "002_oneway" in err
        assert engine.snapshot() == snap, args  # not even 003 was rolled back
    code, obj, err = strata.json("down", "0")
    assert code == 1
    assert engine.snapshot() == snap
    code, out, err = strata("down", "0", "--dry-run")
    assert code == 1, (out, err)
    assert "002_oneway" in err
    # rolling back only 003 is fine
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    code, out, err = strata("down")
    assert code == 1
    assert engine.applied() == [1, 2]


@pytest.mark.not_mysql_sql
def test_down_uses_stored_sql_when_file_is_gone(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_gone.sql", up="CREATE TABLE gone (a INTEGER);\nCREATE INDEX gone_a ON gone(a);",
              down="DROP INDEX gone_a;\nDROP TABLE gone;")
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("002_gone.sql")
    code, obj, err = strata.json("status")
    assert [(m["version"], m["name"]) for m in obj["missing"]] == [(2, "gone")]
    code, out, err = strata("down")
    assert code == 0, err
    assert "using stored down SQL" in err
    assert not engine.has_table("gone")
    assert engine.applied() == [1]
    h = engine.history()
    assert (h[-1]["version"], h[-1]["direction"], h[-1]["status"]) == (2, "down", "success")
    assert h[-1]["statements_done"] == 2


@pytest.mark.sqlite_only
def test_stored_down_sql_keeps_no_transaction_mode(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_vac.sql", up="VACUUM;", down="VACUUM;", directives=["-- strata:no-transaction"])
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("002_vac.sql")
    code, out, err = strata("down")
    assert code == 0, err  # VACUUM cannot run inside a transaction
    assert "using stored down SQL" in err
    assert engine.applied() == [1]


def test_down_dry_run_with_stored_sql(strata, mig, engine):
    mig.write("001_gone.sql", up="CREATE TABLE gone (a INTEGER);", down="DROP TABLE gone; -- stored token")
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("001_gone.sql")
    snap = engine.snapshot()
    code, out, err = strata("down", "--dry-run")
    assert code == 0, err
    assert "DROP TABLE gone; -- stored token" in out
    assert engine.snapshot() == snap


def test_down_uses_current_down_section_of_existing_file(strata, mig, engine):
    mig.write("001_fixed.sql", up="CREATE TABLE fixed (a INTEGER);", down="DROP TABLE wrong_name;")
    code, out, err = strata("up")
    assert code == 0, err
    # the down script was broken; fixing it is not a checksum change
    mig.write("001_fixed.sql", up="CREATE TABLE fixed (a INTEGER);", down="DROP TABLE fixed;\nCREATE TABLE down_was_fixed (a INTEGER);")
    code, out, err = strata("down")
    assert code == 0, err
    assert "using stored down SQL" not in err
    assert not engine.has_table("fixed")
    assert engine.has_table("down_was_fixed")
    assert engine.applied() == []


@pytest.mark.txn_ddl
def test_failing_down_leaves_everything(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_baddown.sql", up="CREATE TABLE bd (a INTEGER);",
              down="DROP TABLE bd;\nDROP TABLE no_such_table_here;")
    code, out, err = strata("up")
    assert code == 0, err
    code, obj, err = strata.json("down", "0")
    assert code == 1
    assert obj["rolled_back"] == []
    assert obj["failed"]["version"] == 2
    assert "002_baddown.sql:" in err
    assert engine.has_table("bd")
    assert engine.applied() == [1, 2]
    h = engine.history()
    assert (h[-1]["version"], h[-1]["direction"], h[-1]["status"]) == (2, "down", "failed")
    assert "no_such_table_here" in h[-1]["error"]
    assert h[-1]["statements_done"] == 1


def test_redo(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_seed.sql", up="CREATE TABLE seed (a INTEGER);\nINSERT INTO seed VALUES (1);", down="DROP TABLE seed;")
    code, out, err = strata("up")
    assert code == 0, err
    engine.execute("INSERT INTO seed VALUES (99);")
    code, out, err = strata("redo")
    assert code == 0, err
    assert engine.query("SELECT a FROM seed") == [(1,)]
    assert engine.applied() == [1, 2]
    h = engine.history()
    assert [(r["version"], r["direction"], r["status"]) for r in h[-2:]] == [(2, "down", "success"), (2, "up", "success")]
    code, obj, err = strata.json("redo")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    assert engine.query("SELECT a FROM seed") == [(1,)]


def test_redo_of_irreversible_is_refused(strata, mig, engine):
    mig.write("001_oneway.sql", raw="CREATE TABLE oneway (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    snap = engine.snapshot()
    code, out, err = strata("redo")
    assert code == 1
    assert "001_oneway" in err
    assert engine.snapshot() == snap
