"""Other tools' migration folders read as they are (SPEC sections 2, 8 and 10).

For each layout strata reads (golang-migrate, dbmate, goose, sql-migrate, Flyway, diesel,
Prisma): it applies, rolls back where the format has downs, and `status` names the format.
Then the folder rules: a mixed folder, another tool's markers where a body belongs, versions
past 64 bits, folders of misfits, 0-byte files.  Then real peers (dbmate from npm, sql-migrate
from Debian) against strata on two databases, and the realworld upstream folders (diesel,
golang-migrate) against their converted sets, compared by `strata schema`.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import clean_env

SHARED = Path("/work/shared/realworld")

T1 = "CREATE TABLE t1 (id INTEGER PRIMARY KEY, name VARCHAR(50));"
T2 = "CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1_id INTEGER);"
D1 = "DROP TABLE t1;"
D2 = "DROP TABLE t2;"


def write(mig, rel, text):
    p = mig.dir / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def user_tables(engine):
    return sorted(t for t in engine.user_tables() if t in ("t1", "t2", "t3"))


def status_format(strata):
    code, obj, err = strata.json("status")
    assert code == 0, err
    return obj["format"]


def up_down_roundtrip(strata, engine, fmt, n, reversible=True):
    """up applies all n; status names fmt; down to 0 undoes them (or is refused)."""
    assert status_format(strata) == fmt
    r = strata("status")
    assert r.code == 0, r.err
    assert "format:     %s\n" % fmt in r.out
    r = strata("up")
    assert r.code == 0, r.err
    code, obj, err = strata.json("status")
    assert code == 0, err
    assert len(obj["applied"]) == n and obj["pending"] == [], obj
    assert user_tables(engine) == ["t1", "t2"]
    r = strata("down", "0")
    if not reversible:
        assert r.code == 1, r
        assert "irreversible" in r.err
        assert user_tables(engine) == ["t1", "t2"]
        return
    assert r.code == 0, r.err
    assert user_tables(engine) == []
    r = strata("up")
    assert r.code == 0, r.err
    assert user_tables(engine) == ["t1", "t2"]


# --------------------------------------------------------------------------- each format

def test_golang_migrate_pairs_with_dots(strata, engine, mig):
    mig.mkdir()
    write(mig, "0001_init.up.sql", T1)
    write(mig, "0001_init.down.sql", D1)
    write(mig, "0002_1.7.0_schema.up.sql", T2)
    write(mig, "0002_1.7.0_schema.down.sql", D2)
    up_down_roundtrip(strata, engine, "golang-migrate", 2)
    code, obj, _ = strata.json("status")
    assert [(a["version"], a["name"]) for a in obj["applied"]] == [(1, "init"), (2, "1.7.0_schema")]


def test_strata_singles_and_pairs_are_strata(strata, mig):
    mig.mkdir()
    write(mig, "001_a.sql", "-- strata:up\n%s\n-- strata:down\n%s\n" % (T1, D1))
    write(mig, "002_b.up.sql", T2)
    assert status_format(strata) == "strata"


def test_dbmate(strata, engine, mig):
    mig.mkdir()
    write(mig, "20200101000000_one.sql",
          "-- migrate:up\n%s\n\n-- migrate:down\n%s\n" % (T1, D1))
    write(mig, "20200102000000_two.sql",
          "-- Second table\n-- migrate:up transaction:false\n%s\n-- migrate:down\n%s\n" % (T2, D2))
    up_down_roundtrip(strata, engine, "dbmate", 2)
    code, obj, _ = strata.json("status")
    # the down section is not part of the up body: t2 exists, t1 too (never dropped by up)
    assert engine.scalar("SELECT COUNT(*) FROM t2") == 0


def test_dbmate_up_and_down_never_one_body(strata, engine, mig):
    """Issue 10: a dbmate file used to run up and down as one body."""
    mig.mkdir()
    write(mig, "1_one.sql", "-- migrate:up\n%s\n-- migrate:down\n%s\n" % (T1, D1))
    r = strata("up")
    assert r.code == 0, r.err
    assert user_tables(engine) == ["t1"]


def goose_block(engine):
    """A StatementBegin/End block with ';' inside, for the engine; and how to check it ran."""
    if engine.name == "sqlite":
        return ("CREATE TRIGGER t1_ins AFTER INSERT ON t1 BEGIN\n"
                "  INSERT INTO t2 (id, t1_id) VALUES (NEW.id, NEW.id);\n"
                "  UPDATE t2 SET t1_id = t1_id + 1 WHERE id = NEW.id;\n"
                "END;", "DROP TRIGGER t1_ins;")
    if engine.name == "postgres":
        return ("CREATE FUNCTION f_two() RETURNS integer AS $$\n"
                "DECLARE x integer;\nBEGIN\n  x := 1;\n  RETURN x + 1;\nEND;\n"
                "$$ LANGUAGE plpgsql;", "DROP FUNCTION f_two();")
    return ("CREATE PROCEDURE p_fill()\nBEGIN\n"
            "  INSERT INTO t2 (id, t1_id) VALUES (1, 1);\n"
            "  UPDATE t2 SET t1_id = t1_id + 1 WHERE id = 1;\nEND;", "DROP PROCEDURE p_fill;")


def check_block(engine):
    if engine.name == "sqlite":
        engine.execute("INSERT INTO t1 (id, name) VALUES (7, 'x')")
        assert engine.scalar("SELECT t1_id FROM t2 WHERE id = 7") == 8
    elif engine.name == "postgres":
        assert engine.scalar("SELECT f_two()") == 2
    else:
        n = engine.scalar("SELECT COUNT(*) FROM information_schema.routines "
                          "WHERE routine_schema = DATABASE() AND routine_name = 'p_fill'")
        assert n == 1
        body = engine.scalar("SELECT routine_definition FROM information_schema.routines "
                             "WHERE routine_schema = DATABASE() AND routine_name = 'p_fill'")
        assert "UPDATE t2" in body


@pytest.mark.parametrize("tool", ["goose", "migrate"])
def test_goose_and_sql_migrate_statement_blocks(strata, engine, mig, tool):
    block, drop = goose_block(engine)
    mig.mkdir()
    up_notxn = {"goose": "-- +goose NO TRANSACTION\n", "migrate": ""}[tool]
    up_word = {"goose": "Up", "migrate": "Up notransaction"}[tool]
    write(mig, "00001_one.sql", "-- +%s Up\n%s\n\n-- +%s Down\n%s\n" % (tool, T1, tool, D1))
    write(mig, "00002_two.sql",
          "%s-- +%s %s\n%s\n-- +%s StatementBegin\n%s\n-- +%s StatementEnd\n\n"
          "-- +%s Down\n-- +%s StatementBegin\n%s\n-- +%s StatementEnd\n%s\n"
          % (up_notxn, tool, up_word, T2, tool, block, tool, tool, tool, drop, tool, D2))
    fmt = {"goose": "goose", "migrate": "sql-migrate"}[tool]
    up_down_roundtrip(strata, engine, fmt, 2)
    check_block(engine)


def test_flyway(strata, engine, mig):
    mig.mkdir()
    write(mig, "V1__create_t1.sql", T1)
    write(mig, "U1__create_t1.sql", D1)
    write(mig, "V2__create_t2.sql", T2)
    write(mig, "U2__drop.sql", D2)
    write(mig, "README.md", "not a migration")
    up_down_roundtrip(strata, engine, "flyway", 2)
    code, obj, _ = strata.json("status")
    assert [(a["version"], a["name"]) for a in obj["applied"]] == [(1, "create_t1"), (2, "create_t2")]


def test_flyway_without_undo_is_irreversible(strata, engine, mig):
    mig.mkdir()
    write(mig, "V1__a.sql", T1)
    write(mig, "V002__b.sql", T2)
    up_down_roundtrip(strata, engine, "flyway", 2, reversible=False)


def test_diesel_folders(strata, engine, mig):
    mig.mkdir()
    write(mig, "00000000000000_diesel_initial_setup/up.sql", b"")
    write(mig, "00000000000000_diesel_initial_setup/down.sql", b"")
    write(mig, "2018-01-14-171611_create_t1/up.sql", T1)
    write(mig, "2018-01-14-171611_create_t1/down.sql", D1)
    write(mig, "2024-03-13_create_t2/up.sql", T2)
    write(mig, "2024-03-13_create_t2/down.sql", D2)
    write(mig, "2024-03-14-000000_nothing/up.sql", b"")
    write(mig, "2024-03-14-000000_nothing/down.sql", b"")
    up_down_roundtrip(strata, engine, "diesel", 4)
    code, obj, _ = strata.json("status")
    assert [a["version"] for a in obj["applied"]] == [
        0, 20180114171611, 20240313000000, 20240314000000]
    assert obj["applied"][2]["name"] == "create_t2"


def test_prisma_folders_are_irreversible(strata, engine, mig):
    mig.mkdir()
    write(mig, "migration_lock.toml", 'provider = "sqlite"\n')
    write(mig, "20210101000000_init/migration.sql", "-- CreateTable\n" + T1)
    write(mig, "20210102000000_more/migration.sql", T2)
    up_down_roundtrip(strata, engine, "prisma", 2, reversible=False)


# --------------------------------------------------------------------------- folder rules

@pytest.mark.parametrize("files", [
    {"001_a.sql": "-- migrate:up\nSELECT 1;\n", "002_b.sql": "-- +goose Up\nSELECT 1;\n"},
    {"001_a.up.sql": "SELECT 1;", "V2__b.sql": "SELECT 1;"},
    {"001_a.sql": "-- migrate:up\nSELECT 1;\n", "002_b.up.sql": "SELECT 1;"},
    {"001_a.sql": "SELECT 1;", "002_b.sql": "-- +migrate Up\nSELECT 1;\n"},
    {"V1__a.sql": "SELECT 1;", "2_b/up.sql": "SELECT 1;"},
])
def test_mixed_folder_is_exit_2(strata, engine, mig, files):
    mig.mkdir()
    for rel, text in files.items():
        write(mig, rel, text)
    for cmd in (["status"], ["up"]):
        r = strata(*cmd)
        assert r.code == 2, r
        assert "mixes formats" in r.err
        assert sum(str(mig.dir / rel) in r.err for rel in files) == 2, r.err
    assert user_tables(engine) == []


@pytest.mark.parametrize("rel,text,want", [
    ("001_a.sql", "-- strata:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n", "one file, one format"),
    ("001_a.sql", "-- migrate:up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n", "one file, one format"),
    ("001_a.up.sql", "-- migrate:up\nSELECT 1;\n", "dbmate marker in a file that holds a body only"),
    ("V1__a.sql", "-- +goose Up\nSELECT 1;\n", "goose marker in a file that holds a body only"),
    ("001_a.sql", "-- +goose Up\nSELECT 1;\n-- +goose Dwon\n", "unknown goose marker"),
    ("001_a.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n", "without a StatementEnd"),
    ("001_a.sql", "-- +goose Down\nSELECT 1;\n", "without an up marker"),
    ("001_a.sql", "SELECT 1;\n-- migrate:up\nSELECT 2;\n", "statement before the dbmate up marker"),
])
def test_foreign_markers_never_one_body(strata, engine, mig, rel, text, want):
    mig.mkdir()
    write(mig, rel, text)
    r = strata("up")
    assert r.code == 2, r
    assert want in r.err and str(mig.dir / rel) in r.err, r.err
    assert r.err.startswith("strata: error: ")


@pytest.mark.parametrize("rel", [
    "99999999999999999999_big.sql",
    "18446744073709551616_big.up.sql",
    "V99999999999999999999__big.sql",
    "9999999999-9999999999_big/up.sql",
])
def test_version_past_64_bits_is_exit_2(strata, mig, rel):
    mig.mkdir()
    write(mig, "001_ok.sql", "SELECT 1;")
    write(mig, rel, "SELECT 1;")
    r = strata("status")
    assert r.code == 2, r
    assert "version past 64 bits" in r.err
    assert str(mig.dir / rel.split("/")[0]) in r.err


def test_folder_of_misfits_is_exit_2(strata, engine, mig):
    mig.mkdir()
    write(mig, "create-users.sql", "CREATE TABLE t1 (id INTEGER);")
    write(mig, "more.sql", "CREATE TABLE t2 (id INTEGER);")
    r = strata("up")
    assert r.code == 2, r
    assert "no file in migrations folder" in r.err and "create-users.sql" in r.err
    assert user_tables(engine) == []


def test_flyway_refusals(strata, mig):
    mig.mkdir()
    write(mig, "V1__a.sql", "SELECT 1;")
    write(mig, "R__views.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "repeatable migrations (R__) are not supported yet" in r.err, r
    assert "R__views.sql" in r.err
    (mig.dir / "R__views.sql").unlink()
    write(mig, "V1.1__b.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "dotted Flyway version '1.1'" in r.err and "V1.1__b.sql" in r.err, r
    (mig.dir / "V1.1__b.sql").unlink()
    write(mig, "V1_2__b.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "dotted Flyway version '1_2'" in r.err, r
    (mig.dir / "V1_2__b.sql").unlink()
    write(mig, "U3__c.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "U3__c.sql' has no matching 'V3__<desc>.sql'" in r.err, r


def test_diesel_down_without_up_and_collisions(strata, mig):
    mig.mkdir()
    write(mig, "2020-01-01-000000_a/down.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "down.sql' has no matching 'up.sql'" in r.err, r
    shutil.rmtree(mig.dir / "2020-01-01-000000_a")
    # diesel orders '2020-01-01' before '2020-01-01-000000' as strings; padded, they collide
    write(mig, "2020-01-01_a/up.sql", "SELECT 1;")
    write(mig, "2020-01-01-000000_b/up.sql", "SELECT 1;")
    r = strata("status")
    assert r.code == 2 and "duplicate version 20200101000000" in r.err, r


def test_zero_byte_files(strata, engine, mig):
    mig.mkdir()
    write(mig, "001_empty.up.sql", b"")
    write(mig, "001_empty.down.sql", b"")
    write(mig, "002_t1.up.sql", T1)
    write(mig, "002_t1.down.sql", b"")
    write(mig, "003_nothing.sql", b"")
    r = strata("up")
    assert r.code == 0, r.err
    code, obj, _ = strata.json("status")
    assert [a["version"] for a in obj["applied"]] == [1, 2, 3]
    r = strata("down", "2")
    assert r.code == 1 and "irreversible" in r.err, r  # 003 has no down
    (mig.dir / "003_nothing.sql").write_bytes(b"-- strata:up\n-- strata:down\n")
    r = strata("repair", "--yes")
    assert r.code == 0, r.err
    r = strata("down", "0")
    assert r.code == 0, r.err
    assert user_tables(engine) == ["t1"]  # 002's down is empty: a no-op


# --------------------------------------------------------------------------- peers

def _second(engine, workdir, name):
    """A second fresh database of the same engine."""
    d = workdir / name
    d.mkdir(exist_ok=True)
    return type(engine)(d)


def schema_without(text, tables):
    """strata schema output without the blocks of a peer's tracking tables."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    keep = [b for b in blocks
            if not any(("TABLE %s " % t) in b.split("\n")[0] or ('TABLE "%s"' % t) in b.split("\n")[0]
                       or ("TABLE %s(" % t) in b.split("\n")[0] for t in tables)]
    return "\n\n".join(b.strip() for b in keep)


