#!/bin/sh
# bench/my.sh BIN - time strata on MariaDB (or MySQL) against the floor:
# the mariadb client doing the same statements with the same transactions
# in one session, and against dbmate when it is installed.
#
#   bash scripts/with-mariadb.sh sh bench/my.sh build/strata
#
# Needs STRATA_MYSQL_URL (scripts/with-mariadb.sh sets it: a throwaway
# MariaDB on 127.0.0.1, no flush per commit, no binary log) whose user may
# create databases, and the mariadb (or mysql) client.  Each fresh run gets
# a new database, dropped and created again between runs.
#
# Two tasks on 1,000 small migrations (BENCH_N): CREATE TABLE + INSERT each,
# with a down (the same files as bench/pg.sh and bench/peers.sh).
#   up      on a fresh database: strata connects (and opens its lock
#           session), creates its tracking tables, then per migration
#           writes a 'running' strata_history row (autocommit) and runs
#           START TRANSACTION; the body's statements one by one; INSERT
#           INTO strata_migrations; UPDATE strata_history; COMMIT.  The
#           CREATE TABLE commits implicitly, as it does for everyone: the
#           transaction holds what MariaDB lets it hold.
#           The floor is what a user would do by hand, `mariadb DB <
#           floor.sql`: the same tracking DDL, and per migration the same
#           statements with the same rows, read back from the database
#           strata made.
#   no-op up with everything applied.  The floor is the client connecting
#           and running the one SELECT of the applied rows.
# dbmate (BENCH_DBMATE, or on PATH; npm's node wrapper is bypassed for the
# prebuilt binary it runs) applies the same migrations in its own layout,
# one transaction per migration, `dbmate --url mysql://... --no-dump-schema
# up`; it is skipped, with a line saying so, when it is not installed.
# Times are medians: of BENCH_FRESH_RUNS (5) runs each for the fresh up,
# the tools taking turns (a date +%s%N loop); of BENCH_RUNS (20) runs for
# the no-op, through hyperfine when it is installed.  No assertions: it
# prints a table and exits 0 (2 without a usable BIN).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-my.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/peers/lib.sh
. "$here/peers/lib.sh"

N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-20}
FRESH_RUNS=${BENCH_FRESH_RUNS:-5}

