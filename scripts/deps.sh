#!/bin/sh
# Install the dependencies that are missing (Debian/Ubuntu).  Does nothing
# when everything is there, so 'make demo' stays fast.
#   sh scripts/deps.sh build   what 'make all' and 'make demo' need: the
#                              compiler, the libraries and the server
#                              engines' headers (small; no server)
#   sh scripts/deps.sh test    that and what 'make test' needs besides:
#                              cmocka, pytest, PostgreSQL and MariaDB
set -e
set_name=${1:-build}
BUILD_PKGS="gcc make pkg-config libsqlite3-dev nettle-dev libjansson-dev sqlite3 \
libpq-dev libmariadb-dev"
TEST_PKGS="libcmocka-dev python3-pytest python3-pymysql postgresql-15 postgresql-client-15 \
mariadb-server mariadb-client"
case "$set_name" in
build) pkgs=$BUILD_PKGS ;;
test) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
*)
	echo "usage: sh scripts/deps.sh build|test" >&2
	exit 2
	;;
esac
missing=""
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || missing="$missing $1"; }
for p in $pkgs; do
	need "$p"
done
[ -z "$missing" ] && exit 0
echo "strata: installing $set_name dependencies:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# The server packages must not start a system service: the tests start
# their own throwaway servers.
made_policy=""
if [ "$set_name" = test ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
