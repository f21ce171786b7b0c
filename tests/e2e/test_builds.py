"""A build without the server engines (scripts/ci-builds.sh sets STRATA_NO_SERVERS=1).

In the usual suite the binary has its engines and these tests are skipped.
"""

import os

import pytest

NO_SERVERS = os.environ.get("STRATA_NO_SERVERS") == "1"
pytestmark = pytest.mark.skipif(not NO_SERVERS, reason="only for a build without server engines")


@pytest.mark.parametrize("url, name", [
    ("postgres://u:secret@127.0.0.1:1/db", "PostgreSQL"),
    ("postgresql://127.0.0.1/db", "PostgreSQL"),
    ("mysql://u:secret@127.0.0.1:1/db", "MySQL/MariaDB"),
])
@pytest.mark.parametrize("cmd", [["status"], ["up"], ["check"]])
def test_server_url_without_its_engine_is_exit_2(run, workdir, url, name, cmd):
    (workdir / "migrations").mkdir()
    code, out, err = run("-u", url, "-d", str(workdir / "migrations"), *cmd)
    assert code == 2, (out, err)
    assert f"strata: error: strata was built without {name} support" in err
    assert "secret" not in err and "secret" not in out


def test_sqlite_still_works(run, workdir):
    mig = workdir / "migrations"
    mig.mkdir()
    (mig / "001_one.sql").write_text("-- strata:up\nCREATE TABLE t (x);\n-- strata:down\nDROP TABLE t;\n")
    code, out, err = run("-u", "sqlite:" + str(workdir / "db.sqlite3"), "-d", str(mig), "up")
    assert code == 0, err