def schema(run, url):
    r = run("-u", url, "schema")
    assert r.code == 0, r.err
    return r.out


def find_dbmate():
    for p in (os.environ.get("STRATA_DBMATE"), shutil.which("dbmate"),
              "/tmp/bench-dbmate/node_modules/.bin/dbmate"):
        if p and os.access(p, os.X_OK):
            return p
    return None


PEER_FOLDER = {
    "001_users.sql": ("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n"
                      "CREATE INDEX users_email ON users (email);",
                      "DROP INDEX users_email;\nDROP TABLE users;"),
    "002_posts.sql": ("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),"
                      " body TEXT);\nCREATE VIEW post_count AS SELECT user_id, COUNT(*) AS n FROM posts"
                      " GROUP BY user_id;",
                      "DROP VIEW post_count;\nDROP TABLE posts;"),
    "003_trigger.sql": ("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);\n"
                        "{BEGIN}\nCREATE TRIGGER posts_audit AFTER INSERT ON posts BEGIN\n"
                        "  INSERT INTO audit (what) VALUES ('post');\nEND;\n{END}",
                        "DROP TRIGGER posts_audit;\nDROP TABLE audit;"),
}


def write_peer_folder(d, up_marker, down_marker, begin="", end=""):
    d.mkdir(parents=True, exist_ok=True)
    for name, (up, down) in PEER_FOLDER.items():
        up = up.replace("{BEGIN}", begin).replace("{END}", end)
        (d / name).write_text("%s\n%s\n\n%s\n%s\n" % (up_marker, up, down_marker, down))


