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


# --------------------------------------------------------------------------- passwords never print

import socket
from urllib.parse import urlsplit, urlunsplit

SECRET = "Hunter2Secret"


def closed_port():
    """A loopback TCP port nothing listens on (bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Each form of a password the parser reads; {port} is a closed port.
TRICKY_URLS = [
    "postgres://u@127.0.0.1:{port}/db?pass%77ord=" + SECRET,
    "postgres://u@127.0.0.1:{port}/db?%70assword=" + SECRET + "&sslmode=disable",
    "postgres://u@127.0.0.1:{port}/db?password=abc%20" + SECRET,
    "postgres://u@127.0.0.1:{port}/db?password=abc " + SECRET + "&sslmode=disable",
    "postgres://u@127.0.0.1:{port}/db?password=abc\t" + SECRET,
    "postgres://u:abc " + SECRET + "@127.0.0.1:{port}/db",
    "postgres://u:p%40" + SECRET + "@127.0.0.1:{port}/db",
    "postgres://u:p:w@" + SECRET + "@127.0.0.1:{port}/db",
    "postgres://u:pa/" + SECRET + "@127.0.0.1:{port}/db",
    "postgresql+psycopg2://u:" + SECRET + "@127.0.0.1:{port}/db?sslmode=disable",
    "postgres://u:" + SECRET + "@localhost:{port}/db",
    "host=127.0.0.1 port={port} dbname=db user=u password='a b\\' " + SECRET + "'",
    "host=127.0.0.1 port={port} dbname=db user=u password=a\\ " + SECRET,
    "host=127.0.0.1 port={port} user=u password = '" + SECRET + "' connect_timeout=5",
    "mysql+pymysql://u:" + SECRET + "@127.0.0.1:{port}/db?charset=utf8mb4",
    "mysql+mysqldb://u:p%40" + SECRET + "@127.0.0.1:{port}/db?sslmode=disable",
    "mysql://u@127.0.0.1:{port}/db?pass%77ord=" + SECRET,
    "mysql://u:" + SECRET + "@localhost:{port}/db",
    "mariadb://u:pa/ss%20" + SECRET + "@127.0.0.1:{port}/db",
    "mariadb://u:abc " + SECRET + "@127.0.0.1:{port}/db",
]


def assert_hidden(out, err):
    text = out + err
    assert SECRET not in text, text
    assert "Secret" not in text, text
    assert "****" in text, text


@pytest.mark.parametrize("url", TRICKY_URLS)
@pytest.mark.parametrize("args", [["status"], ["up"], ["--json", "up"], ["-v", "validate"],
                                  ["history"]])
def test_tricky_password_never_printed_on_connect_failure(run, mig, url, args):
    mig.simple(1, "one")
    url = url.format(port=closed_port())
    code, out, err = run("-u", url, "-d", str(mig.dir), "--lock-timeout", "1", *args)
    assert code == 1, (out, err)
    assert "strata: error:" in err or '"error"' in out
    assert_hidden(out, err)


@pytest.mark.parametrize("url", TRICKY_URLS[::3])
def test_tricky_password_from_environment_never_printed(run, workdir, mig, url):
    mig.simple(1, "one")
    url = url.format(port=closed_port())
    code, out, err = run("-d", str(mig.dir), "status", env={"DATABASE_URL": url})
    assert code == 1, (out, err)
    assert_hidden(out, err)


@pytest.mark.parametrize("url", [
    "mysql://u:" + SECRET + "@127.0.0.1:{port}/db?charset=latin1",
    "postgres://u@127.0.0.1:{port}/db?pass%77ord=" + SECRET + "&charset=latin1",
    "postgres://u:" + SECRET + "@127.0.0.1:notaport/db",
    "host=127.0.0.1 port=x password='" + SECRET + " x'",
    "host=127.0.0.1 junk password=" + SECRET,
    "host=127.0.0.1 password='" + SECRET,
])
@pytest.mark.parametrize("args", [["status"], ["--json", "up"]])
def test_tricky_password_never_printed_on_bad_url(run, mig, url, args):
    mig.simple(1, "one")
    url = url.format(port=closed_port())
    code, out, err = run("-u", url, "-d", str(mig.dir), *args)
    assert code == 2, (out, err)
    assert_hidden(out, err)


@pytest.mark.parametrize("args", [
    ["postgres://u:abc " + SECRET + "@h/db"],
    ["--keep-backups", "password='" + SECRET + " x'", "status"],
    ["--keep-backups", "mysql://u@h/db?pass%77ord=" + SECRET, "status"],
])
def test_password_in_a_bad_argument_never_printed(run, mig, args):
    code, out, err = run("-d", str(mig.dir), *args)
    assert code == 2, (out, err)
    assert_hidden(out, err)


def test_charset_other_than_utf8mb4_is_exit_2(run, mig):
    mig.simple(1, "one")
    code, out, err = run("-u", "mysql://u@127.0.0.1:%d/db?charset=latin1" % closed_port(),
                         "-d", str(mig.dir), "status")
    assert code == 2, (out, err)
    assert "unsupported charset 'latin1'" in err
    assert "strata always uses utf8mb4" in err


def test_mysql_localhost_with_port_is_tcp(run, mig):
    """MariaDB's client reads a bare "localhost" as its socket; with a port it is TCP."""
    mig.simple(1, "one")
    code, out, err = run("-u", "mysql://u@localhost:%d/db" % closed_port(), "-d", str(mig.dir),
                         "status")
    assert code == 1, (out, err)
    assert "socket" not in err, err
    assert "localhost" in err


