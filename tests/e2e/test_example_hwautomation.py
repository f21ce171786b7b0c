"""examples/hwautomation: five migrations of a `servers` table, each down undoing its up."""

import sqlite3

import pytest

from conftest import REPO, checksum_of

pytestmark = pytest.mark.sqlite_only

EXAMPLE = REPO / "examples" / "hwautomation"
FILES = sorted(p.name for p in EXAMPLE.glob("[0-9]*.sql"))


def master(engine):
    """The schema as SQLite stores it, tracking tables left out."""
    if not engine.exists():
        return []
    return engine.query("SELECT type, name, tbl_name, sql FROM sqlite_master "
                        "WHERE tbl_name NOT LIKE 'strata_%' AND name <> 'sqlite_sequence' ORDER BY type, name")


def test_example_files():
    assert FILES == ["001_initial_schema.sql", "002_add_ipmi_fields.sql", "003_add_timestamps.sql",
                     "004_add_hardware_metadata.sql", "005_add_power_state.sql"]


def test_example_applies_and_every_down_undoes_its_up(run, engine):
    def strata(*args):
        return run("-u", engine.url, "-d", str(EXAMPLE), *args)

    code, out, err = strata("init")
    assert code == 0, err
    schemas = [master(engine)]
    dumps = [strata("schema", "--format", "sql").out]
    for v in range(1, 6):
        code, out, err = strata("up", str(v))
        assert code == 0, err
        assert engine.applied() == list(range(1, v + 1))
        schemas.append(master(engine))
        dumps.append(strata("schema", "--format", "sql").out)
        # down then up again returns to the same schema
        code, out, err = strata("down")
        assert code == 0, err
        assert master(engine) == schemas[v - 1], "down of %s did not undo its up" % FILES[v - 1]
        assert strata("schema", "--format", "sql").out == dumps[v - 1]
        code, out, err = strata("up", str(v))
        assert code == 0, err
        assert master(engine) == schemas[v]
    # final shape
    cols = engine.columns("servers")
    for c in ("id", "hostname", "ip_address", "status", "ipmi_address", "ipmi_username", "created_at",
              "updated_at", "last_seen_at", "cpu_model", "cpu_cores", "memory_gb", "storage_gb", "rack",
              "rack_unit", "power_state"):
        assert c in cols, c
    fks = engine.query("PRAGMA foreign_key_list(power_state_history)")
    assert [(r[2], r[3], r[4]) for r in fks] == [("servers", "server_id", "id")]
    for f in FILES:
        row = engine.migration_row(int(f[:3]))
        assert row["checksum"] == checksum_of((EXAMPLE / f).read_bytes())
        assert row["description"]
        assert row["down_sql"]
    assert engine.query("PRAGMA integrity_check") == [("ok",)]
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    code, out, err = strata("status", "--exit-code")
    assert code == 0, (out, err)
    # all the way down leaves nothing
    code, out, err = strata("down", "base")
    assert code == 0, err
    assert master(engine) == schemas[0] == []
    assert engine.applied() == []


def test_example_with_data(run, engine):
    def strata(*args):
        return run("-u", engine.url, "-d", str(EXAMPLE), *args)

    code, out, err = strata("up", "2")
    assert code == 0, err
    engine.execute("INSERT INTO servers (hostname, ip_address, ipmi_address) VALUES ('node01', '10.0.0.1', '10.1.0.1');")
    code, out, err = strata("up")
    assert code == 0, err
    con = sqlite3.connect(str(engine.path))
    try:
        con.execute("PRAGMA foreign_keys = ON")
        row = con.execute("SELECT hostname, power_state, created_at <> '1970-01-01T00:00:00Z' FROM servers").fetchone()
        assert row == ("node01", "UNKNOWN", 1)
        con.execute("INSERT INTO power_state_history (server_id, old_state, new_state) VALUES (1, 'UNKNOWN', 'ON')")
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO power_state_history (server_id, new_state) VALUES (99, 'ON')")
        con.commit()
    finally:
        con.close()
    code, out, err = strata("down", "2")
    assert code == 0, err
    assert engine.query("SELECT hostname, ipmi_address FROM servers") == [("node01", "10.1.0.1")]
    assert not engine.has_table("power_state_history")