@pytest.mark.sqlite_only
def test_dbmate_peer_same_schema(run, workdir):
    dbmate = find_dbmate()
    if not dbmate:
        pytest.skip("dbmate is not installed (npm install --prefix DIR dbmate)")
    d = workdir / "db" / "migrations"
    write_peer_folder(d, "-- migrate:up", "-- migrate:down")
    peer_db, own_db = workdir / "peer.db", workdir / "own.db"

    def peer(*args):
        p = subprocess.run([dbmate, "--url", "sqlite:%s" % peer_db, "--migrations-dir", str(d),
                            "--no-dump-schema"] + list(args), cwd=str(workdir),
                           env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 0, p.stderr.decode()

    peer("up")
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "up")
    assert r.code == 0, r.err
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "--json", "status")
    assert '"format":"dbmate"' in r.out.replace(" ", "")
    a = schema_without(schema(run, "sqlite:%s" % peer_db), ["schema_migrations"])
    b = schema(run, "sqlite:%s" % own_db).strip()
    assert "posts_audit" in b and a == b
    peer("rollback")
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "down")
    assert r.code == 0, r.err
    a = schema_without(schema(run, "sqlite:%s" % peer_db), ["schema_migrations"])
    b = schema(run, "sqlite:%s" % own_db).strip()
    assert "posts_audit" not in b and "post_count" in b and a == b


