"""The file system cannot be turned against the user (SPEC sections 5 and 8), and restore is
one step: the SQLite lock file is never followed through a symlink and has the database's
mode; a backups folder that is a symlink or writable by others is refused; a server
database name cannot put a dump outside the backups folder; interrupted backups and
restores leave nothing behind; a restore killed at any moment leaves the old database or
the restored one with its history row."""

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from conftest import STRATA_BIN, clean_env
from safety_helpers import bak_files, dump, integrity, listdir, mode_of, sha256_file, without_history

ERR = "strata: error:"


def ok(res):
    code, out, err = res
    assert code == 0, "exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (code, out, err)
    assert ERR not in err, err
    return res


def seed(mig):
    mig.write("001_items.sql", up="CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n"
              "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)\n"
              "INSERT INTO items SELECT i, printf('item %d %s', i, hex(randomblob(40))) FROM c;",
              down="DROP TABLE items;")
    mig.write("002_tags.sql", up="CREATE TABLE tags (id INTEGER PRIMARY KEY, tag TEXT);\n"
              "INSERT INTO tags SELECT id, 'tag ' || id FROM items;",
              down="DROP TABLE tags;")
    mig.write("003_more.sql", up="UPDATE items SET name = name || ' (3)';",
              down="UPDATE items SET name = substr(name, 1, length(name) - 4);")


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def header_journal_bytes(path):
    with open(str(path), "rb") as f:
        head = f.read(20)
    return head[18], head[19]


# =========================================================================== the lock file

@pytest.mark.sqlite_only
def test_planted_symlink_lock_file_is_refused(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    victim = workdir / "victim.txt"
    victim.write_bytes(b"precious data the migrating user can write\n")
    before = victim.read_bytes()
    lock = Path(os.path.realpath(str(engine.path)) + ".strata.lock")
    if lock.exists():
        lock.unlink()
    os.symlink(str(victim), str(lock))
    db_before = sha256_file(engine.path)
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert ERR in err and "symbolic link" in err and "strata.lock" in err, err
    assert victim.read_bytes() == before
    assert os.path.islink(str(lock))
    assert sha256_file(engine.path) == db_before
    assert engine.applied() == [1]


@pytest.mark.sqlite_only
def test_planted_hard_link_lock_file_is_refused(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    victim = workdir / "victim.txt"
    victim.write_bytes(b"precious data\n")
    lock = Path(os.path.realpath(str(engine.path)) + ".strata.lock")
    if lock.exists():
        lock.unlink()
    os.link(str(victim), str(lock))
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert ERR in err and "strata.lock" in err, err
    assert victim.read_bytes() == b"precious data\n"
    assert engine.applied() == [1]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o660])
def test_lock_file_gets_the_database_files_mode(strata, mig, engine, workdir, mode):
    seed(mig)
    ok(strata("up", "1", "--no-backup"))
    lock = Path(os.path.realpath(str(engine.path)) + ".strata.lock")
    lock.unlink()
    os.chmod(str(engine.path), mode)
    ok(strata("up", "2", "--no-backup"))
    assert mode_of(lock) == mode
    assert mode_of(engine.path) == mode


@pytest.mark.sqlite_only
def test_an_older_wider_lock_file_is_narrowed_to_the_databases_mode(strata, mig, engine):
    seed(mig)
    ok(strata("up", "1", "--no-backup"))
    lock = Path(os.path.realpath(str(engine.path)) + ".strata.lock")
    os.chmod(str(lock), 0o644)
    os.chmod(str(engine.path), 0o600)
    ok(strata("up", "2", "--no-backup"))
    assert mode_of(lock) == 0o600


# =========================================================================== the backups folder

@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", [("up",), ("backup",), ("restore",)])
def test_backups_folder_that_is_a_symlink_is_refused(strata, mig, engine, workdir, command):
    seed(mig)
    ok(strata("up", "1", "--no-backup"))
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    os.symlink(str(elsewhere), str(engine.backup_dir))
    db_before = sha256_file(engine.path)
    code, out, err = strata(*command)
    assert code == 1, (out, err)
    assert ERR in err and "symbolic link" in err and "backups" in err, err
    assert listdir(elsewhere) == []
    assert sha256_file(engine.path) == db_before
    assert engine.applied() == [1]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_backups_folder_writable_by_others_is_refused(strata, mig, engine, workdir, mode):
    seed(mig)
    ok(strata("up", "1", "--no-backup"))
    engine.backup_dir.mkdir()
    os.chmod(str(engine.backup_dir), mode)
    db_before = sha256_file(engine.path)
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert ERR in err and "writable" in err and "backups" in err, err
    assert listdir(engine.backup_dir) == []
    assert sha256_file(engine.path) == db_before
    assert engine.applied() == [1]
    # restore's list reads backups only from a folder only the user can write
    code, out, err = strata("restore")
    assert code == 1 and "writable" in err, (out, err)


