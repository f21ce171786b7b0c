#!/bin/sh
# scripts/valgrind.sh BIN - run a whole up/down cycle of the example
# migrations under valgrind; exit non-zero on any memory error or leak.
#
#   sh scripts/valgrind.sh build/strata        (or: make valgrind)
#
# Use the plain build: valgrind and ASan do not mix.  The cycle is up,
# status, down --steps 2, status --json, up, history, down base, on a copy
# of examples/hwautomation/ (or, when that folder has no migrations, a few
# generated ones) in a temporary folder.  Backups stay on, so that code
# runs under valgrind too.  Definite and indirect leaks count as errors;
# "possibly lost" and "still reachable" (library caches) do not.
set -u

BIN=${1:-build/strata}
if [ ! -x "$BIN" ]; then
	echo "valgrind.sh: '$BIN' is not an executable; run 'make' first" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: valgrind is not installed" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
root=$(cd "$(dirname "$0")/.." && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
dir=$tmp/migrations
db=$tmp/db.sqlite3
mkdir -p "$dir"

src=$root/examples/hwautomation
if ls "$src"/*.sql >/dev/null 2>&1; then
	cp "$src"/*.sql "$dir"/
	echo "valgrind.sh: migrations from examples/hwautomation"
else
	for i in 1 2 3 4; do
		{
			echo "-- Table number $i"
			echo "-- strata:up"
			echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT);"
			echo "INSERT INTO t$i (v) VALUES ('x');"
			echo "-- strata:down"
			echo "DROP TABLE t$i;"
		} >"$dir/00${i}_table_$i.sql"
	done
	echo "valgrind.sh: examples/hwautomation has no migrations; using 4 generated ones"
fi

VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q"
failed=0

run() {
	echo "== strata $*"
	$VG "$BIN" -u "sqlite:$db" -d "$dir" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sed 's/^/   /' "$tmp/out" "$tmp/err"
	if [ "$rc" -eq 99 ]; then
		echo "valgrind.sh: valgrind found errors in 'strata $*'" >&2
		failed=1
	elif [ "$rc" -ne 0 ]; then
		echo "valgrind.sh: 'strata $*' exited $rc" >&2
		failed=1
	fi
}

run up
run status
run down --steps 2
run status --json
run up
run history
run down base

if [ "$failed" -ne 0 ]; then
	echo "valgrind.sh: FAILED" >&2
	exit 1
fi
echo "valgrind.sh: no errors"
exit 0
