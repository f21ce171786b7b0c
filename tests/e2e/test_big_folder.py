"""A large migrations folder (docs/design.md "Start-up"): files are read with
one read each into a reused buffer, without an fstat when readdir says they are
regular; every checksum matches (pair form too), and a file that is not regular,
early or late in the folder, is named as before."""

import os

import pytest

from conftest import checksum_of

pytestmark = pytest.mark.sqlite_only  # reading a folder does not depend on the engine

N = 700


def fill(mig, n=N, pair_every=0):
    for v in range(1, n + 1):
        pads = "".join(", pad%d TEXT" % k for k in range(v % 3))  # files of several sizes
        body = "CREATE TABLE t_%d (id INTEGER PRIMARY KEY%s);" % (v, pads)
        if pair_every and v % pair_every == 0:
            with open(mig.path("%04d_p%d.up.sql" % (v, v)), "w") as f:
                f.write(body + "\n")
            with open(mig.path("%04d_p%d.down.sql" % (v, v)), "w") as f:
                f.write("DROP TABLE t_%d;\n" % v)
        else:
            mig.write("%04d_t%d.sql" % (v, v), up=body, down="DROP TABLE t_%d;" % v)


def test_big_folder_checksums_match(strata, mig, engine):
    fill(mig, pair_every=7)
    code, out, err = strata("up", "--no-backup")
    assert code == 0, err
    assert engine.applied() == list(range(1, N + 1))
    rows = dict(engine.query("SELECT version, checksum FROM strata_migrations"))
    for v in range(1, N + 1):
        name = ("%04d_p%d.up.sql" % (v, v)) if v % 7 == 0 else ("%04d_t%d.sql" % (v, v))
        with open(mig.path(name), "rb") as f:
            assert rows[v] == checksum_of(f.read()), name
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    code, out, err = strata("down", "%d" % (N - 3))
    assert code == 0, err
    assert engine.applied() == list(range(1, N - 2))


@pytest.mark.parametrize("at", [5, N - 5])
def test_a_file_that_is_not_regular_is_named(strata, mig, engine, at):
    fill(mig)
    target = mig.path("%04d_t%d.sql" % (at, at))
    os.remove(target)
    os.mkfifo(str(target) + ".fifo")
    os.symlink(os.path.basename(str(target)) + ".fifo", target)
    code, out, err = strata("up", "--no-backup")
    assert code == 2 or code == 1, (code, out, err)
    assert "strata: error:" in err and "%04d_t%d.sql" % (at, at) in err and "not a regular file" in err


@pytest.mark.parametrize("at", [5, N - 5])
def test_an_edit_is_seen(strata, mig, engine, at):
    fill(mig)
    code, out, err = strata("up", "--no-backup")
    assert code == 0, err
    mig.write("%04d_t%d.sql" % (at, at), up="CREATE TABLE changed (a);", down="DROP TABLE changed;")
    code, out, err = strata("validate")
    assert code == 1, (out, err)
    assert "%04d_t%d.sql" % (at, at) in out + err