@pytest.mark.sqlite_only
def test_sql_migrate_peer_same_schema(run, workdir):
    tool = shutil.which("sql-migrate")
    if not tool:
        pytest.skip("sql-migrate is not installed (apt-get install sql-migrate)")
    d = workdir / "migrations"
    write_peer_folder(d, "-- +migrate Up", "-- +migrate Down",
                      "-- +migrate StatementBegin", "-- +migrate StatementEnd")
    peer_db, own_db = workdir / "peer.db", workdir / "own.db"
    (workdir / "dbconfig.yml").write_text(
        "development:\n  dialect: sqlite3\n  datasource: %s\n  dir: %s\n" % (peer_db, d))

    def peer(*args):
        p = subprocess.run([tool] + list(args) + ["-config=%s" % (workdir / "dbconfig.yml")],
                           cwd=str(workdir), env=clean_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 0, p.stderr.decode() + p.stdout.decode()

    peer("up")
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "up")
    assert r.code == 0, r.err
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "--json", "status")
    assert '"format":"sql-migrate"' in r.out.replace(" ", "")
    a = schema_without(schema(run, "sqlite:%s" % peer_db), ["gorp_migrations"])
    b = schema(run, "sqlite:%s" % own_db).strip()
    assert "posts_audit" in b and a == b
    peer("down", "-limit=1")
    r = run("-u", "sqlite:%s" % own_db, "-d", d, "down")
    assert r.code == 0, r.err
    a = schema_without(schema(run, "sqlite:%s" % peer_db), ["gorp_migrations"])
    b = schema(run, "sqlite:%s" % own_db).strip()
    assert "posts_audit" not in b and a == b


