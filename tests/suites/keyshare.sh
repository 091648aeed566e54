#!/bin/bash
# The key share (src/shim/keyshare.c): on every libpq build of the matrix,
# whose OpenSSL offers one key share (X25519's, 1.1.1 to 3.4), a connection
# through pgverify offers P-256's first, with the same groups as without
# it, so a PostgreSQL 13-17 server (ssl_ecdh_curve = prime256v1) needs no
# HelloRetryRequest; an OpenSSL configuration that sets the groups (or
# cannot be parsed) is left as it is.  A server that records the ClientHello shows what went out; the
# test's PostgreSQL 15 server (prime256v1) shows the handshake completes.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "runs in the normal build (npm's libpq carries its own OpenSSL)"
fixture_clients
fixture_start good
builds=$(fixture_libpq_builds)
fixture_builds_missing
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/pgverify.conf"
# An OpenSSL configuration that sets the groups of every program.
printf 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n[sd]\ngroups = X25519:P-384\n' >"$T/groups.cnf"

# A file OpenSSL cannot parse (an unterminated section name).
printf '[init\ngroups = X25519\n' >"$T/broken.cnf"

# hello CMD...: the ClientHello CMD CONNINFO sends (groups, key shares).
hello() {
	local pid
	rm -f "$T/hello.port"
	python3 "$abs_top_srcdir/tests/lib/clienthello.py" "$T/hello.port" --postgres >"$T/hello.out" 2>&1 &
	pid=$!
	timeout 60 "$@" "host=$PGV_NAME hostaddr=127.0.0.1 port=$(port_of "$T/hello.port") user=postgres dbname=postgres" >/dev/null 2>&1
	wait "$pid"
	cat "$T/hello.out"
}
# The groups, sorted: the same set with and without pgverify.
groups_set() { sed -n 's/^groups: //p' | tr ' ' '\n' | sort | tr '\n' ' '; }

while read -r name _ env; do
	[ -n "$name" ] || continue
	export LD_LIBRARY_PATH=$env
	plain=$(hello "$PLAIN" connectdb)
	shim=$(PGVERIFY_CONFIG=$T/pgverify.conf LD_PRELOAD="$SHIM" hello "$PLAIN" connectdb)
	check "$name: without pgverify, OpenSSL offers X25519's key share alone" "$plain" "^key shares: x25519$"
	check "$name: through pgverify, P-256's key share first" "$shim" "^key shares: secp256r1$"
	check "$name: through pgverify, P-256 first, X25519 next" "$shim" "^groups: secp256r1 x25519 "
	check "$name: the same groups as without pgverify" "$(groups_set <<<"$shim")" "^$(groups_set <<<"$plain")\$"
	check "$name: an OpenSSL configuration that sets the groups is left as it is" \
		"$(OPENSSL_CONF=$T/groups.cnf PGVERIFY_CONFIG=$T/pgverify.conf LD_PRELOAD="$SHIM" hello "$PLAIN" connectdb)" \
		"\Agroups: x25519 secp384r1\nkey shares: x25519\n?\z"
	check "$name: an OpenSSL configuration that cannot be parsed counts as setting them" \
		"$(OPENSSL_CONF=$T/broken.cnf PGVERIFY_CONFIG=$T/pgverify.conf LD_PRELOAD="$SHIM" hello "$PLAIN" connectdb)" \
		"^key shares: x25519$"
	check "$name: no OpenSSL configuration file: OpenSSL's defaults, P-256 first" \
		"$(OPENSSL_CONF=$T/absent.cnf PGVERIFY_CONFIG=$T/pgverify.conf LD_PRELOAD="$SHIM" hello "$PLAIN" connectdb)" \
		"^key shares: secp256r1$"
	check "$name: a PostgreSQL 15 server (prime256v1) completes the handshake, verified" \
		"$(PGVERIFY_CONFIG=$T/pgverify.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_GOOD")" 2>&1)" "^OK ssl=1$"
done <<<"$builds"
unset LD_LIBRARY_PATH
tap_done
