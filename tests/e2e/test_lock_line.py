"""The SQLite lock file's attempt line is rewritten with one pwrite per attempt:
spaces after the newline cover a longer earlier line (docs/design.md). A killed
run's attempt must still read back exactly, after a longer line."""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.sqlite_only

LONG = "a_rather_long_migration_name_that_makes_a_long_lock_line_" * 3
SLOW = ("CREATE TABLE slow AS\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000)\n"
        "SELECT count(*) AS n FROM c;")


def test_short_attempt_line_after_a_long_one(strata, mig, engine):
    mig.write("001_%s.sql" % LONG, up="CREATE TABLE first (a);", down="DROP TABLE first;")
    mig.write("002_s.sql", up=SLOW, down="DROP TABLE slow;")
    p = strata.popen("up", "--no-backup")
    try:
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline and p.poll() is None:
            try:
                text = engine.lock_path.read_text()
            except OSError:
                text = ""
            if "version=2" in text:
                break
            time.sleep(0.02)
        assert "version=2" in text, text
        line, _, rest = text.partition("\n")
        assert line.endswith("name=s"), line
        assert rest.strip(" ") == "", repr(rest)  # only the padding follows
        assert LONG not in text
        os.kill(p.pid, signal.SIGKILL)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()
    code, obj, err = strata.json("status")
    assert code == 0, err
    run = [r for r in obj["history"] if r["status"] == "running"]
    assert [(r["version"], r["name"]) for r in run] == [(2, "s")], obj["history"]
    # the next run records it as interrupted and leaves an idle, empty lock file
    code, out, err = strata("repair", "--yes")
    assert code == 0, (out, err)
    assert engine.lock_path.read_text() == ""
