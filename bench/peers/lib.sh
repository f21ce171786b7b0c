# bench/peers/lib.sh - helpers for bench/pg.sh and bench/peers.sh (sourced,
# POSIX sh): the migrations in each tool's own layout, timing, PostgreSQL
# URLs and throwaway databases.
#
# Every tool gets the same 1,000 migrations: migration i creates a table
# and inserts one row; its down drops the table.  The body works unchanged
# on SQLite and PostgreSQL (the id is given: PostgreSQL's INTEGER PRIMARY
# KEY has no default).  The caller sets $tmp (a scratch folder) first.
# shellcheck shell=sh disable=SC2154,SC2034

# The up statements of migration i, one per line, as awk source.
PEER_BODY='sprintf("CREATE TABLE t_%d (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t_%d (id, v) VALUES (1, '"'"'x'"'"');", i, i)'
PEER_DOWN='sprintf("DROP TABLE t_%d;", i)'

# peer_gen KIND DIR N: write N migrations into DIR in KIND's layout.
#   strata      0001_t1.sql with -- strata:up / -- strata:down
#   dbmate      0001_t1.sql with -- migrate:up / -- migrate:down
#   sqlmigrate  0001_t1.sql with -- +migrate Up / -- +migrate Down
#   alembic     versions/r0001_t1.py: op.execute of each statement, a chain
#               of down_revision (env.py is bench/peers/alembic_env.py)
#   sqitch      sqitch.plan, deploy/ revert/ verify/ t1.sql ...; deploy and
#               revert scripts hold their own BEGIN/COMMIT, as sqitch's
#               templates do
peer_gen() {
	mkdir -p "$2"
	awk -v kind="$1" -v dir="$2" -v n="$3" 'BEGIN {
		w = length(n "") < 4 ? 4 : length(n "")
		if (kind == "sqitch") {
			plan = dir "/sqitch.plan"
			printf "%%syntax-version=1.0.0\n%%project=strata_bench\n\n" > plan
			system("mkdir -p \"" dir "/deploy\" \"" dir "/revert\" \"" dir "/verify\"")
		}
		if (kind == "alembic")
			system("mkdir -p \"" dir "/versions\"")
		for (i = 1; i <= n; i++) {
			body = '"$PEER_BODY"'
			down = '"$PEER_DOWN"'
			v = sprintf("%0" w "d", i)
			if (kind == "strata" || kind == "dbmate" || kind == "sqlmigrate") {
				f = sprintf("%s/%s_t%d.sql", dir, v, i)
				if (kind == "strata")
					printf "-- strata:up\n%s\n-- strata:down\n%s\n", body, down > f
				else if (kind == "dbmate")
					printf "-- migrate:up\n%s\n\n-- migrate:down\n%s\n", body, down > f
				else
					printf "-- +migrate Up\n%s\n\n-- +migrate Down\n%s\n", body, down > f
				close(f)
			} else if (kind == "alembic") {
				f = sprintf("%s/versions/r%s_t%d.py", dir, v, i)
				prev = i == 1 ? "None" : sprintf("\"%0" w "d\"", i - 1)
				printf "from alembic import op\n\nrevision = \"%s\"\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n", v, prev > f
				m = split(body, st, "\n")
				for (k = 1; k <= m; k++) {
					s = st[k]
					sub(/;$/, "", s)
					printf "    op.execute(\"%s\")\n", s > f
				}
				s = down
				sub(/;$/, "", s)
				printf "\n\ndef downgrade():\n    op.execute(\"%s\")\n", s > f
				close(f)
			} else if (kind == "sqitch") {
				printf "t%d 2026-01-01T00:00:00Z strata bench <bench@example.invalid> # t%d\n", i, i > plan
				f = sprintf("%s/deploy/t%d.sql", dir, i)
				printf "BEGIN;\n%s\nCOMMIT;\n", body > f
				close(f)
				f = sprintf("%s/revert/t%d.sql", dir, i)
				printf "BEGIN;\n%s\nCOMMIT;\n", down > f
				close(f)
				f = sprintf("%s/verify/t%d.sql", dir, i)
				printf "SELECT id, v FROM t_%d WHERE 0 = 1;\n", i > f
				close(f)
			}
		}
	}'
}

