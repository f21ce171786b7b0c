#!/bin/sh
# make demo: bring the example migrations up on a fresh SQLite file, then
# show the status.  Everything lands in build/demo/, made anew each time.
set -e
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DEMO=build/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
cp -r examples/hwautomation "$DEMO/migrations"
rm -f "$DEMO/migrations/README.md"
cd "$DEMO"
echo "\$ strata --url sqlite:hw.db up"
"$BIN" --url sqlite:hw.db up
echo
echo "\$ strata --url sqlite:hw.db status"
"$BIN" --url sqlite:hw.db status
echo
echo "(the database is $DEMO/hw.db: try 'cd $DEMO && ../strata -u sqlite:hw.db down')"
echo
echo "(make demo installed only what the build needs; 'make test' installs the rest: cmocka, pytest and the PostgreSQL and MariaDB servers it starts)"