# --------------------------------------------------------------------------- realworld upstream

UPSTREAM_SETS = ["vaultwarden", "flipt"]


@pytest.mark.parametrize("project", UPSTREAM_SETS)
def test_realworld_upstream_layout_matches_converted(run, engine, workdir, project):
    name = "%s-%s" % (project, engine.name)
    upstream = SHARED / "upstream" / name / "migrations"
    converted = SHARED / "corpus" / name / "migrations"
    if not upstream.is_dir() or not converted.is_dir():
        pytest.skip("%s or %s is not there" % (upstream, converted))
    globals_set = []
    if name == "vaultwarden-mysql":
        # corpus/vaultwarden-mysql/set.env: MariaDB needs foreign key checks off for its
        # first migration (an inline REFERENCES to a table created later in the file).
        engine.execute("DO 0")  # creates the database, so that it can be read
        old = engine.scalar("SELECT @@GLOBAL.foreign_key_checks")
        engine.execute("SET GLOBAL foreign_key_checks = 0")
        globals_set.append(old)
    other = _second(engine, workdir, "converted")
    try:
        r = run("-u", engine.url, "-d", upstream, "--json", "status")
        assert r.code == 0, r.err
        want_format = {"vaultwarden": "diesel", "flipt": "golang-migrate"}[project]
        assert '"format":"%s"' % want_format in r.out.replace(" ", "")
        r = run("-u", engine.url, "-d", upstream, "up")
        assert r.code == 0, r.err
        r = run("-u", other.url, "-d", converted, "up")
        assert r.code == 0, r.err
        a, b = schema(run, engine.url), schema(run, other.url)
        assert a.strip() and a == b
        r = run("-u", engine.url, "-d", upstream, "validate")
        assert r.code == 0, r.err
    finally:
        if globals_set:
            engine.execute("SET GLOBAL foreign_key_checks = %d" % int(globals_set[0]))
        if hasattr(other, "close"):
            other.close()