# =========================================================================== leftovers

@pytest.mark.sqlite_only
def test_stale_temporary_backup_files_are_removed_by_the_next_run(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    engine.backup_dir.mkdir(mode=0o700, exist_ok=True)
    d = engine.backup_dir
    dead = dead_pid()
    stale = ["db.sqlite3.20260101T000000Z.v1.bak.tmp-%d" % dead,
             "db.sqlite3.20260101T000000Z.v1.bak.tmp-%d-journal" % dead,
             "db.sqlite3.20260101T000001Z-2.v1.bak.tmp-%d-wal" % dead,
             "db.sqlite3.20260101T000001Z-2.v1.bak.tmp-%d-shm" % dead]
    # a live writer's temporary file, another database's, and other files stay
    live = "db.sqlite3.20260101T000002Z.v1.bak.tmp-%d" % os.getpid()
    keep = [live, "other.db.20260101T000000Z.v1.bak.tmp-%d" % dead, "README",
            "db.sqlite3.tmp-%d" % dead]
    for name in stale + keep:
        (d / name).write_bytes(b"half a backup")
    ok(strata("up", "2"))
    names = listdir(d)
    for name in stale:
        assert name not in names, names
    for name in keep:
        assert name in names, names
    assert len(bak_files(d)) == 1
    # a no-op run (no backup written) cleans up as well
    for name in stale:
        (d / name).write_bytes(b"half a backup")
    ok(strata("up", "2"))
    names = listdir(d)
    assert not any(name in names for name in stale), names


@pytest.mark.sqlite_only
def test_pruning_removes_the_side_files_of_pruned_backups(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    ok(strata("up", "2"))
    [first] = bak_files(engine.backup_dir)
    old = "db.sqlite3.20200101T000000Z.v1.bak"
    shutil.copyfile(str(engine.backup_dir / first), str(engine.backup_dir / old))
    for side in ("-wal", "-shm", "-journal"):
        (engine.backup_dir / (old + side)).write_bytes(b"x" * 64)
    # a backup's -shm and empty -wal (left by a reader) go too
    (engine.backup_dir / (first + "-shm")).write_bytes(b"x" * 64)
    (engine.backup_dir / (first + "-wal")).write_bytes(b"")
    ok(strata("up", "--keep-backups", "2"))
    names = listdir(engine.backup_dir)
    assert old not in names
    assert not any(n.endswith(("-wal", "-shm", "-journal")) for n in names), names
    assert len(bak_files(engine.backup_dir)) == 2


@pytest.mark.sqlite_only
def test_backup_of_a_wal_database_lists_without_creating_files(strata, mig, engine, workdir):
    seed(mig)
    ok(strata("up", "1"))
    engine.execute("PRAGMA journal_mode=WAL;")
    assert engine.scalar("PRAGMA journal_mode") == "wal"
    ok(strata("up", "2"))
    [bak] = bak_files(engine.backup_dir)
    # written in rollback-journal mode
    assert header_journal_bytes(engine.backup_dir / bak) == (1, 1)
    # a WAL-marked backup, as an older strata wrote them
    src = sqlite3.connect(str(engine.path))
    old = engine.backup_dir / "db.sqlite3.20200101T000000Z.v7.bak"
    dst = sqlite3.connect(str(old))
    src.backup(dst)
    dst.close()
    src.close()
    os.chmod(str(old), 0o600)
    assert header_journal_bytes(old) == (2, 2)
    before = listdir(engine.backup_dir)
    code, out, err = strata("restore")
    assert code == 0 and ERR not in err, (out, err)
    assert listdir(engine.backup_dir) == before
    code, out, err = strata("--json", "restore")
    assert code == 0, (out, err)
    assert listdir(engine.backup_dir) == before
    versions = {os.path.basename(b["path"]): b["version"] for b in json.loads(out)["backups"]}
    assert versions == {bak: 1, old.name: 2}, versions
    # restoring the old one creates nothing beside it either, and works
    ok(strata("restore", str(old)))
    assert not any(n.endswith(("-wal", "-shm", "-journal")) for n in listdir(engine.backup_dir))
    assert engine.applied() == [1, 2]


# =========================================================================== server dumps

def _pg_admin(sql):
    sock, port = os.environ.get("STRATA_PG_SOCKET"), os.environ.get("STRATA_PG_PORT")
    if not sock or not port:
        pytest.skip("needs the cluster of scripts/with-postgres.sh")
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sock, "-p", port,
                        "-U", "postgres", "-d", "postgres", "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr.decode()


@pytest.mark.parametrize("shape", ["../esc_%s", "a/../b_%s"])
def test_postgres_database_name_cannot_move_the_dump_out(run, workdir, mig, shape):
    pg_url = os.environ.get("STRATA_PG_URL")
    if not pg_url:
        pytest.skip("STRATA_PG_URL is not set (see scripts/with-postgres.sh)")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    name = shape % uuid.uuid4().hex[:8]
    quoted = '"%s"' % name.replace('"', '""')
    _pg_admin("CREATE DATABASE %s OWNER strata_test" % quoted)
    try:
        parts = urlsplit(pg_url)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + quote(name, safe=""), "", ""))
        mig.write("001_t.sql", up="CREATE TABLE t (id int);", down="DROP TABLE t;")
        ok(run("-u", url, "-d", str(mig.dir), "up"))
        root = workdir.parent
        before = sorted(str(p) for p in root.rglob("*") if "backups" not in p.parts)
        ok(run("-u", url, "-d", str(mig.dir), "backup"))
        dumps = listdir(workdir / "backups")
        assert len(dumps) == 1 and dumps[0].endswith(".v1.dump"), dumps
        assert "/" not in dumps[0] and not dumps[0].startswith("."), dumps
        assert mode_of(workdir / "backups" / dumps[0]) == 0o600
        after = sorted(str(p) for p in root.rglob("*") if "backups" not in p.parts)
        assert after == before
    finally:
        _pg_admin("DROP DATABASE IF EXISTS %s" % quoted)


