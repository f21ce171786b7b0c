#!/bin/sh
# bench/backup.sh BIN - time strata's SQLite backup of a ~1 GiB database
# against its floors: `cp` of the same file and sqlite3's own `.backup`.
#
#   make -s && sh bench/backup.sh build/strata
#
# One run builds the database in a temporary folder (removed on exit):
# four tables of rows holding a 4,000-byte randomblob each (one 4 KiB page a
# row), filled by recursive CTEs in a single sqlite3 call with the journal
# and syncs off (BENCH_BACKUP_MIB, default 1024).  Then it times:
#   strata    BIN -q -u sqlite:DB backup --output OUT   (online backup API,
#             fsync of the copy before its rename into place)
#   cp        cp DB OUT                                 (no fsync)
#   cp+fsync  cp DB OUT && sync OUT                     (the same durability)
#   sqlite3   sqlite3 DB ".backup OUT"                  (its own backup API)
# Each command runs once untimed first (so every one of them reads the
# database from a warm page cache, as the first one otherwise would not),
# then BENCH_RUNS times (default 3; median).  Before every run the output is
# removed and `sync` flushes what earlier runs left dirty, so no run pays for
# another's writes.  The cache is not dropped: times are warm-cache reads
# plus the write of 1 GiB.  Through hyperfine when installed (else a
# date +%s%N loop; BENCH_NO_HYPERFINE=1 forces the loop).  No assertions:
# prints a table and exits 0 (2 without a usable BIN).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "usage: sh bench/backup.sh BIN (the strata binary)" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "bench/backup.sh: the sqlite3 CLI is needed (to build the database and for the floor); skipping"
	exit 0
fi

MIB=${BENCH_BACKUP_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-backup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/peers/lib.sh
. "$here/peers/lib.sh"

db=$tmp/big.db
out=$tmp/out.db

# ---- the database -------------------------------------------------------------
rows=$((MIB * 1024 * 1024 / 4096 / 4))
{
	echo "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	for t in 1 2 3 4; do
		echo "CREATE TABLE t$t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);"
		echo "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)"
		echo "INSERT INTO t$t SELECT i, randomblob(4000) FROM c;"
	done
} >"$tmp/build.sql"
t0=$(date +%s%N)
sqlite3 "$db" <"$tmp/build.sql" >/dev/null
sync
t1=$(date +%s%N)
size=$(wc -c <"$db" | tr -d ' ')
pages=$(sqlite3 "$db" "PRAGMA page_count")

# ---- sanity: each command makes a complete copy ----------------------------------
q=$(sq "$db")
o=$(sq "$out")
c_strata="$(sq "$BIN") -q -u $(sq "sqlite:$db") backup --output $o"
c_cp="cp $q $o"
c_cpsync="cp $q $o && sync $o"
c_sqlite3="sqlite3 $q $(sq ".backup $out")"
prep="rm -f $o $o.tmp-*; sync"
cmd=
for name in strata cp cpsync sqlite3; do
	eval "cmd=\$c_$name"
	sh -c "$prep"
	if ! sh -c "$cmd" >"$tmp/check.log" 2>&1; then
		echo "bench/backup.sh: $name failed:" >&2
		tail -n 5 "$tmp/check.log" >&2
		exit 1
	fi
	got=$(sqlite3 "$out" "PRAGMA page_count")
	if [ "$got" != "$pages" ]; then
		echo "bench/backup.sh: $name copied $got pages of $pages" >&2
		exit 1
	fi
done
sh -c "$prep"

# ---- timing (ms, median) ----------------------------------------------------------
ms_strata=$(measure "$RUNS" 1 "$prep" "$c_strata")
ms_cp=$(measure "$RUNS" 1 "$prep" "$c_cp")
ms_cpsync=$(measure "$RUNS" 1 "$prep" "$c_cpsync")
ms_sqlite3=$(measure "$RUNS" 1 "$prep" "$c_sqlite3")
sh -c "$prep"

secs() {
	awk -v m="$1" 'BEGIN { if (m + 0 > 0) printf "%.3f", m / 1000; else printf "%s", m }'
}
mibs() {
	awk -v m="$1" -v b="$size" 'BEGIN { if (m + 0 > 0) printf "%.0f", b / 1048576 / (m / 1000); else printf "-" }'
}

echo "strata backup bench: $(basename "$BIN") on $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs"
echo "database: $size bytes ($pages pages of 4096, 4 tables x $rows rows of randomblob(4000)),"
echo "          built in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s in $tmp"
echo "timing:   $(timing_how), median of $RUNS runs after 1 untimed run each; warm page cache;"
echo "          output removed and \`sync\` before every run; sqlite3 $(sqlite3 --version | awk '{ print $1 }')"
echo
printf '%-10s %10s %8s  %s\n' "command" "seconds" "MiB/s" "what"
printf '%-10s %10s %8s  %s\n' "strata" "$(secs "$ms_strata")" "$(mibs "$ms_strata")" "strata backup --output (copy under a read lock, fsync, rename)"
printf '%-10s %10s %8s  %s\n' "cp" "$(secs "$ms_cp")" "$(mibs "$ms_cp")" "cp DB OUT (no fsync)"
printf '%-10s %10s %8s  %s\n' "cp+fsync" "$(secs "$ms_cpsync")" "$(mibs "$ms_cpsync")" "cp DB OUT && sync OUT"
printf '%-10s %10s %8s  %s\n' "sqlite3" "$(secs "$ms_sqlite3")" "$(mibs "$ms_sqlite3")" "sqlite3 DB \".backup OUT\""
echo
echo "strata / cp        $(ratio "$ms_strata" "$ms_cp")"
echo "strata / cp+fsync  $(ratio "$ms_strata" "$ms_cpsync")"
echo "strata / sqlite3   $(ratio "$ms_strata" "$ms_sqlite3")"
