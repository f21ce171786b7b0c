"""Database URLs people already have, passwords that never print, and the
small argument cases of issue 8 (SPEC sections 4, 8 and 10)."""

import pytest


# --------------------------------------------------------------------------- -d "" and new at INT64_MAX

@pytest.mark.sqlite_only
@pytest.mark.parametrize("cmd", [["status"], ["up"], ["init"], ["new", "x"], ["validate"]])
def test_empty_dir_flag_is_exit_2(run, workdir, cmd):
    code, out, err = run("-u", "sqlite:db.sqlite3", "-d", "", *cmd)
    assert code == 2, (out, err)
    assert "strata: error: no migrations folder given" in err
    assert "-d/--dir is empty" in err
    # nothing was created in the working folder
    assert sorted(p.name for p in workdir.iterdir()) == []


@pytest.mark.sqlite_only
def test_new_after_int64_max_version_is_exit_2(run, workdir, mig):
    (mig.dir / "9223372036854775807_last.sql").write_text("-- strata:up\nSELECT 1;\n")
    before = sorted(p.name for p in mig.dir.iterdir())
    for extra in ([], ["--timestamp"]):
        code, out, err = run("-d", str(mig.dir), "new", *extra, "next")
        assert code == 2, (out, err)
        assert "strata: error: cannot number a new migration" in err
        assert "9223372036854775807" in err
        assert sorted(p.name for p in mig.dir.iterdir()) == before


@pytest.mark.sqlite_only
def test_new_just_below_int64_max_still_works(run, mig):
    (mig.dir / "9223372036854775806_last.sql").write_text("-- strata:up\nSELECT 1;\n")
    code, out, err = run("-d", str(mig.dir), "new", "next")
    assert code == 0, err
    assert (mig.dir / "9223372036854775807_next.sql").exists()
