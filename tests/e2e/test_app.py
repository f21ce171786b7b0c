"""libstrata for applications, end to end.

- examples/app built against an *installed* strata (make install PREFIX=<tmp>, then
  pkg-config --cflags --libs strata): a fresh database twice (migrate, then nothing), and one
  an earlier build left at an older version; checked through the program's output and the
  database itself.
- The installed package: files, soname, pkg-config, only strata_* symbols exported (nm), and
  make uninstall removes it all.
- strata embed: deterministic output, and the exact bytes of tricky migrations through a
  compiled program (compared with what strata reads from the folder itself, and with what
  the CLI records when it applies the folder).
- docs/strata.1 and docs/strata.3 render without groff warnings and cover every command,
  option and API function; contrib/strata.bash completes commands, options and values.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, STRATA_BIN, checksum_of, clean_env, up_body

APP = REPO / "examples" / "app"
APP_MIGRATIONS = APP / "migrations"
COMPLETION = REPO / "contrib" / "strata.bash"
HEADER = REPO / "include" / "strata.h"

# Variables the Makefiles read from the environment: a test run under `make asan`
# inherits BUILD=build/asan, SANITIZE=... and MAKEFLAGS, which must not reach the
# builds below.
_MAKE_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS", "BUILD",
              "SANITIZE", "PREFIX", "DESTDIR", "CFLAGS", "CPPFLAGS", "LDFLAGS", "PKG_CONFIG_PATH",
              "PKG_CONFIG", "IN_TREE", "STRATA", "MIGRATIONS", "STRATA_BUILD", "WITH_POSTGRES")


def build_env(**extra):
    env = clean_env()
    for k in _MAKE_VARS:
        env.pop(k, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def sh(args, cwd=None, env=None, check=True, timeout=600):
    p = subprocess.run([str(a) for a in args], cwd=str(cwd or REPO), env=env or build_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d\n--- stdout ---\n%s\n--- stderr ---\n%s"
                             % (" ".join(map(str, args)), p.returncode, out[-6000:], err[-6000:]))
    return p.returncode, out, err


def need_tools(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip("needs %s on PATH" % ", ".join(missing))


def db_rows(path, sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def listing(root):
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def file_list(root):
    """Files and symlinks under root (not folders)."""
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir() or p.is_symlink())


# --------------------------------------------------------------------------- install

@pytest.fixture(scope="module")
def install_prefix(tmp_path_factory):
    """`make install PREFIX=<tmp>/prefix` from the repository root, as a user would after
    `make`: the prefix."""
    need_tools("make", "cc", "pkg-config")
    code, _, _ = sh(["pkg-config", "--exists", "sqlite3", "nettle", "jansson"], check=False)
    if code != 0:
        pytest.skip("pkg-config cannot find sqlite3, nettle and jansson (make deps)")
    prefix = tmp_path_factory.mktemp("install") / "prefix"
    sh(["make", "-s", "install", "PREFIX=%s" % prefix])
    return prefix


@pytest.fixture(scope="module")
def installed(install_prefix):
    """The prefix, once its strata.pc is known to point at it (what the builds below need)."""
    prefix = install_prefix
    pc = (prefix / "lib" / "pkgconfig" / "strata.pc").read_text()
    if "prefix=%s\n" % prefix not in pc:
        pytest.fail("the installed strata.pc does not name PREFIX=%s (a build/strata.pc made "
                    "earlier with another PREFIX was installed as it was):\n%s" % (prefix, pc))
    return prefix


def pc_env(prefix, **extra):
    return build_env(PKG_CONFIG_PATH=prefix / "lib" / "pkgconfig", **extra)


def pkg_config(prefix, *args):
    return sh(["pkg-config"] + list(args), env=pc_env(prefix))[1].strip()


def test_install_lays_out_a_package(install_prefix):
    p = install_prefix
    for f in ("bin/strata", "lib/libstrata.a", "lib/libstrata.so.0.1.0", "include/strata.h",
              "lib/pkgconfig/strata.pc", "share/man/man1/strata.1", "share/man/man3/strata.3",
              "share/bash-completion/completions/strata"):
        assert (p / f).is_file(), "make install did not install %s" % f
    assert os.access(p / "bin/strata", os.X_OK)
    assert os.readlink(p / "lib/libstrata.so") == "libstrata.so.0"
    assert os.readlink(p / "lib/libstrata.so.0") == "libstrata.so.0.1.0"
    assert (p / "include/strata.h").read_bytes() == HEADER.read_bytes()
    assert (p / "share/man/man1/strata.1").read_bytes() == (REPO / "docs/strata.1").read_bytes()
    assert (p / "share/bash-completion/completions/strata").read_bytes() == COMPLETION.read_bytes()
    code, out, _ = sh([p / "bin/strata", "--version"])
    version = re.search(r'#define STRATA_VERSION "([^"]+)"', HEADER.read_text()).group(1)
    assert out.strip() == "strata %s" % version

    # strata.pc must point at this prefix, even when build/ was made before with another one
    assert pkg_config(p, "--variable=prefix", "strata") == str(p), \
        "the installed strata.pc names another prefix:\n" + (p / "lib/pkgconfig/strata.pc").read_text()
    assert pkg_config(p, "--modversion", "strata") == version
    assert "-I%s/include" % p in pkg_config(p, "--cflags", "strata").split()
    libs = pkg_config(p, "--libs", "strata").split()
    assert "-L%s/lib" % p in libs and "-lstrata" in libs
    if shutil.which("readelf"):
        dyn = sh(["readelf", "-d", p / "lib/libstrata.so.0.1.0"])[1]
        assert "Library soname: [libstrata.so.0]" in dyn


def exported(lib):
    """(name, type) of every global symbol nm lists as defined in lib."""
    out = sh(["nm", "-g", "--defined-only", lib])[1]
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.append((parts[2], parts[1]))
    return syms


def test_installed_libraries_export_only_strata_symbols(install_prefix):
    need_tools("nm")
    names = set(re.findall(r"\bSTRATA_API\b[^;(]*?\b(strata_\w+)\s*\(", HEADER.read_text()))
    assert len(names) > 40
    for lib in ("libstrata.a", "libstrata.so.0.1.0"):
        syms = exported(install_prefix / "lib" / lib)
        assert syms, "nm lists nothing in %s" % lib
        foreign = sorted(n for n, _ in syms if not n.startswith("strata_"))
        assert foreign == [], "%s exports non-strata symbols: %s" % (lib, foreign[:20])
        functions = {n for n, t in syms if t == "T"}
        assert names <= functions, "%s lacks %s" % (lib, sorted(names - functions))


def test_uninstall_removes_what_install_put_there(tmp_path):
    need_tools("make")
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "lib" / "other.so").write_text("not ours")
    before = file_list(prefix)
    sh(["make", "-s", "install", "PREFIX=%s" % prefix])
    added = set(file_list(prefix)) - set(before)
    assert {"bin/strata", "lib/libstrata.a", "lib/libstrata.so", "lib/libstrata.so.0",
            "include/strata.h", "lib/pkgconfig/strata.pc"} <= added
    sh(["make", "-s", "uninstall", "PREFIX=%s" % prefix])
    assert file_list(prefix) == before, "left behind: %s" % sorted(set(file_list(prefix)) - set(before))


# --------------------------------------------------------------------------- examples/app

def build_app(prefix, build, migrations=None, via_env=False):
    """make -C examples/app against the installed strata, with PKG_CONFIG_PATH and STRATA
    on make's command line (as the README shows) or in the environment; returns the
    program's path."""
    args = ["make", "-C", APP, "BUILD=%s" % build]
    if migrations:
        args.append("MIGRATIONS=%s" % migrations)
    settings = {"PKG_CONFIG_PATH": prefix / "lib" / "pkgconfig", "STRATA": prefix / "bin" / "strata"}
    if via_env:
        env = build_env(**settings)
    else:
        env = build_env()
        args += ["%s=%s" % kv for kv in settings.items()]
    code, out, err = sh(args, env=env)
    # It used pkg-config's flags for the installed library, not the source tree.
    assert "-I%s/include" % prefix in out and "-L%s/lib" % prefix in out, out
    assert "../../build/libstrata.a" not in out
    return build / "inventory"


