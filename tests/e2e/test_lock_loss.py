"""Locks are never lost silently (SPEC section 5; docs/design.md, "Keeping the server lock").

On PostgreSQL and MySQL/MariaDB the run lock lives on a session of its own that is idle while
the migrations run.  A server idle timeout must not end it, and a runner whose lock session
ended anyway (killed from outside, a proxy) must stop before it commits anything more.

SQLite's lock is an flock on an open file, which nothing outside the process can take away:
these tests run on the server engines only.
"""

import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import STRATA_BIN, clean_env

PG_IDLE = {"PGOPTIONS": "-c idle_session_timeout=1000"}  # 1 s, for the runners' sessions


@pytest.fixture
def server(engine):
    if engine.name == "sqlite":
        pytest.skip("SQLite's lock is an flock: nothing outside the process can end it")
    return engine


@pytest.fixture
def short_wait_timeout(server):
    """MariaDB: wait_timeout=2 for every new session, restored afterwards."""
    if server.name != "mysql":
        yield
        return
    from mysql_engine import run_sql
    old = run_sql("SELECT @@GLOBAL.wait_timeout").strip().splitlines()[-1].strip()
    run_sql("SET GLOBAL wait_timeout = 2")
    try:
        yield
    finally:
        run_sql("SET GLOBAL wait_timeout = %d" % int(old))


