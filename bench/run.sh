#!/bin/sh
# bench/run.sh BIN - time strata against the floor: the sqlite3 CLI doing
# the same statements with the same transaction boundaries.
#
#   sh bench/run.sh build/strata        (or: make bench)
#
# Three tasks on 1,000 small migrations (BENCH_N):
#   up      on a fresh file: strata creates the file and its tracking tables,
#           then applies each migration in its own transaction with its
#           strata_migrations and strata_history rows.  The floor runs one
#           sqlite3 script: the same DDL, then per migration BEGIN IMMEDIATE;
#           its statements; the same two INSERTs; COMMIT.
#   no-op up and status with everything applied.  The floor is sqlite3 start-up
#           plus the one query of the tracking table.
# Times are medians over BENCH_RUNS runs (BENCH_FRESH_RUNS for the fresh up),
# through hyperfine when it is installed, else a date +%s%N loop.  No
# assertions: it prints a table and exits 0.  Without a usable BIN it times
# the floor alone (tracking DDL and rows then come from bench/floor.sh).
# BENCH_NO_HYPERFINE=1 forces the shell loop.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/floor.sh
. "$here/floor.sh"

N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-20}
FRESH_RUNS=${BENCH_FRESH_RUNS:-5}

BIN=${1:-}
if [ -n "$BIN" ] && [ -x "$BIN" ]; then
	BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
else
	[ -n "$BIN" ] && echo "bench: '$BIN' is not an executable; timing the floor only" >&2
	BIN=""
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "bench: the sqlite3 CLI is needed for the floor; skipping" >&2
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
dir=$tmp/migrations
db=$tmp/strata.db
floor_db=$tmp/floor.db
mkdir -p "$dir"

# ---- migrations -----------------------------------------------------------
gen_migrations "$dir" "$N"

# ---- timing -----------------------------------------------------------------
use_hyperfine=0
[ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1 && use_hyperfine=1

# measure RUNS WARMUP PREPARE COMMAND: print the median wall time in ms, or
# "failed" when the command exits non-zero.
measure() {
	m_runs=$1 m_warm=$2 m_prep=$3 m_cmd=$4
	if [ "$use_hyperfine" = 1 ]; then
		rm -f "$tmp/hf.csv"
		if ! hyperfine --style none --runs "$m_runs" --warmup "$m_warm" \
			--prepare "$m_prep" --export-csv "$tmp/hf.csv" \
			--command-name measured "$m_cmd" >"$tmp/hf.log" 2>&1; then
			echo failed
			return 0
		fi
		# command,mean,stddev,median,user,system,min,max (seconds); the
		# command is named, so commas in it cannot shift the columns
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "median") c = i }
			 NR == 2 { printf "%.2f\n", $c * 1000 }' "$tmp/hf.csv"
		return 0
	fi
	i=0
	while [ "$i" -lt "$m_warm" ]; do
		sh -c "$m_prep" >/dev/null 2>&1
		sh -c "$m_cmd" >/dev/null 2>&1 || { echo failed; return 0; }
		i=$((i + 1))
	done
	: >"$tmp/times"
	i=0
	while [ "$i" -lt "$m_runs" ]; do
		sh -c "$m_prep" >/dev/null 2>&1
		t0=$(date +%s%N)
		sh -c "$m_cmd" >/dev/null 2>&1 || { echo failed; return 0; }
		t1=$(date +%s%N)
		echo $((t1 - t0)) >>"$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk '{ t[NR] = $1 }
		END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		      printf "%.2f\n", m / 1e6 }'
}

rm_db() {
	echo "rm -rf '$1' '$1-journal' '$1-wal' '$1-shm' '$1.strata.lock' '$tmp/backups'"
}