def run_app(program, *args, cwd):
    p = subprocess.run([str(program)] + [str(a) for a in args], cwd=str(cwd), env=clean_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def app_files():
    return sorted(APP_MIGRATIONS.glob("*.sql"))


def version_of(path):
    return int(Path(path).name.split("_", 1)[0])


def assert_fully_migrated(db):
    files = app_files()
    rows = db_rows(db, "SELECT version, name, checksum, down_sql FROM strata_migrations ORDER BY version")
    assert [r[0] for r in rows] == [version_of(f) for f in files]
    for (version, name, checksum, down_sql), f in zip(rows, files):
        assert f.name == "%03d_%s.sql" % (version, name)
        assert checksum == checksum_of(f.read_bytes()), f.name
        assert down_sql
    cols = [r[1] for r in db_rows(db, "PRAGMA table_info(servers)")]
    assert "location" in cols and "hostname" in cols
    objects = {r[0] for r in db_rows(db, "SELECT name FROM sqlite_master")}
    assert {"tags", "server_tags", "inventory", "servers_location"} <= objects
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_example_app_files():
    names = [f.name for f in app_files()]
    assert len(names) >= 3 and names[0].startswith("001_")
    assert (APP / "app.c").is_file() and (APP / "Makefile").is_file() and (APP / "README.md").is_file()
    src = (APP / "app.c").read_text()
    for call in ("strata_open_sqlite", "strata_add_migrations", "strata_set_log", "strata_up",
                 "strata_errmsg", "strata_close", "app_migrations_count", "STRATA_LATEST"):
        assert call in src, call


def test_app_built_against_installed_library_migrates_then_does_nothing(installed, tmp_path):
    program = build_app(installed, tmp_path / "build")
    if shutil.which("readelf"):
        dyn = sh(["readelf", "-d", program])[1]
        assert "Shared library: [libstrata.so.0]" in dyn
    if shutil.which("ldd"):
        ldd = sh(["ldd", program])[1]
        assert "%s/lib/libstrata.so.0" % installed in ldd, ldd

    work = tmp_path / "work"
    work.mkdir()
    db = work / "inventory.db"

    # first run: every migration, in order, then the (empty) inventory
    code, out, err = run_app(program, db, cwd=work)
    assert code == 0, err
    applied = re.findall(r"applied (\d+)_(\w+) \(\d+ ms\)", err)
    assert [int(v) for v, _ in applied] == [version_of(f) for f in app_files()], err
    assert "is at version %d" % version_of(app_files()[-1]) in err
    assert out == "no servers\n"
    assert_fully_migrated(db)
    history = db_rows(db, "SELECT version, direction, status FROM strata_history ORDER BY id")
    assert history == [(version_of(f), "up", "success") for f in app_files()]

    # second run: nothing to do, nothing written
    before = db.read_bytes()
    backups = listing(work / "backups")
    code, out, err = run_app(program, db, cwd=work)
    assert code == 0, err
    assert "schema is up to date" in err
    assert not re.search(r"applied \d+_", err), err
    assert "backup" not in err
    assert db.read_bytes() == before
    assert listing(work / "backups") == backups

    # the program keeps using its handle after strata is done with it: the newest columns
    code, out, err = run_app(program, db, "add", "web01", "rack-a1", "prod", "web", cwd=work)
    assert code == 0, err
    assert "schema is up to date" in err
    code, out, err = run_app(program, db, "add", "db01", "rack-b2", "prod", cwd=work)
    assert code == 0, err
    code, out, err = run_app(program, db, "list", cwd=work)
    assert code == 0, err
    lines = [l.split() for l in out.splitlines()]
    assert lines == [["HOSTNAME", "LOCATION", "TAGS"], ["web01", "rack-a1", "prod,web"],
                     ["db01", "rack-b2", "prod"]]
    assert db_rows(db, "SELECT hostname, location FROM servers ORDER BY id") == \
        [("web01", "rack-a1"), ("db01", "rack-b2")]
    assert db_rows(db, "SELECT count(*) FROM server_tags") == [(3,)]
    assert len(db_rows(db, "SELECT * FROM strata_history")) == len(app_files())

    # the default database is inventory.db in the working directory
    other = tmp_path / "other"
    other.mkdir()
    code, out, err = run_app(program, cwd=other)
    assert code == 0, err
    assert (other / "inventory.db").is_file()


def test_app_upgrades_a_database_left_by_an_older_build(installed, tmp_path):
    files = app_files()
    old_dir = tmp_path / "old-migrations"
    old_dir.mkdir()
    for f in files[:2]:
        shutil.copy(f, old_dir / f.name)
    old_program = build_app(installed, tmp_path / "old", migrations=old_dir, via_env=True)
    shutil.rmtree(old_dir)  # the migrations are inside the binary

    work = tmp_path / "work"
    work.mkdir()
    db = work / "inventory.db"
    code, out, err = run_app(old_program, db, "migrate", cwd=work)
    assert code == 0, err
    assert "is at version %d" % version_of(files[1]) in err
    assert out == ""
    assert [r[0] for r in db_rows(db, "SELECT version FROM strata_migrations ORDER BY version")] == \
        [version_of(f) for f in files[:2]]
    # data the older program wrote
    con = sqlite3.connect(str(db))
    con.execute("INSERT INTO servers (hostname, ip_address, location) VALUES ('legacy01', '10.0.0.5', 'dc1')")
    con.commit()
    con.close()

    program = build_app(installed, tmp_path / "new")
    code, out, err = run_app(program, db, cwd=work)
    assert code == 0, err
    applied = [int(v) for v in re.findall(r"applied (\d+)_\w+ \(", err)]
    assert applied == [version_of(f) for f in files[2:]], err
    # strata's own log line about the backup came through the application's log
    m = re.search(r"^inventory: info: strata: backup: (\S+)$", err, re.M)
    assert m, err
    backup = Path(m.group(1))
    assert backup.parent == work / "backups"
    assert re.fullmatch(r"inventory\.db\.\d{8}T\d{6}Z(-\d+)?\.v%d\.bak" % version_of(files[1]), backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # the state before this run
    assert db_rows(backup, "SELECT max(version) FROM strata_migrations") == [(version_of(files[1]),)]
    assert db_rows(backup, "SELECT hostname FROM servers") == [("legacy01",)]
    assert not db_rows(backup, "SELECT name FROM sqlite_master WHERE name = 'tags'")
    assert [r.split() for r in out.splitlines()] == [["HOSTNAME", "LOCATION", "TAGS"], ["legacy01", "dc1"]]
    assert_fully_migrated(db)
    rows = db_rows(db, "SELECT version, status, backup_path FROM strata_history WHERE version > ? ORDER BY id",
                   version_of(files[1]))
    assert rows == [(version_of(f), "success", str(backup)) for f in files[2:]]

    # and the older build, run again on the newer database, changes nothing
    before = db.read_bytes()
    code, out, err = run_app(old_program, db, "migrate", cwd=work)
    assert code == 0, err
    assert db.read_bytes() == before
    # strata's warnings come through the application's log too
    assert re.search(r"^inventory: warning: strata: applied migration %d_\w+ has no file" % version_of(files[2]),
                     err, re.M), err


def test_app_first_run_on_a_new_file_takes_no_backup(installed, tmp_path):
    """SPEC 8: a run on a SQLite file that did not exist before writes no backup, also when
    the application opened (and so created) the file itself."""
    program = build_app(installed, tmp_path / "build")
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = run_app(program, work / "inventory.db", "migrate", cwd=work)
    assert code == 0, err
    assert listing(work / "backups") == [], "a backup of an empty file: %s" % err
    assert "backup" not in err
    assert db_rows(work / "inventory.db", "SELECT backup_path FROM strata_history") == \
        [(None,)] * len(app_files())


def test_app_reports_a_failed_start_up(installed, tmp_path):
    program = build_app(installed, tmp_path / "build")
    work = tmp_path / "work"
    work.mkdir()
    db = work / "inventory.db"
    code, out, err = run_app(program, db, "migrate", cwd=work)
    assert code == 0, err
    # an applied migration that no longer matches what the program carries
    con = sqlite3.connect(str(db))
    con.execute("UPDATE strata_migrations SET checksum = ? WHERE version = 2", ("0" * 64,))
    con.commit()
    con.close()
    before = db.read_bytes()
    code, out, err = run_app(program, db, "add", "web01", cwd=work)
    assert code == 1
    assert out == ""
    m = re.search(r"^inventory: error: cannot migrate %s: (.+)$" % re.escape(str(db)), err, re.M)
    assert m, err
    assert "add_location" in m.group(1) and "checksum" in m.group(1), m.group(1)
    assert db.read_bytes() == before
    assert db_rows(db, "SELECT count(*) FROM servers") == [(0,)]


def test_app_builds_in_tree_without_an_installed_strata(tmp_path):
    """IN_TREE=1: ../../include, ../../build/libstrata.a and ../../build/strata."""
    need_tools("make", "cc", "pkg-config")
    sh(["make", "-s", "all"])
    build = tmp_path / "build"
    code, out, err = sh(["make", "-C", APP, "IN_TREE=1", "BUILD=%s" % build])
    assert "../../build/libstrata.a" in out and "-I../../include" in out
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = run_app(build / "inventory", "inv.db", "add", "edge01", "pop-1", "edge", cwd=work)
    assert code == 0, err
    assert out == "added edge01 (pop-1)\n"
    # nothing to rebuild; a changed migration regenerates the embedded file
    code, out, _ = sh(["make", "-C", APP, "IN_TREE=1", "BUILD=%s" % build])
    assert "embed" not in out
    mig = tmp_path / "mig"
    shutil.copytree(APP_MIGRATIONS, mig)
    code, out, _ = sh(["make", "-C", APP, "IN_TREE=1", "BUILD=%s" % build, "MIGRATIONS=%s" % mig])
    assert "embed" in out
    generated = (build / "migrations.c").read_bytes()
    with open(mig / "002_add_location.sql", "a") as f:
        f.write("-- a comment at the end of the down section\n")
    code, out, _ = sh(["make", "-C", APP, "IN_TREE=1", "BUILD=%s" % build, "MIGRATIONS=%s" % mig])
    assert "embed" in out and (build / "migrations.c").read_bytes() != generated
    (mig / "005_extra.sql").write_text("-- strata:up\nCREATE TABLE extra (id INTEGER);\n")
    code, out, _ = sh(["make", "-C", APP, "IN_TREE=1", "BUILD=%s" % build, "MIGRATIONS=%s" % mig])
    assert "embed" in out and b"005" not in generated and b"extra" in (build / "migrations.c").read_bytes()


def test_make_examples_builds_the_app(tmp_path):
    """`make examples` at the top builds examples/app against the tree, into build/."""
    need_tools("make", "cc", "pkg-config")
    sh(["make", "-s", "examples"])
    program = REPO / "build" / "examples" / "app" / "inventory"
    assert program.is_file(), "make examples did not build %s" % program
    code, out, err = run_app(program, tmp_path / "inv.db", cwd=tmp_path)
    assert code == 0, err
    assert out == "no servers\n"


# --------------------------------------------------------------------------- strata embed

LONG_LINE_BYTES = 120 * 1024


def tricky_folder(d):
    """Migrations whose bytes are hard to carry through C source."""
    d.mkdir()
    long_value = "".join("é%d??=\\'\"\t%%" % (i % 10) for i in range(LONG_LINE_BYTES // 12))
    long_value = long_value.replace("'", "''")
    assert len(long_value.encode()) > 100 * 1024
    (d / "001_tricky.sql").write_bytes((
        "-- Tricky \"bytes\": back\\slash, 'quotes', ??= ??/ trigraphs, é ü 日本 🚀\n"
        "-- strata:up\n"
        "CREATE TABLE tricky (id INTEGER PRIMARY KEY, body TEXT);\n"
        "INSERT INTO tricky (body) VALUES ('back\\slash \\\\ \\n \\t \\\" \"dq\" ''sq'' ??= ??/ ??( ??) ??! ??< ??> ??- ??'' ?\\??=');\n"
        "-- a comment with */ and /* and // and a backslash at the end \\\n"
        "INSERT INTO tricky (body) VALUES ('tab\tinside\tand a trailing tab\t');\n"
        "INSERT INTO tricky (body) VALUES ('é1 ü07 ß\x7f\x1b\x01 \f 日本語 🚀 %s %d %% \\0 \\x41 \\101');\n"
        "INSERT INTO tricky (body) VALUES ('" + long_value + "');\n"
        "\n-- strata:down\n"
        "DROP TABLE tricky; -- ??= \\ \"\n"
    ).encode("utf-8"))
    (d / "002_pair.up.sql").write_bytes(
        "-- strata:no-transaction\n-- Index, no transaction ??/\nCREATE INDEX tricky_body ON tricky (body);\n"
        .encode())
    (d / "002_pair.down.sql").write_bytes("DROP INDEX tricky_body; -- \\\n".encode())
    (d / "003_irreversible.sql").write_bytes(
        "-- One way only\n-- strata:up\nINSERT INTO tricky (body) VALUES ('one way ??=');\n".encode())
    (d / "004_empty-down.sql").write_bytes(
        "-- strata:up\nINSERT INTO tricky (body) VALUES ('\t\"\\\\\"\t');\n-- strata:down\n".encode())
    (d / "005_no_markers.sql").write_bytes(
        "-- Header comments are part of the body\n\t\nINSERT INTO tricky (body) VALUES ('nm');   \n\n\n".encode())
    (d / "20261122093000_timestamped.sql").write_bytes(
        "-- strata:up\nCREATE TABLE later (v TEXT DEFAULT 'x\\y');\n-- strata:down\nDROP TABLE later;\n".encode())
    (d / "README.md").write_text("not a migration\n")
    return d


ROUNDTRIP_C = r"""
/* roundtrip.c - the embedded array against what strata reads from the folder itself. */
#include <stdio.h>
#include <string.h>

#include <strata.h>

#include "tricky.h"

static int bad;

static void check(int ok, size_t i, const char *what)
{
	if (!ok) {
		printf("mismatch in migration %zu: %s\n", i, what);
		bad++;
	}
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
	if (!a || !b)
		return a == b;
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static const char *str(const char *s)
{
	return s ? s : "";
}

static void dump(const char *dir, long long v, const char *what, const char *p, size_t n)
{
	char path[4096];
	FILE *f;

	if (!p)
		return;
	snprintf(path, sizeof(path), "%s/%lld.%s", dir, v, what);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		bad++;
}

int main(int argc, char **argv)
{
	strata *dir_ctx = NULL, *db_ctx = NULL;
	const strata_migration *m;
	strata_run *run = NULL;
	size_t n, i;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: roundtrip DIR URL DUMPDIR\n");
		return 2;
	}
	rc = strata_open(&dir_ctx, NULL);
	if (!rc)
		rc = strata_add_dir(dir_ctx, argv[1]);
	if (!rc)
		rc = strata_list_migrations(dir_ctx, &m, &n);
	if (rc) {
		fprintf(stderr, "folder: %s\n", strata_errmsg(dir_ctx));
		return 1;
	}
	check(n == tricky_count, 0, "count");
	for (i = 0; i < n && i < tricky_count; i++) {
		const strata_migration *e = &tricky[i], *f = &m[i];

		check(e->version == f->version, i, "version");
		check(!strcmp(str(e->name), str(f->name)), i, "name");
		check(!strcmp(str(e->description), str(f->description)), i, "description");
		check(e->flags == f->flags, i, "flags");
		check(same(e->up, e->up_len, f->up, f->up_len), i, "up");
		check(e->up[e->up_len] == '\0', i, "up terminator");
		check(same(e->down, e->down_len, f->down, f->down_len), i, "down");
		dump(argv[3], (long long)e->version, "up", e->up, e->up_len);
		dump(argv[3], (long long)e->version, "down", e->down, e->down_len);
	}
	rc = strata_open(&db_ctx, argv[2]);
	if (!rc)
		rc = strata_add_migrations(db_ctx, tricky, tricky_count);
	if (!rc)
		rc = strata_up(db_ctx, STRATA_LATEST, 0, &run);
	if (rc) {
		fprintf(stderr, "up: %s\n", strata_errmsg(db_ctx));
		bad++;
	} else {
		printf("applied %zu\n", run->n_done);
	}
	strata_run_free(run);
	strata_close(db_ctx);
	strata_close(dir_ctx);
	if (!bad)
		printf("same %zu\n", n);
	return bad ? 1 : 0;
}
"""


def embed(run, folder, out, symbol="tricky"):
    code, _, err = run("embed", folder, "-o", out, "--symbol", symbol)
    assert code == 0, err
    h = Path(str(out)[:-2] + ".h")
    return Path(out).read_bytes(), h.read_bytes()


def test_embed_is_deterministic(run, tmp_path):
    folder = tricky_folder(tmp_path / "mig")
    (tmp_path / "a").mkdir()
    first = embed(run, folder, tmp_path / "a" / "tricky.c")
    second = embed(run, folder, tmp_path / "a" / "tricky.c")
    assert first == second
    (tmp_path / "b").mkdir()
    assert embed(run, folder, tmp_path / "b" / "tricky.c") == first
    # standard output is the same source, with the header's place taken by <strata.h>
    code1, out1, _ = run("embed", folder, "--symbol", "tricky")
    code2, out2, _ = run("embed", folder, "--symbol", "tricky")
    assert code1 == code2 == 0 and out1 == out2
    src = first[0]
    assert all(b < 0x80 for b in src), "the generated source is not plain ASCII"
    assert b"??" not in src, "a trigraph could form in the generated source"
    assert b'#include "tricky.h"' in src
    header = first[1].decode()
    assert "extern const strata_migration tricky[];" in header
    assert "extern const size_t tricky_count;" in header
    assert b"const size_t tricky_count = 6;" in src
    # the example's own folder too
    code1, a, _ = run("embed", APP_MIGRATIONS)
    code2, b, _ = run("embed", APP_MIGRATIONS)
    assert code1 == code2 == 0 and a == b and a


def test_embed_round_trips_exact_bytes(installed, run, tmp_path):
    """Compile the generated file into a program, strictly (-std=c11 has trigraphs on), and
    compare its array with what strata reads from the folder; apply both ways and compare the
    tracking rows."""
    folder = tricky_folder(tmp_path / "mig")
    src, _ = embed(run, folder, tmp_path / "tricky.c")
    (tmp_path / "roundtrip.c").write_text(ROUNDTRIP_C)
    env = pc_env(installed)
    flags = sh(["pkg-config", "--cflags", "--libs", "strata"], env=env)[1].split()
    libdir = pkg_config(installed, "--variable=libdir", "strata")
    sh(["cc", "-std=c11", "-trigraphs", "-Wall", "-Wextra", "-Werror", "-I%s" % tmp_path,
        "-o", tmp_path / "roundtrip", tmp_path / "roundtrip.c", tmp_path / "tricky.c"]
       + flags + ["-Wl,-rpath,%s" % libdir], env=env)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    embedded_db = tmp_path / "embedded.db"
    code, out, err = sh([tmp_path / "roundtrip", folder, "sqlite:%s" % embedded_db, dumps], check=False)
    assert code == 0, out + err
    assert "applied 6" in out and "same 6" in out

    # the bodies, byte for byte, as SPEC 8 defines them
    for f in ("001_tricky.sql", "003_irreversible.sql", "004_empty-down.sql", "005_no_markers.sql",
              "20261122093000_timestamped.sql"):
        v = version_of(f)
        assert (dumps / ("%d.up" % v)).read_bytes() == up_body((folder / f).read_bytes()).encode(), f
    assert len((dumps / "1.up").read_bytes()) > 100 * 1024
    assert (dumps / "2.down").read_bytes() == b"DROP INDEX tricky_body; -- \\"
    assert not (dumps / "3.down").exists()              # irreversible: no down at all
    assert (dumps / "4.down").read_bytes() == b""        # an empty down section

    # the CLI applying the folder records exactly what the embedded program recorded
    cli_db = tmp_path / "cli.db"
    code, _, err = run("-u", "sqlite:%s" % cli_db, "-d", folder, "up")
    assert code == 0, err
    cols = "version, name, description, checksum, checksum_algo, up_sql, down_sql"
    q = "SELECT %s FROM strata_migrations ORDER BY version" % cols
    from_embedded, from_cli = db_rows(embedded_db, q), db_rows(cli_db, q)
    assert len(from_cli) == 6
    assert from_embedded == from_cli
    for row in from_cli:
        assert row[3] == hashlib.sha256((dumps / ("%d.up" % row[0])).read_bytes()).hexdigest()
    assert db_rows(embedded_db, "SELECT body FROM tricky ORDER BY id") == \
        db_rows(cli_db, "SELECT body FROM tricky ORDER BY id")


@pytest.mark.parametrize("compiler", ["cc", "clang"])
def test_embed_output_compiles_warning_free_under_pedantic(run, tmp_path, compiler):
    """Applications build with -Wpedantic -Werror: a body longer than the 4095 bytes ISO C
    asks compilers to accept in a string literal must not break that build."""
    need_tools(compiler)
    folder = tricky_folder(tmp_path / "mig")
    embed(run, folder, tmp_path / "tricky.c")
    code, out, err = sh([compiler, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                         "-I%s" % (REPO / "include"), "-c", "-o", tmp_path / "tricky.o",
                         tmp_path / "tricky.c"], check=False)
    assert code == 0, err[:2000]


# --------------------------------------------------------------------------- man pages

def help_json(*args):
    p = subprocess.run([STRATA_BIN, "--json", "help"] + list(args), env=clean_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def commands_and_options():
    top = help_json()
    commands = [c["name"] for c in top["commands"]]
    per_command = {c: help_json(c)["options"] for c in commands}
    return commands, top["options"], per_command


def man_text(page):
    """The page's source with roff's escaped hyphens as plain ones."""
    return (REPO / "docs" / page).read_text().replace("\\-", "-")


@pytest.mark.parametrize("page", ["strata.1", "strata.3"])
def test_man_page_renders_without_warnings(page):
    need_tools("groff")
    p = subprocess.run(["groff", "-ww", "-man", "-Tutf8", str(REPO / "docs" / page)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0
    assert p.stderr.decode() == ""
    assert len(p.stdout) > 5000


def test_man_page_covers_every_command_option_and_setting():
    text = man_text("strata.1")
    commands, global_opts, per_command = commands_and_options()
    headings = re.findall(r'^\.SS "?([a-z]+)', text, re.M)
    assert headings == commands, "each command needs its .SS section, in the order of 'strata help'"
    sections = re.split(r"^\.SS ", text, flags=re.M)
    for o in global_opts:
        assert o["name"] in text, o["name"]
        if o["short"]:
            assert re.search(r"%s\b" % re.escape(o["short"]), text), o["short"]
    for c in commands:
        body = next(s for s in sections[1:] if re.match(r'"?%s\b' % c, s))
        for o in per_command[c]:
            assert o["name"] in body, "%s %s" % (c, o["name"])
            if o["short"]:
                assert o["short"] in body, "%s %s" % (c, o["short"])
    for var in ("DATABASE_URL", "STRATA_DIR", "STRATA_TABLE", "STRATA_BACKUP_DIR", "STRATA_KEEP_BACKUPS",
                "STRATA_LOCK_TIMEOUT", "NO_COLOR", ".env"):
        assert var in text, var
    for heading in ("EXIT STATUS", "ENVIRONMENT", "DATABASE URLS", "MIGRATION FILES", "TRACKING TABLES",
                    "BACKUPS", "EXAMPLES"):
        assert re.search(r'^\.SH "?%s"?$' % heading, text, re.M), heading
    exit_status = text.split(".SH \"EXIT STATUS\"")[1].split(".SH")[0]
    assert re.findall(r"^\.B ([0-9])$", exit_status, re.M) == ["0", "1", "2", "3"]
    for marker in ("strata:up", "strata:down", "strata:no-transaction", ".up.sql", ".down.sql", "sha256",
                   "sqlite::memory:", "postgres://", "mysql://", "strata_migrations", "strata_history",
                   ".strata.lock"):
        assert marker in text, marker


def test_library_man_page_covers_every_function():
    text = man_text("strata.3")
    names = set(re.findall(r"\bSTRATA_API\b[^;(]*?\b(strata_\w+)\s*\(", HEADER.read_text()))
    missing = sorted(n for n in names if not re.search(r"\b%s\(" % n, text))
    assert missing == [], "strata(3) does not document %s" % missing
    for rc in re.findall(r"^\s*(STRATA_E\w+|STRATA_OK|STRATA_ERROR) =", HEADER.read_text(), re.M):
        assert rc in text, rc
    for word in ("strata_open_sqlite", "strata_set_log", "STRATA_LATEST", "THREAD SAFETY", "strata embed"):
        assert word in text


# --------------------------------------------------------------------------- bash completion

def complete(*words, cwd=None, line=None, env=None):
    """COMPREPLY of _strata for the words given, the last one being typed.  With line=, the
    words are split as bash splits them (at ':' and '=' too) and COMP_LINE is set."""
    need_tools("bash")
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '[[ -n $LINE ]] && { COMP_LINE=$LINE; COMP_POINT=${#LINE}; }; '
              '_strata; printf "%s\\n" "${COMPREPLY[@]}"')
    e = clean_env(env)
    e["LINE"] = line or ""
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", str(COMPLETION)] + list(words),
                       cwd=str(cwd or REPO), env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    return sorted(x for x in p.stdout.decode().split("\n") if x)


def test_completion_commands_and_options():
    commands, global_opts, per_command = commands_and_options()
    assert complete("strata", "") == sorted(commands)
    assert complete("strata", "u") == ["up"]
    assert complete("strata", "re") == ["recover", "redo", "repair", "restore"]
    assert complete("strata", "help", "st") == ["stamp", "status"]
    # global options anywhere; the value of one is not the command
    assert complete("strata", "--json", "d") == ["down"]
    assert complete("strata", "-u", "sqlite:x.db", "-d", "m", "u") == ["up"]
    assert complete("strata", "--lock-timeout", "5", "h") == ["help", "history"]
    longs = {o["name"] for o in global_opts}
    shorts = {o["short"] for o in global_opts if o["short"]}
    assert set(complete("strata", "--")) == longs
    assert set(complete("strata", "-")) == longs | shorts
    for c in commands:
        own = {o["name"] for o in per_command[c]}
        got = set(complete("strata", c, "--"))
        assert got == longs | own, c
    assert complete("strata", "down", "--st") == ["--steps"]
    assert complete("strata", "--json", "up", "--d") == ["--dir", "--dry-run"]
    assert complete("strata", "schema", "--format", "") == ["json", "sql"]
    assert complete("strata", "down", "--steps", "") == []


def test_completion_values(tmp_path):
    (tmp_path / "migrations").mkdir()
    for f in ("001_a.sql", "002_b.up.sql", "002_b.down.sql", "010_c.sql"):
        (tmp_path / "migrations" / f).write_text("-- strata:up\nSELECT 1;\n")
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "db.sqlite3.20261122T000000Z.v1.bak").write_text("")
    (tmp_path / "old.bak").write_text("")
    (tmp_path / "app.db").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "sub").mkdir()

    assert complete("strata", "up", "", cwd=tmp_path) == ["001", "002", "010"]
    assert complete("strata", "down", "", cwd=tmp_path) == ["001", "002", "010", "base"]
    assert complete("strata", "-d", "sub", "up", "", cwd=tmp_path) == []
    assert complete("strata", "backup", "--output", "n", cwd=tmp_path) == ["notes.txt"]
    (tmp_path / "my dump*.bak").write_text("")
    assert complete("strata", "restore", "my", cwd=tmp_path) == ["my dump*.bak"]
    (tmp_path / "my dump*.bak").unlink()
    assert complete("strata", "embed", "-o", "", cwd=tmp_path) == \
        ["app.db", "backups", "migrations", "notes.txt", "old.bak", "sub"]
    assert complete("strata", "--dir", "", cwd=tmp_path) == ["backups", "migrations", "sub"]
    assert complete("strata", "--backup-dir", "s", cwd=tmp_path) == ["sub"]
    assert complete("strata", "embed", "m", cwd=tmp_path) == ["migrations"]
    assert complete("strata", "restore", "", cwd=tmp_path) == \
        ["backups", "backups/db.sqlite3.20261122T000000Z.v1.bak", "migrations", "old.bak", "sub"]
    assert complete("strata", "restore", "o", cwd=tmp_path) == ["old.bak"]
    assert complete("strata", "-u", "", cwd=tmp_path) == \
        sorted(["sqlite:", "postgres://", "postgresql://", "mysql://", "mariadb://", "app.db",
                "backups", "migrations", "sub"])
    assert complete("strata", "-u", "sqlite:a", cwd=tmp_path) == ["sqlite:app.db"]
    # as bash splits the line: at ':' and '=', replacing only its own last word
    assert complete("strata", "-u", "sqlite", ":", "a", line="strata -u sqlite:a", cwd=tmp_path) == ["app.db"]
    assert complete("strata", "--dir", "=", "mi", line="strata --dir=mi", cwd=tmp_path) == ["migrations"]
    assert complete("strata", "-u", "sqlite", ":", "x.db", "st", line="strata -u sqlite:x.db st",
                    cwd=tmp_path) == ["stamp", "status"]
    assert complete("strata", "schema", "--format", "=", line="strata schema --format=") == ["=json", "=sql"]


def test_completion_script_is_clean():
    need_tools("bash")
    sh(["bash", "-n", COMPLETION])
    if shutil.which("shellcheck"):
        sh(["shellcheck", "-s", "bash", COMPLETION])
