"""Migration files: both forms, markers, directives, malformed folders, names, checksums
(SPEC sections 2 and 8)."""

import pytest

from conftest import checksum_of, up_body, parse_json_out


def assert_nothing_applied(engine):
    assert engine.user_tables() == [], engine.tables()
    assert engine.applied() == []


# --------------------------------------------------------------------------- single-file form

@pytest.mark.not_mysql_sql
def test_single_file_form_up_and_down(strata, mig, engine):
    mig.write("001_create_servers.sql", raw=(
        "-- Create the servers table\n"
        "-- strata:up\n"
        "CREATE TABLE servers (id INTEGER PRIMARY KEY, hostname TEXT NOT NULL UNIQUE);\n"
        "CREATE INDEX idx_servers_hostname ON servers(hostname);\n"
        "\n"
        "-- strata:down\n"
        "DROP INDEX idx_servers_hostname;\n"
        "DROP TABLE servers;\n"))
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.has_table("servers")
    row = engine.migration_row(1)
    assert row["name"] == "create_servers"
    assert row["description"] == "Create the servers table"
    assert "CREATE INDEX idx_servers_hostname" in row["up_sql"]
    assert "DROP TABLE servers" not in row["up_sql"]
    assert "DROP TABLE servers" in row["down_sql"]
    assert "CREATE TABLE servers" not in row["down_sql"]
    code, out, err = strata("down")
    assert code == 0, err
    assert not engine.has_table("servers")
    assert engine.applied() == []


def test_file_without_markers_is_all_up_and_irreversible(strata, mig, engine):
    text = "-- Just a table\nCREATE TABLE plain (a INTEGER);\nINSERT INTO plain VALUES (1);\n"
    mig.write("001_plain.sql", raw=text)
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.scalar("SELECT count(*) FROM plain") == 1
    row = engine.migration_row(1)
    assert row["down_sql"] is None
    assert row["description"] == "Just a table"
    # the whole file, header comments included, is the up body
    assert row["checksum"] == checksum_of(text)
    assert row["checksum"] == __import__("hashlib").sha256(text.strip().encode()).hexdigest()
    code, out, err = strata("down")
    assert code == 1
    assert "strata: error:" in err and "001_plain.sql" in err
    assert engine.has_table("plain") and engine.applied() == [1]


def test_empty_down_section_is_a_valid_noop(strata, mig, engine):
    mig.write("001_keep.sql", raw="-- keep\n-- strata:up\nCREATE TABLE keep (a INTEGER);\n-- strata:down\n")
    code, out, err = strata("up")
    assert code == 0, err
    row = engine.migration_row(1)
    assert row["down_sql"] is not None and row["down_sql"].strip() == ""
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.applied() == []
    assert engine.has_table("keep")  # the down did nothing to the schema
    h = engine.history()
    assert [(r["direction"], r["status"]) for r in h] == [("up", "success"), ("down", "success")]


# --------------------------------------------------------------------------- markers

@pytest.mark.parametrize("up_marker,down_marker", [
    ("-- strata:up", "-- strata:down"),
    ("--strata:up", "--strata:down"),
    ("-- STRATA:UP", "-- Strata:Down"),
    ("  --   strata  :  up  ", " -- strata :down   "),
    ("\t--\tstrata\t:\tup\t", "--\tStrAta:\tdOwN\t \t"),
    ("-- strata: up", "-- strata: down"),
])
def test_marker_grammar_is_tolerant(strata, mig, engine, up_marker, down_marker):
    mig.write("001_m.sql", raw="-- Markers\n%s\nCREATE TABLE mk (a INTEGER);\n%s\nDROP TABLE mk;\n" % (up_marker, down_marker))
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.has_table("mk")
    row = engine.migration_row(1)
    assert row["up_sql"].strip() == "CREATE TABLE mk (a INTEGER);"
    assert row["down_sql"].strip() == "DROP TABLE mk;"
    code, out, err = strata("down")
    assert code == 0, err
    assert not engine.has_table("mk")


