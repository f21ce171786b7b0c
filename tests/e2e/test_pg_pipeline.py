"""PostgreSQL sends the session reset, the attempt's 'running' row and the migration's
BEGIN in one round trip (a libpq pipeline).  The row must still be committed before any
statement of the migration runs (SPEC section 3): a runner killed mid-migration leaves
its attempt on record.

    bash scripts/with-postgres.sh env STRATA_BIN=$PWD/build/strata \\
        python3 -m pytest -q tests/e2e/test_pg_pipeline.py
"""
import signal
import time

import pytest


def only_postgres(engine):
    if engine.name != "postgres":
        pytest.skip("concerns postgres only")


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def history_of(engine, version):
    return [h for h in engine.history() if h["version"] == version]


def test_killed_runner_leaves_its_committed_running_row(engine, mig, strata):
    """Two migrations run first in the same session (the third's attempt is sent with the
    reset), the third sleeps: killed then, its running row is visible from another session
    (committed), and the next run records it as interrupted before applying it."""
    only_postgres(engine)
    mig.write("001_t.sql", up="CREATE TABLE pp_t (id integer PRIMARY KEY);")
    mig.write("002_set.sql", up="SET statement_timeout = '50s';\nINSERT INTO pp_t VALUES (2);")
    mig.write("003_slow.sql", up="INSERT INTO pp_t VALUES (3);\nSELECT pg_sleep(30);")
    p = strata.popen("up")
    try:
        wait_for(lambda: engine.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%'"
            " AND state = 'active' AND pid <> pg_backend_pid()"),
            what="the sleeping body of 003")
        running = [h for h in history_of(engine, 3) if h["status"] == "running"]
        assert len(running) == 1, engine.history()
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
    assert engine.applied() == [1, 2]
    # The killed session's transaction goes once the server notices the client is gone.
    wait_for(lambda: engine.query("SELECT id FROM pp_t ORDER BY id") == [(2,)],
             what="the killed migration's rollback")
    mig.write("003_slow.sql", up="INSERT INTO pp_t VALUES (3);")
    r = strata("up")
    assert r.code == 0, r.err
    assert engine.applied() == [1, 2, 3]
    h = history_of(engine, 3)
    assert [x["status"] for x in h] == ["failed", "success"], h
    assert h[0]["error"] == "interrupted"
    # The reset before 003 undid 002's SET: its statement_timeout is not in 003's session.
    assert [x["status"] for x in history_of(engine, 2)] == ["success"]


def test_reset_still_applies_between_migrations(engine, mig, strata):
    """The pipelined reset (RESET ALL, strata's SETs) runs before each later migration."""
    only_postgres(engine)
    mig.write("001_a.sql", up="CREATE TABLE rs_t (v text);\nSET work_mem = '7MB';")
    mig.write("002_b.sql", up="INSERT INTO rs_t SELECT current_setting('work_mem');")
    mig.write("003_c.sql", up="SET client_min_messages = notice;\n"
              "INSERT INTO rs_t SELECT current_setting('client_min_messages');")
    mig.write("004_d.sql", up="INSERT INTO rs_t SELECT current_setting('client_min_messages');")
    r = strata("up")
    assert r.code == 0, r.err
    vals = [row[0] for row in engine.query("SELECT v FROM rs_t")]
    assert vals[0] != "7MB", vals
    assert vals[1:] == ["notice", "warning"], vals


def test_attempt_record_failure_runs_nothing_of_the_migration(engine, mig, strata):
    """The running row's INSERT fails inside the pipeline: the BEGIN queued after it must
    not leave a transaction open, the migration's body never runs, the run fails naming
    the migration."""
    only_postgres(engine)
    s = engine.schema
    mig.write("001_guard.sql", up=(
        "CREATE FUNCTION pp_guard() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF NEW.version = 2 AND NEW.status = 'running' THEN\n"
        "    RAISE EXCEPTION 'no attempts of 2';\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$;\n"
        'CREATE TRIGGER pp_guard BEFORE INSERT ON "%s".strata_history\n'
        "  FOR EACH ROW EXECUTE FUNCTION pp_guard();" % s))
    mig.write("002_body.sql", up="CREATE TABLE pp_never (id integer);")
    mig.write("003_more.sql", up="CREATE TABLE pp_later (id integer);")
    r = strata("up")
    assert r.code != 0
    assert "no attempts of 2" in r.err, r.err
    assert "002_body" in r.err, r.err
    assert engine.applied() == [1]
    assert not engine.has_table("pp_never")
    assert not engine.has_table("pp_later")
    # Nothing is left running, and removing the guard lets the next run go on.
    assert [h for h in engine.history() if h["status"] == "running"] == []
    engine.execute('DROP TRIGGER pp_guard ON "%s".strata_history' % s)
    r = strata("up")
    assert r.code == 0, r.err
    assert engine.applied() == [1, 2, 3]


def test_tracking_write_failing_at_commit_rolls_the_migration_back(engine, mig, strata):
    """The tracking writes go with the COMMIT (one pipeline): when one fails there, the
    migration is rolled back, its attempt is recorded as failed with the server's message,
    and the run stops naming the migration."""
    only_postgres(engine)
    s = engine.schema
    mig.write("001_guard.sql", up=(
        "CREATE FUNCTION pp_mguard() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF NEW.version = 2 THEN RAISE EXCEPTION 'version 2 refused'; END IF;\n"
        "  RETURN NEW;\n"
        "END $$;\n"
        'CREATE TRIGGER pp_mguard BEFORE INSERT ON "%s".strata_migrations\n'
        "  FOR EACH ROW EXECUTE FUNCTION pp_mguard();" % s))
    mig.write("002_body.sql", up="CREATE TABLE pp_rolled (id integer);\n"
              "INSERT INTO pp_rolled VALUES (1);")
    mig.write("003_more.sql", up="CREATE TABLE pp_after (id integer);")
    r = strata("up")
    assert r.code != 0
    assert "version 2 refused" in r.err, r.err
    assert "002_body" in r.err, r.err
    assert engine.applied() == [1]
    assert not engine.has_table("pp_rolled"), "the body was rolled back with its tracking rows"
    assert not engine.has_table("pp_after")
    h = history_of(engine, 2)
    assert [x["status"] for x in h] == ["failed"], h
    assert "version 2 refused" in (h[0]["error"] or "")
    engine.execute('DROP TRIGGER pp_mguard ON "%s".strata_migrations' % s)
    r = strata("up")
    assert r.code == 0, r.err
    assert engine.applied() == [1, 2, 3]
    assert [x["status"] for x in history_of(engine, 2)] == ["failed", "success"]
