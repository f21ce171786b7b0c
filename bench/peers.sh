#!/bin/sh
# bench/peers.sh BIN - strata next to the other migration tools: the same
# 1,000 migrations applied by each tool that is installed, on SQLite and,
# when STRATA_PG_URL is set, on PostgreSQL.
#
#   sh bench/peers.sh build/strata                                  (SQLite)
#   bash scripts/with-postgres.sh sh bench/peers.sh build/strata    (both)
#
# The tools, each found on PATH or through its variable, never installed
# here (a tool that is missing is skipped, with a line saying so):
#   dbmate       BENCH_DBMATE      `dbmate --url U --migrations-dir D
#                                  --no-dump-schema up`; npm's node wrapper
#                                  is bypassed for the prebuilt binary it runs
#   sql-migrate  BENCH_SQL_MIGRATE `sql-migrate up -config dbconfig.yml`
#   alembic      BENCH_ALEMBIC     `alembic upgrade head`, env.py from
#                                  bench/peers/alembic_env.py
#   sqitch       BENCH_SQITCH      `sqitch deploy --no-verify`, with psql and
#                                  sqlite3 binaries as its clients
# Migration i creates table t_i and inserts a row; its down drops it
# (bench/peers/lib.sh writes them in each tool's layout).  Every tool runs
# one transaction per migration (alembic is configured so); strata runs
# with --no-backup on SQLite, as the others take no backup.
#
# Two tasks per tool and engine: `up` of all migrations on a fresh database
# (a new file, or a database dropped and created again), and a no-op `up`
# with all applied.  Each tool first runs once to check that it applied
# every migration; a tool that fails is reported as failed with its last
# lines.  Times are medians over BENCH_FRESH_RUNS (5) fresh and BENCH_RUNS
# (10) no-op runs, fewer for a slow tool so that each task stays within
# BENCH_PEER_BUDGET seconds (45); the runs column says how many.  The fresh
# runs of all the tools take turns, round after round, so that a machine
# whose load drifts weighs on all alike (a date +%s%N loop); the no-op runs
# go tool after tool (through hyperfine when it is installed).  A tool whose first run of all BENCH_N (1000) migrations takes
# longer than BENCH_PEER_MAX seconds (180) is stopped and measured on
# BENCH_N/10 migrations instead, next to strata on the same number; its row
# says so.  BENCH_ENGINES="sqlite postgres" picks the engines.  No
# assertions: it prints the tables and exits 0 (2 without a usable BIN).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/peers/lib.sh
. "$here/peers/lib.sh"

N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-10}
FRESH_RUNS=${BENCH_FRESH_RUNS:-5}
BUDGET=${BENCH_PEER_BUDGET:-45}
MAX=${BENCH_PEER_MAX:-180}
ENGINES=${BENCH_ENGINES:-sqlite postgres}

BIN=${1:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "usage: sh bench/peers.sh BIN (the strata binary)" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
up_flags=""
if { "$BIN" --help; "$BIN" up --help; } 2>&1 | grep -q -- '--no-backup'; then
	up_flags="--no-backup"
fi

PSQL=""
pick_psql || :
notes=$tmp/notes
: >"$notes"
note() { echo "$*" >>"$notes"; }

# ---- the tools --------------------------------------------------------------

# find_tool VAR NAME: the path of NAME from $VAR or PATH, or nothing.
find_tool() {
	eval "f=\${$1:-}"
	if [ -n "$f" ]; then
		[ -x "$f" ] && { echo "$f"; return 0; }
		command -v "$f" 2>/dev/null && return 0
		return 0
	fi
	command -v "$2" 2>/dev/null || :
}

# interp SCRIPT: the interpreter its #! line names (for a driver check).
interp() {
	head -n 1 "$1" 2>/dev/null | sed -n 's/^#![[:space:]]*//p' |
		awk '{ if ($1 ~ /\/env$/) print $2; else print $1 }'
}

DBMATE=$(find_tool BENCH_DBMATE dbmate)
if [ -n "$DBMATE" ]; then
	dbmate_binary
	[ -n "$DBMATE_NOTE" ] && note "$DBMATE_NOTE"
else
	note "dbmate: not installed (not on PATH, nor at BENCH_DBMATE); skipped"
fi
SQLM=$(find_tool BENCH_SQL_MIGRATE sql-migrate)
[ -n "$SQLM" ] || note "sql-migrate: not installed (not on PATH, nor at BENCH_SQL_MIGRATE); skipped"
ALEMBIC=$(find_tool BENCH_ALEMBIC alembic)
[ -n "$ALEMBIC" ] || note "alembic: not installed (not on PATH, nor at BENCH_ALEMBIC); skipped"
SQITCH=$(find_tool BENCH_SQITCH sqitch)
[ -n "$SQITCH" ] || note "sqitch: not installed (not on PATH, nor at BENCH_SQITCH); skipped"

version_of() {
	case $1 in
	strata) "$BIN" --version 2>/dev/null | awk '{ print $NF; exit }' ;;
	dbmate) "$DBMATE" --version 2>/dev/null | awk '{ print $NF; exit }' ;;
	sqlmigrate)
		v=$(dpkg-query -W -f '${Version}' sql-migrate 2>/dev/null || :)
		echo "${v:-?}" | sed 's/^0\.0~git\([0-9]*\)\..*/git-\1/' ;;
	alembic) "$ALEMBIC" --version 2>/dev/null | awk '{ print $NF; exit }' ;;
	sqitch) "$SQITCH" --version 2>/dev/null | awk '{ print $NF; exit }' ;;
	esac
}

