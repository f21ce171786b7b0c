#!/usr/bin/env bash
# scripts/with-mariadb.sh CMD [ARGS...] - run CMD against a throwaway
# MariaDB (or MySQL) server, then stop the server and delete it.
#
#   bash scripts/with-mariadb.sh make e2e
#   bash scripts/with-mariadb.sh sh -c 'build/strata -u "$STRATA_MYSQL_URL" status'
#
# The server lives in a temporary folder: mariadb-install-db, then mariadbd
# listens on 127.0.0.1 only, on the first free port found by trying, with
# its unix socket inside that folder.  It holds a database 'strata_test'
# and a user 'strata_test' with a random password, allowed everything (the
# e2e suite makes a database per test); CMD gets
#   STRATA_MYSQL_URL=mysql://strata_test:PASSWORD@127.0.0.1:PORT/strata_test
# plus STRATA_MYSQL_PORT, STRATA_MYSQL_SOCKET (the socket file) and
# STRATA_MYSQL_PASSWORD.  root has no password and logs in only through
# that socket, in a folder only the server's owner can enter.
#
# As root (CI), the server runs as the user 'mysql' (or STRATA_MYSQL_USER;
# a system user 'stratatest' is created when neither exists); CMD itself
# runs as the caller.  The binaries come from PATH or /usr/sbin (Debian:
# apt-get install mariadb-server).  The server is stopped and its folder
# removed however CMD ends (failure, Ctrl-C, TERM); the exit status is
# CMD's.  Durability is relaxed (no flush per commit, no binary log):
# nothing here needs to survive a crash.  STRATA_MYSQL_SERVER_ARGS: more
# server options (split at spaces), e.g. --lower-case-table-names=1.
set -u

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

die() {
	echo "with-mariadb.sh: $*" >&2
	exit 2
}

# ---- find the server binaries ------------------------------------------
find_bin() {
	local n
	for n in "$@"; do
		if command -v "$n" >/dev/null 2>&1; then
			command -v "$n"
			return 0
		fi
		for d in /usr/sbin /usr/local/sbin /usr/bin /usr/local/bin; do
			if [ -x "$d/$n" ]; then
				echo "$d/$n"
				return 0
			fi
		done
	done
	return 1
}
SERVER=$(find_bin mariadbd mysqld) || die "mariadbd not found (Debian: apt-get install mariadb-server)"
INSTALL_DB=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"
CLIENT=$(find_bin mariadb mysql) || die "the mariadb client not found"
ADMIN=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found"

# ---- who runs the server -----------------------------------------------
as_owner() { "$@"; }
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	owner=${STRATA_MYSQL_USER:-}
	if [ -z "$owner" ]; then
		if id mysql >/dev/null 2>&1; then
			owner=mysql
		else
			owner=stratatest
			id "$owner" >/dev/null 2>&1 ||
				useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" ||
				die "cannot create the user '$owner' to run the server"
		fi
	fi
	id "$owner" >/dev/null 2>&1 || die "no such user '$owner'"
	if command -v runuser >/dev/null 2>&1; then
		as_owner() { runuser -u "$owner" -- "$@"; }
	else
		as_owner() {
			local q="" a
			for a in "$@"; do q="$q $(printf '%q' "$a")"; done
			su -s /bin/sh "$owner" -c "$q"
		}
	fi
fi

# ---- the temporary folder and the cleanup ------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-my.XXXXXX") || die "cannot create a temporary folder"
data=$tmp/data
sock=$tmp/mysqld.sock
pidfile=$tmp/mysqld.pid
started=0
child=""

server_pid() {
	[ -s "$pidfile" ] && cat "$pidfile" 2>/dev/null
}

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		# CMD and everything it started: its own process group.
		kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if [ "$started" = 1 ]; then
		local pid
		pid=$(server_pid)
		as_owner "$ADMIN" --no-defaults -S "$sock" -uroot shutdown >/dev/null 2>&1
		if [ -n "$pid" ]; then
			for _ in $(seq 1 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null
		fi
		[ -n "${srv:-}" ] && wait "$srv" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

chmod 0700 "$tmp"
if [ "$(id -u)" -eq 0 ]; then
	chown -R "$owner" "$tmp" || die "cannot give '$tmp' to '$owner'"
fi

# ---- mariadb-install-db ------------------------------------------------
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
[ -n "$password" ] || die "cannot make a password"
if ! as_owner "$INSTALL_DB" --no-defaults --datadir="$data" \
	--auth-root-authentication-method=normal --skip-test-db \
	--skip-name-resolve >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	die "mariadb-install-db failed"
fi

# ---- start on a free port ----------------------------------------------
port=""
srv=""
base=$((20000 + RANDOM % 20000))
for i in $(seq 0 29); do
	try=$((base + i * 7))
	as_owner "$SERVER" --no-defaults --datadir="$data" --socket="$sock" \
		--pid-file="$pidfile" --port="$try" --bind-address=127.0.0.1 \
		--log-error="$tmp/server.log" --tmpdir="$tmp" --skip-name-resolve --skip-log-bin \
		--innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
		--innodb-log-file-size=32M --max-connections=300 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		--skip-networking=0 ${STRATA_MYSQL_SERVER_ARGS:-} </dev/null >/dev/null 2>&1 &
	srv=$!
	started=1
	ok=0
	for _ in $(seq 1 300); do
		if as_owner "$ADMIN" --no-defaults -S "$sock" -uroot ping >/dev/null 2>&1; then
			ok=1
			break
		fi
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$ok" = 1 ]; then
		port=$try
		break
	fi
	kill -0 "$srv" 2>/dev/null && { kill -TERM "$(server_pid)" 2>/dev/null; kill -TERM "$srv" 2>/dev/null; }
	wait "$srv" 2>/dev/null
	started=0
	# Another server on that port: try the next; anything else is fatal.
	if ! grep -qiE 'address already in use|do you already have another|bind on tcp' "$tmp/server.log" 2>/dev/null; then
		cat "$tmp/server.log" >&2 2>/dev/null
		die "the server did not start"
	fi
	as_owner truncate -s 0 "$tmp/server.log" 2>/dev/null
done
[ -n "$port" ] || die "no free port found"

# ---- user and database -------------------------------------------------
if ! as_owner "$CLIENT" --no-defaults -S "$sock" -uroot -e "
	CREATE DATABASE strata_test CHARACTER SET utf8mb4;
	CREATE USER 'strata_test'@'%' IDENTIFIED BY '$password';
	GRANT ALL PRIVILEGES ON *.* TO 'strata_test'@'%';
	FLUSH PRIVILEGES;" >/dev/null; then
	die "cannot create the user and the database"
fi

export STRATA_MYSQL_URL="mysql://strata_test:$password@127.0.0.1:$port/strata_test"
export STRATA_MYSQL_PASSWORD=$password
export STRATA_MYSQL_PORT=$port
export STRATA_MYSQL_SOCKET=$sock

# In the background so a signal to this script is handled at once, and in
# a process group of its own (set -m) so that cleanup reaches all of it;
# stdin is passed on explicitly.
set -m
"$@" <&0 &
child=$!
set +m
wait "$child"
status=$?
child=""
exit "$status"