BIN=${1:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "usage: sh bench/my.sh BIN (the strata binary, built with MySQL/MariaDB support)" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if [ -z "${STRATA_MYSQL_URL:-}" ]; then
	echo "bench/my.sh: STRATA_MYSQL_URL is not set; skipping (run it as: bash scripts/with-mariadb.sh sh bench/my.sh $1)"
	exit 0
fi
if ! my_client_init; then
	echo "bench/my.sh: the mariadb (or mysql) client is needed for the floor, and must log in with STRATA_MYSQL_URL; skipping"
	exit 0
fi
notes=$tmp/notes
: >"$notes"

DBMATE=${BENCH_DBMATE:-$(command -v dbmate 2>/dev/null || :)}
if [ -n "$DBMATE" ]; then
	dbmate_binary
	[ -n "$DBMATE_NOTE" ] && echo "$DBMATE_NOTE" >>"$notes"
else
	echo "dbmate: not installed (not on PATH, nor at BENCH_DBMATE); skipped (npm install --prefix DIR dbmate)" >>"$notes"
fi

s_db=strata_bench_strata
f_db=strata_bench_floor
d_db=strata_bench_dbmate
trap 'my_drop "$s_db"; my_drop "$f_db"; my_drop "$d_db"; rm -rf "$tmp"' EXIT
s_url=$(pg_url_db "$STRATA_MYSQL_URL" "$s_db")
d_url=$(pg_url_db "$STRATA_MYSQL_URL" "$d_db")
dir=$tmp/migrations
peer_gen strata "$dir" "$N"
# The client with the option file; -B -N -r for values as they are.
q() {
	db=$1
	shift
	"$MY_BIN" --defaults-file="$tmp/my.cnf" -B -N -r "$db" "$@"
}

# ---- strata ---------------------------------------------------------------
s="'$BIN' -q -u $(sq "$s_url") -d '$dir'"
sh -c "$(my_fresh "$s_db")"
if ! sh -c "$s up" >"$tmp/first.out" 2>&1 ||
   [ "$(q "$s_db" -e 'SELECT count(*) FROM strata_migrations' 2>/dev/null)" != "$N" ]; then
	echo "bench/my.sh: '$BIN up' did not apply $N migrations:" >&2
	tail -n 5 "$tmp/first.out" >&2
	exit 1
fi

# ---- the floor script, from the rows strata wrote -----------------------------
# The tracking DDL as the engine sends it (src/engines/mysql.c,
# my_tracking_create), history first.
cat >"$tmp/floor.sql" <<'EOF'
CREATE TABLE IF NOT EXISTS strata_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  version BIGINT,
  name VARCHAR(255),
  direction VARCHAR(16) NOT NULL,
  status VARCHAR(16) NOT NULL,
  started_at VARCHAR(32) NOT NULL,
  finished_at VARCHAR(32),
  execution_ms BIGINT,
  statements_done BIGINT,
  error LONGTEXT,
  backup_path TEXT,
  applied_by VARCHAR(255),
  KEY strata_history_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS strata_migrations (
  version BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description TEXT,
  checksum VARCHAR(64) NOT NULL,
  checksum_algo VARCHAR(16) NOT NULL,
  applied_at VARCHAR(32) NOT NULL,
  execution_ms BIGINT NOT NULL,
  applied_by VARCHAR(255),
  up_sql LONGTEXT,
  down_sql LONGTEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
EOF
# Per migration, as src/engines/mysql_lock.c and src/track.c send them: the
# 'running' row on its own (autocommit), then the transaction with the
# body, the strata_migrations row and the history row's update (by its id:
# strata has it from the INSERT without a round trip, the floor from the
# rows strata wrote, the same on a fresh database).
cat >"$tmp/gen.sql" <<'EOF'
SELECT CONCAT(
  'INSERT INTO strata_history (version, name, direction, status, started_at, applied_by) VALUES (',
  h.version, ', ', QUOTE(h.name), ', ', QUOTE(h.direction), ', ''running'', ',
  QUOTE(h.started_at), ', ', QUOTE(h.applied_by), ');\n',
  'START TRANSACTION;\n',
  m.up_sql, '\n',
  'INSERT INTO strata_migrations (version, name, description, checksum, checksum_algo,',
  ' applied_at, execution_ms, applied_by, up_sql, down_sql) VALUES (',
  m.version, ', ', QUOTE(m.name), ', ', QUOTE(m.description), ', ', QUOTE(m.checksum), ', ',
  QUOTE(m.checksum_algo), ', ', QUOTE(m.applied_at), ', ', m.execution_ms, ', ',
  QUOTE(m.applied_by), ', ', QUOTE(m.up_sql), ', ', QUOTE(m.down_sql), ');\n',
  'UPDATE strata_history SET status = ', QUOTE(h.status), ', finished_at = ', QUOTE(h.finished_at),
  ', execution_ms = ', h.execution_ms, ', statements_done = ', h.statements_done,
  ', error = ', QUOTE(h.error), ', backup_path = ', QUOTE(h.backup_path),
  ' WHERE id = ', h.id, ';\n',
  'COMMIT;')
FROM strata_migrations m
JOIN strata_history h ON h.version = m.version AND h.direction = 'up' AND h.status = 'success'
ORDER BY m.version;
EOF
q "$s_db" <"$tmp/gen.sql" >>"$tmp/floor.sql"
floor="$MYSQL_CLI '$f_db' <'$tmp/floor.sql' >/dev/null"

# ---- dbmate ---------------------------------------------------------------------
d_cmd=""
if [ -n "$DBMATE" ]; then
	peer_gen dbmate "$tmp/dbmate" "$N"
	d_cmd="cd '$tmp' && '$DBMATE' --url $(sq "$d_url") --migrations-dir '$tmp/dbmate' --no-dump-schema up"
	sh -c "$(my_fresh "$d_db")"
	if ! sh -c "$d_cmd" >"$tmp/dbmate.out" 2>&1 || [ "$(my_tables "$d_db")" != "$N" ]; then
		{
			echo "dbmate: its first up did not apply $N migrations; skipped; its last lines:"
			tail -n 5 "$tmp/dbmate.out" | sed 's/^/    /'
		} >>"$notes"
		d_cmd=""
	fi
fi

# ---- timing ---------------------------------------------------------------------
# The fresh up: seconds a run, on a machine whose load may drift, so the
# runs take turns.
if [ -n "$d_cmd" ]; then
	# shellcheck disable=SC2046
	set -- $(measure_turns "$FRESH_RUNS" "$(my_fresh "$s_db")" "$s up" \
		"$(my_fresh "$f_db")" "$floor" "$(my_fresh "$d_db")" "$d_cmd")
	s_fresh=$1 f_fresh=$2 d_fresh=$3
else
	# shellcheck disable=SC2046
	set -- $(measure_turns "$FRESH_RUNS" "$(my_fresh "$s_db")" "$s up" \
		"$(my_fresh "$f_db")" "$floor")
	s_fresh=$1 f_fresh=$2 d_fresh=-
fi
s_noop=$(measure "$RUNS" 3 true "$s up")
d_noop=-
[ -n "$d_cmd" ] && d_noop=$(measure "$RUNS" 3 true "$d_cmd")

f_check=$(q "$f_db" -e "SELECT CONCAT((SELECT count(*) FROM strata_migrations), ' ', (SELECT count(*) FROM strata_history WHERE status = 'success'))" 2>/dev/null || :)
if [ "$f_check" != "$N $N" ]; then
	echo "bench/my.sh: the floor script did not record $N migrations ($f_check)" >&2
fi
# Same tracking tables on both sides?
for t in strata_migrations strata_history; do
	q "$s_db" -e "SHOW CREATE TABLE $t" 2>&1 | sed 's/AUTO_INCREMENT=[0-9]* //'
done >"$tmp/s.d"
for t in strata_migrations strata_history; do
	q "$f_db" -e "SHOW CREATE TABLE $t" 2>&1 | sed 's/AUTO_INCREMENT=[0-9]* //'
done >"$tmp/f.d"
cmp -s "$tmp/s.d" "$tmp/f.d" ||
	echo "bench/my.sh: warning: the floor's tracking tables differ from strata's" >&2
sel="SELECT version, name, description, checksum, applied_at, execution_ms, applied_by FROM strata_migrations"
f_noop=$(measure "$RUNS" 3 true "$MYSQL_CLI -B -N '$s_db' -e '$sel' >/dev/null")

# ---- report ------------------------------------------------------------------------
row() {
	printf '%-30s %10s %10s %10s %9s %9s\n' "$1" "$2" "$3" "$4" "$(ratio "$2" "$3")" "$(ratio "$4" "$3")"
}
info=$(q "$s_db" -e "SELECT @@version, @@innodb_flush_log_at_trx_commit, @@log_bin" 2>/dev/null || :)
# shellcheck disable=SC2086
set -- $info
masked=$(printf '%s\n' "$STRATA_MYSQL_URL" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:****@#')
d_ver=-
[ -n "$d_cmd" ] && d_ver=$("$DBMATE" --version 2>/dev/null | awk '{ print $NF; exit }')
echo "strata bench: $N migrations, MariaDB ${1:-?} at $masked (innodb_flush_log_at_trx_commit=${2:-?}, log_bin=${3:-?})"
echo "median wall time in ms; $(timing_how), $RUNS runs, for the no-op;"
echo "fresh up: $FRESH_RUNS runs each, the tools taking turns, a new database for each run"
echo
printf '%-30s %10s %10s %10s %9s %9s\n' "task" "strata ms" "floor ms" "dbmate ms" "st/floor" "dbm/floor"
row "up: $N on a fresh database" "$s_fresh" "$f_fresh" "$d_fresh"
row "no-op up: $N applied" "$s_noop" "$f_noop" "$d_noop"
echo
echo "floor = the $(basename "$MY_BIN") client running the same statements and transactions in one session"
echo "(up: $(basename "$MY_BIN") DB < script.sql; no-op: connecting and the one SELECT of the applied rows);"
per="strata $(per_migration "$s_fresh" "$N") ms, floor $(per_migration "$f_fresh" "$N") ms"
if [ -n "$d_cmd" ]; then
	echo "dbmate ${d_ver}: the same migrations in its layout, one transaction each, --no-dump-schema;"
	per="$per, dbmate $(per_migration "$d_fresh" "$N") ms"
fi
echo "per migration on the fresh up: $per"
[ -s "$notes" ] && sed 's/^/note: /' "$notes"
exit 0