# ---- timing -------------------------------------------------------------

use_hyperfine=0
[ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1 && use_hyperfine=1

# measure RUNS WARMUP PREPARE COMMAND: print the median wall time in ms, or
# "failed" when the command exits non-zero.  PREPARE runs before each run,
# untimed.
measure() {
	m_runs=$1 m_warm=$2 m_prep=$3 m_cmd=$4
	if [ "$use_hyperfine" = 1 ] && [ "$m_runs" -ge 2 ]; then
		rm -f "$tmp/hf.csv"
		# Named: a command with a comma would shift the CSV's columns.
		if ! hyperfine --style none --runs "$m_runs" --warmup "$m_warm" \
			--prepare "$m_prep" --export-csv "$tmp/hf.csv" \
			--command-name bench "$m_cmd" >"$tmp/hf.log" 2>&1; then
			echo failed
			return 0
		fi
		# command,mean,stddev,median,user,system,min,max (seconds)
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

# measure_turns RUNS PREP_1 CMD_1 PREP_2 CMD_2 [PREP_3 CMD_3 ...]: RUNS
# runs of each command, taking turns round after round (1, 2, ... in odd
# rounds, the other way round in even ones) so that a machine whose load
# drifts weighs on all alike; each run after its own PREP, untimed.
# Prints "MEDIAN_1 MEDIAN_2 ..." in ms ("failed" for a command that
# failed: it is not run again).
measure_turns() {
	p_runs=$1
	shift
	p_k=0
	while [ $# -ge 2 ]; do
		p_k=$((p_k + 1))
		eval "p_prep_$p_k=\$1 p_cmd_$p_k=\$2 p_fail_$p_k=0"
		: >"$tmp/times_$p_k"
		shift 2
	done
	p_up=$(seq 1 "$p_k")
	p_down=$(seq "$p_k" -1 1)
	p_i=0
	while [ "$p_i" -lt "$p_runs" ]; do
		if [ $((p_i % 2)) -eq 0 ]; then p_order=$p_up; else p_order=$p_down; fi
		for p_side in $p_order; do
			eval "p_prep=\$p_prep_$p_side p_cmd=\$p_cmd_$p_side p_fail=\$p_fail_$p_side"
			[ "$p_fail" = 1 ] && continue
			sh -c "$p_prep" >/dev/null 2>&1
			t0=$(date +%s%N)
			if sh -c "$p_cmd" >/dev/null 2>&1; then
				t1=$(date +%s%N)
				echo $((t1 - t0)) >>"$tmp/times_$p_side"
			else
				eval "p_fail_$p_side=1"
			fi
		done
		p_i=$((p_i + 1))
	done
	for p_side in $p_up; do
		if eval "[ \"\$p_fail_$p_side\" = 1 ]"; then
			printf 'failed '
			continue
		fi
		sort -n "$tmp/times_$p_side" | awk '{ t[NR] = $1 }
			END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			      printf "%.2f ", m / 1e6 }'
	done
	echo
}

# measure_pair RUNS PREP_A CMD_A PREP_B CMD_B: measure_turns of two.
measure_pair() {
	measure_turns "$@"
}

# once PREPARE COMMAND LOG: run both, time COMMAND alone; print its wall
# time in ms, or "failed" (its output is in LOG), or "timeout" when it
# exits 124 as timeout(1) does.
once() {
	sh -c "$1" >"$3" 2>&1
	t0=$(date +%s%N)
	o_rc=0
	sh -c "$2" >>"$3" 2>&1 || o_rc=$?
	t1=$(date +%s%N)
	if [ "$o_rc" = 124 ]; then
		echo timeout
		return 0
	elif [ "$o_rc" != 0 ]; then
		echo failed
		return 0
	fi
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f\n", d / 1e6 }'
}

# runs_within BUDGET_S ONE_MS MAX MIN: how many runs of ONE_MS fit in the
# budget, between MIN and MAX.
runs_within() {
	awk -v b="$1" -v t="$2" -v hi="$3" -v lo="$4" 'BEGIN {
		n = t + 0 > 0 ? int(b * 1000 / t) : hi
		if (n > hi) n = hi
		if (n < lo) n = lo
		print n }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'
}

per_migration() {
	awk -v t="$1" -v n="$2" 'BEGIN {
		if (t + 0 > 0 && n > 0) printf "%.3f", t / n; else printf "-" }'
}

