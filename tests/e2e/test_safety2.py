"""The safety net, second pass (issue 14): a damaged SQLite file is never migrated, a failed
run that changed nothing keeps no backup of its own, pruning keeps each version's newest
backup first, restore asks --force for another database's backup, and restore works on
PostgreSQL and MariaDB from a --backup dump.

Each case asserts the exit code, then the message, then the state read directly."""

import os
import re
import shutil
import subprocess
import sqlite3
from urllib.parse import urlsplit

import pytest

from safety_helpers import bak_order_key, bak_files, damage_pages, dump, integrity, listdir, middle_pages

ERR = "strata: error:"

BIG_UP = """CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, pad TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
INSERT INTO items SELECT i, 'item ' || i, i * 3, printf('%0300d', i) FROM c;"""


def ok(res):
    code, out, err = res
    assert code == 0, "exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (code, out, err)
    assert ERR not in err, err
    return res


def history_sqlite(path):
    con = sqlite3.connect(str(path))
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM strata_history ORDER BY id")]
    finally:
        con.close()


# =========================================================================== SQLite: damage

def damaged_db(strata, mig, engine):
    """A multi-page database at version 1 with a page of its data table overwritten,
    and migration 2 pending."""
    mig.write("001_items.sql", up=BIG_UP, down="DROP TABLE items;")
    ok(strata("up"))
    pages = middle_pages(engine.path, 1)
    damage_pages(engine.path, pages)
    assert integrity(engine.path) != ["ok"]
    mig.write("002_tags.sql", up="CREATE TABLE tags (id INTEGER PRIMARY KEY, tag TEXT);",
              down="DROP TABLE tags;")


@pytest.mark.sqlite_only
def test_up_refuses_a_damaged_file_before_any_backup(strata, mig, engine):
    damaged_db(strata, mig, engine)
    before = engine.path.read_bytes()
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "refusing to migrate" in err and "quick_check" in err, err
    assert "strata check" in err and "strata recover --output NEW.db" in err, err
    assert "strata restore" in err and "--no-check" in err, err
    # the first problems are listed, a few lines
    assert 2 <= len(err.strip().splitlines()) <= 9, err
    assert listdir(engine.backup_dir) == []             # no backup of the damaged file
    assert engine.path.read_bytes() == before             # nothing changed

    # a global flag, before the command too; the migration runs (the damage is elsewhere)
    ok(strata("--no-check", "up"))
    con = sqlite3.connect("file:%s?mode=ro" % engine.path, uri=True)
    try:
        assert [r[0] for r in con.execute("SELECT version FROM strata_migrations")] == [1, 2]
    finally:
        con.close()


@pytest.mark.sqlite_only
def test_no_op_start_does_not_check(strata, mig, engine):
    damaged_db(strata, mig, engine)
    (mig.dir / "002_tags.sql").unlink()
    code, out, err = strata("up")
    assert code == 0, err                                # nothing to do: nothing read
    assert "quick_check" not in err


@pytest.mark.sqlite_only
def test_repair_names_recover_on_a_damaged_file(strata, mig, engine):
    damaged_db(strata, mig, engine)
    code, out, err = strata("repair")
    assert code == 1, (out, err)
    assert "nothing to repair" not in out
    assert "damaged" in err and "strata recover --output NEW.db" in err, err


@pytest.mark.sqlite_only
def test_up_checks_a_sound_file_and_runs(strata, mig, engine):
    mig.write("001_items.sql", up=BIG_UP, down="DROP TABLE items;")
    ok(strata("up"))
    mig.write("002_tags.sql", up="CREATE TABLE tags (id INTEGER PRIMARY KEY);", down="DROP TABLE tags;")
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [2]
    assert len(bak_files(engine.backup_dir)) == 1


@pytest.mark.sqlite_only
def test_the_check_after_a_run_reports_damage(strata, mig, engine):
    """A migration that damages the file (writes sqlite_schema itself): the run's
    migrations stay applied, the check at the end says so, exit 1."""
    mig.write("001_t.sql", up="CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n"
              "CREATE INDEX t_v ON t (v);\nINSERT INTO t (v) VALUES ('a'), ('b'), ('c');",
              down="DROP TABLE t;")
    ok(strata("up"))
    mig.write("002_break.sql", directives=("-- strata:no-transaction",),
              up="PRAGMA writable_schema = ON;\n"
                 "UPDATE sqlite_schema SET rootpage = 2 WHERE name = 't_v';\n"
                 "PRAGMA writable_schema = OFF;")
    code, obj, err = strata.json("up")
    assert code == 1, (obj, err)
    assert [a["version"] for a in obj["applied"]] == [2]
    assert "damaged after the run" in obj["error"], obj
    assert "strata recover --output NEW.db" in err
    assert engine.applied() == [1, 2]
    # and the next run that would change something refuses it
    mig.simple(3, "three")
    code, out, err = strata("up")
    assert code == 1 and "refusing to migrate" in err, (out, err)
    assert engine.applied() == [1, 2]