# ---- strata -------------------------------------------------------------------
s_fresh=- s_noop=- s_status=- strata_ok=0
up_flags=""
if [ -n "$BIN" ]; then
	if { "$BIN" --help; "$BIN" up --help; } 2>&1 | grep -q -- '--no-backup'; then
		up_flags="--no-backup"
	fi
	s="'$BIN' -q -u 'sqlite:$db' -d '$dir'"
	# One real run first: it must work, and it gives the floor its rows.
	if sh -c "$s up $up_flags" >"$tmp/first.out" 2>&1 &&
	   [ "$(sqlite3 "$db" 'SELECT count(*) FROM strata_migrations')" = "$N" ]; then
		strata_ok=1
	else
		echo "bench: '$BIN up' did not apply $N migrations:" >&2
		tail -n 5 "$tmp/first.out" >&2
	fi
fi

if [ "$strata_ok" = 1 ]; then
	# The floor copies strata's tracking DDL, rows and journal mode.
	sqlite3 "$db" '.schema strata_migrations' '.schema strata_history' >"$tmp/ddl.sql"
	mode=$(sqlite3 "$db" 'PRAGMA journal_mode')
	sqlite3 -cmd '.headers on' -cmd '.mode insert strata_migrations' "$db" \
		'SELECT * FROM strata_migrations ORDER BY version' >"$tmp/mig.sql"
	cols=$(sqlite3 "$db" "SELECT group_concat(name, ',') FROM pragma_table_info('strata_history') WHERE name <> 'id'")
	sqlite3 -cmd '.headers on' -cmd '.mode insert strata_history' "$db" \
		"SELECT $cols FROM strata_history ORDER BY id" >"$tmp/hist.sql"

	s_fresh=$(measure "$FRESH_RUNS" 0 "$(rm_db "$db")" "$s up $up_flags")
	# measure leaves the last fresh database in place: everything applied.
	s_noop=$(measure "$RUNS" 3 true "$s up $up_flags")
	s_status=$(measure "$RUNS" 3 true "$s status")
else
	synth_tracking "$N" "$tmp/ddl.sql" "$tmp/mig.sql" "$tmp/hist.sql"
	mode=delete
fi

# ---- the floor: sqlite3 -----------------------------------------------------------
floor_script "$N" "$mode" "$tmp/ddl.sql" "$tmp/mig.sql" "$tmp/hist.sql" \
	>"$tmp/floor.sql"
f_fresh=$(measure "$FRESH_RUNS" 0 "$(rm_db "$floor_db")" \
	"sqlite3 -bail '$floor_db' < '$tmp/floor.sql'")
if [ "$(sqlite3 "$floor_db" 'SELECT count(*) FROM strata_migrations')" != "$N" ]; then
	echo "bench: the floor script did not record $N migrations" >&2
fi
q="SELECT version, name, checksum FROM strata_migrations ORDER BY version"
f_noop=$(measure "$RUNS" 3 true "sqlite3 '$floor_db' '$q'")
f_status=$f_noop

# ---- report ---------------------------------------------------------------------
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'
}
row() {
	printf '%-34s %12s %12s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"
}

if [ "$use_hyperfine" = 1 ]; then
	how="hyperfine $(hyperfine --version | awk '{ print $2 }')"
else
	how="shell loop (date +%s%N)"
fi
echo "strata bench: $N migrations, SQLite $(sqlite3 --version | awk '{ print $1 }'), journal_mode=$mode"
echo "median wall time in ms; $how; $RUNS runs ($FRESH_RUNS for the fresh up)"
[ -n "$up_flags" ] && echo "strata flags: $up_flags"
echo
printf '%-34s %12s %12s %8s\n' "task" "strata ms" "sqlite3 ms" "ratio"
row "up: $N on a fresh file" "$s_fresh" "$f_fresh"
row "no-op up: $N applied" "$s_noop" "$f_noop"
row "status: $N applied" "$s_status" "$f_status"
echo
echo "ratio = strata / floor (the sqlite3 CLI doing the same statements);"
echo "per migration on the fresh up: strata $(awk -v t="$s_fresh" -v n="$N" 'BEGIN { if (t + 0 > 0) printf "%.3f", t / n; else printf "-" }') ms," \
	"floor $(awk -v t="$f_fresh" -v n="$N" 'BEGIN { if (t + 0 > 0) printf "%.3f", t / n; else printf "-" }') ms"
exit 0