# Sqitch: no user or system configuration from this machine.
printf '' >"$tmp/sqitch-empty.conf"
export SQITCH_USER_CONFIG="$tmp/sqitch-empty.conf"
export SQITCH_SYSTEM_CONFIG="$tmp/sqitch-empty.conf"
export SQITCH_FULLNAME="strata bench" SQITCH_EMAIL="bench@example.invalid"

# ---- migrations, per tool and count ---------------------------------------------

# src TOOL COUNT: the folder holding COUNT migrations in TOOL's layout.
src() {
	d=$tmp/src/$1-$2
	if [ ! -d "$d" ]; then
		peer_gen "$1" "$d" "$2"
		case $1 in
		alembic)
			cp "$here/peers/alembic_env.py" "$d/env.py"
			printf '[alembic]\nscript_location = %s\n' "$d" >"$d/alembic.ini" ;;
		sqitch)
			{
				printf '[core]\n\tengine = sqlite\n\tplan_file = sqitch.plan\n\ttop_dir = .\n'
				printf '[deploy]\n\tverify = false\n'
				[ -n "${PSQL:-}" ] && printf '[engine "pg"]\n\tclient = %s\n' "$PSQL"
				command -v sqlite3 >/dev/null 2>&1 &&
					printf '[engine "sqlite"]\n\tclient = %s\n' "$(command -v sqlite3)"
			} >"$d/sqitch.conf" ;;
		esac
	fi
	echo "$d"
}

# ---- one engine -------------------------------------------------------------------

# target TOOL: set reset (an sh command making the database fresh), url
# (strata's form) and count_cmd for TOOL's own database on $engine.
target() {
	if [ "$engine" = sqlite ]; then
		dbdir=$tmp/db/$1
		file=$dbdir/db.sqlite3
		reset="rm -rf '$dbdir' && mkdir -p '$dbdir'"
		url=sqlite:$file
	else
		db=strata_bench_$1
		reset=$(pg_fresh "$db")
		url=$(pg_url_db "$STRATA_PG_URL" "$db")
		echo "$db" >>"$tmp/pg_dbs"
	fi
}

tables() {
	if [ "$engine" = sqlite ]; then sqlite_tables "$file"; else pg_tables "$url"; fi
}

# command TOOL COUNT: the sh command for TOOL's `up` (after target TOOL).
command_for() {
	d=$(src "$1" "$2")
	case $1 in
	strata)
		echo "'$BIN' -q -u $(sq "$url") -d '$d' up $up_flags" ;;
	dbmate)
		u=$url
		[ "$engine" = postgres ] && u=$(pg_url_param "$url" sslmode=disable)
		echo "cd '$tmp' && '$DBMATE' --url $(sq "$u") --migrations-dir '$d' --no-dump-schema up" ;;
	sqlmigrate)
		cfg=$tmp/sqlmigrate-$engine-$2.yml
		if [ "$engine" = sqlite ]; then
			printf 'bench:\n  dialect: sqlite3\n  datasource: %s\n  dir: %s\n' "$file" "$d" >"$cfg"
		else
			printf 'bench:\n  dialect: postgres\n  datasource: %s\n  dir: %s\n' \
				"$(pg_url_param "$url" sslmode=disable)" "$d" >"$cfg"
		fi
		echo "cd '$tmp' && '$SQLM' up -config='$cfg' -env=bench" ;;
	alembic)
		if [ "$engine" = sqlite ]; then
			u=sqlite:///$file
		else
			u=$(pg_url_scheme "$url" postgresql+psycopg2)
		fi
		echo "cd '$tmp' && BENCH_ALEMBIC_URL=$(sq "$u") '$ALEMBIC' -c '$d/alembic.ini' upgrade head" ;;
	sqitch)
		if [ "$engine" = sqlite ]; then
			u=db:sqlite:$file
		else
			u=db:$(pg_url_scheme "$url" pg)
		fi
		echo "cd '$d' && '$SQITCH' deploy --no-verify $(sq "$u")" ;;
	esac
}

