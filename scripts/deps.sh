#!/bin/sh
# Install the build and test dependencies that are missing (Debian/Ubuntu).
# Does nothing when everything is there, so 'make demo' stays fast.
set -e
missing=""
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || missing="$missing $1"; }
for p in gcc make pkg-config libsqlite3-dev libssl-dev libjansson-dev libcmocka-dev \
	 python3-pytest sqlite3; do
	need "$p"
done
[ -z "$missing" ] && exit 0
echo "strata: installing build dependencies:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing >/dev/null
