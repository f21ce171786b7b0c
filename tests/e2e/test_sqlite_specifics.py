"""SQLite specifics: foreign keys around migrations, table rebuilds, no-transaction
migrations, the dirty state they can leave, and automatic backups (SPEC sections 5, 8;
docs/design.md)."""

import os
import re
import stat

import pytest

pytestmark = pytest.mark.sqlite_only

PARENT_CHILD = ("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n"
                "CREATE TABLE child (id INTEGER PRIMARY KEY,\n"
                "                    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);\n"
                "INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');\n"
                "INSERT INTO child VALUES (10, 1), (20, 2);")


# --------------------------------------------------------------------------- foreign keys

def test_dangling_foreign_key_is_rolled_back_with_violations(strata, mig, engine):
    mig.write("001_pc.sql", up=PARENT_CHILD, down="DROP TABLE child;\nDROP TABLE parent;")
    mig.write("002_orphan.sql", up="DELETE FROM parent WHERE id = 2;\nUPDATE parent SET name = 'changed';",
              down="SELECT 1;")
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err and "002_orphan.sql" in err
    assert "child" in err  # the violation is listed
    assert engine.applied() == [1]
    assert engine.query("SELECT id, name FROM parent ORDER BY id") == [(1, "p1"), (2, "p2")]
    assert engine.query("SELECT id FROM child ORDER BY id") == [(10,), (20,)]
    h = engine.history()
    assert (h[-1]["version"], h[-1]["status"]) == (2, "failed")
    assert "child" in h[-1]["error"]
    assert not engine.has_table("t_three")


def test_dangling_foreign_key_from_a_new_table(strata, mig, engine):
    mig.write("001_p.sql", up="CREATE TABLE parent (id INTEGER PRIMARY KEY);", down="DROP TABLE parent;")
    mig.write("002_c.sql", up="CREATE TABLE kid (pid INTEGER REFERENCES parent(id));\nINSERT INTO kid VALUES (7);",
              down="DROP TABLE kid;")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "kid" in err
    assert not engine.has_table("kid")
    assert engine.applied() == [1]


def test_foreign_key_check_covers_only_what_the_migration_touched(strata, mig, engine):
    """A dangling reference elsewhere in the database does not block an unrelated migration."""
    mig.write("001_pc.sql", up=PARENT_CHILD, down="DROP TABLE child;\nDROP TABLE parent;")
    code, out, err = strata("up")
    assert code == 0, err
    engine.execute("INSERT INTO child VALUES (30, 999);")  # foreign keys are off in this connection
    mig.write("002_unrelated.sql", up="CREATE TABLE unrelated (a);\nINSERT INTO unrelated VALUES (1);",
              down="DROP TABLE unrelated;")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    # but touching the parent table checks its children again
    mig.write("003_touch_parent.sql", up="UPDATE parent SET name = 'x' WHERE id = 1;", down="SELECT 1;")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "child" in err
    assert engine.applied() == [1, 2]


def test_table_rebuild_keeping_references_passes(strata, mig, engine):
    """SQLite's 12-step ALTER TABLE procedure, with an ON DELETE CASCADE child that a
    DROP TABLE with foreign keys on would have emptied."""
    mig.write("001_pc.sql", up=PARENT_CHILD, down="DROP TABLE child;\nDROP TABLE parent;")
    mig.write("002_rebuild.sql", raw="""-- Rebuild parent with a NOT NULL name
-- strata:up
CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', tag TEXT);
INSERT INTO parent_new (id, name) SELECT id, coalesce(name, '') FROM parent;
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;
CREATE INDEX idx_parent_name ON parent(name);

-- strata:down
CREATE TABLE parent_old (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO parent_old (id, name) SELECT id, name FROM parent;
DROP TABLE parent;
ALTER TABLE parent_old RENAME TO parent;
""")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    assert engine.columns("parent") == ["id", "name", "tag"]
    assert engine.query("SELECT id FROM child ORDER BY id") == [(10,), (20,)]
    assert engine.query("PRAGMA foreign_key_check") == []
    assert engine.query("PRAGMA integrity_check") == [("ok",)]
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.columns("parent") == ["id", "name"]
    assert engine.query("SELECT id FROM child ORDER BY id") == [(10,), (20,)]


