"""The SQLite safety net (issue 3; SPEC sections 4, 5 "Backups", 8 "Backups" and "After
restore"): automatic backups before changing runs, `backup`, `restore`, `check` and `recover`.

Each case asserts the exit code first, then the stderr line, then the state read directly
(python's sqlite3 module, os.stat, file hashes).  SQLite only."""

import calendar
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safety_helpers import (
    BAK_RE, WAL_WRITER, bak_epoch, bak_files, bak_order_key, bak_version, connect_ro,
    damage_pages, dump, expected_big_rows, integrity, listdir, make_big_db, middle_pages,
    mode_of, probe_writable, resolve, same_file, sha256_file, table_rows, version_in,
    without_history,
)

pytestmark = pytest.mark.sqlite_only

ERR = "strata: error:"

ITEMS_UP = """CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, data BLOB);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50)
INSERT INTO items SELECT i, 'item ' || i, i * 3, CAST(printf('%08x', i * 2654435761) AS BLOB) FROM c;"""
TAGS_UP = """CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id), tag TEXT);
INSERT INTO tags SELECT id, id, 'tag-' || id FROM items WHERE id % 5 = 0;
UPDATE items SET qty = qty * 10;"""
AUDIT_UP = """CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
INSERT INTO audit VALUES (1, 'trimmed items');
DELETE FROM tags WHERE item_id > 40;
DELETE FROM items WHERE id > 40;"""


def seed(mig):
    """Three migrations that each change data, so every backup holds a distinct state."""
    mig.write("001_items.sql", up=ITEMS_UP, down="DROP TABLE items;", desc="items")
    mig.write("002_tags.sql", up=TAGS_UP, down="DROP TABLE tags;\nUPDATE items SET qty = qty / 10;", desc="tags")
    mig.write("003_audit.sql", up=AUDIT_UP, down="DROP TABLE audit;", desc="audit")


def ok(res):
    """A successful run: exit 0 and no error line on stderr."""
    code, out, err = res
    assert code == 0, "exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (code, out, err)
    assert ERR not in err, err
    return res


def ok_json(res):
    code, obj, err = res
    assert code == 0, "exit %d: %r\n%s" % (code, obj, err)
    assert ERR not in err, err
    return obj


def max_history_id(engine):
    h = engine.history()
    return h[-1]["id"] if h else 0


def new_history(engine, after):
    return [r for r in engine.history() if r["id"] > after]


def tree(root, skip=()):
    """Every path under root with its content hash (files) -- 'nothing changed' checks."""
    root = Path(root)
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if rel in skip:
            continue
        out[rel] = sha256_file(p) if p.is_file() else "<dir>"
    return out


# =========================================================================== automatic backups

