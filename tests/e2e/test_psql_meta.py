"""psql meta-commands in PostgreSQL migrations, end to end.

pg_dump (17.6, 16.10 and later) writes `\\restrict KEY` first and `\\unrestrict KEY`
last: strata skips those two with a note; any other meta-command line (`\\connect`,
`\\copy`, ...) is refused with file:line before anything runs.

Needs STRATA_PG_URL (see scripts/with-postgres.sh) and STRATA_BIN.

    bash scripts/with-postgres.sh env STRATA_BIN=$PWD/build/strata \
        python3 -m pytest -q tests/e2e/test_psql_meta.py
"""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

PG_URL = os.environ.get("STRATA_PG_URL")
STRATA_BIN = os.environ.get("STRATA_BIN", str(Path(__file__).resolve().parents[2] / "build" / "strata"))

pytestmark = pytest.mark.skipif(not PG_URL, reason="STRATA_PG_URL is not set (run under scripts/with-postgres.sh)")


def psql(sql, schema):
    env = dict(os.environ)
    env["PGOPTIONS"] = "-c search_path=%s" % schema
    p = subprocess.run(["psql", PG_URL, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return [line.split("|") for line in p.stdout.decode().splitlines() if line]


@pytest.fixture
def schema():
    name = "t_" + uuid.uuid4().hex[:12]
    yield name
    psql('DROP SCHEMA IF EXISTS "%s" CASCADE' % name, "public")


@pytest.fixture
def mig(tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    return d


def strata(schema, mig, *args):
    url = PG_URL + ("&" if "?" in PG_URL else "?") + "search_path=" + schema
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STRATA_")}
    env["NO_COLOR"] = "1"
    p = subprocess.run([STRATA_BIN, "-u", url, "-d", str(mig)] + list(args), cwd=str(mig.parent), env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def tables(schema):
    return sorted(r[0] for r in psql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = '%s'" % schema, schema))


# As pg_dump writes a plain dump (the search_path line aside).
DUMP = """--
-- PostgreSQL database dump
--

\\restrict 3dMa0EiJxXzSbKqkVwHlC8jRr1yhGZ

-- Dumped from database version 17.6
-- Dumped by pg_dump version 17.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

CREATE TABLE films (
    id integer NOT NULL,
    title text
);

CREATE FUNCTION shout(t text) RETURNS text
    LANGUAGE sql
    AS $$
SELECT upper(t) || '!'
$$;

INSERT INTO films VALUES (1, 'first line
\\connect is text in a string');

--
-- PostgreSQL database dump complete
--

\\unrestrict 3dMa0EiJxXzSbKqkVwHlC8jRr1yhGZ
"""


@pytest.mark.parametrize("no_txn", [False, True], ids=["transaction", "no-transaction"])
def test_pg_dump_restrict_lines_are_skipped_with_a_note(schema, mig, no_txn):
    body = ("-- strata:no-transaction\n" if no_txn else "") + DUMP
    f = mig / "001_baseline.up.sql"
    f.write_text(body)
    (mig / "002_more.up.sql").write_text("\\restrict k2\nCREATE TABLE more (a int);\n\\unrestrict k2\n")
    code, out, err = strata(schema, mig, "up")
    assert code == 0, err
    assert {"films", "more"} <= set(tables(schema))
    assert psql("SELECT replace(title, E'\\n', '/'), shout('a') FROM films", schema) == [
        ["first line/\\connect is text in a string", "A!"]]
    line = 5 + (1 if no_txn else 0)
    notes = [l for l in err.splitlines() if "meta-command" in l]
    # One note per migration, naming the first line skipped.
    assert notes == [
        "strata: note: %s:%d: skipped the psql meta-command \\restrict" % (f, line),
        "strata: note: %s:1: skipped the psql meta-command \\restrict" % (mig / "002_more.up.sql"),
    ], err
    code, out, err = strata(schema, mig, "status")
    assert code == 0 and "meta-command" not in err, err


@pytest.mark.parametrize("cmd", ["\\connect otherdb", "  \\copy films FROM 'films.csv'", "\\i other.sql"])
def test_other_meta_commands_are_refused_with_file_and_line(schema, mig, cmd):
    f = mig / "001_bad.up.sql"
    f.write_text("CREATE TABLE before_it (a int);\n\n%s\nCREATE TABLE after_it (a int);\n" % cmd)
    code, out, err = strata(schema, mig, "up")
    name = cmd.split()[0]
    assert code == 2, (code, err)
    assert "strata: error: %s:3: psql meta-command %s is not SQL" % (f, name) in err, err
    # Refused before anything ran.
    assert "before_it" not in tables(schema) and "after_it" not in tables(schema)
    statuses = [r[0] for r in psql("SELECT status FROM strata_history ORDER BY id", schema)]
    assert statuses == ["failed"], statuses


def test_restrict_is_skipped_but_connect_in_the_same_file_is_refused(schema, mig):
    f = mig / "001_mixed.up.sql"
    f.write_text("\\restrict abc\nCREATE TABLE a (x int);\n\\connect db\n\\unrestrict abc\n")
    code, out, err = strata(schema, mig, "up")
    assert code == 2, err
    assert "%s:3: psql meta-command \\connect is not SQL" % f in err, err
    assert "a" not in tables(schema)
