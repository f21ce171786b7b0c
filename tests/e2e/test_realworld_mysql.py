"""A real project's MySQL folder that the shared realworld harness cannot judge.

authelia's 0007 defines procedures without DELIMITER lines (its Go driver sends
each file as one multi-statement query).  The realworld harness takes the
mariadb client's run as its reference, and that client splits at every ';', so
its reference stops at 0006.  Here the reference is what authelia itself does:
each up file sent to the server as one multi-statement query (python3-pymysql).
strata's schema after `up` must equal it.  The folder is read from the shared
realworld corpus beside the project (never copied in); skipped when it, the
MariaDB server or pymysql is missing.
"""

import os
import pathlib
import re
import uuid
from urllib.parse import unquote, urlsplit

import pytest

import mysql_engine

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = pathlib.Path(
    os.environ.get("STRATA_REALWORLD", HERE.parent.parent.parent / "shared" / "realworld")
) / "corpus"
FOLDER = CORPUS / "authelia-mysql" / "migrations"

pymysql = pytest.importorskip("pymysql")


MARKER = re.compile(r"^[ \t]*--[ \t]*strata[ \t]*:[ \t]*(up|down)[ \t]*$", re.I | re.M)


def up_bodies(folder):
    """(version, up body) of each migration in version order: a pair's .up.sql,
    or a single file's text between its up and down markers (the corpus writes
    a pair with an empty side as one file with both sections)."""
    out = []
    for f in folder.glob("*.sql"):
        if f.name.endswith(".down.sql"):
            continue
        text = f.read_text()
        if not f.name.endswith(".up.sql"):
            marks = list(MARKER.finditer(text))
            up = next((m for m in marks if m.group(1).lower() == "up"), None)
            down = next((m for m in marks if m.group(1).lower() == "down"), None)
            start = up.end() if up else 0
            end = down.start() if down and down.start() > start else len(text)
            text = text[start:end]
        out.append((int(f.name.split("_", 1)[0]), text))
    return sorted(out)


@pytest.mark.skipif(not mysql_engine.MYSQL_URL, reason="no MariaDB server (STRATA_MYSQL_URL)")
@pytest.mark.skipif(not FOLDER.is_dir(), reason="no shared realworld corpus beside the project")
def test_authelia_mysql_matches_the_servers_own_multi_statement_run(run, workdir):
    from pymysql.constants import CLIENT

    u = urlsplit(mysql_engine.MYSQL_URL)
    ref_db = "rw_ref_" + uuid.uuid4().hex[:10]
    our_db = "rw_strata_" + uuid.uuid4().hex[:10]
    conn = pymysql.connect(host=u.hostname, port=u.port, user=unquote(u.username),
                           password=unquote(u.password or ""), charset="utf8mb4",
                           client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE `{ref_db}`")
        cur.execute(f"USE `{ref_db}`")
        for version, body in up_bodies(FOLDER):
            if not body.strip():
                continue
            cur.execute(body)
            while cur.nextset():
                pass
        our_url = u._replace(path="/" + our_db).geturl()
        ref_url = u._replace(path="/" + ref_db).geturl()
        code, out, err = run("-u", our_url, "-d", str(FOLDER), "--no-backup", "up")
        assert code == 0, err
        assert "0007_ConsistencyFixes" in out + err
        code, ours, err = run("-u", our_url, "schema")
        assert code == 0, err
        code, ref, err = run("-u", ref_url, "schema")
        assert code == 0, err
        if ours != ref:
            (workdir / "ours.sql").write_text(ours)
            (workdir / "ref.sql").write_text(ref)
        assert ours == ref, f"diff {workdir}/ref.sql {workdir}/ours.sql"
        assert "PROC_DROP_FOREIGN_KEY" not in ours or "PROC_DROP_FOREIGN_KEY" in ref
    finally:
        cur = conn.cursor()
        cur.execute(f"DROP DATABASE IF EXISTS `{ref_db}`")
        cur.execute(f"DROP DATABASE IF EXISTS `{our_db}`")
        conn.close()
