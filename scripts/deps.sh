#!/bin/sh
# Install the build and test dependencies that are missing (Debian/Ubuntu).
# Does nothing when everything is there, so 'make demo' stays fast.
set -e
missing=""
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || missing="$missing $1"; }
for p in gcc make pkg-config libsqlite3-dev libssl-dev libjansson-dev libcmocka-dev \
	 libpq-dev libmariadb-dev python3-pytest sqlite3 postgresql-15 postgresql-client-15 \
	 mariadb-server mariadb-client; do
	need "$p"
done
[ -z "$missing" ] && exit 0
echo "strata: installing build dependencies:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# The PostgreSQL package must not start a system service: the tests start
# their own throwaway server.
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
