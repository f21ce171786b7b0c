"""Command line: help, version, usage errors, global flags, settings precedence, URLs,
password masking and JSON on errors (SPEC sections 1, 4, 6, 8)."""

import re

import pytest

from conftest import parse_json_out, listing

SECRET = "s3cretpw"


# --------------------------------------------------------------------------- help / version

@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], ["help", "up"], ["up", "--help"],
                                  ["help", "status"], ["down", "-h"]])
def test_help_exits_0_and_prints(run, args):
    code, out, err = run(*args)
    assert code == 0, err
    assert out.strip() != ""


@pytest.mark.parametrize("cmd", ["init", "new", "status", "up", "down", "redo", "history", "validate", "stamp",
                                 "repair", "schema"])
def test_help_for_every_command(run, cmd):
    code, out, err = run("help", cmd)
    assert code == 0, err
    assert cmd in out
    code, out2, err = run(cmd, "--help")
    assert code == 0, err
    assert out2.strip() != ""


def test_version(run):
    code, out, err = run("--version")
    assert code == 0, err
    assert re.search(r"\d+\.\d+\.\d+", out)


# --------------------------------------------------------------------------- usage errors

def test_unknown_command_is_exit_2(run, workdir):
    before = listing(workdir)
    code, out, err = run("frobnicate")
    assert code == 2
    assert "strata: error:" in err
    assert listing(workdir) == before


@pytest.mark.parametrize("args", [["status", "--no-such-flag"], ["--bogus", "status"], ["up", "--stepz", "1"]])
def test_unknown_flag_is_exit_2(run, args):
    code, out, err = run(*args)
    assert code == 2
    assert "strata: error:" in err


@pytest.mark.parametrize("args", [["down", "--steps", "x"], ["down", "abc"], ["up", "abc"],
                                  ["stamp"], ["new"], ["--lock-timeout", "soon", "status"]])
def test_bad_arguments_are_exit_2(strata, mig, args):
    mig.simple(1, "one")
    code, out, err = strata(*args)
    assert code == 2, (out, err)
    assert "strata: error:" in err


def test_unknown_command_json_error_object(run):
    code, out, err = run("--json", "frobnicate")
    assert code == 2
    obj = parse_json_out(out)
    assert isinstance(obj.get("error"), str) and obj["error"]
    assert obj.get("exit_code") == 2
    assert "strata: error:" in err


# --------------------------------------------------------------------------- global flags

@pytest.mark.parametrize("order", ["before", "after", "mixed"])
def test_global_flags_before_or_after_command(run, engine, mig, order):
    mig.simple(1, "one")
    g = ["-u", engine.url, "-d", str(mig.dir), "--json", "--no-color", "-v"]
    if order == "before":
        args = g + ["up"]
    elif order == "after":
        args = ["up"] + g
    else:
        args = ["--json", "-u", engine.url, "up", "-d", str(mig.dir), "--no-color"]
    code, out, err = run(*args)
    assert code == 0, err
    obj = parse_json_out(out)
    assert [a["version"] for a in obj["applied"]] == [1]
    assert engine.applied() == [1]