# usable TOOL: whether TOOL can reach $engine here; else a note and 1.
usable() {
	case $1 in
	strata) return 0 ;;
	dbmate) [ -n "$DBMATE" ] ;;
	sqlmigrate) [ -n "$SQLM" ] ;;
	alembic)
		[ -n "$ALEMBIC" ] || return 1
		py=$(interp "$ALEMBIC")
		[ "$engine" = sqlite ] && return 0
		if ! "${py:-python3}" -c 'import psycopg2' >/dev/null 2>&1; then
			note "alembic on $engine_name: psycopg2 is not importable by ${py:-python3}; skipped"
			return 1
		fi ;;
	sqitch)
		[ -n "$SQITCH" ] || return 1
		pl=$(interp "$SQITCH")
		if [ "$engine" = sqlite ]; then
			drv=DBD::SQLite
			command -v sqlite3 >/dev/null 2>&1 || {
				note "sqitch on $engine_name: the sqlite3 CLI it runs scripts with is missing; skipped"
				return 1
			}
		else
			drv=DBD::Pg
		fi
		if ! "${pl:-perl}" "-M$drv" -e 1 >/dev/null 2>&1; then
			note "sqitch on $engine_name: the Perl module $drv is missing; skipped"
			return 1
		fi ;;
	esac
}

# check TOOL COUNT: the check run of TOOL's up on COUNT migrations on a
# fresh database, under a time limit.  Sets c_status ("ok", "failed" or
# "timeout"), c_first (its time in ms), c_cmd and c_reset; the output is in
# $tmp/first.log.
check() {
	target "$1"
	c_cmd=$(command_for "$1" "$2")
	c_reset=$reset
	c_first=-
	if ! sh -c "$c_reset" >"$tmp/first.log" 2>&1; then
		c_status=failed
		return 0
	fi
	if command -v timeout >/dev/null 2>&1; then
		c_first=$(once true "timeout -s TERM $MAX sh -c $(sq "$c_cmd")" "$tmp/first.log")
	else
		c_first=$(once true "$c_cmd" "$tmp/first.log")
	fi
	case $c_first in
	failed | timeout)
		c_status=$c_first
		return 0 ;;
	esac
	got=$(tables)
	if [ "$got" != "$2" ]; then
		echo "applied $got of $2 migrations" >>"$tmp/first.log"
		c_status=failed
		return 0
	fi
	c_status=ok
}

# noop CMD: the no-op up, all applied; sets r_noop and r_noop_runs
# (r_noop is "failed" when it failed, its output in $tmp/first.log).
noop() {
	r_noop_runs=0
	r_noop=$(once true "$1" "$tmp/first.log")
	case $r_noop in
	failed | timeout)
		r_noop=failed
		return 0 ;;
	esac
	n=$(runs_within "$BUDGET" "$r_noop" "$RUNS" 1)
	r_noop_runs=1
	if [ "$n" -gt 1 ]; then
		r_noop=$(measure "$n" 1 true "$1")
		r_noop_runs=$n
	fi
}

# bench TOOL COUNT: TOOL alone on COUNT migrations (for a slow tool's
# smaller run): sets r_status, r_fresh, r_fresh_runs, r_noop, r_noop_runs.
bench() {
	r_fresh=- r_fresh_runs=0 r_noop=- r_noop_runs=0
	check "$1" "$2"
	r_status=$c_status
	[ "$r_status" = ok ] || return 0
	n=$(runs_within "$BUDGET" "$c_first" "$FRESH_RUNS" 1)
	r_fresh=$c_first r_fresh_runs=1
	if [ "$n" -gt 1 ]; then
		r_fresh=$(measure "$n" 0 "$c_reset" "$c_cmd")
		r_fresh_runs=$n
	fi
	[ "$r_fresh" = failed ] && { r_status=failed; return 0; }
	noop "$c_cmd"
	[ "$r_noop" = failed ] && r_status=failed
	return 0
}

header() {
	printf '%-12s %-12s %6s %12s %5s %9s %11s %5s %9s %9s\n' \
		tool version count "fresh up ms" runs "ms/migr" "no-op ms" runs \
		"fresh/st" "no-op/st"
}

