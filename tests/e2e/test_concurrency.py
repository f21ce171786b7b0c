"""Locks, concurrent runners and killed runners (SPEC sections 3, 5, 8; docs/design.md)."""

import fcntl
import os
import signal
import time

import pytest

from conftest import parse_json_out


class HeldLock:
    """Hold the run lock from this process, as another runner would."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def __enter__(self):
        self.fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self

    def release(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __exit__(self, *a):
        self.release()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("cmd", [["up"], ["down"], ["--json", "up"]])
def test_lock_timeout_exits_1_and_changes_nothing(strata, mig, engine, cmd):
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    snap = engine.snapshot()
    with HeldLock(engine.lock_path):
        code, out, err = strata(*(cmd + ["--lock-timeout", "1"]), timeout=30)
        assert code == 1, (out, err)
        assert "strata: error:" in err
        if "--json" in cmd:
            parse_json_out(out)
        assert engine.snapshot() == snap
    assert engine.applied() == [1]
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1, 2]


@pytest.mark.sqlite_only
def test_second_runner_waits_for_the_lock(strata, mig, engine):
    mig.simple(1, "one")
    mig.simple(2, "two")
    with HeldLock(engine.lock_path) as lock:
        p = strata.popen("up", "--lock-timeout", "30")
        try:
            time.sleep(0.5)
            assert p.poll() is None, "up ran while another process held the lock"
            assert engine.applied() == []
        finally:
            lock.release()
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert engine.applied() == [1, 2]


def test_eight_runners_apply_each_migration_once(strata, mig, engine):
    mig.write("001_hits.sql", up="CREATE TABLE hits (v INTEGER);", down="DROP TABLE hits;")
    for v in range(2, 7):
        mig.write("%03d_hit%d.sql" % (v, v), up="INSERT INTO hits (v) VALUES (%d);" % v,
                  down="DELETE FROM hits WHERE v = %d;" % v)
    procs = [strata.popen("up", "--lock-timeout", "60") for _ in range(8)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, err.decode(errors="replace")))
    assert [c for c, _ in results] == [0] * 8, results
    assert sorted(r[0] for r in engine.query("SELECT v FROM hits")) == [2, 3, 4, 5, 6]
    assert engine.applied() == [1, 2, 3, 4, 5, 6]
    h = engine.history()
    ups = [(r["version"], r["status"]) for r in h if r["direction"] == "up"]
    assert sorted(ups) == [(v, "success") for v in range(1, 7)], ups


@pytest.mark.sqlite_only
def test_busy_database_is_waited_for(strata, mig, engine):
    """SQLite connections wait (busy timeout = lock timeout) for another writer."""
    mig.simple(1, "one")
    code, out, err = strata("up")
    assert code == 0, err
    mig.simple(2, "two")
    import sqlite3
    con = sqlite3.connect(str(engine.path), isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("CREATE TABLE app_busy (a INTEGER)")
        p = strata.popen("up", "--lock-timeout", "30")
        time.sleep(0.5)
        con.execute("COMMIT")
    finally:
        con.close()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert engine.applied() == [1, 2]


SLOW = ("CREATE TABLE slow AS\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM knob))\n"
        "SELECT count(*) AS n FROM c;")


def start_and_kill_slow_run(strata, mig, engine):
    mig.write("001_knob.sql", up="CREATE TABLE knob (n INTEGER);\nINSERT INTO knob VALUES (2000000000);",
              down="DROP TABLE knob;")
    mig.write("002_slow.sql", up=SLOW, down="DROP TABLE slow;")
    p = strata.popen("up", "--no-backup")
    try:
        # wait until the attempt is recorded in the lock file (docs/design.md), or at most 5 s:
        # the migration runs for minutes, so it has started either way
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and p.poll() is None:
            try:
                text = engine.lock_path.read_text()
            except OSError:
                text = ""
            if "version=2" in text.replace(" ", ""):
                break
            time.sleep(0.02)
        time.sleep(0.3)
        assert p.poll() is None, "the slow migration finished or failed: %r" % (p.communicate(),)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()
    assert p.returncode == -signal.SIGKILL


def running_rows(rows):
    return [r for r in rows if r["status"] == "running"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("recover", ["up", "repair", "down"])
def test_killed_runner_shows_running_then_interrupted(strata, mig, engine, recover):
    start_and_kill_slow_run(strata, mig, engine)

    code, obj, err = strata.json("status")
    assert code == 0, err
    run = running_rows(obj["history"])
    assert len(run) == 1, obj["history"]
    assert run[0]["version"] == 2 and run[0]["id"] is None and run[0]["direction"] == "up"
    code, obj, err = strata.json("history")
    assert code == 0, err
    run = running_rows(obj["history"])
    assert len(run) == 1 and run[0]["version"] == 2 and run[0]["id"] is None
    assert engine.applied() == [1]
    assert not engine.has_table("slow")

    engine.execute("UPDATE knob SET n = 10;")  # make the retry fast
    code, out, err = strata(recover)
    assert code == 0, (out, err)
    h = engine.history()
    fails = [r for r in h if r["status"] == "failed"]
    assert [(r["version"], r["direction"], r["error"]) for r in fails] == [(2, "up", "interrupted")]
    assert not running_rows(h)
    code, obj, err = strata.json("status")
    assert not running_rows(obj["history"])
    if recover == "up":
        assert engine.applied() == [1, 2]
        assert engine.query("SELECT n FROM slow") == [(10,)]
        assert [(r["version"], r["status"]) for r in h if r["direction"] == "up"] == [
            (1, "success"), (2, "failed"), (2, "success")]
    elif recover == "repair":
        assert engine.applied() == [1]
        assert [p["version"] for p in obj["pending"]] == [2]
    else:
        assert engine.applied() == []
        assert not engine.has_table("knob")
        engine.execute("CREATE TABLE knob (n INTEGER); INSERT INTO knob VALUES (10);")
        mig.write("001_knob.sql", up="CREATE TABLE IF NOT EXISTS knob (n INTEGER);", down="DROP TABLE knob;")
    # recorded once only
    code, out, err = strata("up")
    assert code == 0, err
    assert len([r for r in engine.history() if r["error"] == "interrupted"]) == 1
