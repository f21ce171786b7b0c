"""`strata test` (SPEC section 4; docs/design.md "strata test"): each migration's down
proven, on a scratch database, to restore the schema; and the canonical `strata schema`
(JSON booleans, PostgreSQL partition bounds, SQLite's stored SQL normalised)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO


def drop_index(engine, index, table):
    return "DROP INDEX %s ON %s;" % (index, table) if engine.name == "mysql" else "DROP INDEX %s;" % index


def base_set(mig, engine, index_down=True):
    mig.write("001_users.sql", up="CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(50) NOT NULL\n);",
              down="DROP TABLE users;")
    mig.write("002_users_name.sql", up="CREATE INDEX users_name ON users (name);",
              down=drop_index(engine, "users_name", "users") if index_down else "SELECT 1;")
    mig.write("003_email.sql", up="ALTER TABLE users ADD COLUMN email VARCHAR(80);",
              down="ALTER TABLE users DROP COLUMN email;")


def results(obj):
    return [(m["version"], m["result"]) for m in obj["migrations"]]


def scratch_gone(engine, obj):
    """The scratch database the test names no longer exists."""
    what = obj["scratch"]
    if engine.name == "sqlite":
        return True  # checked through TMPDIR by the callers
    name = re.search(r"strata_test_[0-9a-f]{12}", what).group(0)
    if engine.name == "postgres":
        return not engine.query("SELECT 1 FROM pg_database WHERE datname = %s", name)
    from mysql_engine import run_sql  # the test's own database may not exist
    out = run_sql("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '%s'" % name)
    return out.split() == ["COUNT(*)", "0"]


@pytest.fixture
def tmpdir_env(workdir):
    d = workdir.parent / "tmp"
    d.mkdir()
    return d, {"TMPDIR": str(d)}


def test_reversible_set_passes_and_scratch_is_dropped(strata, mig, engine, tmpdir_env):
    tmp, env = tmpdir_env
    base_set(mig, engine)
    code, obj, err = strata.json("test", env=env)
    assert code == 0, err
    assert results(obj) == [(1, "reversible"), (2, "reversible"), (3, "reversible")]
    assert obj["ok"] is True and obj["broken"] == 0 and obj["from"] == "base"
    assert all(m["diff"] is None and m["error"] is None for m in obj["migrations"])
    assert list(tmp.iterdir()) == []
    assert scratch_gone(engine, obj)
    code, out, err = strata("test", env=env)
    assert code == 0, err
    assert re.search(r"002_users_name\s+reversible", out)
    assert "3 reversible, 0 irreversible, 0 broken" in out


def test_down_that_forgets_an_index_is_broken_with_a_diff(strata, mig, engine, tmpdir_env):
    tmp, env = tmpdir_env
    base_set(mig, engine, index_down=False)
    code, obj, err = strata.json("test", env=env)
    assert code == 1
    assert "1 migration is broken" in err
    item = obj["migrations"][1]
    assert item["result"] == "broken" and item["phase"] == "schema"
    assert item["diff"].startswith("--- before up (002_users_name.sql)\n+++ after down (002_users_name.sql)\n@@ ")
    assert any(l.startswith("+") and "users_name" in l for l in item["diff"].splitlines())
    assert not any(l.startswith("-") and "users_name" in l for l in item["diff"].splitlines()[2:])
    assert obj["ok"] is False
    # the up again trips on the index the down left: the rest cannot run
    assert item["error"] and "users_name" in item["error"]
    assert results(obj)[2] == (3, "untested")
    assert list(tmp.iterdir()) == []
    assert scratch_gone(engine, obj)
    code, out, err = strata("test", env=env)
    assert code == 1
    assert "002_users_name  broken: the down does not restore the schema" in out
    assert "\n+" in out and "@@ -" in out


def test_down_that_drops_a_column_the_up_did_not_add(strata, mig, engine):
    mig.write("001_t.sql", up="CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10), b VARCHAR(10));",
              down="DROP TABLE t;")
    mig.write("002_c.sql", up="ALTER TABLE t ADD COLUMN c VARCHAR(10);",
              down="ALTER TABLE t DROP COLUMN c;\nALTER TABLE t DROP COLUMN b;")
    code, obj, err = strata.json("test")
    assert code == 1
    item = obj["migrations"][1]
    assert (item["result"], item["phase"]) == ("broken", "schema")
    removed = [l for l in item["diff"].splitlines() if l.startswith("-") and not l.startswith("---")]
    assert any('"b"' in l for l in removed), item["diff"]
    assert results(obj)[0] == (1, "reversible")


def test_down_that_fails_is_broken_and_the_rest_still_runs(strata, mig, engine):
    mig.write("001_a.sql", up="CREATE TABLE a (id INTEGER PRIMARY KEY);", down="DROP TABLE a;")
    mig.write("002_b.sql", up="CREATE TABLE b (id INTEGER PRIMARY KEY);", down="DROP TABLE no_such_table;")
    mig.write("003_c.sql", up="CREATE TABLE c (id INTEGER PRIMARY KEY);", down="DROP TABLE c;")
    code, obj, err = strata.json("test")
    assert code == 1
    item = obj["migrations"][1]
    assert (item["result"], item["phase"]) == ("broken", "down")
    assert "002_b.sql" in item["error"] and "no_such_table" in item["error"]
    assert results(obj) == [(1, "reversible"), (2, "broken"), (3, "reversible")]
    assert obj["broken"] == 1 and obj["reversible"] == 2


def test_up_that_fails_stops_the_test(strata, mig, engine):
    mig.write("001_a.sql", up="CREATE TABLE a (id INTEGER PRIMARY KEY);", down="DROP TABLE a;")
    mig.write("002_b.sql", up="CREATE TABLE b (id INTEGER PRIMARY KEY, x no_such_type_here);",
              down="DROP TABLE b;")
    mig.write("003_c.sql", up="CREATE TABLE c (id INTEGER PRIMARY KEY);", down="DROP TABLE c;")
    if engine.name == "sqlite":  # SQLite takes any type name
        mig.write("002_b.sql", up="CREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);",
                  down="DROP TABLE b;")
    code, obj, err = strata.json("test")
    assert code == 1
    assert results(obj) == [(1, "reversible"), (2, "broken"), (3, "untested")]
    assert obj["migrations"][1]["phase"] == "up" and "002_b.sql" in obj["migrations"][1]["error"]
    assert obj["untested"] == 1
    code, out, err = strata("test")
    assert "003_c  untested (an earlier up failed)" in out


def test_irreversible_is_applied_and_the_next_is_tested(strata, mig, engine):
    mig.write("001_a.sql", up="CREATE TABLE a (id INTEGER PRIMARY KEY);", down="DROP TABLE a;")
    mig.write("002_seed.sql", up="INSERT INTO a (id) VALUES (1);")
    mig.write("003_b.sql", up="CREATE TABLE b (id INTEGER PRIMARY KEY);", down="DROP TABLE b;")
    code, obj, err = strata.json("test")
    assert code == 0, err
    assert results(obj) == [(1, "reversible"), (2, "irreversible"), (3, "reversible")]
    code, out, err = strata("test")
    assert "002_seed  irreversible (no down section)" in out


def test_to_version_and_unknown_version(strata, mig, engine):
    base_set(mig, engine, index_down=False)
    code, obj, err = strata.json("test", "--to", "1")
    assert code == 0, err
    assert results(obj) == [(1, "reversible")]
    code, out, err = strata("test", "--to", "99")
    assert code == 2 and "no migration has version 99" in err
    code, out, err = strata("test", "--to", "x")
    assert code == 2 and "bad version" in err
    code, obj, err = strata.json("test", "--to", "head")
    assert code == 1 and len(obj["migrations"]) == 3


def live_state(strata, engine):
    code, schema, err = strata("schema", "--format", "json")
    assert code == 0, err
    return schema, engine.snapshot(), [(r["version"], r["checksum"]) for r in
                                       engine.dicts("SELECT version, checksum FROM strata_migrations ORDER BY version")]


def test_live_database_is_only_read(strata, mig, engine, workdir):
    base_set(mig, engine, index_down=False)
    code, out, err = strata("up", "1")
    assert code == 0, err
    before = live_state(strata, engine)
    files = sorted(p.name for p in workdir.iterdir())
    for args in (("test",), ("test", "--from-live")):
        code, out, err = strata(*args)
        assert code == 1
        assert live_state(strata, engine) == before
        assert sorted(p.name for p in workdir.iterdir()) == files
    if engine.name == "sqlite":
        assert engine.path.read_bytes() == before[1][0]


def test_from_live_starts_at_the_live_version(strata, mig, engine):
    base_set(mig, engine)
    code, out, err = strata("up", "2")
    assert code == 0, err
    code, obj, err = strata.json("test", "--from-live")
    assert code == 0, err
    assert obj["from"] == "live" and obj["start_version"] == 2
    assert results(obj) == [(3, "reversible")]
    code, out, err = strata("test", "--from-live")
    assert "from the live state (version 2)" in out


def test_from_live_with_nothing_applied_is_from_base(strata, mig, engine):
    base_set(mig, engine)
    code, obj, err = strata.json("test", "--from-live")
    assert code == 0, err
    assert obj["start_version"] == 0 and len(obj["migrations"]) == 3


@pytest.mark.sqlite_only
def test_sqlite_from_live_copies_the_file(strata, mig, engine):
    """Rows in the live file (which migrations alone would not make) reach the copy."""
    mig.write("001_a.sql", up="CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);", down="DROP TABLE a;")
    mig.write("002_unique.sql", up="CREATE UNIQUE INDEX a_v ON a (v);", down="DROP INDEX a_v;")
    assert strata("up", "1")[0] == 0
    engine.execute("INSERT INTO a (v) VALUES ('x'); INSERT INTO a (v) VALUES ('x');")
    code, obj, err = strata.json("test")
    assert code == 0, err
    code, obj, err = strata.json("test", "--from-live")
    assert code == 1
    assert obj["migrations"][0]["phase"] == "up" and "UNIQUE" in obj["migrations"][0]["error"]


@pytest.mark.sqlite_only
def test_sqlite_incidental_differences_are_not_broken(strata, mig, engine):
    """ALTER TABLE ADD/DROP COLUMN and the rebuild-and-rename pattern change SQLite's
    stored SQL text (spacing, a quoted name), not the schema."""
    mig.write("001_t.sql", up="CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  a TEXT\n);", down="DROP TABLE t;")
    mig.write("002_b.sql", up="ALTER TABLE t ADD COLUMN b TEXT;", down="ALTER TABLE t DROP COLUMN b;")
    mig.write("003_rebuild.sql",
              up="CREATE TABLE t_new (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT);\n"
                 "INSERT INTO t_new SELECT * FROM t;\nDROP TABLE t;\nALTER TABLE t_new RENAME TO t;",
              down="CREATE TABLE t_old (\n  id INTEGER PRIMARY KEY,\n  a TEXT, b TEXT);\n"
                   "INSERT INTO t_old SELECT * FROM t;\nDROP TABLE t;\nALTER TABLE t_old RENAME TO t;")
    code, obj, err = strata.json("test")
    assert code == 0, "%s\n%s" % (err, json.dumps(obj, indent=1))
    assert results(obj) == [(1, "reversible"), (2, "reversible"), (3, "reversible")]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("folder", ["examples/app/migrations", "examples/hwautomation"])
def test_project_examples_pass(run, workdir, folder):
    db = workdir / "never.db"
    code, out, err = run("-u", "sqlite:%s" % db, "-d", str(REPO / folder), "test")
    assert code == 0, out + err
    assert " broken" in out and "0 broken" in out
    assert not db.exists()


def test_help_names_the_options(run):
    code, out, err = run("help", "test")
    assert code == 0
    assert "usage: strata test [OPTIONS]" in out
    assert "--to VERSION" in out and "--from-live" in out


# --------------------------------------------------------------------------- canonical schema

def test_schema_json_not_null_and_primary_key_are_booleans(strata, mig, engine):
    mig.write("001_t.sql", up="CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10) NOT NULL, b VARCHAR(10));",
              down="DROP TABLE t;")
    assert strata("up")[0] == 0
    code, obj, err = strata.json("schema")
    assert code == 0, err
    cols = {c["name"]: c for c in obj["tables"][0]["columns"]}
    assert cols["id"]["primary_key"] is True and cols["a"]["primary_key"] is False
    assert cols["a"]["not_null"] is True and cols["b"]["not_null"] is False
    assert cols["id"]["primary_key_position"] == 1 and cols["b"]["primary_key_position"] == 0


def test_postgres_partitions_print_their_bounds(strata, mig, engine):
    if engine.name != "postgres":
        pytest.skip("PostgreSQL partitions")
    mig.write("001_p.sql", up="""
