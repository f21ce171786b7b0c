"""Other tools' words, and never guessing the target (issue 10; SPEC sections 1, 4, 8).

`current`, `show VERSION`, targets (`head`/`latest`, `up +N`, `up --steps N`, `down -N`,
a VERSION no migration has), `--env VAR`, `--env-file FILE`, `--wait`/`--wait-timeout`,
the database line before every command that changes something, and commands that read
or roll back never creating a database file.
"""

import re
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from conftest import checksum_of, listing

DB_LINE = re.compile(r"^strata: database: (.*)$", re.M)


def three(strata, mig):
    mig.simple(1, "one")
    mig.simple(2, "two")
    mig.simple(3, "three")


def up_ok(strata, *args):
    code, out, err = strata("up", *args)
    assert code == 0, err
    return out, err


# --------------------------------------------------------------------------- current

def test_current_before_and_after(strata, mig, engine):
    three(strata, mig)
    code, out, err = strata("current")
    assert (code, out) == (0, "none\n"), err
    code, obj, err = strata.json("current")
    assert code == 0, err
    assert obj == {"current_version": None, "dirty": False}
    up_ok(strata, "2")
    code, out, err = strata("current")
    assert (code, out) == (0, "2\n"), err
    code, obj, err = strata.json("current")
    assert obj == {"current_version": 2, "dirty": False}


@pytest.mark.sqlite_only
def test_current_on_a_missing_file_creates_nothing(run, workdir, mig):
    mig.simple(1, "one")
    before = listing(workdir)
    code, out, err = run("-u", "sqlite:missing.db", "current", "--json")
    assert code == 0, err
    assert '"current_version": null' in out
    assert listing(workdir) == before
    # no migrations folder is needed either
    code, out, err = run("-u", "sqlite:missing.db", "-d", "nowhere", "current")
    assert (code, out) == (0, "none\n"), err
    assert listing(workdir) == before


def test_current_bad_input(strata, mig):
    mig.simple(1, "one")
    code, out, err = strata("current", "7")
    assert code == 2 and "unexpected argument '7'" in err
    code, out, err = strata("current", "--steps", "1")
    assert code == 2 and "unknown option '--steps'" in err
    code, out, err = strata("help", "current")
    assert code == 0 and "usage: strata current" in out


# --------------------------------------------------------------------------- show

def test_show_pending_applied_modified_missing(strata, mig, engine):
    p = mig.simple(1, "one")
    mig.write("002_two.sql", up="CREATE TABLE two (id INTEGER);", desc="Two")  # irreversible
    code, obj, err = strata.json("show", "1")
    assert code == 0, err
    assert obj["state"] == "pending" and obj["applied"] is None
    assert obj["file"].endswith("001_one.sql") and obj["checksum"] == checksum_of(p.read_bytes())
    assert obj["up"] == {"file": "CREATE TABLE t_one (id INTEGER PRIMARY KEY, v TEXT);",
                         "stored": None, "same": None}
    up_ok(strata)

    code, obj, err = strata.json("show", "1")
    assert code == 0, err
    assert obj["state"] == "applied" and obj["modified"] is False
    a = obj["applied"]
    assert a["checksum"] == obj["checksum"]
    assert isinstance(a["execution_ms"], int) and "@" in a["applied_by"]
    assert re.match(r"\d{4}-\d\d-\d\dT", a["applied_at"])
    assert obj["up"]["same"] is True and obj["down"]["same"] is True
    assert obj["down"]["stored"] == "DROP TABLE t_one;"
    code, out, err = strata("show", "1")
    assert code == 0, err
    assert "001_one" in out and "state       applied" in out and obj["checksum"] in out
    assert "-- up, as stored: the same" in out

    code, obj, err = strata.json("show", "head")
    assert code == 0 and obj["version"] == 2
    assert obj["down"] == {"file": None, "stored": None, "same": True}

    # modified: the file's up changed after it was applied
    p.write_text(p.read_text().replace("v TEXT", "v TEXT, w TEXT"))
    code, obj, err = strata.json("show", "1")
    assert code == 0, err
    assert obj["state"] == "modified" and obj["modified"] is True
    assert obj["applied"]["checksum"] != obj["checksum"]
    assert obj["up"]["same"] is False and "w TEXT" in obj["up"]["file"]
    assert "w TEXT" not in obj["up"]["stored"]
    code, out, err = strata("show", "1")
    assert "modified" in out and "as stored (differs from the file)" in out

    # missing: the file is gone, the stored SQL is still shown
    mig.remove("001_one.sql")
    code, obj, err = strata.json("show", "1")
    assert code == 0, err
    assert obj["state"] == "missing" and obj["file"] is None
    assert obj["up"]["file"] is None and obj["up"]["stored"].startswith("CREATE TABLE t_one")