def test_up_backs_up_the_state_before_the_run(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    assert listdir(engine.backup_dir) == []          # a new file: nothing to keep
    before = dump(engine.path)
    first_new = max_history_id(engine)
    t0 = int(time.time())
    # a non-UTC local zone must not leak into the name
    code, obj, err = strata.json("up", env={"TZ": "XST+5"})
    t1 = time.time()
    assert code == 0, (obj, err)
    assert ERR not in err, err
    assert [a["version"] for a in obj["applied"]] == [2, 3]

    files = bak_files(engine.backup_dir)
    assert len(files) == 1, listdir(engine.backup_dir)
    assert listdir(engine.backup_dir) == files        # no temporary file left behind
    m = BAK_RE.match(files[0])
    assert m.group("db") == "db.sqlite3" and int(m.group("v")) == 1, files[0]
    assert t0 - 1 <= bak_epoch(files[0]) <= t1 + 1, "timestamp %s is not the UTC time of the run" % files[0]
    bak = engine.backup_dir / files[0]
    assert mode_of(engine.backup_dir) == 0o700
    assert mode_of(bak) == 0o600

    assert obj["backup"], obj
    assert same_file(resolve(obj["backup"], workdir), bak), obj["backup"]
    rows = new_history(engine, first_new)
    assert [(r["version"], r["direction"], r["status"]) for r in rows] == [(2, "up", "success"), (3, "up", "success")]
    for r in rows:
        assert r["backup_path"] and same_file(resolve(r["backup_path"], workdir), bak), r

    # the backup is a SQLite database holding exactly the state before the run
    assert integrity(bak) == ["ok"]
    assert version_in(bak) == 1
    assert dump(bak) == before


def test_down_and_redo_back_up_with_the_version_before(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up"))
    before_down = dump(engine.path)
    code, obj, err = strata.json("down")
    assert code == 0, (obj, err)
    assert ERR not in err, err
    assert [r["version"] for r in obj["rolled_back"]] == [3]
    files = bak_files(engine.backup_dir)
    assert [bak_version(f) for f in files] == [3], files
    bak = engine.backup_dir / files[0]
    assert same_file(resolve(obj["backup"], workdir), bak)
    assert mode_of(bak) == 0o600
    assert dump(bak) == before_down
    assert same_file(resolve(engine.history()[-1]["backup_path"], workdir), bak)

    before_redo = dump(engine.path)
    first_new = max_history_id(engine)
    code, obj, err = strata.json("redo")
    assert code == 0, (obj, err)
    assert ERR not in err, err
    files2 = bak_files(engine.backup_dir)
    new = sorted(set(files2) - set(files))
    assert len(new) == 1 and bak_version(new[0]) == 2, files2
    bak2 = engine.backup_dir / new[0]
    assert obj.get("backup") and same_file(resolve(obj["backup"], workdir), bak2), obj
    assert dump(bak2) == before_redo
    rows = new_history(engine, first_new)
    assert [(r["version"], r["direction"]) for r in rows] == [(2, "down"), (2, "up")]
    for r in rows:
        assert r["backup_path"] and same_file(resolve(r["backup_path"], workdir), bak2), r


def test_no_backup_when_nothing_changes_or_dry_run(strata, mig, engine, workdir):
    seed(mig)
    code, obj, err = strata.json("up", "--dry-run")
    assert code == 0, err
    assert not engine.exists() and listdir(workdir / "backups") == []
    ok(strata("up"))                                  # creates the file: no backup
    assert listdir(engine.backup_dir) == []
    snap = engine.snapshot()
    for args in (("up",), ("up", "2"), ("up", "--dry-run"), ("down", "--dry-run"),
                 ("down", "3"), ("status",), ("check",), ("restore",)):
        code, out, err = strata(*args)
        assert code == 0, (args, out, err)
        assert ERR not in err, (args, err)
        assert engine.snapshot() == snap, "%r wrote something" % (args,)
    code, obj, err = strata.json("up")
    assert code == 0 and obj["backup"] is None, obj
    assert listdir(engine.backup_dir) == []


def test_no_backup_flag(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    code, obj, err = strata.json("up", "2", "--no-backup")
    assert code == 0, err
    assert ERR not in err, err
    assert obj["backup"] is None
    ok(strata("--no-backup", "up"))
    ok(strata("down", "--no-backup"))
    ok(strata("redo", "--no-backup"))
    assert engine.applied() == [1, 2]
    assert listdir(engine.backup_dir) == []
    assert all(r["backup_path"] is None for r in engine.history())


def test_backup_modes_do_not_depend_on_umask(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    old = os.umask(0)
    try:
        ok(strata("up", "2"))
        ok(strata("backup", "--output", str(workdir / "loose.db")))
    finally:
        os.umask(old)
    [bak] = bak_files(engine.backup_dir)
    assert mode_of(engine.backup_dir) == 0o700
    assert mode_of(engine.backup_dir / bak) == 0o600
    assert mode_of(workdir / "loose.db") == 0o600


def test_backup_dir_flag_env_and_dotenv(strata, run, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    flag_dir = workdir / "bk" / "by-flag"
    ok(strata("up", "2", "--backup-dir", str(flag_dir)))
    assert [bak_version(f) for f in bak_files(flag_dir)] == [1]
    assert mode_of(flag_dir) == 0o700
    assert mode_of(flag_dir / bak_files(flag_dir)[0]) == 0o600

    env_dir = workdir / "by-env"
    ok(strata("down", env={"STRATA_BACKUP_DIR": str(env_dir)}))
    assert [bak_version(f) for f in bak_files(env_dir)] == [2]
    assert mode_of(env_dir) == 0o700

    # the flag wins over the environment
    win_dir = workdir / "flag-wins"
    ok(strata("up", "2", "--backup-dir", str(win_dir), env={"STRATA_BACKUP_DIR": str(env_dir)}))
    assert [bak_version(f) for f in bak_files(win_dir)] == [1]
    assert len(bak_files(env_dir)) == 1

    # a .env file in the working directory
    dot_dir = workdir / "by-dotenv"
    (workdir / ".env").write_text("STRATA_BACKUP_DIR=%s\n" % dot_dir)
    ok(strata("up"))
    assert [bak_version(f) for f in bak_files(dot_dir)] == [2]
    assert bak_files(engine.backup_dir) == []
    h = engine.history()[-1]
    assert same_file(resolve(h["backup_path"], workdir), dot_dir / bak_files(dot_dir)[0])


def _wait_for_fresh_second(limit=0.4):
    """Sleep until the fractional part of the clock is below `limit`."""
    while time.time() % 1.0 >= limit:
        time.sleep(0.01)


def test_keep_backups_keeps_exactly_n_newest(strata, mig, engine):
    for v in range(1, 11):
        mig.simple(v, "m%d" % v)
    ok(strata("up", "1"))
    keep = 3
    names_seen = []
    # runs 2..6 as fast as possible (mostly within one second: -2, -3 suffixes),
    # then runs 7..10 after the clock moved on
    _wait_for_fresh_second()
    for v in range(2, 11):
        if v == 7:
            time.sleep(1.05)
        ok(strata("up", str(v), "--keep-backups", str(keep)))
        files = bak_files(engine.backup_dir)
        names_seen.extend(f for f in files if f not in names_seen)
        want = list(range(max(1, v - keep), v))          # backup before `up v` holds v-1
        assert sorted(bak_version(f) for f in files) == want, (v, files)
        assert len(files) == min(keep, v - 1)
        # the name order agrees with the creation order, and each file holds its version
        by_name_order = sorted(files, key=bak_order_key)
        assert [bak_version(f) for f in by_name_order] == want, by_name_order
        for f in files:
            assert version_in(engine.backup_dir / f) == bak_version(f), f
    print("backup names created: %s" % names_seen)


def test_keep_backups_default_is_ten(strata, mig, engine):
    for v in range(1, 14):
        mig.simple(v, "m%d" % v)
    ok(strata("up", "1"))
    for v in range(2, 14):
        ok(strata("up", str(v)))
    files = bak_files(engine.backup_dir)
    assert sorted(bak_version(f) for f in files) == list(range(3, 13)), files


def test_keep_backups_leaves_other_files_alone(strata, mig, engine):
    for v in range(1, 5):
        mig.simple(v, "m%d" % v)
    ok(strata("up", "1"))
    engine.backup_dir.mkdir(mode=0o700)
    others = ["other.sqlite3.20000101T000000Z.v1.bak", "notes.txt",
              "db.sqlite3.20000101T000000Z.v1.bak.tmp-1"]
    for name in others:
        (engine.backup_dir / name).write_bytes(b"not mine")
    for v in range(2, 5):
        ok(strata("up", str(v), "--keep-backups", "1"))
    assert [bak_version(f) for f in bak_files(engine.backup_dir)] == [3]
    for name in others:
        assert (engine.backup_dir / name).read_bytes() == b"not mine", name


# =========================================================================== WAL

def test_backup_includes_uncheckpointed_wal_content(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    con = sqlite3.connect(str(engine.path), isolation_level=None)
    try:
        assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("BEGIN")
        con.executemany("INSERT INTO items (name, qty) VALUES (?, ?)", [("wal %d" % i, i) for i in range(1000)])
        con.execute("COMMIT")
        wal = Path(str(engine.path) + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        live = dump(engine.path)
        assert len(live["items"]) == 1050

        out = workdir / "now.db"
        ok(strata("backup", "--output", str(out)))
        assert integrity(out) == ["ok"]
        assert dump(out) == live

        # the automatic backup before `up` sees the WAL content too
        ok(strata("up", "2"))
        files = bak_files(engine.backup_dir)
        assert len(files) == 1
        assert dump(engine.backup_dir / files[0]) == live
    finally:
        con.close()


def test_backup_while_another_process_writes_in_wal_mode(strata, mig, engine, workdir):
    mig.write("001_w.sql", up="CREATE TABLE w (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, pad BLOB);",
              down="DROP TABLE w;")
    ok(strata("up"))
    prefill = 20000
    con = sqlite3.connect(str(engine.path), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("BEGIN")
    con.executemany("INSERT INTO w (batch, pad) VALUES (0, randomblob(1000))", [()] * prefill)
    con.execute("COMMIT")
    con.close()
    # bigger than one backup step (4096 pages), so a copy spans several steps
    assert os.path.getsize(str(engine.path)) > 17 * 1024 * 1024

    stop = workdir / "writer.stop"
    progress = Path(str(stop) + ".progress")
    writer = subprocess.Popen([sys.executable, "-c", WAL_WRITER, str(engine.path), str(stop), "100"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    copies = []
    try:
        deadline = time.time() + 30
        while not Path(str(stop) + ".ready").exists():
            assert writer.poll() is None, writer.communicate()
            assert time.time() < deadline, "writer never committed"
            time.sleep(0.01)
        for i in range(3):
            out = workdir / ("copy%d.db" % i)
            ok(strata("backup", "--output", str(out)))
            copies.append(out)
        code, obj, err = strata.json("backup")
        assert code == 0, (obj, err)
        assert ERR not in err, err
        copies.append(resolve(obj["backup"], workdir))
        # let the writer commit a few more batches after the last backup, then stop it
        mark = int(progress.read_text() or 0)
        deadline = time.time() + 30
        while int(progress.read_text() or 0) < mark + 3:
            assert time.time() < deadline, "writer stalled"
            time.sleep(0.01)
    finally:
        stop.touch()
        wout, werr = writer.communicate(timeout=60)
    assert writer.returncode == 0, werr
    last = int(wout.decode().strip())

    seen = []
    for c in copies:
        assert integrity(c) == ["ok"], c
        con = connect_ro(c)
        try:
            groups = dict(con.execute("SELECT batch, count(*) FROM w GROUP BY batch").fetchall())
            total = con.execute("SELECT count(*) FROM w").fetchone()[0]
            ids = con.execute("SELECT min(id), max(id) FROM w").fetchone()
        finally:
            con.close()
        k = max(groups)
        # a state the writer committed: the prefill, then whole batches 1..k, nothing torn
        assert groups == dict([(0, prefill)] + [(b, 100) for b in range(1, k + 1)]), (c, sorted(groups.items())[-3:])
        assert total == prefill + 100 * k and total % 100 == 0
        assert ids == (1, total)
        assert 1 <= k < last
        seen.append(k)
    print("WAL backups hold writer batches %s of %d committed" % (seen, last))

    # the backup restores to that consistent state
    live_before = dump(engine.path)
    assert len(live_before["w"]) == prefill + 100 * last
    ok(strata("restore", str(copies[-1])))
    assert integrity(engine.path) == ["ok"]
    assert table_rows(engine.path, "w") == table_rows(copies[-1], "w")


# =========================================================================== backup command

def test_backup_command_into_the_backups_folder(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "2"))
    live = dump(engine.path)
    code, out, err = strata("backup")
    assert code == 0, (out, err)
    assert ERR not in err and "%" not in err, err     # no progress when not a terminal
    files = bak_files(engine.backup_dir)
    assert [bak_version(f) for f in files] == [2], files
    assert files[0] in out
    bak = engine.backup_dir / files[0]
    assert mode_of(engine.backup_dir) == 0o700 and mode_of(bak) == 0o600
    assert dump(bak) == live
    assert dump(engine.path) == live


def test_backup_output_file(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up"))
    live = dump(engine.path)
    out_file = workdir / "copies" / "snap.db"
    out_file.parent.mkdir()
    code, out, err = strata("backup", "--output", str(out_file))
    assert code == 0, (out, err)
    assert ERR not in err, err
    assert mode_of(out_file) == 0o600
    assert integrity(out_file) == ["ok"]
    assert dump(out_file) == live
    assert listdir(engine.backup_dir) == []           # --output writes nowhere else
    assert listdir(out_file.parent) == ["snap.db"]     # no temporary file left

    # the short form too
    ok(strata("backup", "-o", str(workdir / "short.db")))
    assert dump(workdir / "short.db") == live


@pytest.mark.parametrize("existing", [b"precious bytes", b""])
def test_backup_output_refuses_an_existing_file(strata, mig, engine, workdir, existing):
    seed(mig)
    ok(strata("up"))
    target = workdir / "taken.db"
    target.write_bytes(existing)
    os.chmod(str(target), 0o644)
    live = engine.snapshot()
    code, out, err = strata("backup", "--output", str(target))
    assert code == 1, (out, err)
    assert ERR in err and "taken.db" in err, err
    assert target.read_bytes() == existing
    assert mode_of(target) == 0o644
    assert engine.snapshot() == live
    assert listdir(workdir).count("taken.db") == 1 and not any(n.startswith("taken.db.") for n in listdir(workdir))


def test_backup_of_a_missing_database_creates_nothing(run, workdir):
    code, out, err = run("-u", "sqlite:%s" % (workdir / "nope.db"), "backup")
    assert code == 1, (out, err)
    assert ERR in err, err
    assert listdir(workdir) == []


# =========================================================================== backups cannot be written

def _unwritable(kind, workdir, engine):
    """Arrange for backups to be impossible; return (extra args, env)."""
    if kind == "chmod-0500":
        engine.backup_dir.mkdir(mode=0o700)
        (engine.backup_dir / "db.sqlite3.20000101T000000Z.v0.bak").write_bytes(b"old")
        os.chmod(str(engine.backup_dir), 0o500)
        if probe_writable(engine.backup_dir):
            os.chmod(str(engine.backup_dir), 0o700)
            pytest.skip("running as root: mode 0500 does not stop writes "
                        "(the 'is-a-file' variants cover this for root)")
        return [], None
    if kind == "backups-is-a-file":
        engine.backup_dir.write_bytes(b"a regular file where the backups folder should be")
        return [], None
    plain = workdir / "plain-file"
    plain.write_bytes(b"not a folder")
    if kind == "flag-below-a-file":
        return ["--backup-dir", str(plain / "backups")], None
    if kind == "env-below-a-file":
        return [], {"STRATA_BACKUP_DIR": str(plain / "backups")}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["chmod-0500", "backups-is-a-file", "flag-below-a-file", "env-below-a-file"])
def test_unwritable_backups_stop_up_before_any_migration(strata, mig, engine, workdir, kind):
    seed(mig)
    ok(strata("up", "1"))
    args, env = _unwritable(kind, workdir, engine)
    try:
        db_before = sha256_file(engine.path)
        history_before = engine.history()
        files_before = tree(workdir)
        code, out, err = strata("up", *args, env=env)
        assert code == 1, (out, err)
        assert ERR in err and "backup" in err.lower(), err
        assert "applying" not in out and "002_tags" not in out, out
        assert sha256_file(engine.path) == db_before
        assert engine.applied() == [1]
        assert engine.history() == history_before
        assert not engine.has_table("tags")
        assert tree(workdir) == files_before
    finally:
        if engine.backup_dir.is_dir():
            os.chmod(str(engine.backup_dir), 0o700)


@pytest.mark.parametrize("command", [("down",), ("redo",), ("restore", "good.db")])
def test_unwritable_backups_stop_down_redo_and_restore(strata, mig, engine, workdir, command):
    seed(mig)
    ok(strata("up", "--no-backup"))
    ok(strata("backup", "--output", str(workdir / "good.db")))
    engine.backup_dir.write_bytes(b"a regular file")
    db_before = sha256_file(engine.path)
    history_before = engine.history()
    files_before = tree(workdir)
    code, out, err = strata(*command)
    assert code == 1, (out, err)
    assert ERR in err and "backup" in err.lower(), err
    assert sha256_file(engine.path) == db_before
    assert engine.applied() == [1, 2, 3]
    assert engine.history() == history_before
    assert tree(workdir) == files_before


# =========================================================================== restore

def test_restore_lists_backups(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    t0 = time.time()
    ok(strata("up", "2"))
    ok(strata("up", "3"))
    t1 = time.time()
    made = bak_files(engine.backup_dir)
    assert [bak_version(f) for f in sorted(made, key=bak_order_key)] == [1, 2]
    # a file whose name claims another version: the version comes from inside the file
    liar = "db.sqlite3.20200101T000000Z.v99.bak"
    shutil.copyfile(str(engine.backup_dir / made[0]), str(engine.backup_dir / liar))
    truth = {f: version_in(engine.backup_dir / f) for f in made + [liar]}
    assert truth[liar] == truth[made[0]] != 99
    # an interrupted backup (temporary name) is never listed; neither are unrelated files
    (engine.backup_dir / "db.sqlite3.20261122T000000Z.v3.bak.tmp-99").write_bytes(b"half")
    (engine.backup_dir / "README").write_text("hello")

    code, out, err = strata("restore")
    assert code == 0, (out, err)
    assert ERR not in err, err
    lines = [l for l in out.splitlines() if ".bak" in l]
    assert len(lines) == 3, out
    for f, v in truth.items():
        line = [l for l in lines if f in l]
        assert len(line) == 1, (f, out)
        fields = line[0].split()
        size = os.path.getsize(str(engine.backup_dir / f))
        assert str(size) in fields, (f, line)
        other = [x for x in fields if x.isdigit() and x != str(size)]
        assert v in [int(x) for x in other], "listed version of %s is not %d: %r" % (f, v, line)
    assert "tmp-99" not in out and "README" not in out

    code, obj, err = strata.json("restore")
    assert code == 0, err
    assert ERR not in err, err
    listed = {os.path.basename(b["path"]): b for b in obj["backups"]}
    assert sorted(listed) == sorted(truth), listed
    for f, b in listed.items():
        p = resolve(b["path"], workdir)
        assert same_file(p, engine.backup_dir / f)
        assert b["size"] == os.path.getsize(str(p))
        assert b["version"] == truth[f], (f, b)
        assert isinstance(b["created_at"], str) and b["created_at"][:4].isdigit(), b
        if f != liar:
            ts = b["created_at"].rstrip("Z").split(".")[0]
            t = calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%S"))
            assert t0 - 2 <= t <= t1 + 2, (f, b["created_at"])


def test_restore_brings_back_data_and_version(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "2"))
    engine.execute("INSERT INTO items (id, name, qty) VALUES (1000, 'added by hand', 7);")
    at_v2 = dump(engine.path)
    keep = workdir / "at-v2.db"
    ok(strata("backup", "--output", str(keep)))
    keep_hash = sha256_file(keep)

    ok(strata("up"))
    engine.execute("UPDATE items SET name = 'changed'; DELETE FROM tags WHERE id = 5;")
    at_v3 = dump(engine.path)
    assert at_v3 != at_v2
    baks_before = bak_files(engine.backup_dir)

    code, out, err = strata("restore", str(keep))
    assert code == 0, (out, err)
    assert ERR not in err, err

    # the data and the version of the backup, every row of every table
    now = dump(engine.path)
    assert without_history(now) == without_history(at_v2)
    assert integrity(engine.path) == ["ok"]
    code, obj, err = strata.json("status")
    assert code == 0 and obj["current_version"] == 2, obj
    # the history of the backup, plus one `restore` row carrying the restored version
    old_h = table_rows(keep, "strata_history", "id")
    h = engine.history()
    assert [tuple(r.values()) for r in h[:-1]] == old_h
    r = h[-1]
    assert (r["direction"], r["status"], r["version"]) == ("restore", "success", 2), r
    # the database as it was before the restore was backed up first
    new = sorted(set(bak_files(engine.backup_dir)) - set(baks_before))
    assert len(new) == 1 and bak_version(new[0]) == 3, new
    pre = engine.backup_dir / new[0]
    assert mode_of(pre) == 0o600
    assert dump(pre) == at_v3
    assert r["backup_path"] and same_file(resolve(r["backup_path"], workdir), pre), r
    # the restored file was only read
    assert sha256_file(keep) == keep_hash


def test_restore_of_an_automatic_backup(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    at_v1 = dump(engine.path)
    ok(strata("up"))
    [bak] = bak_files(engine.backup_dir)
    code, obj, err = strata.json("restore", str(engine.backup_dir / bak))
    assert code == 0, (obj, err)
    assert ERR not in err, err
    assert without_history(dump(engine.path)) == without_history(at_v1)
    assert engine.applied() == [1]
    assert engine.history()[-1]["direction"] == "restore" and engine.history()[-1]["version"] == 1
    # and `up` from there applies 2 and 3 again
    ok(strata("up", "--no-backup"))
    assert engine.applied() == [1, 2, 3]


def test_restore_is_seen_by_an_open_wal_connection(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    keep = workdir / "v1.db"
    ok(strata("backup", "--output", str(keep)))
    ok(strata("up"))
    con = sqlite3.connect(str(engine.path), isolation_level=None, timeout=10)
    try:
        assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 40
        ok(strata("restore", str(keep)))
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 50
        assert con.execute("SELECT * FROM items ORDER BY id").fetchall() == table_rows(keep, "items")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT max(version) FROM strata_migrations").fetchone()[0] == 1
    finally:
        con.close()


def _bad_restore_source(kind, workdir, engine):
    p = workdir / ("bad-%s.db" % kind)
    if kind == "garbage":
        p.write_bytes(bytes((i * 131 + 7) % 256 for i in range(20000)))
    elif kind == "fake-header":
        p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "truncated":
        data = engine.path.read_bytes()
        assert len(data) > 8 * 4096
        p.write_bytes(data[:len(data) // 2])
    elif kind == "missing":
        pass
    elif kind == "directory":
        p.mkdir()
    return p


@pytest.mark.parametrize("kind", ["garbage", "fake-header", "empty", "truncated", "missing", "directory"])
def test_restore_refuses_a_bad_file_and_changes_nothing(strata, mig, engine, workdir, kind):
    seed(mig)
    ok(strata("up", "1"))
    # make the database big enough that half of it is a real truncation
    engine.execute("CREATE TABLE filler (x BLOB); "
                   "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 200) "
                   "INSERT INTO filler SELECT randomblob(500) FROM c;")
    ok(strata("up"))
    src = _bad_restore_source(kind, workdir, engine)
    db_before = sha256_file(engine.path)
    history_before = engine.history()
    files_before = tree(workdir)
    code, out, err = strata("restore", str(src))
    assert code == 1, (out, err)
    assert ERR in err and src.name in err, err
    assert sha256_file(engine.path) == db_before
    assert engine.history() == history_before
    assert tree(workdir) == files_before             # no backup written, nothing else either


def test_restore_waits_for_readers_no_longer_than_the_lock_timeout(strata, mig, engine, workdir):
    """A reader holding the live database (rollback journal) makes the restore wait; the wait
    is bounded by --lock-timeout (SPEC 8: busy timeout = lock timeout; a timed-out wait is exit 1)."""
    seed(mig)
    ok(strata("up", "1"))
    keep = workdir / "v1.db"
    ok(strata("backup", "--output", str(keep)))
    ok(strata("up", "--no-backup"))
    before = sha256_file(engine.path)
    con = sqlite3.connect(str(engine.path), isolation_level=None)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        con.execute("BEGIN")
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 40   # holds a read lock
        try:
            code, out, err = strata("--lock-timeout", "1", "restore", str(keep), timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("`restore` with --lock-timeout 1 was still waiting after 10 s (killed)")
        assert code == 1, (out, err)
        assert ERR in err, err
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 40
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert sha256_file(engine.path) == before
    assert engine.applied() == [1, 2, 3]


def test_restore_of_the_live_file_itself_does_not_hang(strata, mig, engine, workdir):
    """`restore <the live database>`: refused, or a harmless no-op -- never a hang or damage."""
    seed(mig)
    ok(strata("up", "--no-backup"))
    live = without_history(dump(engine.path))
    try:
        code, out, err = strata("--lock-timeout", "2", "restore", str(engine.path), timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("`restore` of the live database onto itself was still running after 10 s (killed)")
    assert code in (0, 1), (code, out, err)
    if code == 1:
        assert ERR in err, err
    assert integrity(engine.path) == ["ok"]
    assert without_history(dump(engine.path)) == live


# =========================================================================== check

def test_check_clean_database(strata, mig, engine):
    seed(mig)
    ok(strata("up"))
    before = sha256_file(engine.path)
    code, out, err = strata("check")
    assert code == 0, (out, err)
    assert ERR not in err, err
    code, obj, err = strata.json("check")
    assert code == 0, (obj, err)
    assert obj["ok"] is True and obj["problems"] == [], obj
    assert sha256_file(engine.path) == before


def test_check_finds_dangling_foreign_keys(strata, mig, engine):
    seed(mig)
    ok(strata("up"))
    engine.execute("PRAGMA foreign_keys=OFF; INSERT INTO tags VALUES (1001, 999, 'orphan'), (1002, 998, 'orphan2');")
    before = sha256_file(engine.path)
    code, out, err = strata("check")
    assert code == 1, (out, err)
    assert ERR in err, err
    text = out + err
    for needle in ("tags", "1001", "1002", "items"):
        assert needle in text, (needle, text)
    code, obj, err = strata.json("check")
    assert code == 1, (obj, err)
    assert ERR in err, err
    assert obj["ok"] is False
    fk = sorted((p["table"], p["rowid"], p["parent"]) for p in obj["problems"])
    assert fk == [("tags", 1001, "items"), ("tags", 1002, "items")], obj["problems"]
    assert sha256_file(engine.path) == before


def test_check_finds_a_corrupted_page(strata, engine):
    make_big_db(engine.path, 30000, 30000)
    assert os.path.getsize(str(engine.path)) > 2 * 1024 * 1024
    damage_pages(engine.path, middle_pages(engine.path, 1), seed=7)
    before = sha256_file(engine.path)
    code, out, err = strata("check")
    assert code == 1, (out, err)
    assert ERR in err, err
    assert "integrity" in (out + err).lower() or "malformed" in (out + err).lower(), out
    code, obj, err = strata.json("check")
    assert code == 1, (obj, err)
    assert obj["ok"] is False and obj["problems"], obj
    assert any("integrity" in str(p.get("kind", "")).lower() for p in obj["problems"]), obj["problems"]
    assert sha256_file(engine.path) == before


# =========================================================================== recover

N_ROWS = 50000                  # per table: 100k rows, about 4 MB


@pytest.fixture
def damaged(engine, workdir):
    make_big_db(engine.path, N_ROWS, N_ROWS)
    intact = workdir / "intact-copy.db"
    shutil.copyfile(str(engine.path), str(intact))
    size = os.path.getsize(str(engine.path))
    assert size > 3 * 1024 * 1024, size
    pages = middle_pages(engine.path, 4)
    damage_pages(engine.path, pages, seed=42)
    assert integrity(engine.path) != ["ok"]
    return {"intact": intact, "pages": pages, "size": size}


def _recovered_counts(new, intact):
    expected = expected_big_rows(intact)
    con = connect_ro(new)
    try:
        counts = {}
        for t, rows in expected.items():
            got = con.execute("SELECT * FROM %s" % t).fetchall()
            bad = [r for r in got if rows.get(r[0]) != r]
            assert not bad, "%s: %d recovered rows are not rows of the original, e.g. %r" % (t, len(bad), bad[:3])
            assert len({r[0] for r in got}) == len(got)
            counts[t] = (len(got), len(rows))
        return counts
    finally:
        con.close()


def test_recover_salvages_a_damaged_database(strata, engine, workdir, damaged):
    before = sha256_file(engine.path)
    beside_before = tree(workdir)
    new = workdir / "salvaged.db"
    code, out, err = strata("recover", "--output", str(new))
    assert code == 0, (out, err)
    assert ERR not in err, err
    assert integrity(new) == ["ok"]
    counts = _recovered_counts(new, damaged["intact"])
    got = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    print("recover: damaged pages %s of a %d-byte file; %s; total %d/%d rows (%.2f%%)" % (
        damaged["pages"], damaged["size"],
        ", ".join("%s %d/%d" % (t, g, n) for t, (g, n) in sorted(counts.items())),
        got, total, 100.0 * got / total))
    assert got / total > 0.9
    for t, (g, n) in counts.items():
        assert g / n > 0.9, (t, g, n)
    # the readable schema came along
    con = connect_ro(new)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        assert {"customers", "orders", "orders_customer"} <= names, names
        assert [r[1] for r in con.execute("PRAGMA table_info(orders)")] == ["id", "customer_id", "amount", "ref"]
    finally:
        con.close()
    # the damaged file was never written
    assert sha256_file(engine.path) == before
    after = tree(workdir, skip={"salvaged.db"})
    assert {k: v for k, v in after.items() if not k.endswith(".strata.lock")} == \
        {k: v for k, v in beside_before.items() if not k.endswith(".strata.lock")}


def test_recover_json_gives_per_table_counts(strata, engine, workdir, damaged):
    before = sha256_file(engine.path)
    new = workdir / "salvaged-json.db"
    code, obj, err = strata.json("recover", "--output", str(new))
    assert code == 0, (obj, err)
    assert ERR not in err, err
    counts = _recovered_counts(new, damaged["intact"])
    tables = {t["name"]: t for t in obj["tables"]}
    assert set(tables) == {"customers", "orders"}, obj
    for name, (g, n) in counts.items():
        assert tables[name]["rows_recovered"] == g, (name, tables[name], g)
        assert tables[name]["rows_lost"] >= 0
        if g < n:
            assert tables[name]["rows_lost"] > 0, (name, tables[name], g, n)
    print("recover --json tables: %s" % obj["tables"])
    assert sha256_file(engine.path) == before


def test_recover_refuses_an_existing_output(strata, engine, workdir, damaged):
    before = sha256_file(engine.path)
    target = workdir / "exists.db"
    target.write_bytes(b"keep me")
    code, out, err = strata("recover", "--output", str(target))
    assert code == 1, (out, err)
    assert ERR in err and "exists.db" in err, err
    assert target.read_bytes() == b"keep me"
    assert sha256_file(engine.path) == before


def test_recover_of_an_intact_database_gets_every_row(strata, engine, workdir):
    make_big_db(engine.path, 3000, 5000)
    before = sha256_file(engine.path)
    new = workdir / "copy.db"
    code, obj, err = strata.json("recover", "--output", str(new))
    assert code == 0, (obj, err)
    assert ERR not in err, err
    assert integrity(new) == ["ok"]
    assert dump(new) == dump(engine.path)
    assert all(t["rows_lost"] == 0 for t in obj["tables"]), obj
    assert sha256_file(engine.path) == before
