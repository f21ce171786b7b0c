"""SQLite's foreign key check in a database of 2,000 tables (SPEC section 5,
docs/design.md "Foreign key check"): the check follows what a migration does
(a reference map read once per run, kept up to date across the run's
migrations) and still catches every orphan a migration can make."""

import sqlite3

import pytest

pytestmark = pytest.mark.sqlite_only

TABLES = 2000
HALF = TABLES // 2


def name(i):
    return "t_%04d" % i


def build_schema(path):
    """t_0000..t_1999; t_i for i >= 1000 references t_(i-1000)(id), one row each."""
    lines = ["BEGIN;"]
    for i in range(TABLES):
        if i < HALF:
            lines.append("CREATE TABLE %s (id INTEGER PRIMARY KEY, v TEXT);" % name(i))
            lines.append("INSERT INTO %s VALUES (1, 'x'), (2, 'y');" % name(i))
        else:
            lines.append("CREATE TABLE %s (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES %s(id));"
                         % (name(i), name(i - HALF)))
            lines.append("INSERT INTO %s VALUES (1, 1);" % name(i))
    lines.append("COMMIT;")
    con = sqlite3.connect(str(path))
    try:
        con.executescript("\n".join(lines))
    finally:
        con.close()


@pytest.fixture
def big(engine):
    build_schema(engine.path)
    return engine


def assert_refused(strata, big, child, applied):
    code, out, err = strata("up")
    assert code == 1, (out, err)
    assert "strata: error:" in err
    assert child in err, err
    assert big.applied() == applied
    return err


def test_delete_of_a_parent_row_is_caught(strata, mig, big):
    mig.write("001_ok.sql", up="DELETE FROM t_0500 WHERE id = 2;", down="SELECT 1;")
    mig.write("002_orphan.sql", up="DELETE FROM t_0500 WHERE id = 1;", down="SELECT 1;")
    err = assert_refused(strata, big, "t_1500", [1])
    assert "002_orphan.sql" in err
    assert big.query("SELECT id FROM t_0500") == [(1,)]
    h = big.history()
    assert (h[-1]["version"], h[-1]["status"]) == (2, "failed")


def test_drop_of_a_parent_table_is_caught(strata, mig, big):
    mig.write("001_drop.sql", up="DROP TABLE t_0700;", down="SELECT 1;")
    assert_refused(strata, big, "t_1700", [])
    assert big.has_table("t_0700")


def test_column_rename_that_breaks_a_reference_is_caught(strata, mig, big):
    """The rebuild procedure renaming the parent's key: the child still
    references t_0300(id), which no longer exists."""
    mig.write("001_rebuild.sql", up=(
        "CREATE TABLE t_0300_new (ident INTEGER PRIMARY KEY, v TEXT);\n"
        "INSERT INTO t_0300_new SELECT id, v FROM t_0300;\n"
        "DROP TABLE t_0300;\n"
        "ALTER TABLE t_0300_new RENAME TO t_0300;"), down="SELECT 1;")
    assert_refused(strata, big, "t_1300", [])
    assert big.columns("t_0300") == ["id", "v"]


def test_rename_column_and_table_keep_references_and_the_map(strata, mig, big):
    """RENAME COLUMN and RENAME TO rewrite the references, so they pass; the
    run's reference map follows the new names, so a later orphan is caught."""
    mig.write("001_col.sql", up="ALTER TABLE t_0100 RENAME COLUMN id TO ident;", down="SELECT 1;")
    mig.write("002_tab.sql", up="ALTER TABLE t_0100 RENAME TO renamed;", down="SELECT 1;")
    mig.write("003_orphan.sql", up="DELETE FROM renamed WHERE ident = 1;", down="SELECT 1;")
    err = assert_refused(strata, big, "t_1100", [1, 2])
    assert "003_orphan.sql" in err
    assert big.query("PRAGMA foreign_key_list(t_1100)")[0][2] == "renamed"


