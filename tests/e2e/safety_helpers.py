"""Helpers for test_safety.py: backup files, whole-database snapshots, damaging pages.

Standard library only.  Nothing here runs strata; the tests do that through conftest's
fixtures."""

import calendar
import hashlib
import os
import random
import re
import sqlite3
import stat
import time
from pathlib import Path

# <dbfile>.<YYYYMMDDTHHMMSSZ>[-N].v<version>.bak  (SPEC section 8 "Backups")
BAK_RE = re.compile(r"^(?P<db>.+)\.(?P<ts>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.v(?P<v>\d+)\.bak$")


def sha256_file(path):
    h = hashlib.sha256()
    with open(str(path), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def listdir(d):
    """Sorted entries of d; [] when d does not exist or is not a folder."""
    d = str(d)
    if not os.path.isdir(d):
        return []
    return sorted(os.listdir(d))


def bak_files(d, db="db.sqlite3"):
    """The names of db's backups in folder d (only finished .bak files), sorted."""
    out = []
    for name in listdir(d):
        m = BAK_RE.match(name)
        if m and m.group("db") == db:
            out.append(name)
    return out


def bak_version(name):
    return int(BAK_RE.match(os.path.basename(str(name))).group("v"))


def bak_order_key(name):
    """(timestamp, suffix) -- the creation order the names promise."""
    m = BAK_RE.match(os.path.basename(str(name)))
    return (m.group("ts"), int(m.group("n") or 1))


def bak_epoch(name):
    m = BAK_RE.match(os.path.basename(str(name)))
    return calendar.timegm(time.strptime(m.group("ts"), "%Y%m%dT%H%M%SZ"))


def resolve(path, cwd):
    """A path printed by strata (relative to its working directory, or absolute)."""
    p = Path(path)
    return p if p.is_absolute() else Path(cwd) / p


def same_file(a, b):
    return os.path.realpath(str(a)) == os.path.realpath(str(b))


def connect_ro(path):
    if not os.path.exists(str(path)):
        raise AssertionError("%s does not exist" % path)
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)


def integrity(path):
    con = connect_ro(path)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as e:        # damage that stops the check itself
        return ["error: %s" % e]
    finally:
        con.close()


def dump(path):
    """Every row of every table (tracking tables included) and the schema, as a dict:
    {'__schema__': [(type, name, tbl_name, sql)], table: sorted rows}."""
    con = connect_ro(path)
    try:
        out = {"__schema__": con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()}
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall():
            rows = con.execute('SELECT * FROM "%s"' % t.replace('"', '""')).fetchall()
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def table_rows(path, table, order="rowid"):
    con = connect_ro(path)
    try:
        return con.execute('SELECT * FROM "%s" ORDER BY %s' % (table, order)).fetchall()
    finally:
        con.close()


def version_in(path, prefix="strata"):
    con = connect_ro(path)
    try:
        return con.execute("SELECT max(version) FROM %s_migrations" % prefix).fetchone()[0]
    finally:
        con.close()


def without_history(d, prefix="strata"):
    d = dict(d)
    d.pop(prefix + "_history", None)
    return d


def page_size(path):
    con = connect_ro(path)
    try:
        return con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()


def damage_pages(path, pages, seed=1234):
    """Overwrite whole pages (0-based page indexes) with seeded random bytes."""
    ps = page_size(path)
    rnd = random.Random(seed)
    with open(str(path), "r+b") as f:
        for pg in pages:
            f.seek(pg * ps)
            f.write(bytes(rnd.getrandbits(8) for _ in range(ps)))
            f.flush()
        os.fsync(f.fileno())
    return ps


def middle_pages(path, count=4):
    """count page indexes spread through the middle of the file (never page 0)."""
    ps = page_size(path)
    n = os.path.getsize(str(path)) // ps
    assert n > 64, "file too small to damage in the middle: %d pages" % n
    return sorted({n * k // (count + 1) for k in range(1, count + 1)})


# Two tables of deterministic rows; row i of each table can be recomputed from i.
BIG_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER, note TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL, ref TEXT);
CREATE INDEX orders_customer ON orders(customer_id);
"""


def big_fill_sql(n_customers, n_orders):
    return BIG_SCHEMA + """
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
INSERT INTO customers SELECT i, printf('customer-%%08d', i), (i * 37) %% 1000,
                             printf('note %%d %%s', i, substr('abcdefghijklmnopqrstuvwxyz', 1 + i %% 26, 1))
FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
INSERT INTO orders SELECT i, 1 + (i * 7) %% %d, i / 4.0, printf('ORD-%%010d-%%s', i, hex(i * 2654435761))
FROM c;
""" % (n_customers, n_orders, n_customers)


def make_big_db(path, n_customers=50000, n_orders=50000):
    con = sqlite3.connect(str(path))
    try:
        con.execute("PRAGMA page_size=4096")
        con.executescript(big_fill_sql(n_customers, n_orders))
        con.commit()
    finally:
        con.close()


def expected_big_rows(path_of_intact):
    """{table: {id: row}} read from an intact copy."""
    con = connect_ro(path_of_intact)
    try:
        return {t: {r[0]: r for r in con.execute("SELECT * FROM %s" % t)}
                for t in ("customers", "orders")}
    finally:
        con.close()


def probe_writable(d):
    """True if a file can really be created in d (os.access lies for root)."""
    p = os.path.join(str(d), ".probe-%d" % os.getpid())
    try:
        with open(p, "w"):
            pass
    except OSError:
        return False
    os.unlink(p)
    return True


# A writer process for the WAL test: argv = db, stop file, batch size.
# Commits batches of `size` rows (all rows of batch b carry b); prints the last committed
# batch number on exit; touches <stop>.ready after its first commit.
WAL_WRITER = r"""
import os, sqlite3, sys
db, stop, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(db, isolation_level=None, timeout=30)
con.execute("PRAGMA journal_mode=WAL")
b = 0
while not os.path.exists(stop):
    b += 1
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO w (batch, pad) VALUES (?, randomblob(200))", [(b,)] * size)
    con.execute("COMMIT")
    if b == 1:
        open(stop + ".ready", "w").close()
    with open(stop + ".progress", "w") as f:
        f.write(str(b))
con.close()
print(b)
"""