@pytest.mark.parametrize("layout", ["diesel", "flyway", "dbmate", "goose"])
def test_no_transaction_settings_run_concurrently(strata, engine, mig, layout):
    """CREATE INDEX CONCURRENTLY cannot run in a transaction: each layout's own setting."""
    if engine.name != "postgres":
        pytest.skip("CREATE INDEX CONCURRENTLY is PostgreSQL's")
    mig.mkdir()
    idx = "CREATE INDEX CONCURRENTLY t1_name ON t1 (name);"
    if layout == "diesel":
        write(mig, "2020-01-01-000000_t1/up.sql", T1)
        write(mig, "2020-01-02-000000_idx/up.sql", idx)
        write(mig, "2020-01-02-000000_idx/metadata.toml", "run_in_transaction = false\n")
    elif layout == "flyway":
        write(mig, "V1__t1.sql", T1)
        write(mig, "V2__idx.sql", idx)
        write(mig, "V2__idx.sql.conf", "executeInTransaction=false\n")
    elif layout == "dbmate":
        write(mig, "1_t1.sql", "-- migrate:up\n%s\n" % T1)
        write(mig, "2_idx.sql", "-- migrate:up transaction:false\n%s\n" % idx)
    else:
        write(mig, "1_t1.sql", "-- +goose Up\n%s\n" % T1)
        write(mig, "2_idx.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n%s\n" % idx)
    r = strata("up")
    assert r.code == 0, r.err
    assert engine.scalar("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 't1_name'") == 1


@pytest.mark.parametrize("first,marker,fmt", [
    ("20200101000000_a.sql", "-- migrate:up", "dbmate"),
    ("00001_a.sql", "-- +goose Up", "goose"),
    ("1_a.sql", "-- +migrate Up", "sql-migrate"),
])
def test_new_writes_the_folders_format(strata, engine, mig, first, marker, fmt):
    mig.mkdir()
    down = marker.replace("up", "down").replace("Up", "Down")
    write(mig, first, "%s\n%s\n%s\n%s\n" % (marker, T1, down, D1))
    r = strata("new", "second")
    assert r.code == 0, r.err
    made = sorted(p.name for p in mig.dir.iterdir())
    assert len(made) == 2 and made[0] == first, made
    text = (mig.dir / made[1]).read_text()
    assert marker in text and "strata:" not in text, text
    assert len(made[1].split("_")[0]) == len(first.split("_")[0])
    assert status_format(strata) == fmt  # still one format
    r = strata("up")
    assert r.code == 0, r.err


@pytest.mark.parametrize("rel,fmt", [("V1__a.sql", "flyway"), ("2020-01-01-000000_a/up.sql", "diesel"),
                                     ("20200101000000_a/migration.sql", "prisma")])
def test_new_refuses_folder_layouts(strata, mig, rel, fmt):
    mig.mkdir()
    write(mig, rel, T1)
    before = sorted(str(p) for p in mig.dir.rglob("*"))
    r = strata("new", "second")
    assert r.code == 2, r
    assert "holds %s migrations" % fmt in r.err
    assert sorted(str(p) for p in mig.dir.rglob("*")) == before