def test_tables_created_in_the_run_join_the_map(strata, mig, big):
    mig.write("001_pc.sql", up=(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE c (pid INTEGER REFERENCES p(id));\n"
        "INSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1);"), down="SELECT 1;")
    mig.write("002_orphan.sql", up="DELETE FROM p;", down="SELECT 1;")
    assert_refused(strata, big, "'c'", [1])


def test_insert_or_replace_into_a_parent_is_caught(strata, mig, big):
    mig.write("001_pu.sql", up=(
        "CREATE TABLE pu (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\n"
        "CREATE TABLE cu (code TEXT REFERENCES pu(code));\n"
        "INSERT INTO pu VALUES (1, 'a');\nINSERT INTO cu VALUES ('a');"), down="SELECT 1;")
    mig.write("002_replace.sql", up="INSERT OR REPLACE INTO pu VALUES (1, 'b');", down="SELECT 1;")
    assert_refused(strata, big, "'cu'", [1])
    assert big.query("SELECT code FROM pu") == [("a",)]


def test_on_conflict_replace_in_the_parent_is_caught(strata, mig, big):
    """The REPLACE is in the parent's definition, not in the migration."""
    mig.write("001_pr.sql", up=(
        "CREATE TABLE pr (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, code TEXT UNIQUE);\n"
        "CREATE TABLE cr (code TEXT REFERENCES pr(code));\n"
        "INSERT INTO pr VALUES (1, 'a');\nINSERT INTO cr VALUES ('a');"), down="SELECT 1;")
    mig.write("002_insert.sql", up="INSERT INTO pr VALUES (1, 'b');", down="SELECT 1;")
    assert_refused(strata, big, "'cr'", [1])


def test_unrelated_and_child_only_work_passes(strata, mig, big):
    """Writes that cannot orphan anything pass beside a dangling row elsewhere."""
    big.execute("INSERT INTO t_1900 VALUES (2, 999);")  # foreign keys are off here
    mig.write("001_insert_parent.sql", up="INSERT INTO t_0900 VALUES (3, 'z');", down="SELECT 1;")
    mig.write("002_insert_child.sql", up="INSERT INTO t_1800 VALUES (2, 2);", down="SELECT 1;")
    mig.write("003_new.sql", up="CREATE TABLE fresh (a);\nINSERT INTO fresh VALUES (1);",
              down="DROP TABLE fresh;")
    code, out, err = strata("up")
    assert code == 0, err
    assert big.applied() == [1, 2, 3]
    # a write into the child with the dangling row is checked, and refused
    mig.write("004_touch_child.sql", up="UPDATE t_1900 SET pid = pid WHERE id = 1;", down="SELECT 1;")
    assert_refused(strata, big, "t_1900", [1, 2, 3])


def test_schema_changed_between_runs_is_read_again(strata, mig, big):
    """A reference added behind strata's back is in the next run's map."""
    mig.write("001_one.sql", up="SELECT 1;", down="SELECT 1;")
    code, out, err = strata("up")
    assert code == 0, err
    big.execute("CREATE TABLE late (pid INTEGER REFERENCES t_0050(id));\nINSERT INTO late VALUES (1);")
    mig.write("002_orphan.sql", up="DELETE FROM t_0050 WHERE id = 1;", down="SELECT 1;")
    assert_refused(strata, big, "'late'", [1])


def test_delete_then_rename_of_the_parent_is_caught(strata, mig, big):
    """The children moved to the new name within the migration."""
    mig.write("001_del_ren.sql", up="DELETE FROM t_0400 WHERE id = 1;\nALTER TABLE t_0400 RENAME TO gone_400;",
              down="SELECT 1;")
    assert_refused(strata, big, "t_1400", [])
    assert big.has_table("t_0400")


def test_orphan_written_then_renamed_to_a_new_name_is_caught(strata, mig, big):
    """A child rebuilt under a name nobody knew before: its rows are checked."""
    mig.write("001_child.sql", up=(
        "CREATE TABLE kid_new (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES t_0010(id));\n"
        "INSERT INTO kid_new VALUES (1, 777);\n"
        "ALTER TABLE kid_new RENAME TO kid_final;"), down="SELECT 1;")
    assert_refused(strata, big, "kid_final", [])
    assert not big.has_table("kid_final")
