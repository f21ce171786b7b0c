"""MySQL/MariaDB specifics, end to end (the shared suite runs on MySQL too).

Needs STRATA_MYSQL_URL (see scripts/with-mariadb.sh) and STRATA_BIN; reads the database with
the mariadb client.  Each test works in a database of its own, dropped afterwards.

    bash scripts/with-mariadb.sh env STRATA_BIN=$PWD/build/strata \
        python3 -m pytest -q tests/e2e/test_mysql.py
"""
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

MYSQL_URL = os.environ.get("STRATA_MYSQL_URL")
STRATA_BIN = os.environ.get("STRATA_BIN", str(Path(__file__).resolve().parents[2] / "build" / "strata"))

pytestmark = pytest.mark.skipif(not MYSQL_URL,
                                reason="STRATA_MYSQL_URL is not set (run under scripts/with-mariadb.sh)")


def password():
    return unquote(urlsplit(MYSQL_URL).password or "")


class Db:
    def __init__(self):
        from mysql_engine import parse_xml, run_sql  # tests/e2e/mysql_engine.py
        self._parse, self._run = parse_xml, run_sql
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.url = urlsplit(MYSQL_URL)._replace(path="/" + self.name).geturl()

    def rows(self, sql):
        return self._parse(self._run(sql + ";\n", self.name, xml=True))

    def execute(self, sql):
        self._run(sql, self.name)

    def tables(self):
        return [r["table_name"] for r in self.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '%s'"
            " ORDER BY table_name" % self.name)]

    def history(self):
        return self.rows("SELECT * FROM strata_history ORDER BY id")

    def drop(self):
        self._run("DROP DATABASE IF EXISTS `%s`" % self.name, check=False)


@pytest.fixture
def db():
    d = Db()
    yield d
    d.drop()


class Mig:
    def __init__(self, path):
        self.dir = path
        path.mkdir(parents=True, exist_ok=True)

    def write(self, name, up, down=None, no_txn=False, desc="a migration"):
        text = "-- %s\n" % desc
        if no_txn:
            text += "-- strata:no-transaction\n"
        text += "-- strata:up\n" + up.strip() + "\n"
        if down is not None:
            text += "-- strata:down\n" + down.strip() + "\n"
        (self.dir / name).write_text(text)
        return self.dir / name


@pytest.fixture
def mig(tmp_path):
    return Mig(tmp_path / "migrations")


def env():
    e = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STRATA_")}
    e["NO_COLOR"] = "1"
    return e


