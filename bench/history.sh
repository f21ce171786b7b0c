#!/bin/sh
# bench/history.sh BIN [N] - a large history: N (100,000) empty migrations
# stamped as applied into SQLite on a tmpfs (/dev/shm when there is one),
# then a no-op `up` and `status`, measured by CPU time and instructions
# (perf stat, else valgrind --tool=callgrind for the instructions) since
# wall time on a shared machine says little.
#
#   sh bench/history.sh build/strata            # N = 100000
#   BENCH_RUNS=5 sh bench/history.sh build/strata 20000
#
# No assertions: it prints a table and exits 0 (2 without a usable BIN).
set -eu

BIN=${1:-}
N=${2:-100000}
RUNS=${BENCH_RUNS:-3}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "usage: sh bench/history.sh BIN [N]" >&2
	exit 2
fi
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/strata-bench-history.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

mkdir "$tmp/m"
awk -v dir="$tmp/m" -v n="$N" 'BEGIN {
	for (i = 1; i <= n; i++) {
		f = sprintf("%s/%06d_m%d.sql", dir, i, i)
		printf "-- strata:up\nSELECT 1;\n" > f
		close(f)
	}
}'
s="$BIN -q -u sqlite:$tmp/db.sqlite3 -d $tmp/m"
$s stamp "$N" >/dev/null

# task CMD...: median user+sys seconds of RUNS runs, and instructions.
measure() {
	label=$1
	shift
	times=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f '%U %S %M' -o "$tmp/time.out" "$@" >/dev/null 2>&1 || :
		t=$(tail -n 1 "$tmp/time.out")
		times="$times$(echo "$t" | awk '{ printf "%.3f %d\n", $1 + $2, $3 }')
"
		i=$((i + 1))
	done
	cpu=$(printf '%s' "$times" | sort -n | awk '{ a[NR] = $1; m[NR] = $2 } END { printf "%.3f %d", a[int((NR + 1) / 2)], m[int((NR + 1) / 2)] }')
	ins=-
	if command -v perf >/dev/null 2>&1 &&
	   perf stat -x, -e instructions:u -o "$tmp/perf.out" "$@" >/dev/null 2>&1 &&
	   grep instructions "$tmp/perf.out" | grep -qv 'not supported'; then
		ins=$(awk -F, '/instructions/ { print $1 }' "$tmp/perf.out")
	elif command -v valgrind >/dev/null 2>&1; then
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/cg.err" || :
		ins="$(awk '/Collected/ { print $4 }' "$tmp/cg.err") (callgrind)"
	fi
	set -- $cpu
	printf '%-30s %10s %12s %16s\n' "$label" "$1" "$2" "$ins"
}

echo "strata bench: $N applied migrations, SQLite on $base; median of $RUNS runs"
printf '%-30s %10s %12s %16s\n' task "cpu s" "max RSS KB" "instructions"
measure "no-op up: $N applied" $s up
measure "status: $N applied" $s status
exit 0
