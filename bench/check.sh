#!/bin/sh
# bench/check.sh BIN - the cost of the quick_check strata runs around a
# SQLite run (issue 14) on a ~1 GiB database.
#
#   make -s && sh bench/check.sh build/strata
#
# The database is built as bench/backup.sh builds it (BENCH_BACKUP_MIB,
# default 1024; one 4 KiB page a row) in a temporary folder removed on
# exit, with one migration that creates and (down) drops an empty table.
# Then, BENCH_RUNS times (default 3; median), after one untimed run each:
#   checked     BIN -q up --no-backup              (quick_check before, and
#               once after, as it applied something)
#   unchecked   BIN -q up --no-backup --no-check
#   quick_check sqlite3 DB "PRAGMA quick_check"    (the floor: one check)
# each up undone, untimed, by `down --no-backup --no-check` in its
# --prepare.  The page cache is warm (the database was just written and
# read); the backup's own cost is bench/backup.sh's.  Prints a table,
# exits 0 (2 without a usable BIN).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "usage: sh bench/check.sh BIN (the strata binary)" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "bench/check.sh: the sqlite3 CLI is needed (to build the database); skipping"
	exit 0
fi

MIB=${BENCH_BACKUP_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/peers/lib.sh
. "$here/peers/lib.sh"

db=$tmp/big.db
rows=$((MIB * 1024 * 1024 / 4096 / 4))
{
	echo "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	for t in 1 2 3 4; do
		echo "CREATE TABLE t$t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);"
		echo "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)"
		echo "INSERT INTO t$t SELECT i, randomblob(4000) FROM c;"
	done
} >"$tmp/build.sql"
sqlite3 "$db" <"$tmp/build.sql" >/dev/null
sync
size=$(wc -c <"$db" | tr -d ' ')
mkdir -p "$tmp/m"
printf -- '-- strata:up\nCREATE TABLE bench_x (a INTEGER);\n-- strata:down\nDROP TABLE bench_x;\n' \
	>"$tmp/m/001_x.sql"

s="$(sq "$BIN") -q -u $(sq "sqlite:$db") -d $(sq "$tmp/m")"
undo="$s down --no-backup --no-check >/dev/null 2>&1 || true"
c_checked="$s up --no-backup"
c_unchecked="$s up --no-backup --no-check"
c_floor="sqlite3 $(sq "$db") 'PRAGMA quick_check'"
for c in "$c_checked" "$c_unchecked"; do
	sh -c "$undo"
	if ! sh -c "$c" >"$tmp/check.log" 2>&1; then
		echo "bench/check.sh: '$c' failed:" >&2
		tail -n 5 "$tmp/check.log" >&2
		exit 1
	fi
done
[ "$(sqlite3 "$db" 'PRAGMA quick_check')" = ok ] || {
	echo "bench/check.sh: the database is not sound" >&2
	exit 1
}

ms_checked=$(measure "$RUNS" 1 "$undo" "$c_checked")
ms_unchecked=$(measure "$RUNS" 1 "$undo" "$c_unchecked")
ms_floor=$(measure "$RUNS" 1 "true" "$c_floor")

secs() {
	awk -v m="$1" 'BEGIN { if (m + 0 > 0) printf "%.3f", m / 1000; else printf "%s", m }'
}

echo "strata quick_check bench: $(basename "$BIN") on $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs"
echo "database: $size bytes (4 tables x $rows rows of randomblob(4000)); warm page cache"
echo "timing:   $(timing_how), median of $RUNS runs after 1 untimed run each"
echo
printf '%-12s %10s  %s\n' "command" "seconds" "what"
printf '%-12s %10s  %s\n' "checked" "$(secs "$ms_checked")" "up --no-backup (quick_check before and after)"
printf '%-12s %10s  %s\n' "unchecked" "$(secs "$ms_unchecked")" "up --no-backup --no-check"
printf '%-12s %10s  %s\n' "quick_check" "$(secs "$ms_floor")" "sqlite3 DB 'PRAGMA quick_check' (one check)"
echo
echo "the checks cost  $(awk -v a="$ms_checked" -v b="$ms_unchecked" 'BEGIN {
	if (a + 0 > 0 && b + 0 > 0) printf "%.3f s", (a - b) / 1000; else printf "-" }') per run that applies something"