# =========================================================================== SQLite: keeping backups

@pytest.mark.sqlite_only
def test_failing_runs_keep_the_good_backups(strata, mig, engine):
    mig.write("001_items.sql", up=BIG_UP, down="DROP TABLE items;")
    ok(strata("up"))
    mig.simple(2, "two")
    ok(strata("up"))
    good = bak_files(engine.backup_dir)
    assert len(good) == 1
    mig.write("003_bad.sql", up="CREATE TABLE w (x INTEGER);\nSELECT nope FROM nothing_here;")
    for _ in range(10):
        code, out, err = strata("--keep-backups", "3", "up")
        assert code == 1, (out, err)
        assert "nothing_here" in err
    assert bak_files(engine.backup_dir) == good           # the pre-failure backup is kept
    assert listdir(engine.backup_dir) == good             # and no backup per failed run
    failed = [r for r in history_sqlite(engine.path) if r["status"] == "failed"]
    assert len(failed) == 10
    assert all(r["backup_path"] is None for r in failed), failed


@pytest.mark.sqlite_only
def test_pruning_removes_repeated_versions_first(strata, mig, engine):
    mig.simple(1, "one")
    ok(strata("up"))
    mig.simple(2, "two")
    ok(strata("up"))                                      # backup at version 1
    first = bak_files(engine.backup_dir)
    assert len(first) == 1
    ok(strata("--keep-backups", "2", "backup"))           # version 2
    ok(strata("--keep-backups", "2", "backup"))           # version 2 again: the older v2 goes
    files = sorted(bak_files(engine.backup_dir), key=bak_order_key)
    assert len(files) == 2, files
    assert files[0] == first[0]                           # version 1's only backup stays
    assert files[1].endswith(".v2.bak")


@pytest.mark.sqlite_only
def test_strata_no_backup_env(strata, mig, engine):
    mig.simple(1, "one")
    ok(strata("up"))
    mig.simple(2, "two")
    ok(strata("up", env={"STRATA_NO_BACKUP": "1"}))
    assert listdir(engine.backup_dir) == []
    mig.simple(3, "three")
    ok(strata("up", env={"STRATA_NO_BACKUP": "0"}))
    assert len(bak_files(engine.backup_dir)) == 1


@pytest.mark.sqlite_only
def test_status_counts_backups_and_versions(strata, mig, engine):
    mig.simple(1, "one")
    ok(strata("up"))
    mig.simple(2, "two")
    ok(strata("up"))
    ok(strata("backup"))
    code, out, err = strata("status")
    assert code == 0, err
    assert "backups: 2 (versions 001, 002)" in out, out
    code, obj, err = strata.json("status")
    assert obj["backup_count"] == 2
    assert obj["backup_versions"] == [1, 2]
    assert [b["version"] for b in obj["backups"]] == [1, 2]


# =========================================================================== SQLite: careful restore

