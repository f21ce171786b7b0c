#!/usr/bin/env bash
# The builds packagers use, each into its own build folder, each building
# 'all' and running 'make unit' on that build:
#   hardening  Debian's hardening flags (dpkg-buildflags, hardening=+all)
#   clang      CC=clang
#   noserver   without the PostgreSQL and MySQL engines; a server URL must
#              then fail with "strata was built without ... support", exit 2
# Usage: scripts/ci-builds.sh [hardening|clang|noserver ...] (default: all)
# Every build runs even when one fails; the exit status is 1 if any did,
# and the summary names them.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
ROOT=build/ci
failed=()

say() { printf '\n== %s\n' "$*"; }

build_hardening() {
	local cflags cppflags ldflags
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	cflags=$(dpkg-buildflags --get CFLAGS) || return 1
	cppflags=$(dpkg-buildflags --get CPPFLAGS) || return 1
	ldflags=$(dpkg-buildflags --get LDFLAGS) || return 1
	echo "CFLAGS=$cflags"
	echo "CPPFLAGS=$cppflags"
	echo "LDFLAGS=$ldflags"
	make -j"$JOBS" -k BUILD=$ROOT/hardening CFLAGS="$cflags" CPPFLAGS="$cppflags" \
		LDFLAGS="$ldflags" all unit
}

build_clang() {
	make -j"$JOBS" -k BUILD=$ROOT/clang CC=clang all unit
}

build_noserver() {
	make -j"$JOBS" -k BUILD=$ROOT/noserver WITH_POSTGRES= WITH_MYSQL= all unit || return 1
	# No server engine may be in the binary, and a server URL says so.
	if nm -C "$ROOT/noserver/strata" | grep -q 'engine_postgres\|engine_mysql'; then
		echo "a server engine is linked into the no-server build"
		return 1
	fi
	STRATA_NO_SERVERS=1 STRATA_BIN=$PWD/$ROOT/noserver/strata \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_builds.py
}

builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(hardening clang noserver)
for b in "${builds[@]}"; do
	case "$b" in
	hardening | clang | noserver) ;;
	*)
		echo "usage: scripts/ci-builds.sh [hardening|clang|noserver ...]" >&2
		exit 2
		;;
	esac
	say "build: $b ($ROOT/$b)"
	start=$SECONDS
	if "build_$b"; then
		echo "== build $b: ok ($((SECONDS - start)) s)"
	else
		echo "== build $b: FAILED ($((SECONDS - start)) s)"
		failed+=("$b")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "ci-builds: failed: ${failed[*]}"
	exit 1
fi
echo "ci-builds: all passed: ${builds[*]}"