timing_how() {
	if [ "$use_hyperfine" = 1 ]; then
		echo "hyperfine $(hyperfine --version | awk '{ print $2 }')"
	else
		echo "shell loop (date +%s%N)"
	fi
}

# sq STRING: STRING in single quotes for sh -c.
sq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# ---- PostgreSQL ---------------------------------------------------------

# pick_psql: set PSQL to the psql binary itself.  Debian's /usr/bin/psql is
# pg_wrapper, a Perl script that costs some 30 ms before psql even starts:
# take the binary beside the server's (STRATA_PG_BIN, links resolved) or
# the newest /usr/lib/postgresql/*/bin/psql instead.
pick_psql() {
	PSQL=""
	if [ -n "${STRATA_PG_BIN:-}" ]; then
		for p in "$STRATA_PG_BIN/psql" \
			"$(dirname "$(readlink -f "$STRATA_PG_BIN/pg_ctl" 2>/dev/null || echo /nonexistent/x)")/psql"; do
			[ -x "$p" ] && { PSQL=$p; break; }
		done
	fi
	if [ -z "$PSQL" ]; then
		PSQL=$(command -v psql 2>/dev/null || :)
		case $(readlink -f "$PSQL" 2>/dev/null) in
		*pg_wrapper)
			# shellcheck disable=SC2012
			for p in $(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V); do
				[ -x "$p" ] && PSQL=$p
			done ;;
		esac
	fi
	[ -n "$PSQL" ]
}

# pg_url_db URL DB: URL with its database replaced by DB.
pg_url_db() {
	printf '%s\n' "$1" | sed -E 's#^([a-z]+://[^/?]*)(/[^?]*)?#\1/'"$2"'#'
}

# pg_url_user URL: the user in URL (or PGUSER, or the login name).
pg_url_user() {
	u=$(printf '%s\n' "$1" | sed -nE 's#^[a-z]+://([^:@/?]+)(:[^@/]*)?@.*#\1#p')
	[ -n "$u" ] || u=${PGUSER:-$(id -un)}
	printf '%s\n' "$u"
}

# pg_url_scheme URL SCHEME: URL with its scheme replaced by SCHEME.
pg_url_scheme() {
	printf '%s\n' "$1" | sed -E 's#^[a-z]+://#'"$2"'://#'
}

# pg_url_param URL KEY=VALUE: add a query option unless KEY is there.
pg_url_param() {
	case $1 in
	*"?${2%%=*}="* | *"&${2%%=*}="*) printf '%s\n' "$1" ;;
	*"?"*) printf '%s&%s\n' "$1" "$2" ;;
	*) printf '%s?%s\n' "$1" "$2" ;;
	esac
}

# pg_admin_init: set PG_ADMIN, a psql command line that may create and drop
# databases: the superuser 'postgres' on the throwaway cluster's socket
# (scripts/with-postgres.sh) when that works, else the URL's own role
# (which then needs CREATEDB).  Returns non-zero when neither can.
pg_admin_init() {
	PG_OWNER=$(pg_url_user "$STRATA_PG_URL")
	if [ -n "${STRATA_PG_SOCKET:-}" ] && [ -n "${STRATA_PG_PORT:-}" ]; then
		PG_ADMIN="'$PSQL' -X -q -v ON_ERROR_STOP=1 -h '$STRATA_PG_SOCKET' -p '$STRATA_PG_PORT' -U postgres -d postgres"
		sh -c "$PG_ADMIN -c 'SELECT 1'" >/dev/null 2>&1 && return 0
	fi
	PG_ADMIN="'$PSQL' -X -q -v ON_ERROR_STOP=1 $(sq "$STRATA_PG_URL")"
	sh -c "$PG_ADMIN -c 'DROP DATABASE IF EXISTS strata_bench_probe' -c 'CREATE DATABASE strata_bench_probe' -c 'DROP DATABASE strata_bench_probe'" \
		>/dev/null 2>&1
}