# --------------------------------------------------------------------------- URLs people already have

def with_driver(url, driver):
    u = urlsplit(url)
    return urlunsplit(u._replace(scheme="%s+%s" % (u.scheme, driver)))


def with_host(url, host):
    u = urlsplit(url)
    netloc = u.netloc.rsplit("@", 1)
    hostport = netloc[-1]
    port = hostport.rsplit(":", 1)[1] if ":" in hostport else None
    new = host + (":" + port if port else "")
    netloc = (netloc[0] + "@" + new) if len(netloc) == 2 else new
    return urlunsplit(u._replace(netloc=netloc))


def with_query(url, q):
    return url + ("&" if "?" in url else "?") + q


def server_only(engine):
    if engine.name == "sqlite":
        pytest.skip("server URL forms")


@pytest.mark.parametrize("form", ["driver", "localhost", "charset", "sslmode", "all"])
def test_server_url_forms_connect(run, engine, mig, form):
    server_only(engine)
    mig.simple(1, "one")
    driver = "psycopg2" if engine.name == "postgres" else "pymysql"
    url = engine.url
    if form in ("driver", "all"):
        url = with_driver(url, driver)
    if form in ("localhost", "all"):
        url = with_host(url, "localhost")
    if form in ("charset", "all"):
        url = with_query(url, "charset=" + ("utf8mb4" if engine.name == "mysql" else "utf8"))
    if form in ("sslmode", "all"):
        url = with_query(url, "sslmode=disable")
    code, out, err = run("-u", url, "-d", str(mig.dir), "up")
    assert code == 0, (url, out, err)
    assert [int(v) for v in engine.applied()] == [1]
    code, out, err = run("-u", url, "-d", str(mig.dir), "status")
    assert code == 0, err
    assert engine.password not in out + err
    assert engine.has_table("t_one")


@pytest.mark.sqlite_only
def test_sqlalchemy_sqlite_three_slashes_is_relative(run, workdir, mig):
    mig.simple(1, "one")
    code, out, err = run("-u", "sqlite+pysqlite:///app.db", "-d", str(mig.dir), "up")
    assert code == 0, err
    assert (workdir / "app.db").exists()
    code, out, err = run("-u", "sqlite+pysqlite:///sub/../app.db", "-d", str(mig.dir), "status")
    assert code == 0, err


@pytest.mark.sqlite_only
def test_sqlalchemy_sqlite_four_slashes_is_absolute(run, workdir, tmp_path, mig):
    mig.simple(1, "one")
    target = tmp_path / "abs" / "app.db"
    target.parent.mkdir()
    code, out, err = run("-u", "sqlite+pysqlite:///" + str(target), "-d", str(mig.dir), "up")
    assert code == 0, err
    assert target.exists()
    assert not (workdir / "app.db").exists()


@pytest.mark.sqlite_only
def test_plain_sqlite_three_slashes_stays_absolute(run, workdir, tmp_path, mig):
    mig.simple(1, "one")
    target = tmp_path / "plain.db"
    code, out, err = run("-u", "sqlite://" + str(target), "-d", str(mig.dir), "up")
    assert code == 0, err
    assert target.exists()