def test_show_bad_input(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("show", "9")
    assert code == 2, err
    assert "strata: error: no migration has version 9" in err and out == ""
    code, obj, err = strata.json("show", "9")
    assert code == 2 and obj["exit_code"] == 2
    code, out, err = strata("show", "abc")
    assert code == 2 and "bad version 'abc'" in err
    code, out, err = strata("show")
    assert code == 2 and "'show' needs VERSION" in err
    code, out, err = strata("help", "show")
    assert code == 0 and "usage: strata show" in out


@pytest.mark.sqlite_only
def test_show_creates_nothing(run, workdir, mig):
    mig.simple(1, "one")
    before = listing(workdir)
    code, out, err = run("-u", "sqlite:missing.db", "-d", str(mig.dir), "show", "1")
    assert code == 0, err
    assert "state       pending" in out
    assert listing(workdir) == before


# --------------------------------------------------------------------------- targets

def test_up_to_a_version_no_migration_has_is_exit_2(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up", "7")
    assert code == 2, err
    assert "no migration has version 7" in err and "head" in err
    assert engine.applied() == []
    code, out, err = strata("up", "7", "--dry-run")
    assert code == 2, err
    code, out, err = strata("up", "0")  # 0 is always a target
    assert code == 0, err
    assert engine.applied() == []
    code, obj, err = strata.json("up", "7")
    assert code == 2 and "the highest is 1" in obj["error"]


def test_a_version_above_the_files_but_applied_is_a_target(strata, mig, engine):
    three(strata, mig)
    up_ok(strata)
    mig.remove("003_three.sql")
    code, out, err = strata("up", "3")
    assert code == 0, err
    assert "schema is up to date" in out
    code, out, err = strata("stamp", "3")
    assert code == 0, err
    code, out, err = strata("stamp", "4")
    assert code == 2 and "the highest is 3" in err


@pytest.mark.sqlite_only
def test_up_to_a_bad_version_creates_no_file(strata, mig, engine):
    mig.simple(1, "one")
    code, out, err = strata("up", "7")
    assert code == 2
    assert not engine.exists()


def test_stamp_to_a_version_no_migration_has_is_exit_2(strata, mig, engine):
    three(strata, mig)
    code, out, err = strata("stamp", "9")
    assert code == 2, err
    assert "no migration has version 9" in err
    assert engine.applied() == []
    code, out, err = strata("stamp", "head")
    assert code == 0, err
    assert engine.applied() == [1, 2, 3]
    assert engine.user_tables() == []


def test_stamp_latest(strata, mig, engine):
    three(strata, mig)
    code, obj, err = strata.json("stamp", "latest")
    assert code == 0, err
    assert [r["version"] for r in obj["stamped"]] == [1, 2, 3]


def test_up_head_latest_plus_n_and_steps(strata, mig, engine):
    three(strata, mig)
    mig.simple(4, "four")
    code, obj, err = strata.json("up", "+1")
    assert code == 0, err
    assert [r["version"] for r in obj["applied"]] == [1]
    code, obj, err = strata.json("up", "--steps", "2")
    assert code == 0, err
    assert [r["version"] for r in obj["applied"]] == [2, 3]
    code, out, err = strata("up", "+5", "--dry-run")
    assert code == 0, err
    assert "-- up 004_four" in out
    code, obj, err = strata.json("up", "head")
    assert code == 0, err
    assert [r["version"] for r in obj["applied"]] == [4]
    code, out, err = strata("up", "latest")
    assert code == 0 and "schema is up to date" in out
    code, out, err = strata("up", "+3")
    assert code == 0 and "schema is up to date" in out
    assert engine.applied() == [1, 2, 3, 4]


def test_up_target_bad_input(strata, mig, engine):
    three(strata, mig)
    for arg, hint in (("+0", "strata up +1"), ("+x", "strata up +1"), ("-1", "strata down -1"),
                      ("abc", "head (or latest), or +N")):
        code, out, err = strata("up", arg)
        assert code == 2, (arg, err)
        assert hint in err, (arg, err)
    code, out, err = strata("up", "2", "--steps", "1")
    assert code == 2 and "not both" in err
    code, out, err = strata("up", "--steps", "0")
    assert code == 2 and "--steps" in err
    assert engine.applied() == []


def test_down_minus_n(strata, mig, engine):
    three(strata, mig)
    up_ok(strata)
    code, obj, err = strata.json("down", "-1")
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [3]
    code, obj, err = strata.json("down", "-2")
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [2, 1]
    assert engine.applied() == []


def test_down_target_bad_input(strata, mig, engine):
    three(strata, mig)
    up_ok(strata)
    for arg, hint in (("-0", "strata down -1"), ("-x", "unknown option"), ("+1", "strata up +1"),
                      ("head", "-N for the N most recent"),
                      ("abc", "bad target 'abc' for down: give a VERSION, base, or -N")):
        code, out, err = strata("down", arg)
        assert code == 2, (arg, err)
        assert hint in err, (arg, err)
    code, out, err = strata("down", "-1", "--steps", "1")
    assert code == 2 and "not both" in err
    assert engine.applied() == [1, 2, 3]
    code, out, err = strata("down", "0")  # 0 and base are always targets
    assert code == 0, err
    assert engine.applied() == []


def test_down_to_a_version_whose_file_is_gone(strata, mig, engine):
    three(strata, mig)
    up_ok(strata)
    mig.remove("002_two.sql")
    code, obj, err = strata.json("down", "2")  # an applied row has it
    assert code == 0, err
    assert [r["version"] for r in obj["rolled_back"]] == [3]


# --------------------------------------------------------------------------- --env, --env-file

@pytest.mark.sqlite_only
def test_env_var_names_the_url(run, workdir, mig, engine):
    mig.simple(1, "one")
    code, out, err = run("--env", "APP_DB", "up", env={"APP_DB": engine.url})
    assert code == 0, err
    assert engine.applied() == [1]
    assert "from APP_DB in the environment" in err
    # after the command too, and from .env
    (workdir / ".env").write_text("APP_DB=%s\n" % engine.url)
    code, out, err = run("current", "--env", "APP_DB")
    assert (code, out) == (0, "1\n"), err


@pytest.mark.sqlite_only
def test_env_var_not_set_never_falls_back(run, workdir, mig):
    mig.simple(1, "one")
    code, out, err = run("--env", "APP_DB", "up")
    assert code == 2, err
    assert "APP_DB is not set" in err
    assert listing(workdir) == ["migrations", "migrations/001_one.sql"]
    code, out, err = run("--env", "1BAD", "status")
    assert code == 2 and "bad variable name '1BAD'" in err
    code, out, err = run("--env")
    assert code == 2 and "needs a value" in err


@pytest.mark.sqlite_only
def test_env_file(run, workdir, mig, engine):
    mig.simple(1, "one")
    (workdir / "prod.env").write_text("DATABASE_URL=%s\n" % engine.url)
    (workdir / ".env").write_text("DATABASE_URL=sqlite:wrong.db\n")
    code, out, err = run("up", "--env-file", "prod.env")
    assert code == 0, err
    assert engine.applied() == [1]
    assert not (workdir / "wrong.db").exists()
    assert "from DATABASE_URL in prod.env" in err
    code, out, err = run("--env-file", "missing.env", "status")
    assert code == 2, err
    assert "cannot read --env-file 'missing.env'" in err
    code, out, err = run("--env-file", str(workdir), "status")
    assert code == 2, err
    assert not (workdir / "wrong.db").exists()


# --------------------------------------------------------------------------- --wait

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.sqlite_only
def test_wait_is_a_no_op_for_sqlite(strata, mig, engine):
    mig.simple(1, "one")
    t0 = time.monotonic()
    code, out, err = strata("up", "--wait", "--wait-timeout", "5")
    assert code == 0, err
    assert time.monotonic() - t0 < 4
    assert engine.applied() == [1]


def test_wait_bad_input(strata, mig):
    mig.simple(1, "one")
    code, out, err = strata("status", "--wait-timeout", "soon")
    assert code == 2 and "bad number 'soon' for --wait-timeout" in err
    code, out, err = strata("status", "--wait=1")
    assert code == 2 and "takes no value" in err


def server_url_on(engine, port):
    u = urlsplit(engine.url)
    netloc = u.netloc.rsplit("@", 1)
    host = "127.0.0.1:%d" % port
    return u._replace(netloc=(netloc[0] + "@" + host) if len(netloc) == 2 else host).geturl()


def require_server(engine):
    if engine.name not in ("postgres", "mysql"):
        pytest.skip("a server engine")


def test_wait_gives_up_with_the_last_error(run, mig, engine):
    require_server(engine)
    mig.simple(1, "one")
    url = server_url_on(engine, free_port())
    t0 = time.monotonic()
    code, out, err = run("-u", url, "-d", str(mig.dir), "status", "--wait-timeout", "2")
    took = time.monotonic() - t0
    assert code == 1, err
    assert took >= 1.8, took
    assert "gave up after waiting 2 s" in err and "waiting up to 2 s" in err
    # without --wait: at once
    t0 = time.monotonic()
    code, out, err = run("-u", url, "-d", str(mig.dir), "status")
    assert code == 1 and time.monotonic() - t0 < 1.5
    assert "gave up" not in err


def test_wait_does_not_wait_for_a_bad_password(run, mig, engine):
    require_server(engine)
    u = urlsplit(engine.url)
    user = (u.username or "postgres")
    url = u._replace(netloc="%s:WrongPw1@%s:%d" % (user, u.hostname, u.port)).geturl()
    t0 = time.monotonic()
    code, out, err = run("-u", url, "-d", str(mig.dir), "status", "--wait-timeout", "10")
    assert code == 1, err
    assert time.monotonic() - t0 < 5
    assert "WrongPw1" not in out + err


def proxy_later(port, target_host, target_port, delay):
    """Listen on 127.0.0.1:port after delay seconds and forward to the server."""
    stop = threading.Event()

    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        time.sleep(delay)
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(16)
        ls.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            s = socket.create_connection((target_host, target_port))
            threading.Thread(target=pipe, args=(c, s), daemon=True).start()
            threading.Thread(target=pipe, args=(s, c), daemon=True).start()
        ls.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return stop


def test_wait_until_the_server_is_up(run, mig, engine):
    require_server(engine)
    mig.simple(1, "one")
    u = urlsplit(engine.url)
    port = free_port()
    stop = proxy_later(port, u.hostname, u.port, 1.5)
    try:
        code, out, err = run("-u", server_url_on(engine, port), "-d", str(mig.dir), "up", "--wait")
    finally:
        stop.set()
    assert code == 0, err
    assert "waiting up to 60 s for the database" in err
    assert engine.applied() == [1]


# --------------------------------------------------------------------------- the database line

def test_changing_commands_name_the_database(strata, mig, engine):
    three(strata, mig)
    for args in (("init",), ("up", "1"), ("up", "--dry-run"), ("redo",), ("down",), ("stamp", "1"),
                 ("repair",)):
        code, out, err = strata(*args)
        assert code == 0, (args, err)
        lines = DB_LINE.findall(err)
        assert len(lines) == 1, (args, err)
        assert lines[0].startswith(engine.url.split("://")[0].split(":")[0]), (args, lines)
        assert err.index("strata: database:") == 0, (args, err)
    for args in (("status",), ("history",), ("validate",), ("current",), ("show", "1"), ("check",)):
        code, out, err = strata(*args)
        assert "strata: database:" not in err, (args, err)


def test_database_line_masks_the_password_and_keeps_json_clean(run, mig, engine):
    mig.simple(1, "one")
    code, out, err = run("--json", "-u", engine.url, "-d", str(mig.dir), "up")
    assert code == 0, err
    assert out.lstrip().startswith("{") and out.rstrip().endswith("}")
    assert "strata: database:" not in out
    line = DB_LINE.findall(err)[0]
    pw = urlsplit(engine.url).password
    if pw:
        assert pw not in err and "****" in line
    code, out, err = run("-q", "-u", engine.url, "-d", str(mig.dir), "down")
    assert code == 0, err
    assert "strata: database:" not in err


@pytest.mark.sqlite_only
def test_database_line_says_where_the_url_came_from(run, workdir, mig):
    mig.simple(1, "one")
    code, out, err = run("up")
    assert code == 0, err
    assert DB_LINE.findall(err) == ["sqlite:./db.sqlite3 (the default: no -u, no DATABASE_URL)"]
    code, out, err = run("down", env={"DATABASE_URL": "sqlite:./db.sqlite3"})
    assert DB_LINE.findall(err) == ["sqlite:./db.sqlite3 (from DATABASE_URL in the environment)"]
    (workdir / ".env").write_text("DATABASE_URL=sqlite:./db.sqlite3\n")
    code, out, err = run("up")
    assert DB_LINE.findall(err) == ["sqlite:./db.sqlite3 (from DATABASE_URL in .env)"]
    code, out, err = run("-u", "sqlite:./db.sqlite3", "down")
    assert DB_LINE.findall(err) == ["sqlite:./db.sqlite3"]


# --------------------------------------------------------------------------- never create a file

@pytest.mark.sqlite_only
def test_down_and_redo_on_a_mistyped_path_create_nothing(run, workdir, mig):
    three(None, mig)
    before = listing(workdir)
    for args in (("down",), ("down", "-1"), ("down", "base"), ("down", "--dry-run"), ("redo",)):
        code, out, err = run("-u", "sqlite:typo.db", "-d", str(mig.dir), *args)
        assert code == 1, (args, err)
        assert "database 'sqlite:typo.db' does not exist" in err, (args, err)
        assert listing(workdir) == before, args
    for args in (("status",), ("history",), ("validate",), ("check",), ("current",), ("show", "1")):
        run("-u", "sqlite:typo.db", "-d", str(mig.dir), *args)
        assert listing(workdir) == before, args


def test_down_and_redo_create_no_database_on_any_engine(strata, mig, engine):
    """A down or redo on a database (SQLite file, PostgreSQL schema, MySQL database) that is
    not there creates none: SQLite says it does not exist (exit 1); a server database or
    schema reads as empty, with nothing to roll back."""
    three(strata, mig)
    assert not engine.exists()
    for args in (("down",), ("down", "base"), ("redo",)):
        code, out, err = strata(*args)
        if engine.name == "sqlite":
            assert code == 1 and "does not exist" in err, (args, err)
        else:
            assert code in (0, 1), (args, err)
        assert not engine.exists(), args
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.exists()


@pytest.mark.sqlite_only
def test_restore_names_the_database_only_when_it_restores(strata, mig, engine, workdir):
    mig.simple(1, "one")
    up_ok(strata)
    code, obj, err = strata.json("backup")
    assert code == 0, err
    assert "strata: database:" not in err
    code, out, err = strata("restore")
    assert code == 0, err
    assert "strata: database:" not in err
    bak = sorted((workdir / "backups").glob("*.bak"))[-1]
    code, out, err = strata("restore", str(bak))
    assert code == 0, err
    assert DB_LINE.findall(err) == [engine.url]