def test_crlf_markers(strata, mig, engine):
    mig.write("001_crlf.sql", raw=b"-- CRLF file\r\n-- strata:up\r\nCREATE TABLE crlf (a INTEGER);\r\n-- strata:down\r\nDROP TABLE crlf;\r\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.has_table("crlf")
    code, out, err = strata("down")
    assert code == 0, err
    assert not engine.has_table("crlf")


@pytest.mark.parametrize("body", [
    "-- strata:down\nDROP TABLE x;\n-- strata:up\nCREATE TABLE x (a INTEGER);\n",      # down before up
    "-- only down\n-- strata:down\nDROP TABLE x;\n",                            # down without up
    "-- strata:up\nCREATE TABLE x (a INTEGER);\n-- strata:up\nCREATE TABLE y (a INTEGER);\n",   # up twice
    "-- strata:up\nCREATE TABLE x (a INTEGER);\n-- strata:down\nDROP TABLE x;\n-- STRATA:DOWN\nSELECT 1;\n",  # down twice
    "-- strata:up\nCREATE TABLE x (a INTEGER);\n-- strata:no-transaction\n-- strata:down\nDROP TABLE x;\n",   # directive after up
    "-- strata:bogus\n-- strata:up\nCREATE TABLE x (a INTEGER);\n",                   # unknown directive
], ids=["down-before-up", "down-only", "up-twice", "down-twice", "directive-after-up", "unknown-directive"])
@pytest.mark.parametrize("cmd", ["up", "validate", "status"])
def test_malformed_markers_exit_2(strata, mig, engine, body, cmd):
    mig.simple(1, "good")
    mig.write("002_bad.sql", raw=body)
    code, out, err = strata(cmd)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    assert "002_bad.sql" in err
    assert_nothing_applied(engine)


def test_malformed_file_json_error(strata, mig, engine):
    mig.write("001_bad.sql", raw="-- strata:down\nDROP TABLE x;\n")
    code, obj, err = strata.json("up")
    assert code == 2
    assert obj.get("exit_code") == 2 or obj.get("failed") is not None or obj.get("error")


# --------------------------------------------------------------------------- pair form

def test_pair_form(strata, mig, engine):
    mig.write("001_pair.up.sql", raw="-- Pair form up\nCREATE TABLE pair (a INTEGER);\nINSERT INTO pair VALUES (1);\n")
    mig.write("001_pair.down.sql", raw="DROP TABLE pair;\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.scalar("SELECT count(*) FROM pair") == 1
    row = engine.migration_row(1)
    assert row["name"] == "pair"
    assert row["description"] == "Pair form up"
    assert "DROP TABLE pair" in row["down_sql"]
    assert row["checksum"] == checksum_of(mig.read("001_pair.up.sql"))
    code, out, err = strata("down")
    assert code == 0, err
    assert not engine.has_table("pair")


def test_lone_up_file_is_irreversible(strata, mig, engine):
    mig.write("001_lone.up.sql", raw="CREATE TABLE lone (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.migration_row(1)["down_sql"] is None
    snap = engine.snapshot()
    code, out, err = strata("down")
    assert code == 1
    assert "strata: error:" in err and "001_lone" in err
    assert engine.snapshot() == snap


@pytest.mark.parametrize("cmd", ["up", "validate"])
def test_lone_down_file_is_exit_2(strata, mig, engine, cmd):
    mig.simple(1, "good")
    mig.write("002_orphan.down.sql", raw="DROP TABLE whatever;\n")
    code, out, err = strata(cmd)
    assert code == 2, (out, err)
    assert "002_orphan.down.sql" in err
    assert_nothing_applied(engine)


@pytest.mark.parametrize("where", ["up", "down"])
def test_marker_inside_pair_form_is_exit_2(strata, mig, engine, where):
    up = "CREATE TABLE p (a INTEGER);\n"
    down = "DROP TABLE p;\n"
    if where == "up":
        up = "-- strata:up\n" + up
    else:
        down = "-- strata:down\n" + down
    mig.write("001_p.up.sql", raw=up)
    mig.write("001_p.down.sql", raw=down)
    code, out, err = strata("up")
    assert code == 2, (out, err)
    assert "001_p" in err
    assert_nothing_applied(engine)


# --------------------------------------------------------------------------- folder contents

def test_other_files_ignored_and_nonfitting_names_warned(strata, mig, engine):
    mig.simple(1, "good")
    mig.write("README.md", raw="# notes\nCREATE TABLE readme_ran (a INTEGER);\n")
    mig.write("001_notes.txt", raw="CREATE TABLE txt_ran (a INTEGER);\n")
    mig.write("create_users.sql", raw="CREATE TABLE nonfit1 (a INTEGER);\n")
    # SPEC 2/10: "002_has space.sql" now fits and "V3__x.sql" is Flyway (test_formats.py)
    mig.write("002-dash.sql", raw="CREATE TABLE nonfit2 (a INTEGER);\n")
    mig.write("V3_not_flyway.sql", raw="CREATE TABLE nonfit3 (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    for name in ("create_users.sql", "002-dash.sql", "V3_not_flyway.sql"):
        assert name in err, err
    assert "README.md" not in err
    assert engine.applied() == [1]
    assert engine.user_tables() == ["t_good"]


def test_non_utf8_file_name_is_a_warning(strata, mig, engine):
    mig.simple(1, "good")
    import os
    with open(os.path.join(os.fsencode(str(mig.dir)), b"002_caf\xe9.sql"), "wb") as f:
        f.write(b"CREATE TABLE latin1_name (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert err.strip() != ""
    assert engine.applied() == [1]
    assert not engine.has_table("latin1_name")


def test_folder_named_like_a_migration_is_ignored_with_warning(strata, mig, engine):
    mig.simple(1, "good")
    (mig.dir / "002_folder.sql").mkdir()
    (mig.dir / "003_dir").mkdir()
    code, out, err = strata("up")
    assert code == 0, err
    assert "002_folder.sql" in err
    assert engine.applied() == [1]
    code, out, err = strata("validate")
    assert code == 0, err


@pytest.mark.parametrize("cmd", ["up", "validate", "status"])
def test_missing_migrations_folder_is_exit_2(run, engine, workdir, cmd):
    code, out, err = run("-u", engine.url, "-d", str(workdir / "nope"), cmd)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    assert not (workdir / "nope").exists()


@pytest.mark.parametrize("cmd", ["up", "validate", "status"])
def test_migrations_folder_that_is_a_file_is_exit_2(run, engine, workdir, cmd):
    (workdir / "afile").write_text("CREATE TABLE x (a INTEGER);\n")
    code, out, err = run("-u", engine.url, "-d", str(workdir / "afile"), cmd)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    assert engine.tables() == []


@pytest.mark.parametrize("files", [
    ("001_a.sql", "1_b.sql"),
    ("001_a.sql", "0001_a.sql"),
    ("002_x.sql", "002_y.up.sql"),
    ("003_same.sql", "003_same.up.sql"),
])
@pytest.mark.parametrize("cmd", ["up", "validate", "status"])
def test_duplicate_versions_exit_2_naming_both(strata, mig, engine, files, cmd):
    for i, f in enumerate(files):
        mig.write(f, raw="CREATE TABLE dup%d (a);\n" % i)
    code, out, err = strata(cmd)
    assert code == 2, (out, err)
    assert "strata: error:" in err
    for f in files:
        assert f in err, err
    assert_nothing_applied(engine)


# A 0-byte file is a valid empty body (SPEC 8): test_formats.py::test_zero_byte_files.
@pytest.mark.parametrize("content", [b"CREATE TABLE x (a INTEGER);\x00\n", b"-- caf\xe9\nCREATE TABLE x (a INTEGER);\n",
                                     b"\xff\xfe-\x00-\x00", b"CREATE TABLE x (a INTEGER); -- \xc3\x28\n"],
                         ids=["nul", "latin1", "utf16", "bad-sequence"])
@pytest.mark.parametrize("cmd", ["up", "validate"])
def test_empty_nul_or_invalid_utf8_file_is_exit_2(strata, mig, engine, content, cmd):
    mig.simple(1, "good")
    mig.write("002_broken.sql", raw=content)
    code, out, err = strata(cmd)
    assert code == 2, (out, err)
    assert "002_broken.sql" in err
    assert_nothing_applied(engine)


@pytest.mark.not_mysql_sql
def test_no_size_limit(strata, mig, engine):
    big = "x" * (3 * 1024 * 1024)
    stmts = "\n".join("INSERT INTO big (v) VALUES ('%d');" % i for i in range(5000))
    mig.write("001_big.sql", up="CREATE TABLE big (v TEXT);\nINSERT INTO big (v) VALUES ('%s');\n%s" % (big, stmts),
              down="DROP TABLE big;")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.scalar("SELECT max(length(v)) FROM big") == len(big)
    assert engine.scalar("SELECT count(*) FROM big") == 5001
    assert engine.scalar("SELECT statements_done FROM strata_history WHERE status='success'") == 5002


# --------------------------------------------------------------------------- versions and order

def test_versions_sort_numerically(strata, mig, engine):
    mig.write("1_a.sql", up="CREATE TABLE o (a INTEGER);", down="DROP TABLE o;")
    mig.write("2_b.sql", up="ALTER TABLE o ADD COLUMN b INTEGER;", down="ALTER TABLE o DROP COLUMN b;")
    mig.write("10_c.sql", up="ALTER TABLE o ADD COLUMN c INTEGER;", down="ALTER TABLE o DROP COLUMN c;")
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [1, 2, 10]
    assert engine.columns("o") == ["a", "b", "c"]


def test_timestamp_versions(strata, mig, engine):
    mig.write("20261121093000_first.sql", up="CREATE TABLE ts1 (a INTEGER);", down="DROP TABLE ts1;")
    mig.write("20261121093500_second.sql", up="CREATE TABLE ts2 (a INTEGER);", down="DROP TABLE ts2;")
    code, obj, err = strata.json("up")
    assert code == 0, err
    assert [a["version"] for a in obj["applied"]] == [20261121093000, 20261121093500]
    assert engine.applied() == [20261121093000, 20261121093500]
    code, obj, err = strata.json("status")
    assert obj["current_version"] == 20261121093500


def test_leading_zeros_are_the_same_version(strata, mig, engine):
    mig.write("001_a.sql", up="CREATE TABLE za (a INTEGER);", down="DROP TABLE za;")
    code, out, err = strata("up")
    assert code == 0, err
    # renaming 001 -> 1 keeps the same (applied) version
    mig.write("1_a.sql", raw=mig.read("001_a.sql"))
    mig.remove("001_a.sql")
    code, out, err = strata("up")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.applied() == [1]


# --------------------------------------------------------------------------- checksums

def test_checksum_is_sha256_of_trimmed_up_body(strata, mig, engine):
    text = ("-- Described\n"
            "-- strata:up\n"
            "\n\n   CREATE TABLE c1 (a INTEGER);\n  INSERT INTO c1 VALUES (1);   \n\t\n"
            "-- strata:down\n"
            "DROP TABLE c1;\n")
    mig.write("001_c.sql", raw=text)
    code, out, err = strata("up")
    assert code == 0, err
    row = engine.migration_row(1)
    assert up_body(text) == "CREATE TABLE c1 (a INTEGER);\n  INSERT INTO c1 VALUES (1);"
    assert row["checksum"] == checksum_of(text)
    assert row["checksum_algo"] == "sha256"
    assert len(row["checksum"]) == 64 and row["checksum"] == row["checksum"].lower()
    code, obj, err = strata.json("status")
    assert obj["applied"][0]["checksum"] == row["checksum"]


def test_bom_and_crlf_do_not_change_checksum(strata, mig, engine):
    lf = "-- Described\n-- strata:up\nCREATE TABLE b1 (a TEXT);\nINSERT INTO b1 VALUES ('x');\n-- strata:down\nDROP TABLE b1;\n"
    mig.write("001_b.sql", raw=lf)
    mig.write("002_bom.sql", raw=b"\xef\xbb\xbf" + lf.replace("b1", "b2").replace("\n", "\r\n").encode())
    code, out, err = strata("up")
    assert code == 0, err
    r1, r2 = engine.migration_row(1), engine.migration_row(2)
    assert r1["checksum"] == checksum_of(lf)
    assert r2["checksum"] == checksum_of(lf.replace("b1", "b2"))
    assert r2["description"] == "Described"
    assert engine.scalar("SELECT a FROM b2") == "x"


def test_crlf_copy_of_applied_file_is_not_modified(strata, mig, engine):
    lf = "-- Described\n-- strata:up\nCREATE TABLE cr (a INTEGER);\n-- strata:down\nDROP TABLE cr;\n"
    mig.write("001_cr.sql", raw=lf)
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("001_cr.sql", raw=b"\xef\xbb\xbf" + lf.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    code, obj, err = strata.json("status")
    assert obj["modified"] == []
    snap = engine.snapshot()
    code, out, err = strata("up")
    assert code == 0, err
    assert "schema is up to date" in out
    assert engine.snapshot() == snap


def test_trailing_whitespace_of_a_file_without_markers_is_not_a_change(strata, mig, engine):
    mig.write("001_nm.sql", raw="CREATE TABLE nm (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.applied() == [1]
    mig.write("001_nm.sql", raw="\n\n  CREATE TABLE nm (a INTEGER);\n\n \t \n")
    code, out, err = strata("validate")
    assert code == 0, (out, err)


def test_editing_only_the_down_section_is_not_a_change(strata, mig, engine):
    mig.write("001_d.sql", up="CREATE TABLE d1 (a INTEGER);", down="DROP TABLE d1;")
    code, out, err = strata("up")
    assert code == 0, err
    old = engine.migration_row(1)["checksum"]
    mig.write("001_d.sql", up="CREATE TABLE d1 (a INTEGER);", down="DROP TABLE d1;\nCREATE TABLE down_was_edited (a INTEGER);")
    assert checksum_of(mig.read("001_d.sql")) == old
    code, out, err = strata("validate")
    assert code == 0, (out, err)
    code, obj, err = strata.json("status")
    assert obj["modified"] == []


def test_editing_the_up_body_is_a_change(strata, mig, engine):
    mig.write("001_e.sql", up="CREATE TABLE e1 (a INTEGER);", down="DROP TABLE e1;")
    code, out, err = strata("up")
    assert code == 0, err
    mig.write("001_e.sql", up="CREATE TABLE e1 (a INTEGER, b INTEGER);", down="DROP TABLE e1;")
    code, out, err = strata("validate")
    assert code == 1, (out, err)
    assert "001_e.sql" in out + err
    code, obj, err = strata.json("status")
    assert [m["version"] for m in obj["modified"]] == [1]
    assert obj["modified"][0]["name"] == "e"
    assert obj["modified"][0]["file"].endswith("001_e.sql")


def test_description_is_first_comment_line(strata, mig, engine):
    mig.write("001_desc.sql", raw="--   Spaced description  \n-- second comment\n-- strata:up\nCREATE TABLE de (a INTEGER);\n")
    mig.write("002_nodesc.sql", raw="-- strata:up\nCREATE TABLE nd (a INTEGER);\n")
    mig.write("003_directive_first.sql", raw="-- strata:no-transaction\n-- After the directive\n-- strata:up\nCREATE TABLE df (a INTEGER);\n")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.migration_row(1)["description"].strip() == "Spaced description"
    assert engine.migration_row(2)["description"] in ("", None)
    assert engine.migration_row(3)["description"] == "After the directive"
    code, obj, err = strata.json("status")
    assert [a["description"] for a in obj["applied"]][2] == "After the directive"


# --------------------------------------------------------------------------- statement splitting

@pytest.mark.sqlite_only  # SQLite trigger syntax; servers need their own bodies
def test_trigger_body_with_end_in_strings_and_comments(strata, mig, engine):
    up = """CREATE TABLE ev (id INTEGER PRIMARY KEY, s TEXT);
CREATE TABLE ev_log (msg TEXT);
CREATE TRIGGER ev_ai AFTER INSERT ON ev
FOR EACH ROW
BEGIN
    -- END; in a comment
    INSERT INTO ev_log VALUES ('END;');
    /* END; */ INSERT INTO ev_log VALUES (CASE WHEN NEW.s = 'end' THEN 'begin;end' ELSE 'other' END);
END;
CREATE VIEW ev_v AS SELECT s AS "end;" FROM ev;
CREATE TRIGGER ev_v_ins INSTEAD OF INSERT ON ev_v
BEGIN
    INSERT INTO ev (s) VALUES (NEW."end;");
END;
INSERT INTO ev_v VALUES ('end');"""
    mig.write("001_ev.sql", up=up, down="DROP TRIGGER ev_v_ins;\nDROP VIEW ev_v;\nDROP TRIGGER ev_ai;\nDROP TABLE ev_log;\nDROP TABLE ev;")
    code, out, err = strata("up")
    assert code == 0, err
    assert engine.query("SELECT s FROM ev") == [("end",)]
    assert sorted(r[0] for r in engine.query("SELECT msg FROM ev_log")) == ["END;", "begin;end"]
    h = engine.history()
    assert h[-1]["statements_done"] == 6
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.user_tables() == []


@pytest.mark.sqlite_only  # SQLite trigger syntax; servers need their own bodies
def test_triggers_quoted_semicolons_and_comments(strata, mig, engine):
    up = """CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, note TEXT);
CREATE TABLE audit (item_id INTEGER, what TEXT);
-- a comment; with a semicolon
/* a block comment; with ; semicolons
   over two lines; */
CREATE TRIGGER items_ai AFTER INSERT ON items
BEGIN
    INSERT INTO audit (item_id, what) VALUES (NEW.id, 'insert;' || NEW.label);
    UPDATE items SET note = CASE WHEN NEW.label LIKE '%;%' THEN 'semi' ELSE 'plain' END
     WHERE id = NEW.id;
END;
INSERT INTO items (label) VALUES ('a;b'), ('it''s; ok'), ('--not a comment;'), ('/* nor this; */');
INSERT INTO items (label) VALUES ('plain');
CREATE VIEW v_items AS SELECT id, label FROM items WHERE label <> ';';"""
    mig.write("001_split.sql", up=up, down="DROP VIEW v_items;\nDROP TRIGGER items_ai;\nDROP TABLE audit;\nDROP TABLE items;")
    code, out, err = strata("up")
    assert code == 0, err
    labels = [r[0] for r in engine.query("SELECT label FROM items ORDER BY id")]
    assert labels == ["a;b", "it's; ok", "--not a comment;", "/* nor this; */", "plain"]
    assert engine.query("SELECT item_id, what FROM audit ORDER BY item_id") == [
        (1, "insert;a;b"), (2, "insert;it's; ok"), (3, "insert;--not a comment;"),
        (4, "insert;/* nor this; */"), (5, "insert;plain")]
    assert [r[0] for r in engine.query("SELECT note FROM items ORDER BY id")] == ["semi", "semi", "semi", "semi", "plain"]
    assert engine.scalar("SELECT count(*) FROM v_items") == 5
    h = [r for r in engine.history() if r["status"] == "success"]
    assert h[-1]["statements_done"] == 6
    code, out, err = strata("down")
    assert code == 0, err
    assert engine.user_tables() == []