def test_foreign_key_declarations_survive_a_migration(strata, mig, engine):
    """Switching foreign keys off around a migration leaves the declarations alone."""
    mig.write("001_pc.sql", up=PARENT_CHILD, down="DROP TABLE child;\nDROP TABLE parent;")
    code, out, err = strata("up")
    assert code == 0, err
    fk = engine.query("PRAGMA foreign_key_list(child)")
    assert len(fk) == 1 and fk[0][2] == "parent"


# --------------------------------------------------------------------------- no-transaction

def test_no_transaction_directive_allows_vacuum(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_vacuum.sql", up="VACUUM;", down="", directives=["-- strata:no-transaction"])
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2]
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.applied() == [1]


@pytest.mark.parametrize("directive", ["--strata:no-transaction", "  --  STRATA : No-Transaction \t",
                                       "\t-- strata:NO-TRANSACTION"])
def test_directive_grammar_is_tolerant(strata, mig, engine, directive):
    mig.write("001_vacuum.sql", raw="-- Vacuum\n%s\n-- strata:up\nVACUUM;\n-- strata:down\nVACUUM;\n" % directive)
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1]
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.applied() == []


def test_vacuum_inside_a_transaction_fails(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_vacuum.sql", up="VACUUM;", down="")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "002_vacuum.sql" in err
    assert engine.applied() == [1]


def test_no_transaction_directive_in_pair_form(strata, mig, engine):
    mig.write("001_v.up.sql", raw="-- strata:no-transaction\nVACUUM;\n")
    mig.write("001_v.down.sql", raw="VACUUM;\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1]
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.applied() == []


def test_failed_no_transaction_migration_is_dirty_until_repair(strata, mig, engine):
    mig.simple(1, "one")
    mig.write("002_nt.sql", up="CREATE TABLE nt1 (a);\nINSERT INTO nosuch VALUES (1);\nCREATE TABLE nt2 (a);",
              down="DROP TABLE nt1;", directives=["-- strata:no-transaction"])
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "002_nt.sql:5" in err, err
    assert engine.has_table("nt1") and not engine.has_table("nt2")  # cannot be rolled back
    h = engine.history()
    assert (h[-1]["version"], h[-1]["status"], h[-1]["statements_done"]) == (2, "dirty", 1)
    assert "nosuch" in h[-1]["error"]
    code, obj, err = strata.json("status")
    assert obj["dirty"] is True
    # up and down refuse while dirty, writing nothing
    snap = engine.snapshot()
    for args in (["up"], ["down"], ["redo"]):
        code, out, err = strata(*args)
        assert code == 1, (args, out, err)
        assert "strata: error:" in err
        assert engine.snapshot() == snap
    # the user fixes the schema and the file by hand, then repairs
    engine.execute("DROP TABLE nt1;")
    mig.write("002_nt.sql", up="CREATE TABLE nt1 (a);\nCREATE TABLE nt2 (a);",
              down="DROP TABLE nt2;\nDROP TABLE nt1;", directives=["-- strata:no-transaction"])
    code, out, err = strata("repair")
    assert code == 0, err
    h = engine.history()
    assert not any(r["status"] == "dirty" for r in h)
    reps = [r for r in h if r["direction"] == "repair"]
    assert [r["version"] for r in reps] == [2]
    code, obj, err = strata.json("status")
    assert obj["dirty"] is False
    assert [p["version"] for p in obj["pending"]] == [2, 3]
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2, 3]
    assert engine.has_table("nt2")


def test_stamp_clears_dirty(strata, mig, engine):
    mig.write("001_nt.sql", up="CREATE TABLE nt1 (a);\nINSERT INTO nosuch VALUES (1);",
              down="DROP TABLE nt1;", directives=["-- strata:no-transaction"])
    code, out, err = strata("up")
    assert code == 1
    code, obj, err = strata.json("status")
    assert obj["dirty"] is True
    code, out, err = strata("stamp", "1")  # completed by hand
    assert code == 0, err
    assert engine.applied() == [1]
    h = engine.history()
    assert not any(r["status"] == "dirty" for r in h)
    code, obj, err = strata.json("status")
    assert obj["dirty"] is False


# --------------------------------------------------------------------------- a file that is not a database

@pytest.mark.parametrize("args", [["up"], ["status"], ["--json", "status"], ["down"], ["history"]])
def test_file_that_is_not_a_database_is_exit_1_and_left_alone(strata, mig, engine, args):
    mig.simple(1, "one")
    junk = bytes((i * 37 + 11) % 256 for i in range(5000))
    engine.path.write_bytes(junk)
    code, out, err = strata(*args)
    assert code == 1, (out, err)
    assert "strata: error:" in err
    if "--json" in args:
        from conftest import parse_json_out
        assert parse_json_out(out)["exit_code"] == 1
    assert engine.path.read_bytes() == junk
    assert not engine.backup_dir.exists()


# --------------------------------------------------------------------------- backups

BACKUP_RE = re.compile(r"^db\.sqlite3\.\d{8}T\d{6}Z(-\d+)?\.v(\d+)\.bak$")


def backups(engine, d=None):
    d = d or engine.backup_dir
    if not os.path.isdir(d):
        return []
    return sorted(p for p in os.listdir(d))


def test_first_run_on_new_file_writes_no_backup(strata, mig, engine):
    mig.simple(1, "one")
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert obj["backup"] is None
    assert backups(engine) == []


def test_backup_before_changes(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    code, obj, err = strata.json("up")
    assert code == 0, err
    files = backups(engine)
    assert len(files) == 1, files
    m = BACKUP_RE.match(files[0])
    assert m, files[0]
    assert m.group(2) == "1"
    path = engine.backup_dir / files[0]
    assert obj["backup"] and os.path.basename(obj["backup"]) == files[0]
    assert stat.S_IMODE(os.stat(engine.backup_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    h = engine.history()
    assert h[-1]["backup_path"] and os.path.basename(h[-1]["backup_path"]) == files[0]
    # the backup is the database as it was at version 1
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert [r[0] for r in con.execute("SELECT version FROM strata_migrations")] == [1]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    # a down backs up too, named after the version before it
    code, obj, err = strata.json("down")
    assert code == 0, err
    files = backups(engine)
    assert len(files) == 2
    assert sorted(BACKUP_RE.match(f).group(2) for f in files) == ["1", "2"]
    assert obj["backup"] and os.path.basename(obj["backup"]) in files
    # the same version again (possibly within the same second) gets a distinct name
    code, out, err = strata("up")
    assert code == 0, err
    files = backups(engine)
    assert len(files) == 3 and all(BACKUP_RE.match(f) for f in files), files
    code, obj, err = strata.json("status")
    assert sorted(os.path.basename(b["path"]) for b in obj["backups"]) == files
    for b in obj["backups"]:
        assert isinstance(b["size"], int) and b["size"] > 0 and b["created_at"]


def test_no_backup_flag(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    code, obj, err = strata.json("up", "--no-backup")
    assert code == 0, err
    assert obj["backup"] is None
    assert backups(engine) == []
    mig.simple(3, "three")
    code, out, err = strata("--no-backup", "up")
    assert code == 0, err
    code, out, err = strata("--no-backup", "down")
    assert code == 0, err
    assert backups(engine) == []
    assert engine.applied() == [1, 2]


def test_backup_dir_flag_and_env(strata, run, mig, engine, workdir):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    code, out, err = strata("up", "--backup-dir", str(workdir / "bk" / "flag"))
    assert code == 0, err
    assert len(backups(engine, workdir / "bk" / "flag")) == 1
    mig.simple(3, "three")
    code, out, err = run("-u", engine.url, "-d", str(mig.dir), "up", env={"STRATA_BACKUP_DIR": str(workdir / "envbk")})
    assert code == 0, err
    assert len(backups(engine, workdir / "envbk")) == 1
    assert backups(engine) == []


def test_keep_backups(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    for v in range(2, 6):
        mig.simple(v, "m%d" % v)
        code, out, err = strata("up", "--keep-backups", "2")
        assert code == 0, err
    files = backups(engine)
    assert len(files) == 2, files
    assert sorted(int(BACKUP_RE.match(f).group(2)) for f in files) == [3, 4]


def test_refusals_write_no_backup(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("001_one.sql", up="CREATE TABLE t_one (changed);", down="DROP TABLE t_one;")
    mig.simple(2, "two")
    code, out, err = strata("up")
    assert code == 1
    assert backups(engine) == []