CREATE TABLE measures (id int NOT NULL, at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measures_2026 PARTITION OF measures FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX measures_at ON measures (at);
""", down="DROP TABLE measures;")
    code, out, err = strata("up")
    assert code == 0, err
    code, sql, err = strata("schema", "--format", "sql")
    assert code == 0, err
    assert ('CREATE TABLE "measures_2025" PARTITION OF "measures" FOR VALUES FROM (\'2025-01-01\') TO'
            ' (\'2026-01-01\');' in sql), sql
    assert "PARTITION BY RANGE (at)" in sql
    assert sql.index('CREATE TABLE "measures" (') < sql.index('PARTITION OF "measures"')
    # the partitions' own copies of the index come with the parent's, which loads whole
    assert sql.count("CREATE INDEX") == 1 and "CREATE INDEX measures_at ON measures USING btree (at);" in sql
    code, obj, err = strata.json("schema")
    part = [t for t in obj["tables"] if t["name"] == "measures_2026"][0]
    assert part["partition_of"] == "measures"
    assert part["partition_bound"] == "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
    code, obj, err = strata.json("test")
    assert code == 0, json.dumps(obj, indent=1)


@pytest.mark.sqlite_only
def test_sqlite_from_live_copies_untracked_tables(strata, mig, engine):
    """A file strata does not track yet is copied as it is: its tables meet the migrations."""
    engine.execute("CREATE TABLE a (id INTEGER PRIMARY KEY);")
    mig.write("001_a.sql", up="CREATE TABLE a (id INTEGER PRIMARY KEY);", down="DROP TABLE a;")
    code, obj, err = strata.json("test")
    assert code == 0, err
    code, obj, err = strata.json("test", "--from-live")
    assert code == 1
    assert obj["start_version"] == 0 and obj["migrations"][0]["phase"] == "up"
    assert "already exists" in obj["migrations"][0]["error"]
    code, out, err = strata("test", "--from-live")
    assert "from the live state (nothing applied)" in out


def test_an_index_made_again_by_the_down_is_the_same_schema(strata, mig, engine):
    """A down that drops and makes again what its up removed restores the schema, even
    where the server lists keys in the order they were made (MySQL's SHOW CREATE TABLE)."""
    mig.write("001_t.sql", up="CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10), b VARCHAR(10));\n"
                              "CREATE INDEX t_a ON t (a);\nCREATE INDEX t_b ON t (b);",
              down="DROP TABLE t;")
    mig.write("002_drop_a.sql", up=drop_index(engine, "t_a", "t"), down="CREATE INDEX t_a ON t (a);")
    code, obj, err = strata.json("test")
    assert code == 0, json.dumps(obj, indent=1)
    assert results(obj) == [(1, "reversible"), (2, "reversible")]
