#!/bin/bash
# The main job in one command: build pgverify, start a throwaway TLS
# PostgreSQL on 127.0.0.1 with a test CA, show psql (no sslmode given)
# upgraded to verify-full, then show a server with a forged certificate
# refused.  Everything is removed on exit.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
if [ ! -f "$top/_build/src/.libs/libpgverify.so" ]; then
	(cd "$top" && ./autogen.sh >/dev/null 2>&1 && mkdir -p _build && cd _build &&
		../configure --quiet && make -j"$(nproc)" >/dev/null)
fi
. "$top/tests/lib/fixture.sh"
fixture_clean_env
fixture_start good mitm
good=$P_GOOD forged=$P_MITM
echo "sslrootcert = \"$T/pki/root.pem\";" >"$T/pgverify.conf"
export PGVERIFY_CONFIG=$T/pgverify.conf PGVERIFY_LOG=info
shim=$top/_build/src/.libs/libpgverify.so.0
q="SELECT 'TLS in use: ' || ssl || ', ' || version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
run() {
	echo
	echo "\$ LD_PRELOAD=libpgverify.so.0 psql \"$1\""
	LD_PRELOAD=$shim "$PG_BINDIR/psql" -XAtq -c "$q" "$1" 2>&1 || true
}
echo "Server certificate for $PGV_NAME, signed by a test CA; pgverify trusts that CA."
run "host=$PGV_NAME hostaddr=127.0.0.1 port=$good user=postgres dbname=postgres"
echo
echo "Now a man in the middle: same name, certificate from another CA."
run "host=$PGV_NAME hostaddr=127.0.0.1 port=$forged user=postgres dbname=postgres"
echo
echo "Without pgverify, libpq's default (sslmode=prefer) accepts the forged server:"
"$PG_BINDIR/psql" -XAtq -c "$q" "host=$PGV_NAME hostaddr=127.0.0.1 port=$forged user=postgres dbname=postgres" 2>&1 || true