def popen(engine, mig, *args, env=None):
    return subprocess.Popen([STRATA_BIN, "-u", engine.url, "-d", str(mig.dir)] + [str(a) for a in args],
                            cwd=str(mig.dir.parent), env=clean_env(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(p, timeout=60):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def sleep_sql(engine, seconds):
    if engine.name == "postgres":
        return "SELECT pg_sleep(%d);" % seconds
    return "SELECT SLEEP(%d);" % seconds


def write_counter(mig, engine):
    mig.write("001_counter.sql", up="CREATE TABLE counter (n INTEGER);", down="DROP TABLE counter;")


def wait_running(engine, version, p, timeout=20):
    """Until the runner p has recorded its attempt at version (it holds the lock then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert p.poll() is None, "the runner ended early: %r" % (finish(p),)
        if engine.has_table("strata_history") and engine.query(
                "SELECT 1 FROM strata_history WHERE status = 'running' AND version = %s", version):
            return
        time.sleep(0.05)
    raise AssertionError("the runner never started version %d" % version)


def lock_session(engine, p):
    """The server session on which runner p holds the run lock (pid / connection id)."""
    if engine.name == "postgres":
        return engine.scalar("SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s",
                             "strata lock: pid %d on %%" % p.pid)
    return engine.scalar("SELECT IS_USED_LOCK(%s)", "strata:%s:strata" % engine.database)


def kill_session(engine, sid):
    if engine.name == "postgres":
        assert engine.scalar("SELECT pg_terminate_backend(%s)", sid) is True
    else:
        engine.execute("KILL %d" % sid)


def up_rows(engine, version):
    return [r for r in engine.history() if r["version"] == version and r["direction"] == "up"]


# --------------------------------------------------------------------------- idle timeouts

@pytest.mark.parametrize("both", [True, False], ids=["both-runners", "first-runner"])
def test_idle_timeout_does_not_hand_the_lock_to_a_second_runner(strata, mig, server, short_wait_timeout,
                                                                both):
    """idle_session_timeout=1s (PostgreSQL) / wait_timeout=2 (MariaDB) and a 3-second migration:
    the lock session of the first runner is idle for 3 s, the second runner waits; the migration
    is applied exactly once and both runners succeed."""
    engine = server
    if engine.name == "mysql" and not both:
        pytest.skip("wait_timeout is a global setting here: it applies to both runners")
    write_counter(mig, engine)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_slow.sql", up="%s\nINSERT INTO counter (n) VALUES (1);" % sleep_sql(engine, 3),
              down="DELETE FROM counter;")
    env = PG_IDLE if engine.name == "postgres" else None
    first = popen(engine, mig, "up", "--lock-timeout", "60", env=env)
    try:
        wait_running(engine, 2, first)
        second = popen(engine, mig, "up", "--lock-timeout", "60", env=env if both else None)
        r2 = finish(second)
        r1 = finish(first)
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert engine.scalar("SELECT COUNT(*) FROM counter") == 1, (r1, r2)
    assert r1[0] == 0, r1
    assert r2[0] == 0, r2
    assert engine.applied() == [1, 2]
    assert [r["status"] for r in up_rows(engine, 2)] == ["success"]


def test_idle_timeout_with_ddl_applies_once(strata, mig, server, short_wait_timeout):
    """The same with DDL in the migration (CREATE TABLE + INSERT)."""
    engine = server
    write_counter(mig, engine)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_made.sql", up="%s\nCREATE TABLE made (id INTEGER);\nINSERT INTO counter (n) VALUES (1);"
              % sleep_sql(engine, 3), down="DROP TABLE made;")
    env = PG_IDLE if engine.name == "postgres" else None
    first = popen(engine, mig, "up", "--lock-timeout", "60", env=env)
    try:
        wait_running(engine, 2, first)
        r2 = finish(popen(engine, mig, "up", "--lock-timeout", "60", env=env))
        r1 = finish(first)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert r1[0] == 0 and r2[0] == 0, (r1, r2)
    assert engine.scalar("SELECT COUNT(*) FROM counter") == 1
    assert engine.has_table("made")
    assert [r["status"] for r in up_rows(engine, 2)] == ["success"]
    # the second runner found the work done
    assert "up to date" in r2[1] + r2[2] or "nothing to do" in (r2[1] + r2[2]).lower(), r2


# --------------------------------------------------------------------------- a killed lock session

def kill_lock_during(strata, mig, engine, up_sql, directives=()):
    write_counter(mig, engine)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_slow.sql", up=up_sql, down="DELETE FROM counter;", directives=directives)
    p = popen(engine, mig, "up")
    try:
        wait_running(engine, 2, p)
        sid = lock_session(engine, p)
        assert sid, "no lock session found for pid %d" % p.pid
        kill_session(engine, sid)
        return finish(p)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def assert_lost_message(err, engine, doing="committing"):
    line = [ln for ln in err.splitlines() if ln.startswith("strata: error:")]
    assert len(line) == 1, err
    line = line[0]
    assert "002_slow.sql" in line, line
    assert "lost the lock on '" in line, line
    assert "its session ended: " in line, line
    assert "stopped before %s 2_slow" % doing in line, line
    assert engine.password not in err
    return line


def test_killed_lock_session_stops_before_commit(strata, mig, server):
    engine = server
    if engine.name == "postgres":
        body = "SELECT pg_sleep(3);\nCREATE TABLE made (id INTEGER);\nINSERT INTO counter (n) VALUES (1);"
    else:  # data only: MySQL DDL would commit on its own
        body = "SELECT SLEEP(3);\nINSERT INTO counter (n) VALUES (1);"
    code, out, err = kill_lock_during(strata, mig, engine, body)
    assert code == 1, (out, err)
    line = assert_lost_message(err, engine)
    assert "nothing of it was committed" in line, line
    assert engine.applied() == [1]
    assert engine.scalar("SELECT COUNT(*) FROM counter") == 0
    assert not engine.has_table("made")
    rows = up_rows(engine, 2)
    assert len(rows) == 1 and rows[0]["status"] != "success", rows
    assert "lost the lock" in rows[0]["error"], rows
    if engine.name == "postgres":
        assert rows[0]["status"] == "failed"
        # nothing is left to repair: the next run applies it
        code, out, err = strata("up")
        assert code == 0, err
        assert engine.applied() == [1, 2]
        assert engine.scalar("SELECT COUNT(*) FROM counter") == 1


def test_killed_lock_session_no_transaction_is_not_recorded(strata, mig, server):
    """A no-transaction migration's statements commit on their own; its record is not written."""
    engine = server
    body = "%s\nINSERT INTO counter (n) VALUES (1);" % sleep_sql(engine, 3)
    code, out, err = kill_lock_during(strata, mig, engine, body, directives=("-- strata:no-transaction",))
    assert code == 1, (out, err)
    line = assert_lost_message(err, engine, "recording")
    assert "stopped before recording 2_slow; its statements ran (no transaction) but it is not recorded as applied" in line, line
    assert engine.applied() == [1]
    rows = up_rows(engine, 2)
    assert len(rows) == 1 and rows[0]["status"] == "dirty", rows


def take_lock_elsewhere(engine):
    """MariaDB: another client takes the run lock and keeps it for a while."""
    from mysql_engine import CLIENT, client_env, server_args
    sql = ("SELECT GET_LOCK('strata:%s:strata', 10);\nSELECT SLEEP(8);\n" % engine.database).encode()
    p = subprocess.Popen([CLIENT] + server_args() + ["--batch"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=client_env())
    p.stdin.write(sql)
    p.stdin.close()
    return p


def test_lost_lock_taken_by_another_runner(strata, mig, server):
    """The lock session dies and someone else takes the lock at once (PostgreSQL: a second
    runner, which runs the same migration; MariaDB: another client, since a second runner
    there refuses the attempt it cannot tell from a dead one as dirty): the first runner stops
    before its commit and names the new holder; one application."""
    engine = server
    write_counter(mig, engine)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_slow.sql", up="%s\nINSERT INTO counter (n) VALUES (1);" % sleep_sql(engine, 3),
              down="DELETE FROM counter;")
    first = popen(engine, mig, "up")
    second = None
    try:
        wait_running(engine, 2, first)
        if engine.name == "postgres":
            second = popen(engine, mig, "up", "--lock-timeout", "60")
            time.sleep(0.3)  # waiting for the lock
        kill_session(engine, lock_session(engine, first))
        if engine.name == "mysql":
            second = take_lock_elsewhere(engine)
        r1 = finish(first)
        if engine.name == "postgres":
            r2 = finish(second)
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    assert r1[0] == 1, r1
    line = assert_lost_message(r1[2], engine)
    holder = ("pid %d on " % second.pid) if engine.name == "postgres" else "MySQL connection "
    assert "another runner holds it now: " + holder in line, line
    if engine.name == "postgres":
        assert r2[0] == 0, r2
        assert engine.applied() == [1, 2]
        assert engine.scalar("SELECT COUNT(*) FROM counter") == 1
        assert [r["status"] for r in up_rows(engine, 2)].count("success") == 1
    else:
        assert engine.applied() == [1]
        assert engine.scalar("SELECT COUNT(*) FROM counter") == 0


def test_lock_lost_during_backup_runs_no_statement(strata, mig, server, tmp_path):
    """PostgreSQL: the lock session ends while pg_dump writes the backup (kept waiting here by a
    table lock); the no-transaction migration after it runs none of its statements."""
    engine = server
    if engine.name != "postgres":
        pytest.skip("a dump kept waiting on purpose: PostgreSQL's table locks")
    write_counter(mig, engine)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("002_slow.sql", up="INSERT INTO counter (n) VALUES (1);", down="DELETE FROM counter;",
              directives=("-- strata:no-transaction",))
    from pg_engine import PG_URL
    blocker = subprocess.Popen(
        ["psql", "-X", "-q", "-d", PG_URL, "-c",
         "BEGIN; LOCK TABLE %s.counter IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;"
         % engine.schema], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = None
    try:
        deadline = time.monotonic() + 10
        while not engine.query("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                               " WHERE c.relname = 'counter' AND l.mode = 'AccessExclusiveLock'"
                               " AND l.granted"):
            assert time.monotonic() < deadline, "the table lock was never taken"
            time.sleep(0.05)
        p = popen(engine, mig, "up", "--backup", "--backup-dir", str(tmp_path / "bk"))
        deadline = time.monotonic() + 10
        while not engine.query("SELECT 1 FROM pg_stat_activity WHERE application_name ="
                               " 'strata pg_dump' AND wait_event_type = 'Lock'"):
            assert time.monotonic() < deadline, "pg_dump never waited: %r" % (p.poll(),)
            time.sleep(0.05)
        kill_session(engine, lock_session(engine, p))
        code, out, err = finish(p)
    finally:
        for q in (p, blocker):
            if q is not None and q.poll() is None:
                q.kill()
                q.wait()
    assert code == 1, (out, err)
    line = assert_lost_message(err, engine, "running")
    assert "nothing of it ran" in line, line
    assert engine.applied() == [1]
    assert engine.scalar("SELECT COUNT(*) FROM counter") == 0
    rows = up_rows(engine, 2)
    assert [r["status"] for r in rows] == ["failed"], rows


def keepalive_seconds(timer):
    """'58sec' / '1min' / '119min' of ss's timer:(keepalive,...) in seconds."""
    m = re.match(r"(\d+)(ms|sec|min)", timer)
    assert m, timer
    return int(m.group(1)) * {"ms": 0.001, "sec": 1, "min": 60}[m.group(2)]


@pytest.mark.skipif(not shutil.which("ss"), reason="needs ss (iproute2)")
def test_idle_sessions_keep_tcp_alive(strata, mig, server):
    """Both sessions of a runner (the lock's is idle for the whole run) send TCP keepalives
    after a minute, not the system's two hours, so NAT and firewalls keep them."""
    engine = server
    mig.write("001_slow.sql", up=sleep_sql(engine, 3), down="SELECT 1;")
    p = popen(engine, mig, "up")
    try:
        wait_running(engine, 1, p)
        out = subprocess.run(["ss", "-tnpo", "state", "established"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
        mine = [ln for ln in out.splitlines() if "pid=%d," % p.pid in ln]
        code, o, err = finish(p)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert code == 0, err
    assert len(mine) == 2, out  # the main session and the lock's
    for ln in mine:
        m = re.search(r"timer:\(keepalive,([^,]+),", ln)
        assert m, ln
        assert keepalive_seconds(m.group(1)) <= 60, ln
