#!/bin/sh
# bench/scale.sh BIN - how strata's SQLite costs grow (issue 11, SPEC 9):
#
#   1. W1 (fresh apply, bench/floor.sh's migrations) at each N of SCALE_NS
#      (default "1000 5000"), against the sqlite3 CLI running the same
#      statements one transaction per migration; prints the CPU time
#      (user + system) of both and strata's overhead per migration, which
#      should not grow with N.
#   2. SCALE_BIG (default 100000) migrations recorded with 'stamp': CPU and
#      wall time of a no-op 'up' and of 'status' (each should stay < 0.5 s).
#   3. SCALE_RSS (default 10000) migrations applied in one run: peak RSS
#      (should stay < 16 MB).
#
# The databases live on SCALE_TMP (default /dev/shm when it exists), so that
# fsync does not hide the CPU cost being measured.  Times are the median of
# SCALE_RUNS runs (default 3) from /usr/bin/time.  No assertions: it prints.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/floor.sh
. "$here/floor.sh"

BIN=${1:?usage: bench/scale.sh path/to/strata}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
NS=${SCALE_NS:-1000 5000}
BIG=${SCALE_BIG:-100000}
RSS_N=${SCALE_RSS:-10000}
RUNS=${SCALE_RUNS:-3}
base=${SCALE_TMP:-}
[ -z "$base" ] && [ -d /dev/shm ] && base=/dev/shm
[ -z "$base" ] && base=${TMPDIR:-/tmp}
for tool in sqlite3 /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is needed" >&2; exit 0; }
done
tmp=$(mktemp -d "$base/strata-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# timed OUT CMD...: append "wall user sys maxrss_kb" of one run to OUT.
timed() {
	t_out=$1
	shift
	/usr/bin/time -o "$tmp/t" -f "%e %U %S %M" "$@" >/dev/null 2>"$tmp/err" ||
		{ echo "bench: failed: $*" >&2; tail -n 3 "$tmp/err" >&2; exit 1; }
	tail -n 1 "$tmp/t" >>"$t_out"
}

# median FILE FIELD: the median of one field (1 wall, 2 user, 3 sys, 4 rss,
# 5 user + sys) over the runs in FILE.
median() {
	awk -v f="$2" '{ v[NR] = f == 5 ? $2 + $3 : $f }
		END { n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		      print n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }' "$1"
}

rm_db() { rm -f "$1" "$1-journal" "$1-wal" "$1-shm" "$1.strata.lock"; }

echo "strata: $BIN"
echo "databases on $base; medians of $RUNS runs; CPU = user + system seconds"
echo
printf '%-8s %12s %12s %12s %20s\n' N "strata CPU" "sqlite3 CPU" "strata wall" "overhead/migration"
for n in $NS; do
	dir=$tmp/m$n
	db=$tmp/w1.db
	mkdir -p "$dir"
	gen_migrations "$dir" "$n"
	: >"$tmp/s.times"
	: >"$tmp/f.times"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm_db "$db"
		timed "$tmp/s.times" "$BIN" -q -u "sqlite:$db" -d "$dir" up --no-backup
		i=$((i + 1))
	done
	# the floor: the same statements and tracking rows (bench/run.sh)
	sqlite3 "$db" '.schema strata_migrations' '.schema strata_history' >"$tmp/ddl.sql"
	mode=$(sqlite3 "$db" 'PRAGMA journal_mode')
	sqlite3 -cmd '.headers on' -cmd '.mode insert strata_migrations' "$db" \
		'SELECT * FROM strata_migrations ORDER BY version' >"$tmp/mig.sql"
	cols=$(sqlite3 "$db" "SELECT group_concat(name, ',') FROM pragma_table_info('strata_history') WHERE name <> 'id'")
	sqlite3 -cmd '.headers on' -cmd '.mode insert strata_history' "$db" \
		"SELECT $cols FROM strata_history ORDER BY id" >"$tmp/hist.sql"
	floor_script "$n" "$mode" "$tmp/ddl.sql" "$tmp/mig.sql" "$tmp/hist.sql" >"$tmp/floor.sql"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm_db "$tmp/floor.db"
		timed "$tmp/f.times" sh -c "sqlite3 -bail '$tmp/floor.db' < '$tmp/floor.sql'"
		i=$((i + 1))
	done
	s=$(median "$tmp/s.times" 5)
	f=$(median "$tmp/f.times" 5)
	w=$(median "$tmp/s.times" 1)
	awk -v n="$n" -v s="$s" -v f="$f" -v w="$w" 'BEGIN {
		printf "%-8d %11.3fs %11.3fs %11.3fs %16.1f us\n", n, s, f, w, (s - f) / n * 1e6 }'
	rm -rf "$dir"
	rm_db "$db"
	rm_db "$tmp/floor.db"
done

echo
dir=$tmp/big
db=$tmp/big.db
mkdir -p "$dir"
gen_migrations "$dir" "$BIG"
last=$(ls "$dir" | sort | tail -n 1 | sed 's/_.*//')
"$BIN" -q -u "sqlite:$db" -d "$dir" stamp "$last" >/dev/null
: >"$tmp/u.times"
: >"$tmp/st.times"
i=0
while [ "$i" -lt "$RUNS" ]; do
	timed "$tmp/u.times" "$BIN" -q -u "sqlite:$db" -d "$dir" up --no-backup
	timed "$tmp/st.times" "$BIN" -q -u "sqlite:$db" -d "$dir" status
	i=$((i + 1))
done
printf '%d applied: no-op up %.3fs wall (%.3fs CPU), status %.3fs wall (%.3fs CPU)\n' \
	"$BIG" "$(median "$tmp/u.times" 1)" "$(median "$tmp/u.times" 5)" \
	"$(median "$tmp/st.times" 1)" "$(median "$tmp/st.times" 5)"
rm -rf "$dir"
rm_db "$db"

dir=$tmp/rss
db=$tmp/rss.db
mkdir -p "$dir"
gen_migrations "$dir" "$RSS_N"
: >"$tmp/r.times"
timed "$tmp/r.times" "$BIN" -q -u "sqlite:$db" -d "$dir" up --no-backup
printf '%d applied in one run: peak RSS %.1f MB, %.2fs wall\n' "$RSS_N" \
	"$(median "$tmp/r.times" 4 | awk '{ print $1 / 1024 }')" "$(median "$tmp/r.times" 1)"
