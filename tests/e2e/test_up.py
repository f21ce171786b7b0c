"""`up`: targets, dry run, validation, out-of-order, failures, no-op runs (SPEC sections 3, 4, 5, 8)."""

import pytest

from conftest import listing


def three(mig):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.simple(3, "three")


def test_up_applies_everything_in_order(strata, mig, engine):
    three(mig)
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert [(a["version"], a["name"]) for a in obj["applied"]] == [(1, "one"), (2, "two"), (3, "three")]
    for a in obj["applied"]:
        assert isinstance(a["execution_ms"], int)
    assert obj["failed"] is None
    assert engine.applied() == [1, 2, 3]
    assert engine.user_tables() == ["t_one", "t_three", "t_two"]
    h = engine.history()
    assert [(r["version"], r["direction"], r["status"]) for r in h] == [
        (1, "up", "success"), (2, "up", "success"), (3, "up", "success")]


def test_up_creates_database_file_and_tracking_tables(strata, mig, engine):
    mig.simple(1, "one")
    assert not engine.exists()
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.exists()
    assert engine.has_table("strata_migrations") and engine.has_table("strata_history")


def test_up_to_version(strata, mig, engine):
    three(mig)
    code, obj, err = strata.json("up", "2")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [1, 2]
    assert engine.applied() == [1, 2]
    assert not engine.has_table("t_three")
    # below the current version: nothing to do
    snap = engine.snapshot()
    code, out, err = strata("up", "1")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.snapshot() == snap
    # a target between versions names no migration: exit 2 (SPEC 4), nothing applied
    mig.simple(5, "five")
    snap = engine.snapshot()
    code, out, err = strata("up", "4")
    assert code == 2, (out, err)
    assert "no migration has version 4" in err
    assert engine.snapshot() == snap
    code, obj, err = strata.json("up", "3")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [3]
    assert engine.applied() == [1, 2, 3]


def test_noop_up_writes_nothing(strata, mig, engine, workdir):
    three(mig)
    code, out, err = strata("up")
    assert code == 0, err
    snap = engine.snapshot()
    files = listing(workdir)
    code, out, err = strata("up")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.snapshot() == snap
    assert listing(workdir) == files
    assert len(engine.history()) == 3
    code, obj, err = strata.json("up")
    assert code == 0
    assert obj["applied"] == [] and obj["failed"] is None and obj["backup"] is None
    assert engine.snapshot() == snap


@pytest.mark.sqlite_only
def test_first_noop_up_on_missing_database(strata, mig, engine, workdir):
    """SPEC 8 "First run" and docs/design.md: the first `up` on a SQLite file that did not
    exist creates the file and the tracking tables, even with nothing to apply; it writes no
    history row and no backup, and the next no-op run leaves the bytes alone."""
    code, out, err = strata("up")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.applied() == [] and engine.history() == []
    assert engine.user_tables() == []
    assert not engine.backup_dir.exists()
    snap = engine.snapshot()
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.snapshot() == snap


@pytest.mark.sqlite_only
def test_noop_up_on_database_without_tracking_tables_creates_nothing(strata, mig, engine):
    engine.execute("CREATE TABLE app (a INTEGER);")
    snap = engine.snapshot()
    code, out, err = strata("up")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.snapshot() == snap
    assert engine.tables() == ["app"]


# --------------------------------------------------------------------------- dry run

def test_dry_run_on_missing_database_creates_nothing(strata, mig, engine, workdir):
    mig.write("001_dry.sql", up="CREATE TABLE dry_run_token_table (a INTEGER);\nINSERT INTO dry_run_token_table VALUES (42);",
              down="DROP TABLE dry_run_token_table;")
    mig.simple(2, "two")
    before = listing(workdir)
    code, out, err = strata("up", "--dry-run")
    assert code == 0, err
    assert "CREATE TABLE dry_run_token_table (a INTEGER);" in out
    assert "INSERT INTO dry_run_token_table VALUES (42);" in out
    assert "CREATE TABLE t_two" in out
    assert listing(workdir) == before
    assert not engine.exists()


def test_dry_run_on_existing_database_changes_nothing(strata, mig, engine, workdir):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_dry.sql", up="CREATE TABLE dry_token_2 (a INTEGER);", down="DROP TABLE dry_token_2;")
    snap = engine.snapshot()
    files = listing(workdir)
    code, out, err = strata("up", "--dry-run")
    assert code == 0, err
    assert "CREATE TABLE dry_token_2 (a INTEGER);" in out
    assert "CREATE TABLE t_one" not in out
    assert engine.snapshot() == snap
    assert listing(workdir) == files
    code, obj, err = strata.json("up", "--dry-run")
    assert code == 0, err
    assert engine.snapshot() == snap
    assert engine.applied() == [1]


