#!/usr/bin/env bash
# scripts/with-postgres.sh CMD [ARGS...] - run CMD against a throwaway
# PostgreSQL cluster, then stop the cluster and delete it.
#
#   sh scripts/with-postgres.sh make e2e
#   bash scripts/with-postgres.sh sh -c 'build/strata -u "$STRATA_PG_URL" status'
#
# The cluster lives in a temporary folder: initdb, then the server listens
# on 127.0.0.1 only, on the first free port found by trying, with its unix
# socket inside that folder.  It holds a database 'strata_test' owned by a
# role 'strata_test' with a random password; CMD gets
#   STRATA_PG_URL=postgres://strata_test:PASSWORD@127.0.0.1:PORT/strata_test
# plus STRATA_PG_PORT, STRATA_PG_SOCKET (the socket folder), STRATA_PG_BIN
# (the server's bin folder) and STRATA_PG_PASSWORD.
#
# Authentication: TCP connections to 127.0.0.1 must give the role's
# password (scram-sha-256), so a wrong password is refused as it would be on
# a real server; the unix socket, in a folder only the cluster's owner can
# enter, trusts its owner (used here to create the role and the database).
# STRATA_PG_AUTH=trust makes 127.0.0.1 trust everyone instead.
#
# As root (CI), the cluster runs as the user 'postgres' (or STRATA_PG_USER;
# a system user 'stratatest' is created when neither exists), since initdb
# refuses root; CMD itself runs as the caller.  The binaries come from PATH,
# or else from the newest /usr/lib/postgresql/*/bin.  The cluster is stopped
# and its folder removed however CMD ends (failure, Ctrl-C, TERM); the exit
# status is CMD's.  fsync is off: nothing here needs to survive a crash
# (STRATA_PG_FSYNC=on keeps it).
set -u

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

die() {
	echo "with-postgres.sh: $*" >&2
	exit 2
}

# ---- find the server binaries ------------------------------------------
bindir=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
	bindir=$(dirname "$(command -v pg_ctl)")
else
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir=$d
	done
fi
[ -n "$bindir" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin"
INITDB=$bindir/initdb
PG_CTL=$bindir/pg_ctl
PSQL=$bindir/psql
[ -x "$PSQL" ] || PSQL=$(command -v psql) || die "psql not found"

# ---- who runs the cluster ----------------------------------------------
as_owner() { "$@"; }
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	owner=${STRATA_PG_USER:-}
	if [ -z "$owner" ]; then
		if id postgres >/dev/null 2>&1; then
			owner=postgres
		else
			owner=stratatest
			id "$owner" >/dev/null 2>&1 ||
				useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" ||
				die "cannot create the user '$owner' to run the cluster"
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-pg.XXXXXX") || die "cannot create a temporary folder"
data=$tmp/data
sock=$tmp/sock
started=0
child=""

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		# CMD and everything it started: its own process group.
		kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if [ "$started" = 1 ]; then
		as_owner "$PG_CTL" -D "$data" -m fast -w stop >/dev/null 2>&1 ||
			as_owner "$PG_CTL" -D "$data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

mkdir -p "$sock" || die "cannot create '$sock'"
chmod 0700 "$tmp" "$sock"
if [ "$(id -u)" -eq 0 ]; then
	chown -R "$owner" "$tmp" || die "cannot give '$tmp' to '$owner'"
fi

# ---- initdb ------------------------------------------------------------
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
[ -n "$password" ] || die "cannot make a password"
if ! as_owner "$INITDB" -D "$data" -U postgres --auth-local=trust \
	--auth-host=reject -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1; then
	as_owner "$INITDB" -D "$data" -U postgres --auth-local=trust \
		--auth-host=reject -E UTF8 --no-locale >"$tmp/initdb.log" 2>&1 || {
		cat "$tmp/initdb.log" >&2
		die "initdb failed"
	}
fi
auth=${STRATA_PG_AUTH:-scram-sha-256}
{
	echo "local all all trust"
	echo "host all all 127.0.0.1/32 $auth"
} | as_owner tee "$data/pg_hba.conf" >/dev/null

# ---- start on a free port ----------------------------------------------
fsync=${STRATA_PG_FSYNC:-off}
port=""
base=$((20000 + RANDOM % 20000))
for i in $(seq 0 29); do
	try=$((base + i * 7))
	if as_owner "$PG_CTL" -D "$data" -l "$tmp/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $try -k $sock -c fsync=$fsync -c max_connections=200" \
		start >/dev/null 2>&1; then
		port=$try
		started=1
		break
	fi
	# Another cluster on that port: try the next; anything else is fatal.
	if ! grep -qiE 'could not bind|in use|could not create any TCP/IP sockets' "$tmp/server.log" 2>/dev/null; then
		cat "$tmp/server.log" >&2 2>/dev/null
		die "the server did not start"
	fi
	as_owner truncate -s 0 "$tmp/server.log" 2>/dev/null
done
[ -n "$port" ] || die "no free port found"

# ---- role and database -------------------------------------------------
if ! as_owner "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres \
	-c "CREATE ROLE strata_test LOGIN PASSWORD '$password'" \
	-c "CREATE DATABASE strata_test OWNER strata_test" >/dev/null; then
	die "cannot create the role and the database"
fi

export STRATA_PG_URL="postgres://strata_test:$password@127.0.0.1:$port/strata_test"
export STRATA_PG_PASSWORD=$password
export STRATA_PG_PORT=$port
export STRATA_PG_SOCKET=$sock
export STRATA_PG_BIN=$bindir

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