def strata(db, mig, *args, timeout=120):
    p = subprocess.run([STRATA_BIN, "-u", db.url, "-d", str(mig.dir)] + [str(a) for a in args],
                       cwd=str(mig.dir.parent), env=env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_failure_after_committed_ddl_is_dirty_until_repair(db, mig):
    mig.write("001_one.sql", "CREATE TABLE one (a INT);", "DROP TABLE one;")
    mig.write("002_half.sql", "CREATE TABLE half (a INT);\nINSERT INTO missing VALUES (1);",
              "DROP TABLE half;")
    mig.write("003_three.sql", "CREATE TABLE three (a INT);", "DROP TABLE three;")
    code, out, err = strata(db, mig, "up")
    assert code == 1
    assert "002_half.sql:4:" in err and "MySQL error 1146" in err, err
    # DDL commits implicitly in MySQL: 'half' stays, and the database is dirty.
    assert "half" in db.tables() and "three" not in db.tables()
    h = db.history()
    assert [(r["version"], r["status"], r["statements_done"]) for r in h] == [
        (1, "success", 1), (2, "dirty", 1)]
    code, out, err = strata(db, mig, "status")
    assert code == 0 and "dirty" in out, out
    code, obj, err = strata(db, mig, "--json", "status")
    assert json.loads(obj)["dirty"] is True
    for cmd in ("up", "down"):
        code, out, err = strata(db, mig, cmd)
        assert code == 1 and "dirty" in err, (cmd, err)
    assert [r["status"] for r in db.history()] == ["success", "dirty"]
    # The user fixes the schema by hand, then repair clears the state.
    db.execute("DROP TABLE half")
    code, out, err = strata(db, mig, "repair")
    assert code == 0, err
    assert [r["status"] for r in db.history()][:2] == ["success", "failed"]
    mig.write("002_half.sql", "CREATE TABLE half (a INT);", "DROP TABLE half;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert {"one", "half", "three"} <= set(db.tables())


def test_stamp_clears_dirty(db, mig):
    mig.write("001_a.sql", "CREATE TABLE a (x INT);\nSELECT * FROM nope;", "DROP TABLE a;")
    code, out, err = strata(db, mig, "up")
    assert code == 1
    code, out, err = strata(db, mig, "stamp", "1")
    assert code == 0, err
    assert "dirty" not in [r["status"] for r in db.history()]
    code, out, err = strata(db, mig, "up")
    assert code == 0 and "up to date" in out, err


def test_delimiter_trigger_and_procedure(db, mig):
    mig.write("001_logic.sql", """
CREATE TABLE t (n INT, note VARCHAR(50));
DELIMITER $$
CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
BEGIN
  SET NEW.n = NEW.n * 2;
  SET NEW.note = 'semi;colon';
END$$
CREATE PROCEDURE add_t(IN v INT)
BEGIN
  INSERT INTO t (n) VALUES (v);
  SELECT COUNT(*) FROM t;
END$$
DELIMITER ;
CALL add_t(21);
""", "DROP PROCEDURE add_t;\nDROP TABLE t;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    assert db.rows("SELECT n, note FROM t") == [{"n": 42, "note": "semi;colon"}]
    assert db.history()[-1]["statements_done"] == 4
    code, out, err = strata(db, mig, "schema", "--format", "sql")
    assert code == 0, err
    assert "DELIMITER $$" in out and "t_bi" in out and "add_t" in out and "DEFINER" not in out
    code, out, err = strata(db, mig, "down")
    assert code == 0, err
    assert "t" not in db.tables()


def test_concurrent_ups_apply_each_migration_once(db, mig):
    for i in range(1, 6):
        mig.write("%03d_m%d.sql" % (i, i), "CREATE TABLE m%d (a INT);\nDO SLEEP(0.05);" % i,
                  "DROP TABLE m%d;" % i)
    procs = [subprocess.Popen([STRATA_BIN, "-u", db.url, "-d", str(mig.dir), "up"],
                              cwd=str(mig.dir.parent), env=env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(8)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 0 for code, _ in results), results
    h = db.history()
    assert sorted(r["version"] for r in h) == [1, 2, 3, 4, 5]
    assert all(r["status"] == "success" for r in h)


def test_lock_timeout(db, mig, tmp_path):
    from mysql_engine import CLIENT, client_env, server_args
    mig.write("001_a.sql", "CREATE TABLE a (x INT);", "DROP TABLE a;")
    code, out, err = strata(db, mig, "status")
    assert code == 0, err
    # Another session holds strata's lock while we try.
    holder = subprocess.Popen([CLIENT] + server_args() + ["--batch", "-e",
                              "SELECT GET_LOCK('strata:%s:strata', 0); DO SLEEP(30);" % db.name],
                              env=client_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        t0 = time.time()
        code, out, err = strata(db, mig, "--lock-timeout", "1", "up")
        assert code == 1, err
        assert "timed out" in err and "lock" in err, err
        assert time.time() - t0 < 10
        assert "a" not in db.tables() if db.rows("SELECT 1 AS x FROM information_schema.schemata"
                                                 " WHERE schema_name = '%s'" % db.name) else True
    finally:
        holder.kill()
        holder.wait()
    code, out, err = strata(db, mig, "up")
    assert code == 0, err


def test_password_never_printed(db, mig):
    mig.write("001_bad.sql", "SELECT * FROM nope;", "SELECT 1;")
    pw = password()
    assert pw
    outputs = []
    for args in (("status",), ("--json", "status"), ("up",), ("history",), ("check",), ("-v", "up")):
        code, out, err = strata(db, mig, *args)
        outputs.append(out + err)
    # A wrong password: the error names the URL, masked.
    bad = urlsplit(db.url)
    bad_url = bad._replace(netloc=bad.netloc.replace(":" + bad.password + "@", ":wrong" + pw + "@")).geturl()
    p = subprocess.run([STRATA_BIN, "-u", bad_url, "-d", str(mig.dir), "status"], env=env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode != 0
    outputs.append(p.stdout.decode() + p.stderr.decode())
    for text in outputs:
        assert pw not in text, text
    assert "****" in outputs[-1]


def test_backup_uses_mysqldump(db, mig, tmp_path):
    mig.write("001_a.sql", "CREATE TABLE a (x INT);\nINSERT INTO a VALUES (7);", "DROP TABLE a;")
    code, out, err = strata(db, mig, "up")
    assert code == 0, err
    mig.write("002_b.sql", "CREATE TABLE b (x INT);", "DROP TABLE b;")
    code, out, err = strata(db, mig, "--backup", "up")
    assert code == 0, err
    dumps = list((mig.dir.parent / "backups").glob("%s.*.v1.sql" % db.name))
    assert len(dumps) == 1, out + err
    text = dumps[0].read_text()
    assert "CREATE TABLE `a`" in text and "INSERT INTO `a`" in text
    assert password() not in text
    assert oct(dumps[0].stat().st_mode & 0o777) == "0o600"