@pytest.mark.sqlite_only
def test_restore_of_another_databases_backup_needs_force(strata, mig, engine):
    mig.simple(1, "one")
    ok(strata("up"))
    mig.simple(2, "two")
    ok(strata("up"))
    ours = bak_files(engine.backup_dir)[0]
    other = "other.db.20260101T000000Z.v1.bak"
    shutil.copy(str(engine.backup_dir / ours), str(engine.backup_dir / other))
    before = engine.path.read_bytes()

    code, out, err = strata("restore", engine.backup_dir / other)
    assert code == 1, (out, err)
    assert "other.db" in err and "--force" in err, err
    assert engine.path.read_bytes() == before
    assert bak_files(engine.backup_dir) == [ours]         # nothing backed up either

    # the listing shows ours, and the other database's apart
    code, out, err = strata("restore")
    assert code == 0, err
    mine, _, theirs = out.partition("other databases")
    assert ours in mine and other not in mine, out
    assert other in theirs, out
    code, obj, err = strata.json("restore")
    assert [os.path.basename(b["path"]) for b in obj["backups"]] == [ours]
    assert [os.path.basename(b["path"]) for b in obj["other_databases"]] == [other]

    # with --force: checked, the current state backed up, restored
    code, out, err = strata("restore", "--force", engine.backup_dir / other)
    assert code == 0, (out, err)
    assert len(bak_files(engine.backup_dir)) == 2
    con = sqlite3.connect("file:%s?mode=ro" % engine.path, uri=True)
    try:
        assert [r[0] for r in con.execute("SELECT version FROM strata_migrations")] == [1]
    finally:
        con.close()

    # --force does not let a damaged file through
    bad = engine.backup_dir / "third.db.20260101T000000Z.v1.bak"
    shutil.copy(str(engine.backup_dir / other), str(bad))
    with open(str(bad), "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 3000)
    code, out, err = strata("restore", "--force", bad)
    assert code == 1, (out, err)
    assert "refusing to restore" in err


# =========================================================================== servers

SERVER_UP = {
    "postgres": """CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER);
INSERT INTO items SELECT i, 'item ' || i, i * 3 FROM generate_series(1, 200) AS i;
CREATE INDEX items_qty ON items (qty);""",
    "mysql": """CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL, qty INTEGER);
INSERT INTO items VALUES (1, 'item 1', 3), (2, 'item 2', 6), (3, 'item 3', 9), (4, 'item 4', 12);
CREATE INDEX items_qty ON items (qty);""",
}
# A good migration that loses data and changes the table.
LOSSY_UP = """DELETE FROM items WHERE id > 2;
UPDATE items SET name = 'gone';
ALTER TABLE items ADD COLUMN extra INTEGER;"""


def server_dump(engine):
    """The engine's own dump of the test's schema/database: schema, then data, with the
    history table's data left out (restore adds its row)."""
    if engine.name == "postgres":
        pg = os.environ["STRATA_PG_URL"]
        base = ["pg_dump", "-d", pg, "-n", engine.schema, "--no-owner"]
        schema = subprocess.run(base + ["-s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                check=True).stdout.decode()
        data = subprocess.run(base + ["-a", "--exclude-table-data=%s.strata_history" % engine.schema],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout.decode()
        data = "\n".join(l for l in data.splitlines() if "strata_history_id_seq" not in l)
        # pg_dump's \restrict lines carry a random key per dump
        return "\n".join(l for l in (schema + data).splitlines()
                         if not l.startswith(("\\restrict", "\\unrestrict")))
    from mysql_engine import server_args, client_env
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    args = [tool] + server_args() + ["--skip-dump-date", "--skip-comments", "--routines", "--triggers"]
    schema = subprocess.run(args + ["-d", engine.database], env=client_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout.decode()
    schema = re.sub(r" AUTO_INCREMENT=\d+", "", schema)
    data = subprocess.run(args + ["-t", "--ignore-table=%s.strata_history" % engine.database,
                                  engine.database], env=client_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout.decode()
    return schema + data


def server_backups(engine):
    ext = ".dump" if engine.name == "postgres" else ".sql"
    return [n for n in listdir(engine.backup_dir) if n.endswith(ext)]


def needs_server(engine):
    if engine.name == "sqlite":
        pytest.skip("a server engine's restore")
    tool = "pg_restore" if engine.name == "postgres" else ("mariadb" if shutil.which("mariadb") else "mysql")
    if not shutil.which(tool):
        pytest.skip("%s is not installed" % tool)


def test_server_restore_brings_back_schema_and_data(strata, mig, engine):
    needs_server(engine)
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    before = server_dump(engine)
    mig.write("002_lossy.sql", up=LOSSY_UP)
    ok(strata("up", "--backup"))
    dumps = server_backups(engine)
    assert len(dumps) == 1, listdir(engine.backup_dir)
    assert server_dump(engine) != before
    assert engine.scalar("SELECT count(*) FROM items") == 2
    backup = engine.backup_dir / dumps[0]

    code, out, err = strata("restore", backup)
    assert code == 0, (out, err)
    assert "restored" in out
    assert "not in the dump" not in err, err             # everything was recreated
    assert server_dump(engine) == before
    assert engine.applied() == [1]
    last = engine.history()[-1]
    assert last["direction"] == "restore" and last["status"] == "success", last
    assert last["version"] == 1
    # the state before the restore was dumped first (not --no-backup)
    assert len(server_backups(engine)) == 2
    assert last["backup_path"] and os.path.basename(last["backup_path"]) in server_backups(engine)
    assert engine.password is None or engine.password not in out + err


def test_server_restore_refuses_a_truncated_dump(strata, mig, engine):
    needs_server(engine)
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    ok(strata("backup"))
    dumps = server_backups(engine)
    assert len(dumps) == 1
    mig.write("002_lossy.sql", up=LOSSY_UP)
    ok(strata("up"))
    state = server_dump(engine)
    rows = len(engine.history())
    src = engine.backup_dir / dumps[0]
    cut = engine.workdir / ("cut" + src.suffix)
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    code, out, err = strata("restore", cut)
    assert code == 1, (out, err)
    assert "refusing to restore" in err, err
    assert server_dump(engine) == state
    assert len(engine.history()) == rows
    assert len(server_backups(engine)) == 1                # no dump taken either


def test_server_restore_no_backup_env_and_force(strata, mig, engine):
    needs_server(engine)
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    ok(strata("backup"))
    ours = server_backups(engine)[0]
    mig.write("002_lossy.sql", up=LOSSY_UP)
    ok(strata("up"))
    # another database's dump, by its name
    other = re.sub(r"^[^.]+", "otherdb", ours)
    shutil.copy(str(engine.backup_dir / ours), str(engine.backup_dir / other))
    code, out, err = strata("restore", engine.backup_dir / other)
    assert code == 1 and "--force" in err, (out, err)
    assert engine.applied() == [1, 2]
    code, out, err = strata("restore", "--force", engine.backup_dir / other,
                            env={"STRATA_NO_BACKUP": "1"})
    assert code == 0, (out, err)
    assert engine.applied() == [1]
    assert sorted(server_backups(engine)) == sorted([ours, other])   # STRATA_NO_BACKUP: no dump


def test_server_restore_without_client_tools(strata, mig, engine, tmp_path):
    if engine.name == "sqlite":
        pytest.skip("a server engine's restore")
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    ext = ".dump" if engine.name == "postgres" else ".sql"
    f = tmp_path / ("x" + ext)
    f.write_text("-- Dump completed\n")
    empty = tmp_path / "nobin"
    empty.mkdir()
    code, out, err = strata("--no-backup", "restore", f, env={"PATH": str(empty)})
    assert code == 1, (out, err)
    pkg = "postgresql-client" if engine.name == "postgres" else "mariadb-client"
    assert "not installed" in err and pkg in err, err


def test_mysql_restore_after_a_dirty_failure(strata, mig, engine):
    """MySQL commits DDL as it runs: a failed migration leaves the database dirty; the
    dump taken by `up --backup` brings back the tables it holds and its tracking rows
    (no longer dirty).  A table the failed migration created is not in the dump and is
    left in place (documented)."""
    if engine.name != "mysql":
        pytest.skip("MySQL's dirty state")
    needs_server(engine)
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    before = server_dump(engine)
    mig.write("002_bad.sql", up="ALTER TABLE items ADD COLUMN extra INTEGER;\n"
              "DELETE FROM items WHERE id > 1;\nINSERT INTO no_such_table VALUES (1);")
    code, out, err = strata("up", "--backup")
    assert code == 1, (out, err)
    assert [r["status"] for r in engine.history()][-1] == "dirty"
    assert engine.columns("items")[-1] == "extra"
    dumps = server_backups(engine)
    assert len(dumps) == 1
    code, out, err = strata("restore", engine.backup_dir / dumps[0])
    assert code == 0, (out, err)
    assert server_dump(engine) == before
    assert engine.applied() == [1]
    assert "dirty" not in [r["status"] for r in engine.history()]
    assert engine.history()[-1]["direction"] == "restore"
    code, out, err = strata("status", "--exit-code")
    assert code == 3, (out, err)                           # 002 is pending again, not dirty


def test_server_restore_names_what_the_dump_does_not_hold(strata, mig, engine):
    """A table created after the backup is not in the dump.  MySQL: restore leaves it,
    and says so.  PostgreSQL: it is in a schema the dump recreates, whose DROP it
    blocks: the restore fails as a whole (one transaction) naming it, nothing changed;
    once it is dropped, the restore goes through."""
    needs_server(engine)
    mig.write("001_items.sql", up=SERVER_UP[engine.name], down="DROP TABLE items;")
    ok(strata("up"))
    mig.write("002_extra.sql", up="CREATE TABLE extra_after (id INTEGER PRIMARY KEY);",
              down="DROP TABLE extra_after;")
    ok(strata("up", "--backup"))
    dump = engine.backup_dir / server_backups(engine)[0]     # version 1
    if engine.name == "postgres":
        code, out, err = strata("--no-backup", "restore", dump)
        assert code == 1, (out, err)
        assert "nothing was changed" in err and "extra_after" in err, err
        assert engine.applied() == [1, 2]
        engine.execute("DROP TABLE extra_after")
        ok(strata("--no-backup", "restore", dump))
        assert engine.applied() == [1]
        return
    code, out, err = strata("restore", dump)
    assert code == 0, (out, err)
    assert "not in the dump" in err and "extra_after" in err, err
    assert "items" not in err.split("not in the dump")[1].split("(")[0], err
    assert engine.has_table("extra_after")
    assert engine.applied() == [1]