# row TOOL COUNT FRESH FRESH_RUNS NOOP NOOP_RUNS STRATA_FRESH STRATA_NOOP
row() {
	name=$1
	[ "$1" = sqlmigrate ] && name=sql-migrate
	printf '%-12s %-12s %6s %12s %5s %9s %11s %5s %9s %9s\n' "$name" \
		"$(version_of "$1")" "$2" "$3" "$4" "$(per_migration "$3" "$2")" \
		"$5" "$6" "$(ratio "$3" "$7")" "$(ratio "$5" "$8")"
}

# failed TOOL COUNT STATUS: a failed row, and the tool's last lines.
failed_row() {
	name=$1
	[ "$1" = sqlmigrate ] && name=sql-migrate
	printf '%-12s %-12s %6s %12s\n' "$name" "$(version_of "$1")" "$2" failed
	{
		echo "$name on $engine_name failed ($3); its last lines:"
		tail -n 5 "$tmp/first.log" | sed 's/^/    /'
	} >>"$tmp/fails"
}

# The fresh up takes seconds a run on a machine whose load may drift: the
# tools take turns, round after round (the order reversed every other
# round), so that drift weighs on all of them alike.  A tool too slow for
# two runs within the budget keeps its check run as its one sample.  Then
# the no-op runs, tool after tool.
# (The variables set through eval are per tool: n_, bad_, cmd_, reset_, first_.)
# shellcheck disable=SC2154
run_engine() {
	engine=$1
	: >"$tmp/fails"
	tools="" slow=""
	for tool in strata dbmate sqlmigrate alembic sqitch; do
		: >"$tmp/row_$tool"
		[ "$tool" = strata ] || usable "$tool" || continue
		check "$tool" "$N"
		if [ "$tool" = strata ] && [ "$c_status" != ok ]; then
			echo "$engine_title"
			echo "strata failed ($c_status); no reference for the ratios; its last lines:"
			tail -n 5 "$tmp/first.log" | sed 's/^/    /'
			echo
			return 0
		fi
		case $c_status in
		ok)
			eval "cmd_$tool=\$c_cmd reset_$tool=\$c_reset first_$tool=\$c_first"
			eval "n_$tool=\$(runs_within \"\$BUDGET\" \"\$c_first\" \"\$FRESH_RUNS\" 1)"
			eval "bad_$tool=0"
			: >"$tmp/fresh_$tool"
			tools="$tools $tool" ;;
		timeout) slow="$slow $tool" ;;
		*) failed_row "$tool" "$N" "$c_status" >"$tmp/row_$tool" ;;
		esac
	done

	maxn=0
	for tool in $tools; do
		eval "n=\$n_$tool"
		[ "$n" -gt "$maxn" ] && maxn=$n
	done
	round=0
	while [ "$maxn" -gt 1 ] && [ "$round" -lt "$maxn" ]; do
		order=$tools
		[ $((round % 2)) -eq 1 ] && order=$(echo "$tools" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
		for tool in $order; do
			eval "n=\$n_$tool bad=\$bad_$tool prep=\$reset_$tool cmd=\$cmd_$tool"
			if [ "$n" -le 1 ] || [ "$round" -ge "$n" ] || [ "$bad" != 0 ]; then
				continue
			fi
			sh -c "$prep" >/dev/null 2>&1
			t0=$(date +%s%N)
			if sh -c "$cmd" >"$tmp/first.log" 2>&1; then
				t1=$(date +%s%N)
				echo $((t1 - t0)) >>"$tmp/fresh_$tool"
			else
				eval "bad_$tool=1"
				cp "$tmp/first.log" "$tmp/fail_$tool.log"
			fi
		done
		round=$((round + 1))
	done

	for tool in $tools; do
		eval "fn=\$n_$tool bad=\$bad_$tool cmd=\$cmd_$tool first=\$first_$tool"
		if [ "$bad" = 1 ]; then
			cp "$tmp/fail_$tool.log" "$tmp/first.log"
			failed_row "$tool" "$N" failed >"$tmp/row_$tool"
			continue
		fi
		fresh=$first
		if [ "$fn" -gt 1 ]; then
			fresh=$(sort -n "$tmp/fresh_$tool" | awk '{ t[NR] = $1 }
				END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
				      printf "%.2f", m / 1e6 }')
		fi
		noop "$cmd"
		if [ "$r_noop" = failed ]; then
			failed_row "$tool" "$N" "failed on the no-op" >"$tmp/row_$tool"
			continue
		fi
		eval "fresh_$tool=\$fresh noop_$tool=\$r_noop"
		[ "$tool" = strata ] && { s_fresh=$fresh s_noop=$r_noop; }
		row "$tool" "$N" "$fresh" "$fn" "$r_noop" "$r_noop_runs" \
			"$s_fresh" "$s_noop" >"$tmp/row_$tool"
	done
	if [ "$bad_strata" = 1 ] || [ -z "${s_noop:-}" ]; then
		echo "$engine_title"
		echo "strata failed; no reference for the ratios; its last lines:"
		tail -n 5 "$tmp/fail_strata.log" 2>/dev/null | sed 's/^/    /'
		echo
		return 0
	fi

	# A tool whose first up of N ran out of time: a tenth of N, next to
	# strata on as many.
	: >"$tmp/row_small"
	count=$((N / 10))
	[ "$count" -ge 1 ] || count=1
	small_ref=""
	for tool in $slow; do
		name=$tool
		[ "$tool" = sqlmigrate ] && name=sql-migrate
		note "$name on $engine_name: its first up of $N did not finish within ${MAX} s; measured on $count migrations instead, next to strata on $count"
		if [ -z "$small_ref" ]; then
			bench strata "$count"
			[ "$r_status" = ok ] || { failed_row strata "$count" "$r_status" >>"$tmp/row_small"; continue; }
			small_ref="$r_fresh $r_noop"
			row strata "$count" "$r_fresh" "$r_fresh_runs" "$r_noop" "$r_noop_runs" \
				"$r_fresh" "$r_noop" >>"$tmp/row_small"
		fi
		bench "$tool" "$count"
		if [ "$r_status" != ok ]; then
			failed_row "$tool" "$count" "$r_status" >>"$tmp/row_small"
			continue
		fi
		# shellcheck disable=SC2086
		set -- $small_ref
		row "$tool" "$count" "$r_fresh" "$r_fresh_runs" "$r_noop" "$r_noop_runs" \
			"$1" "$2" >>"$tmp/row_small"
	done

	echo "$engine_title"
	header
	for tool in strata dbmate sqlmigrate alembic sqitch small; do
		cat "$tmp/row_$tool"
	done
	cat "$tmp/fails"
	echo
}

