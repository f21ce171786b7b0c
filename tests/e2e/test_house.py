"""The CLI's `init` and `new` go through the library: one mkdir -p, one name check."""

import pytest

from conftest import listing


@pytest.mark.sqlite_only
def test_init_with_a_file_in_the_way_names_it(run, engine, workdir):
    (workdir / "plain").write_text("not a folder\n")
    d = workdir / "plain" / "migrations"
    code, out, err = run("-u", engine.url, "-d", str(d), "init")
    assert code == 1, (out, err)
    assert "\nstrata: error: cannot create folder '" in "\n" + err, err
    assert str(workdir / "plain") + "'" in err
    assert not engine.exists()


@pytest.mark.sqlite_only
def test_init_reports_the_folder_it_created(run, engine, workdir):
    d = workdir / "x" / "y"
    code, out, err = run("-u", engine.url, "-d", str(d), "init")
    assert code == 0, err
    assert f"created migrations folder {d}" in out
    code, out, err = run("-u", engine.url, "-d", str(d), "init")
    assert code == 0, err
    assert f"migrations folder {d} already exists" in out


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", ["bad name", "a/b", "caf\u00e9"])
def test_new_bad_name_message_comes_from_the_library(run, engine, workdir, name):
    d = workdir / "new" / "migrations"
    before = listing(workdir)
    code, out, err = run("-u", engine.url, "-d", str(d), "new", name)
    assert code == 2, (out, err)
    assert f"strata: error: bad migration name '{name}': use letters, digits, '_' and '-'" in err
    # checked before anything is made: not even the folder
    assert listing(workdir) == before