# pg_fresh DB: the command (for sh -c) that drops DB and creates it anew,
# owned by the URL's role.
pg_fresh() {
	echo "$PG_ADMIN -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)' -c 'CREATE DATABASE \"$1\" OWNER \"$PG_OWNER\"' >/dev/null"
}

pg_drop() {
	sh -c "$PG_ADMIN -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)'" >/dev/null 2>&1 || :
}

# pg_tables URL: how many t_N tables the database at URL holds.
pg_tables() {
	"$PSQL" -X -At "$1" -c "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename ~ '^t_[0-9]+\$'" 2>/dev/null
}

# sqlite_tables FILE: the same for a SQLite file.
sqlite_tables() {
	sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'" 2>/dev/null
}

# ---- dbmate --------------------------------------------------------------

# dbmate_binary: DBMATE (a path) made the binary to time.  npm's dbmate is a
# node script that runs a prebuilt Go binary shipped in the package: time
# the binary, not node starting up.  Sets DBMATE_NOTE to a line saying what
# was done (or empty); DBMATE becomes empty when it does not run.
dbmate_binary() {
	DBMATE_NOTE=""
	real=$(readlink -f "$DBMATE" 2>/dev/null || echo "$DBMATE")
	if head -n 1 "$real" 2>/dev/null | grep -q '^#!.*node'; then
		nm=$(dirname "$(dirname "$(dirname "$real")")")
		for b in "$nm"/@dbmate/*/bin/dbmate; do
			[ -x "$b" ] && "$b" --version >/dev/null 2>&1 && {
				DBMATE=$b
				DBMATE_NOTE="dbmate: timing the prebuilt binary inside the npm package ($b), not its node wrapper"
				break
			}
		done
	fi
	if ! "$DBMATE" --version >/dev/null 2>&1; then
		DBMATE_NOTE="dbmate: $DBMATE does not run; skipped"
		DBMATE=""
	fi
}

# ---- MariaDB / MySQL -----------------------------------------------------

# my_client_init: set MYSQL_CLI, a mariadb (or mysql) client command line
# that logs in as STRATA_MYSQL_URL's user over TCP, its password in an
# option file under $tmp (mode 0600) rather than on the command line.
# Returns non-zero without a client or without a usable URL.
my_client_init() {
	MY_BIN=$(command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null || :)
	[ -n "$MY_BIN" ] || return 1
	rest=${STRATA_MYSQL_URL#*://}
	case $rest in *@*) auth=${rest%%@*} hostpart=${rest#*@} ;; *) auth="" hostpart=$rest ;; esac
	hostpart=${hostpart%%/*}
	hostpart=${hostpart%%\?*}
	my_user=${auth%%:*}
	my_pass=""
	case $auth in *:*) my_pass=${auth#*:} ;; esac
	my_host=${hostpart%%:*}
	my_port=3306
	case $hostpart in *:*) my_port=${hostpart#*:} ;; esac
	[ -n "$my_user" ] && [ -n "$my_host" ] || return 1
	(
		umask 077
		printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\nprotocol=TCP\n' \
			"$my_user" "$my_pass" "$my_host" "$my_port" >"$tmp/my.cnf"
	)
	MYSQL_CLI="'$MY_BIN' --defaults-file='$tmp/my.cnf'"
	sh -c "$MYSQL_CLI -e 'SELECT 1'" >/dev/null 2>&1
}

# my_fresh DB: the command (for sh -c) that drops DB and creates it anew.
my_fresh() {
	echo "$MYSQL_CLI -e 'DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4' >/dev/null"
}

my_drop() {
	sh -c "$MYSQL_CLI -e 'DROP DATABASE IF EXISTS \`$1\`'" >/dev/null 2>&1 || :
}

# my_tables DB: how many t_N tables DB holds.
my_tables() {
	"$MY_BIN" --defaults-file="$tmp/my.cnf" -N -B -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1' AND table_name REGEXP '^t_[0-9]+\$'" 2>/dev/null
}