# =========================================================================== restore is one step

def _strace_works():
    if not shutil.which("strace"):
        return False
    p = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def _state(path, keep_dump, a_dump):
    """'old' or 'restored' (with its row), after SQLite rolled a hot journal back."""
    con = sqlite3.connect(str(path), timeout=10)   # a write connection rolls a hot journal back
    con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    con.close()
    assert integrity(path) == ["ok"]
    now = dump(path)
    if now == a_dump:
        return "old"
    assert without_history(now) == without_history(keep_dump), "neither the old nor the restored db"
    hist = sorted(now["strata_history"])
    last = max(hist, key=lambda r: r[0])
    assert last[3] == "restore" and last[4] == "success" and last[1] == 1, last
    assert len(hist) == len(keep_dump["strata_history"]) + 1
    return "restored"


@pytest.mark.sqlite_only
def test_restore_killed_at_any_moment_is_old_or_restored_with_its_row(strata, run, mig, engine,
                                                                      workdir):
    if not _strace_works():
        pytest.skip("strace is not installed or cannot trace here")
    seed(mig)
    ok(strata("up", "1"))
    keep = workdir / "v1.db"
    ok(strata("backup", "--output", str(keep)))
    ok(strata("up"))
    a_copy = workdir / "a.db"
    shutil.copyfile(str(engine.path), str(a_copy))
    a_dump, keep_dump = dump(a_copy), dump(keep)
    seen = {"old": 0, "restored": 0}
    base = [STRATA_BIN, "-u", engine.url, "-d", str(mig.dir)]
    # LeakSanitizer cannot run under ptrace: an ASan build is traced without it
    traced_env = clean_env({"ASAN_OPTIONS": ":".join(
        x for x in [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"] if x)})
    for call in ("fdatasync", "fsync", "unlink", "rename"):
        for n in range(1, 60):
            for side in ("-journal", "-wal", "-shm"):
                p = Path(str(engine.path) + side)
                if p.exists():
                    p.unlink()
            shutil.copyfile(str(a_copy), str(engine.path))
            p = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + call,
                                "-e", "inject=%s:signal=SIGKILL:when=%d" % (call, n)]
                               + base + ["restore", str(keep)],
                               cwd=str(workdir), env=traced_env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            state = _state(engine.path, keep_dump, a_dump)
            if p.returncode == 0:
                assert state == "restored"
                break
            # strace ends with the tracee's signal: killed, not failed
            assert p.returncode in (-9, 128 + 9), (call, n, p.returncode, p.stderr.decode())
            seen[state] += 1
            # the next run cleans up what the killed one left
            ok(run(*(base[1:] + ["up", "--no-backup"])))
            # (the live database's own -journal is SQLite's: hot, it is rolled back)
            leftovers = [x for x in listdir(workdir) if "strata-restore" in x]
            assert leftovers == [], (call, n, leftovers)
            temps = [x for x in listdir(engine.backup_dir) if ".tmp-" in x or
                     x.endswith(("-journal", "-wal", "-shm"))]
            assert temps == [], (call, n, temps)
        else:
            pytest.fail("restore still killed after 60 %s calls" % call)
    # the kills did land before and after the commit point
    assert seen["old"] > 0 and seen["restored"] > 0, seen