def test_quiet_flag_accepted(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("-q", "up")
    assert code == 0, err
    code, out, err = strata("status", "--quiet")
    assert code == 0, err
    assert engine.applied() == [1]


# --------------------------------------------------------------------------- settings precedence

@pytest.mark.sqlite_only
def test_env_and_dotenv_precedence_for_url(run, workdir, mig):
    mig.simple(1, "one")
    (workdir / ".env").write_text("DATABASE_URL=sqlite:dotenv.db\nSTRATA_DIR=migrations\n")

    # .env alone
    code, out, err = run("up")
    assert code == 0, err
    assert (workdir / "dotenv.db").exists()

    # real environment wins over .env
    code, out, err = run("up", env={"DATABASE_URL": "sqlite:envvar.db"})
    assert code == 0, err
    assert (workdir / "envvar.db").exists()

    # a flag wins over both
    code, out, err = run("up", "-u", "sqlite:flag.db", env={"DATABASE_URL": "sqlite:envvar2.db"})
    assert code == 0, err
    assert (workdir / "flag.db").exists()
    assert not (workdir / "envvar2.db").exists()

    for f in ("dotenv.db", "envvar.db", "flag.db"):
        code, out, err = run("--json", "status", "-u", "sqlite:" + f)
        assert code == 0, err
        assert [a["version"] for a in parse_json_out(out)["applied"]] == [1]


@pytest.mark.sqlite_only
def test_dotenv_comments_blank_lines_and_quotes(run, workdir, mig):
    mig.simple(1, "one")
    (workdir / ".env").write_text('# settings for strata\n\nDATABASE_URL="sqlite:quoted.db"\n  # another comment\n'
                                  "STRATA_TABLE='quoted'\nOTHER_VAR=ignored\n")
    code, out, err = run("up")
    assert code == 0, err
    assert (workdir / "quoted.db").exists(), sorted(p.name for p in workdir.iterdir())
    import sqlite3
    con = sqlite3.connect(str(workdir / "quoted.db"))
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    assert "quoted_migrations" in names and "t_one" in names


@pytest.mark.sqlite_only
def test_env_and_dotenv_precedence_for_dir(run, workdir):
    for d, table in (("m_dotenv", "from_dotenv"), ("m_env", "from_env"), ("m_flag", "from_flag")):
        (workdir / d).mkdir()
        (workdir / d / "001_x.sql").write_text("-- x\n-- strata:up\nCREATE TABLE %s (a);\n" % table)
    (workdir / ".env").write_text("STRATA_DIR=m_dotenv\n")

    code, out, err = run("-u", "sqlite:a.db", "up")
    assert code == 0, err
    code, out, err = run("-u", "sqlite:b.db", "up", env={"STRATA_DIR": "m_env"})
    assert code == 0, err
    code, out, err = run("-u", "sqlite:c.db", "-d", "m_flag", "up", env={"STRATA_DIR": "m_env"})
    assert code == 0, err

    import sqlite3

    def tables(f):
        con = sqlite3.connect(str(workdir / f))
        try:
            return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    assert "from_dotenv" in tables("a.db")
    assert "from_env" in tables("b.db")
    assert "from_flag" in tables("c.db")


def test_table_prefix_flag_and_env(run, engine, mig):
    mig.simple(1, "one")
    code, out, err = run("-u", engine.url, "-d", str(mig.dir), "--table", "myapp", "up")
    assert code == 0, err
    assert engine.has_table("myapp_migrations") and engine.has_table("myapp_history")
    assert not engine.has_table("strata_migrations")
    assert engine.applied(prefix="myapp") == [1]
    mig.simple(2, "two")
    code, out, err = run("-u", engine.url, "-d", str(mig.dir), "up", env={"STRATA_TABLE": "myapp"})
    assert code == 0, err
    assert engine.applied(prefix="myapp") == [1, 2]
    assert not engine.has_table("strata_migrations")


# --------------------------------------------------------------------------- URLs

@pytest.mark.sqlite_only
@pytest.mark.parametrize("url,target", [
    ("sqlite:rel.db", "rel.db"),
    ("sqlite://rel.db", "rel.db"),
    ("sqlite:sub/rel.db", "sub/rel.db"),
    ("rel.db", "rel.db"),
    ("sub/rel.sqlite", "sub/rel.sqlite"),
    ("sub/rel.sqlite3", "sub/rel.sqlite3"),
    ("sqlite:ABS", "sub/abs.db"),
    ("sqlite://ABS", "sub/abs.db"),
])
def test_sqlite_url_forms(run, workdir, mig, url, target):
    mig.simple(1, "one")
    (workdir / "sub").mkdir()
    url = url.replace("ABS", str(workdir / "sub" / "abs.db"))  # ABS starts with '/'
    code, out, err = run("-u", url, "-d", "migrations", "up")
    assert code == 0, err
    assert (workdir / target).exists(), listing(workdir)


@pytest.mark.sqlite_only
def test_sqlite_memory_url(run, mig, workdir):
    mig.simple(1, "one")
    before = listing(workdir)
    code, out, err = run("-u", "sqlite::memory:", "-d", "migrations", "up")
    assert code == 0, err
    assert listing(workdir) == before


@pytest.mark.sqlite_only
def test_default_url_is_db_sqlite3_in_cwd(run, workdir, mig):
    mig.simple(1, "one")
    code, out, err = run("up")
    assert code == 0, err
    assert (workdir / "db.sqlite3").exists()


@pytest.mark.parametrize("url", ["foo://bar/baz", "postgres://u:%s@127.0.0.1:notaport/db" % SECRET,
                                 "mysql://u:%s@127.0.0.1:12x/db" % SECRET, "sqlite"])
@pytest.mark.parametrize("cmd", ["status", "up"])
def test_bad_url_is_exit_2(run, mig, url, cmd):
    mig.simple(1, "one")
    code, out, err = run("-u", url, "-d", "migrations", cmd)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    assert SECRET not in out + err


def test_bad_url_json_error_object(run, mig):
    mig.simple(1, "one")
    code, out, err = run("--json", "-u", "postgres://u:%s@127.0.0.1:xx/db" % SECRET, "-d", "migrations", "status")
    assert code == 2
    obj = parse_json_out(out)
    assert obj.get("exit_code") == 2 and obj.get("error")
    assert SECRET not in out + err


@pytest.mark.sqlite_only
def test_missing_parent_folder_is_exit_1(run, workdir, mig):
    mig.simple(1, "one")
    before = listing(workdir)
    code, out, err = run("-u", "sqlite:nodir/sub/db.sqlite3", "-d", "migrations", "up")
    assert code == 1, (out, err)
    assert "strata: error:" in err
    assert listing(workdir) == before


# --------------------------------------------------------------------------- password masking

@pytest.mark.parametrize("url", [
    "postgres://u:%s@127.0.0.1:1/db" % SECRET,
    "postgresql://u:%s@127.0.0.1:1/db?sslmode=disable" % SECRET,
    "mysql://u:%s@127.0.0.1:1/db" % SECRET,
    "mariadb://u:%s@127.0.0.1:1/db" % SECRET,
    "postgres://u:%s%%21x@127.0.0.1:1/db" % SECRET,
    "postgres://u@127.0.0.1:1/db?password=%s" % SECRET,
    "postgres://u:%s@127.0.0.1:1/db?search_path=app&sslmode=disable" % SECRET,
])
@pytest.mark.parametrize("how", ["flag", "env", "dotenv"])
@pytest.mark.parametrize("args", [["status"], ["--json", "status"], ["up"], ["--json", "up"],
                                  ["history"], ["-v", "validate"], ["up", "--dry-run"]])
def test_password_never_printed(run, workdir, mig, url, how, args):
    mig.simple(1, "one")
    env = None
    extra = []
    if how == "flag":
        extra = ["-u", url]
    elif how == "env":
        env = {"DATABASE_URL": url}
    else:
        (workdir / ".env").write_text("DATABASE_URL=%s\n" % url)
    code, out, err = run(*(extra + ["-d", "migrations", "--lock-timeout", "1"] + args), env=env, timeout=60)
    assert SECRET not in out, out
    assert SECRET not in err, err
    if "--json" in args:
        parse_json_out(out)