# ---- the run ---------------------------------------------------------------------
echo "strata vs other migration tools: $N migrations (CREATE TABLE + INSERT each), one transaction each"
echo "median wall time in ms; up to $FRESH_RUNS fresh runs per tool, the tools taking turns, and $RUNS no-op runs ($(timing_how)),"
echo "fewer to stay within ${BUDGET} s per task"
echo

for engine_req in $ENGINES; do
	case $engine_req in
	sqlite)
		if ! command -v sqlite3 >/dev/null 2>&1; then
			echo "SQLite: the sqlite3 CLI is needed to check the results; skipped"
			echo
			continue
		fi
		engine_name=SQLite
		engine_title="SQLite $(sqlite3 --version | awk '{ print $1 }') (the system's; dbmate and sql-migrate embed their own), a file in $(dirname "$tmp"), every setting at its default"
		run_engine sqlite
		sqlite_ran=1
		;;
	postgres)
		if [ -z "${STRATA_PG_URL:-}" ]; then
			echo "PostgreSQL: STRATA_PG_URL is not set; skipped (run inside scripts/with-postgres.sh)"
			echo
			continue
		fi
		if [ -z "$PSQL" ] || ! pg_admin_init; then
			echo "PostgreSQL: needs psql and a role that may create databases; skipped"
			echo
			continue
		fi
		: >"$tmp/pg_dbs"
		trap 'sort -u "$tmp/pg_dbs" 2>/dev/null | while read -r d; do pg_drop "$d"; done; rm -rf "$tmp"' EXIT
		engine_name=PostgreSQL
		info=$("$PSQL" -X -At -F ' ' "$STRATA_PG_URL" -c "SELECT split_part(current_setting('server_version'), ' ', 1), current_setting('fsync'), current_setting('synchronous_commit')" 2>/dev/null || :)
		masked=$(printf '%s\n' "$STRATA_PG_URL" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:****@#')
		# shellcheck disable=SC2086
		set -- $info
		engine_title="PostgreSQL ${1:-?} at $masked, a fresh database per fresh up (fsync=${2:-?}, synchronous_commit=${3:-?})"
		run_engine postgres
		;;
	*)
		echo "unknown engine '$engine_req' in BENCH_ENGINES; skipped"
		;;
	esac
done

echo "ratios: tool / strata on the same migrations (above 1.00x: strata is faster)"
[ -n "$up_flags" ] && [ -n "${sqlite_ran:-}" ] && echo "strata flags on SQLite: $up_flags"
[ -s "$notes" ] && sed 's/^/note: /' "$notes"
exit 0
