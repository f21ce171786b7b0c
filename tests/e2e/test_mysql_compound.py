"""MySQL/MariaDB compound statements, end to end: triggers, procedures, functions,
events and BEGIN NOT ATOMIC blocks, written with and without the mysql client's
DELIMITER lines, in ordinary transactional migrations.

Needs STRATA_MYSQL_URL (see scripts/with-mariadb.sh) and STRATA_BIN.

    bash scripts/with-mariadb.sh env STRATA_BIN=$PWD/build/strata \
        python3 -m pytest -q tests/e2e/test_mysql_compound.py
"""
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

MYSQL_URL = os.environ.get("STRATA_MYSQL_URL")
STRATA_BIN = os.environ.get("STRATA_BIN", str(Path(__file__).resolve().parents[2] / "build" / "strata"))

pytestmark = pytest.mark.skipif(not MYSQL_URL,
                                reason="STRATA_MYSQL_URL is not set (run under scripts/with-mariadb.sh)")


class Db:
    def __init__(self):
        from mysql_engine import parse_xml, run_sql  # tests/e2e/mysql_engine.py
        self._parse, self._run = parse_xml, run_sql
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.url = urlsplit(MYSQL_URL)._replace(path="/" + self.name).geturl()

    def rows(self, sql):
        return self._parse(self._run(sql + ";\n", self.name, xml=True))

    def routines(self):
        return sorted((r["routine_type"], r["routine_name"]) for r in self.rows(
            "SELECT routine_type, routine_name FROM information_schema.routines"
            " WHERE routine_schema = '%s'" % self.name))

    def triggers(self):
        return sorted(r["trigger_name"] for r in self.rows(
            "SELECT trigger_name FROM information_schema.triggers"
            " WHERE trigger_schema = '%s'" % self.name))

    def events(self):
        return sorted(r["event_name"] for r in self.rows(
            "SELECT event_name FROM information_schema.events"
            " WHERE event_schema = '%s'" % self.name))

    def tables(self):
        return sorted(r["table_name"] for r in self.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '%s'" % self.name))

    def history(self):
        return self.rows("SELECT version, direction, status, statements_done FROM strata_history ORDER BY id")

    def drop(self):
        self._run("DROP DATABASE IF EXISTS `%s`" % self.name, check=False)


@pytest.fixture
def db():
    d = Db()
    yield d
    d.drop()


@pytest.fixture
def mig(tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    return d


def write(mig, name, up, down):
    (mig / name).write_text("-- strata:up\n" + up.strip() + "\n-- strata:down\n" + down.strip() + "\n")


def strata(db, mig, *args):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STRATA_")}
    env["NO_COLOR"] = "1"
    p = subprocess.run([STRATA_BIN, "-u", db.url, "-d", str(mig)] + list(args), cwd=str(mig.parent),
                       env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


TABLES = """
CREATE TABLE t (n INT, note VARCHAR(50), `end` INT);
CREATE TABLE log (msg VARCHAR(100));
"""

# Each body with ';' inside; {d} is the terminator after each compound statement.
TRIGGER = """
CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
BEGIN
  IF NEW.n IS NULL THEN
    SET NEW.n = 0;
  END IF;
  SET NEW.n = NEW.n * 2;
  SET NEW.note = CASE WHEN NEW.n > 10 THEN 'big;' ELSE 'small' END;
  SET NEW.`end` = NEW.n + 1;
  INSERT INTO log VALUES (CONCAT('END; inserted ', NEW.n));
END{d}
"""

PROCEDURE = """
CREATE DEFINER = CURRENT_USER PROCEDURE fill(IN k INT)
body: BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE s INT DEFAULT 0;
  IF k < 0 THEN
    LEAVE body;
  ELSEIF k = 0 THEN
    INSERT INTO log VALUES ('zero');
  ELSE
    l1: LOOP
      SET i = i + 1;
      IF i > k THEN LEAVE l1; END IF;
      SET s = s + i;
    END LOOP l1;
  END IF;
  WHILE i > 0 DO
    SET i = i - 1;
  END WHILE;
  REPEAT
    SET i = i + 2;
  UNTIL i >= 4 END REPEAT;
  CASE
    WHEN s > 5 THEN INSERT INTO log VALUES (CONCAT('sum ', s, ' i ', i));
    ELSE BEGIN
      INSERT INTO log VALUES ('small sum');
    END;
  END CASE;
END body{d}
"""

FUNCTION = """
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE y INT DEFAULT 0;
  SET y = IF(x > 0, x, -x);
  RETURN CASE WHEN y = 0 THEN 0 ELSE y * 2 END;
END{d}
"""

EVENT = """
CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DISABLE DO
BEGIN
  DELETE FROM log WHERE msg = 'old';
  INSERT INTO log VALUES ('tidied');
END{d}
"""

DOWN = """
DROP EVENT IF EXISTS tidy;
DROP FUNCTION IF EXISTS twice;
DROP PROCEDURE IF EXISTS fill;
DROP TRIGGER IF EXISTS t_bi;
DROP TABLE log;
DROP TABLE t;
"""


def body(delimiter):
    parts = TRIGGER + PROCEDURE + FUNCTION + EVENT
    if delimiter:
        return TABLES + "DELIMITER $$\n" + parts.format(d="$$") + "DELIMITER ;\n" + "CALL fill(3);\n"
    return TABLES + parts.format(d=";") + "CALL fill(3);\n"


@pytest.mark.parametrize("delimiter", [False, True], ids=["no-delimiter", "delimiter"])
def test_compound_statements_apply_call_and_roll_back(db, mig, delimiter):
    write(mig, "001_logic.sql", body(delimiter), DOWN)
    write(mig, "002_use.sql", """
INSERT INTO t (n) VALUES (7), (NULL);
CALL fill(0);
CALL fill(-1);
INSERT INTO log VALUES (CONCAT('twice ', twice(-21)));
""", "DELETE FROM t;\nDELETE FROM log;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert db.triggers() == ["t_bi"]
    assert db.routines() == [("FUNCTION", "twice"), ("PROCEDURE", "fill")]
    assert db.events() == ["tidy"]
    # Each compound statement was sent whole: 2 tables, 4 objects, 1 CALL.
    assert [(r["version"], r["status"], r["statements_done"]) for r in db.history()] == [
        (1, "success", 7), (2, "success", 4)]
    # The procedure ran its LOOP, WHILE, REPEAT and CASE: 1+2+3 = 6, i ends at 4.
    assert db.rows("SELECT n, note, `end` FROM t ORDER BY n") == [
        {"n": 0, "note": "small", "end": 1}, {"n": 14, "note": "big;", "end": 15}]
    msgs = [r["msg"] for r in db.rows("SELECT msg FROM log")]
    assert msgs == ["sum 6 i 4", "END; inserted 14", "END; inserted 0", "zero", "small sum",
                    "twice 42"], msgs
    assert db.rows("SELECT twice(5) AS v") == [{"v": 10}]
    code, out, err = strata(db, mig, "down", "base")
    assert code == 0, err
    assert db.triggers() == [] and db.routines() == [] and db.events() == []
    assert "t" not in db.tables() and "log" not in db.tables()
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert db.routines() == [("FUNCTION", "twice"), ("PROCEDURE", "fill")]


def test_compound_statements_without_transaction(db, mig):
    (mig / "001_nt.sql").write_text("-- strata:no-transaction\n" + body(False))
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert db.triggers() == ["t_bi"] and len(db.routines()) == 2 and db.events() == ["tidy"]
    assert db.history()[-1]["statements_done"] == 7


def test_begin_not_atomic_block(db, mig):
    write(mig, "001_block.sql", """
CREATE TABLE n (v INT);
BEGIN NOT ATOMIC
  DECLARE i INT DEFAULT 0;
  WHILE i < 3 DO
    SET i = i + 1;
    INSERT INTO n VALUES (i);
  END WHILE;
END;
BEGIN NOT ATOMIC
  lbl: BEGIN
    INSERT INTO n VALUES (10);
    LEAVE lbl;
    INSERT INTO n VALUES (11);
  END lbl;
  IF (SELECT COUNT(*) FROM n) = 4 THEN INSERT INTO n VALUES (20); END IF;
END;
IF (SELECT COUNT(*) FROM n) = 5 THEN
  INSERT INTO n VALUES (30);
END IF;
""", "DROP TABLE n;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert [r["v"] for r in db.rows("SELECT v FROM n ORDER BY v")] == [1, 2, 3, 10, 20, 30]
    assert db.history()[-1]["statements_done"] == 4


def test_transaction_control_is_still_refused(db, mig):
    # Whole statements only: COMMIT inside a procedure body is the procedure's
    # business; a COMMIT or BEGIN of the migration's own is refused.
    write(mig, "001_ok.sql", """
CREATE TABLE a (x INT);
CREATE PROCEDURE p() BEGIN START TRANSACTION; INSERT INTO a VALUES (1); COMMIT; END;
""", "DROP PROCEDURE p;\nDROP TABLE a;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    for n, bad in ((2, "BEGIN;\nINSERT INTO a VALUES (2);\nCOMMIT;"),
                   (5, "CREATE TRIGGER a_bi BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.x = 1; END;\nEND;"),
                   (3, "INSERT INTO a VALUES (2);\nBEGIN WORK;"),
                   (4, "START TRANSACTION;\nINSERT INTO a VALUES (2);")):
        for f in mig.glob("00[2-9]_*"):
            f.unlink()
        write(mig, "%03d_bad.sql" % n, bad, "SELECT 1;")
        code, out, err = strata(db, mig, "up")
        assert code == 1, err
        assert "ends the migration's own transaction" in err and "%03d_bad.sql:" % n in err, err
    assert db.rows("SELECT COUNT(*) AS c FROM a") == [{"c": 0}]


def test_unbalanced_body_is_the_servers_error(db, mig):
    # An END IF too many after a trigger: the server says what is wrong, at
    # the line of the stray END IF, and nothing claims it ends a transaction.
    write(mig, "001_bad.sql", """
CREATE TABLE a (x INT);
CREATE TRIGGER a_bi BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.x = 1; END;
END IF;
""", "DROP TABLE a;")
    code, out, err = strata(db, mig, "up")
    assert code == 1
    assert "001_bad.sql:4:" in err and "ends the migration's own transaction" not in err, err
