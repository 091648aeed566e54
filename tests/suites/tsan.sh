#!/bin/bash
# Concurrency: libpgverify and a client built with ThreadSanitizer (linked
# mode, so the instrumented shim is what the client's libpq calls reach).
# 32 threads are released together at a barrier, so the process's first
# connections through the shim race each other: the bundle cache's first
# fill and its fork handler, libpq's and OpenSSL's first-use set-up, the
# log.  (The configuration itself is loaded by the library's constructor,
# before main; every hook also passes through the same pthread_once.)
# Each thread then opens and closes 3 connections a round: verified, forged
# (refused by libpq), and refused by pgverify.  No report may appear.  A
# control build with a deliberate race shows the detector is live.
set -u
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "ThreadSanitizer cannot share a process with the ASan build"
fixture_require
CC=${CC:-cc}
echo 'int main(void){return 0;}' >"/tmp/pgverify-tsan-probe.$$.c"
if ! $CC -fsanitize=thread -o "/tmp/pgverify-tsan-probe.$$" "/tmp/pgverify-tsan-probe.$$.c" 2>/dev/null; then
	rm -f "/tmp/pgverify-tsan-probe.$$"*
	skip_all "$CC cannot build with -fsanitize=thread (libtsan missing)"
fi
rm -f "/tmp/pgverify-tsan-probe.$$"*

fixture_start good mitm
S=$abs_top_srcdir
flags="-fsanitize=thread -g -O1 -fPIC -pthread -D_GNU_SOURCE -DPGVERIFY_SYSCONFDIR=\"/nonexistent\" -DPGVERIFY_PKGDATADIR=\"/nonexistent\" -I$S/src/base -I$S/src/core
	$(pkg-config --cflags libpq libconfig openssl)"
libs="$(pkg-config --libs libpq libconfig openssl) -ldl"
sources="" engine=""
for f in $PGVERIFY_LIB_SOURCES; do case $f in *.c) sources="$sources $S/$f" ;; esac; done
for f in $PGVERIFY_ENGINE_SOURCES; do case $f in *.c) engine="$engine $S/$f" ;; esac; done
mkdir -p "$T/pgverify"
# shellcheck disable=SC2086
if ! { $CC $flags -shared -Wl,--version-script="$S/src/shim/libpgverify.map" \
	-o "$T/libpgverify.so" $sources -ldl &&
	$CC $flags -shared -Wl,--version-script="$S/src/shim/engine.map" \
		-o "$T/pgverify/pgverify-engine.so" $engine $(pkg-config --libs libconfig openssl) -ldl &&
	$CC $flags -o "$T/race" "$S/tests/clients/race.c" -L"$T" -Wl,--no-as-needed -lpgverify $libs &&
	$CC $flags -DRACE_CONTROL -o "$T/race-control" "$S/tests/clients/race.c" -L"$T" -lpgverify $libs; } \
	>"$T/cc.log" 2>&1; then
	not_ok "the ThreadSanitizer build compiles" "$(cat "$T/cc.log")"
	tap_done
	exit 1
fi
ok "the ThreadSanitizer build compiles"

printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/pgverify.conf"
export PGVERIFY_CONFIG=$T/pgverify.conf PGCONNECT_TIMEOUT=30 LD_LIBRARY_PATH=$T
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1"
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")
REFUSED="$GOOD sslrootcert=$T/pki/missing.pem"
check "the shim is linked ahead of libpq" "$(ldd "$T/race")" "libpgverify\.so(.|
)*libpq\.so"

out=$("$T/race" 32 3 "$GOOD" "$MITM" "$REFUSED" 2>&1)
check "32 threads x 3 rounds through the shim: every outcome right" "$out" "^OK 32 threads x 3 rounds: 288 of 288 outcomes right$"
check_not "32 threads x 3 rounds: no ThreadSanitizer report" "$out" "ThreadSanitizer"
out=$("$T/race-control" 4 1 "$GOOD" "$MITM" "$REFUSED" 2>&1)
check "control: a deliberate race is reported (the detector is live)" "$out" "WARNING: ThreadSanitizer: data race"
tap_done
