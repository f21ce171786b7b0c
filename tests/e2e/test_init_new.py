"""`init` and `new` (SPEC section 4 and 8)."""

import datetime
import re

import pytest

from conftest import MIGRATIONS_COLUMNS, HISTORY_COLUMNS, parse_json_out, listing


# --------------------------------------------------------------------------- init

def test_init_creates_folder_with_parents_db_and_tracking_tables(run, engine, workdir):
    d = workdir / "a" / "b" / "migrations"
    code, out, err = run("-u", engine.url, "-d", str(d), "init")
    assert code == 0, err
    assert d.is_dir()
    assert engine.exists()
    assert engine.has_table("strata_migrations") and engine.has_table("strata_history")
    assert engine.applied() == [] and engine.history() == []
    # idempotent
    code, out, err = run("-u", engine.url, "-d", str(d), "init")
    assert code == 0, err
    code, out, err = run("--json", "-u", engine.url, "-d", str(d), "init")
    assert code == 0, err
    parse_json_out(out)


def test_init_keeps_existing_folder_and_files(strata, mig, engine):
    p = mig.simple(1, "one")
    before = p.read_bytes()
    code, out, err = strata("init")
    assert code == 0, err
    assert engine.has_table("strata_migrations")
    assert p.read_bytes() == before
    assert engine.applied() == []  # init applies nothing


@pytest.mark.sqlite_only
def test_tracking_tables_have_exactly_the_spec_columns(strata, mig, engine):
    code, out, err = strata("init")
    assert code == 0, err
    assert sorted(engine.columns("strata_migrations")) == sorted(MIGRATIONS_COLUMNS)
    assert sorted(engine.columns("strata_history")) == sorted(HISTORY_COLUMNS)


# --------------------------------------------------------------------------- new

def test_new_in_empty_folder_is_001(strata, mig):
    code, out, err = strata("new", "add_users")
    assert code == 0, err
    assert sorted(p.name for p in mig.dir.iterdir()) == ["001_add_users.sql"]
    assert "001_add_users.sql" in out
    text = mig.read("001_add_users.sql").decode()
    lines = [l.strip().lower().replace(" ", "") for l in text.splitlines()]
    assert "--strata:up" in lines and "--strata:down" in lines
    assert lines.index("--strata:up") < lines.index("--strata:down")


def test_new_creates_missing_folder(run, engine, workdir):
    d = workdir / "x" / "migrations"
    code, out, err = run("-u", engine.url, "-d", str(d), "new", "first")
    assert code == 0, err
    assert (d / "001_first.sql").exists()


def test_new_file_is_a_valid_migration(strata, mig, engine):
    code, out, err = strata("new", "noop")
    assert code == 0, err
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    code, obj, err = strata.json("status")
    assert code == 0, err
    assert [(p["version"], p["name"]) for p in obj["pending"]] == [(1, "noop")]


@pytest.mark.parametrize("existing,expected", [
    (["0007_a.sql"], "0008_next.sql"),
    (["1_a.sql"], "2_next.sql"),
    (["9_a.sql"], "10_next.sql"),
    (["001_a.sql", "002_b.up.sql", "002_b.down.sql"], "003_next.sql"),
    (["099_a.sql"], "100_next.sql"),
    (["001_a.sql", "005_b.sql"], "006_next.sql"),
    (["20260101000000_a.sql"], "20260101000001_next.sql"),
])
def test_new_pads_to_folder_width(strata, mig, existing, expected):
    for f in existing:
        mig.write(f, raw="CREATE TABLE %s (a);\n" % re.sub(r"\W", "_", f))
    code, out, err = strata("new", "next")
    assert code == 0, err
    assert mig.path(expected).exists(), sorted(p.name for p in mig.dir.iterdir())
    assert expected in out


def test_new_timestamp(strata, mig):
    mig.simple(1, "one")
    code, out, err = strata("new", "--timestamp", "stamped")
    assert code == 0, err
    names = [p.name for p in mig.dir.iterdir() if p.name.endswith("_stamped.sql")]
    assert len(names) == 1, names
    m = re.match(r"^(\d{14})_stamped\.sql$", names[0])
    assert m, names[0]
    ts = datetime.datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - ts).total_seconds()) < 3600, "not a UTC timestamp: %s vs %s" % (ts, now)
    assert names[0] in out


def test_new_json(strata, mig):
    code, obj, err = strata.json("new", "jsonic")
    assert code == 0, err
    assert mig.path("001_jsonic.sql").exists()


@pytest.mark.parametrize("name", ["bad name", "a/b", "../escape", "", "semi;colon", "caf\u00e9!"])
def test_new_bad_name_is_exit_2(strata, mig, workdir, name):
    before = listing(workdir)
    code, out, err = strata("new", name)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    assert listing(workdir) == before


def test_new_accepts_dash_and_digits(strata, mig):
    code, out, err = strata("new", "add-users_2")
    assert code == 0, err
    assert mig.path("001_add-users_2.sql").exists()