def test_dry_run_still_validates(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("001_one.sql", up="CREATE TABLE t_one (changed INTEGER);", down="DROP TABLE t_one;")
    mig.simple(2, "two")
    snap = engine.snapshot()
    code, out, err = strata("up", "--dry-run")
    assert code == 1, (out, err)
    assert "001_one.sql" in err
    assert engine.snapshot() == snap


# --------------------------------------------------------------------------- validation before up

def test_modified_checksum_refuses_and_writes_nothing(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("001_one.sql", up="CREATE TABLE t_one (id INTEGER PRIMARY KEY, v TEXT, extra TEXT);", down="DROP TABLE t_one;")
    mig.simple(2, "two")
    snap = engine.snapshot()
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err and "001_one.sql" in err
    assert engine.snapshot() == snap
    assert not engine.has_table("t_two")
    # --ignore-checksums overrides
    code, out, err = strata("up", "--ignore-checksums")
    assert code == 0, err
    assert engine.applied() == [1, 2]


def test_out_of_order_refuses_then_allow(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    snap = engine.snapshot()
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err and "002_two.sql" in err
    assert engine.snapshot() == snap
    code, out, err = strata("validate")
    assert code == 1, (out, err)
    code, obj, err = strata.json("up", "--allow-out-of-order")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [2]
    assert engine.applied() == [1, 2, 3]


def test_missing_applied_file_is_only_a_warning(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 0, err
    mig.remove("001_one.sql")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 0, err
    assert err.strip() != ""  # the warning
    assert engine.applied() == [1, 2, 3]
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    assert err.strip() != ""


# --------------------------------------------------------------------------- failures

BAD = ("-- A migration that fails midway\n"          # line 1
       "-- strata:up\n"                              # line 2
       "CREATE TABLE half (id INTEGER);\n"           # line 3
       "INSERT INTO half VALUES (1);\n"              # line 4
       "INSERT INTO nosuch_table VALUES (1);\n"      # line 5
       "CREATE TABLE never (id INTEGER);\n"          # line 6
       "-- strata:down\n"
       "DROP TABLE never;\nDROP TABLE half;\n")


@pytest.mark.txn_ddl
def test_failing_migration_midway(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_bad.sql", raw=BAD)
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err
    assert "002_bad.sql:5" in err, err
    assert "nosuch_table" in err
    # earlier migrations stay, the failed one leaves no trace, later ones did not run
    assert engine.applied() == [1]
    assert engine.user_tables() == ["t_one"]
    h = engine.history()
    assert [(r["version"], r["direction"], r["status"]) for r in h] == [(1, "up", "success"), (2, "up", "failed")]
    assert "nosuch_table" in h[1]["error"]  # the engine's message
    assert h[1]["statements_done"] == 2
    assert h[1]["name"] == "bad"
    assert h[1]["finished_at"] is not None
    # a second attempt fails the same way and adds a second failed row
    code, obj, err = strata.json("up")
    assert code == 1
    assert obj["applied"] == []
    assert obj["failed"]["version"] == 2 and obj["failed"]["name"] == "bad"
    assert "nosuch_table" in obj["failed"]["error"]
    assert [r["status"] for r in engine.history()] == ["success", "failed", "failed"]
    assert engine.applied() == [1]


def test_failing_migration_json(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_bad.sql", raw=BAD)
    code, obj, err = strata.json("up")
    assert code == 1
    assert [a["version"] for a in obj["applied"]] == [1]
    assert obj["failed"]["version"] == 2
    assert "002_bad.sql" in err


@pytest.mark.txn_ddl
def test_syntax_error_names_file_and_line(strata, mig, engine):
    mig.write("001_syntax.sql", raw="-- syntax\n-- strata:up\nCREATE TABLE ok1 (a INTEGER);\n\nCREAT TABLE oops (a);\n")
    code, out, err = strata("up")
    assert code == 1
    assert "001_syntax.sql:5" in err, err
    assert engine.user_tables() == []
    assert engine.applied() == []
    assert [r["status"] for r in engine.history()] == ["failed"]
    if engine.name == "sqlite":  # PostgreSQL parses a whole batch before running any of it
        assert engine.history()[0]["statements_done"] == 1


@pytest.mark.txn_ddl
def test_fixed_migration_applies_after_failure(strata, mig, engine):
    mig.write("001_fix.sql", up="CREATE TABLE fx (a INTEGER);\nINSERT INTO nothere VALUES (1);", down="DROP TABLE fx;")
    code, out, err = strata("up")
    assert code == 1
    mig.write("001_fix.sql", up="CREATE TABLE fx (a INTEGER);", down="DROP TABLE fx;")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1]
    assert [r["status"] for r in engine.history()] == ["failed", "success"]


@pytest.mark.sqlite_only
def test_constraint_violation_rolls_back_data(strata, mig, engine):
    mig.write("001_u.sql", up="CREATE TABLE u (a UNIQUE);\nINSERT INTO u VALUES (1);", down="DROP TABLE u;")
    mig.write("002_dupe.sql", up="INSERT INTO u VALUES (2);\nINSERT INTO u VALUES (1);", down="DELETE FROM u WHERE a = 2;")
    code, out, err = strata("up")
    assert code == 1
    assert "002_dupe.sql:4" in err, err
    assert engine.query("SELECT a FROM u") == [(1,)]
    assert engine.applied() == [1]


@pytest.mark.parametrize("files,where", [
    ({"001_crlf.sql": b"-- crlf\r\n-- strata:up\r\nCREATE TABLE a (x INTEGER);\r\n\r\nINSERT INTO nope VALUES (1);\r\n"},
     "001_crlf.sql:5"),
    ({"001_bom.sql": b"\xef\xbb\xbf-- bom\n-- strata:up\nCREATE TABLE a (x INTEGER);\nINSERT INTO nope VALUES (1);\n"},
     "001_bom.sql:4"),
    ({"001_p.up.sql": b"CREATE TABLE a (x INTEGER);\n\n  INSERT INTO nope VALUES (1);\n", "001_p.down.sql": b"DROP TABLE a;\n"},
     "001_p.up.sql:3"),
    ({"001_m.sql": b"-- m\n-- strata:up\nCREATE TABLE m (x INTEGER);\nINSERT INTO m\n  SELECT x\n  FROM nope;\n"},
     "001_m.sql:"),
    ({"001_t.sql": b"-- t\n-- strata:up\nCREATE TABLE t (x INTEGER);\n/* a comment\n   over lines */ SELECT 1;\nSELEC 2;\n"},
     "001_t.sql:6"),
], ids=["crlf", "bom", "pair", "multiline", "after-block-comment"])
@pytest.mark.txn_ddl
def test_error_names_file_and_line(strata, mig, engine, files, where):
    for name, data in files.items():
        mig.write(name, raw=data)
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err
    assert where in err, err
    assert engine.user_tables() == []


@pytest.mark.txn_ddl
def test_error_in_down_section_names_its_line(strata, mig, engine):
    mig.write("001_d.sql", raw="-- d\n-- strata:up\nCREATE TABLE a (x INTEGER);\n\n-- strata:down\nDROP TABLE a;\nDROP TABLE nope;\n")
    code, out, err = strata("up")
    assert code == 0, err
    code, out, err = strata("down")
    assert code == 1, (out, err)
    assert "001_d.sql:7" in err, err
    assert engine.has_table("a") and engine.applied() == [1]


@pytest.mark.parametrize("control", ["COMMIT;", "BEGIN;", "END;", "ROLLBACK;"])
def test_transaction_control_in_a_body_is_refused(strata, mig, engine, control):
    """A COMMIT in a transactional body would commit the migration without its tracking rows:
    refused before anything of it runs, naming the file and line (docs/design.md)."""
    mig.simple(1, "one")
    mig.write("002_sneaky.sql", up="CREATE TABLE t_sneaky (id INTEGER);\n%s\nCREATE TABLE t_after (id INTEGER);" % control,
              down="DROP TABLE t_sneaky;")
    code, out, err = strata("up")
    assert code == 1
    assert "002_sneaky.sql:" in err and "no-transaction" in err, err
    assert engine.applied() == [1]
    assert not engine.has_table("t_sneaky") and not engine.has_table("t_after")
    assert [r["status"] for r in engine.history() if r["version"] == 2] == ["failed"]


def test_transaction_control_allowed_without_a_transaction(strata, mig, engine):
    """`-- strata:no-transaction` migrations may manage transactions themselves."""
    mig.write("001_own.sql", up="BEGIN;\nCREATE TABLE t_own (id INTEGER);\nCOMMIT;",
              down="DROP TABLE t_own;", directives=["-- strata:no-transaction"])
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1] and engine.has_table("t_own")
