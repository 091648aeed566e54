#!/bin/bash
# verify_name per hosts rule: the name the server's certificate must carry
# when it differs from the name dialled (a CNAME or an internal alias in
# front of a managed endpoint).  Dialled as localhost: with the rule, a
# server whose certificate carries only the rule's name connects verified
# and one whose certificate carries only "localhost" is refused; without
# the rule it is the other way round, which shows both checks can fail.
# The name checked comes from the rule, never from DNS; hostaddr given by
# the program, multi-host lists and Unix sockets keep their meaning.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
fixture_clients
localname() { pki_server "$1" localname localhost inter; }
FIXTURE_PKI=localname
FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start good localname
rule() { # rule NAME GLOB VERIFY_NAME: $T/NAME.conf with that rule
	printf 'sslrootcert = "%s";\nhosts = ( { match = "%s"; verify_name = "%s"; } );\n' \
		"$T/pki/root.pem" "$2" "$3" >"$T/$1.conf"
}
rule alias localhost "$PGV_NAME"
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/plain.conf"
conn() { echo "host=localhost port=$1 user=postgres dbname=postgres"; }
run() { # run CONF CONNINFO: the linked client under CONF
	PGVERIFY_CONFIG=$T/$1.conf PGVERIFY_LOG=info "$LINKED" connectdb "$2" 2>&1
}

out=$(run alias "$(conn "$P_GOOD")")
check "dialled as localhost, rule verify_name: the server whose certificate carries that name, verified" "$out" "^OK"
check "the info line names what libpq got" "$out" "sslmode prefer -> verify-full"
check "dialled as localhost, rule verify_name: a server whose certificate says only localhost is refused" \
	"$(run alias "$(conn "$P_LOCALNAME")")" "server certificate for \"localhost\" does not match host name \"$PGV_NAME\""
check "without the rule: the certificate for the name is refused (it does not say localhost)" \
	"$(run plain "$(conn "$P_GOOD")")" "does not match host name \"localhost\""
check "without the rule: the localhost certificate connects" "$(run plain "$(conn "$P_LOCALNAME")")" "^OK"
check "psql, preloaded, with the rule: verified" \
	"$(psql_run "$(conn "$P_GOOD")" "SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" \
		LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/alias.conf" 2>&1)" "^ssl=true$"
check "a hostaddr the program gives is kept" "$(run alias "$(conn "$P_GOOD") hostaddr=127.0.0.1")" "^OK"
check "a hostaddr the program gives is kept: a wrong one fails to connect, it is not replaced" \
	"$(run alias "$(conn "$P_GOOD") hostaddr=127.0.0.2 connect_timeout=3")" "^FAIL"
check "a multi-host list: the aliased host (each of its addresses refused on port 1) beside a plain one, paired as given" \
	"$(run alias "host=localhost,$PGV_NAME hostaddr=,127.0.0.1 port=1,$P_GOOD user=postgres dbname=postgres")" "^OK"
check "a multi-host list: the plain host is checked on its own name" \
	"$(run alias "host=$PGV_NAME,localhost hostaddr=127.0.0.1, port=$P_LOCALNAME,$P_GOOD user=postgres dbname=postgres")" \
	"server certificate for \"localhost\" does not match host name \"$PGV_NAME\""
rule nxdomain "nowhere.invalid" "$PGV_NAME"
out=$(run nxdomain "host=nowhere.invalid port=$P_GOOD user=postgres dbname=postgres")
check "a name that does not resolve is refused, saying so" "$out" \
	"pgverify refused this connection: .*cannot resolve nowhere.invalid, which a hosts rule verifies as $PGV_NAME"
check "a Unix socket is left as it is" \
	"$(run alias "host=$T port=$P_GOOD user=postgres dbname=postgres" | tail -n 1)" "^OK"
check "explain names the rule and what libpq gets, resolving nothing" \
	"$("$abs_top_builddir/src/pgverify" explain -c "$T/alias.conf" "$(conn "$P_GOOD")")" \
	"verify_name:  localhost is verified as $PGV_NAME \(hosts rule \"localhost\"\): libpq gets host=$PGV_NAME hostaddr=<each address of the name, resolved when the program connects>"
mkdir "$T/regions" && cp "$T/pki/root.pem" "$T/regions/us-east-1.pem"
printf 'sslrootcert = "%s";\nhosts = ( { match = "db.internal.example"; verify_name = "%s"; },\n  { match = "*.rds.amazonaws.com"; sslrootcert = "%s/{region}.pem"; } );\n' \
	"$T/pki/root.pem" "$PGV_NAME" "$T/regions" >"$T/rds.conf"
check "a rule without a bundle takes the bundle of the rule its verify_name matches (the RDS region file)" \
	"$("$abs_top_builddir/src/pgverify" explain -c "$T/rds.conf" "host=db.internal.example")" \
	"sslrootcert:  $T/regions/us-east-1.pem \(hosts rule \"\*.rds.amazonaws.com\"\)"
check "config: a verify_name that is no host name is refused, naming the key" \
	"$(printf 'hosts = ( { match = "x"; verify_name = "a b"; } );\n' >"$T/bad.conf"; "$abs_top_builddir/src/pgverify" check -c "$T/bad.conf" 2>&1)" \
	"bad.conf:1: verify_name: \"a b\" is not a host name"
tap_done
