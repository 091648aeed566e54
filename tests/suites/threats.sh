#!/bin/bash
# The threat matrix: one row per attack or fault, each run against real
# loopback servers through the real psql (preloaded) and through a client
# linked with libpgverify.  A row holds when both are refused with the
# row's message AND the server never saw a startup packet: the servers log
# every connection that got past the startup packet ("connection
# authorized", trust authentication), and the count must not move.
# Every row is then run without the shim, where the same connection must
# reach the server: that is what shows the row can fail.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require

fixture_clients

FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start good mitm wrongname expired oldcasrv euserver notls

# As root, the clients run without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so
# that a mode-000 file is as unreadable to them as to any other user.
if [ "$(id -u)" = 0 ]; then
	NOCAPS="setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-all"
else
	NOCAPS=""
fi

# --- the files the rows name ----------------------------------------------------
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/good.conf"
printf 'sslrootcert = "%s"\nsslmode = ;\n' "$T/pki/root.pem" >"$T/syntax.conf"
printf 'sslrootcert = "%s";\nverify = false;\n' "$T/pki/root.pem" >"$T/unknown.conf"
printf 'sslrootcert = "%s";\nsslmode = 1;\n' "$T/pki/root.pem" >"$T/wrongtype.conf"
cp "$T/good.conf" "$T/groupw.conf" && chmod 664 "$T/groupw.conf"
cp "$T/good.conf" "$T/otherw.conf" && chmod 646 "$T/otherw.conf"
echo '@include "groupw.conf"' >"$T/include.conf"
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.us-east-1.rds.amazonaws.com"; sslrootcert = "%s"; } );\n' \
	"$T/pki/root.pem" "$T/pki/rogue.pem" >"$T/rules.conf"
: >"$T/empty.pem"
echo "not a certificate" >"$T/garbage.pem"
cp "$T/pki/root.pem" "$T/unreadable.pem" && chmod 000 "$T/unreadable.pem"
mkdir "$T/regions" && "$abs_top_builddir/src/pgverify" bundle --split "$T/regions" "$T/pki/regions.pem" >/dev/null
printf 'hosts = ( { match = "*.rds.amazonaws.com"; sslrootcert = "%s/{region}.pem"; } );\n' "$T/regions" >"$T/region.conf"
mkfifo "$T/fifo.pem"
# Bundles the configuration names that someone else could have written.
cp "$T/pki/root.pem" "$T/w666.pem" && chmod 666 "$T/w666.pem"
mkdir "$T/wdir" && cp "$T/pki/root.pem" "$T/wdir/root.pem" && chmod 777 "$T/wdir"
printf 'sslrootcert = "%s";\n' "$T/w666.pem" >"$T/w666.conf"
printf 'sslrootcert = "%s";\n' "$T/wdir/root.pem" >"$T/wdir.conf"

# --- the matrix -----------------------------------------------------------------
# row | server | connection | environment | the refusal the user sees (Perl regex)
# {kv}: host, hostaddr 127.0.0.1, port, user, dbname; {uri}: the same as a URI
# (query string started); {port}, {name}, {T} as they say.
MATRIX=$(
	cat <<'ROWS'
forged CA (another root)        | mitm      | {kv}                             |                                | certificate verify failed
wrong host name                 | wrongname | {kv}                             |                                | does not match host name
expired server certificate      | expired   | {kv}                             |                                | certificate verify failed
expired intermediate CA         | oldcasrv  | {kv}                             |                                | certificate verify failed
another region's RDS CA         | euserver  | {kv}                             | PGVERIFY_CONFIG={T}/region.conf | certificate verify failed
server without TLS              | notls     | {kv}                             |                                | server does not support SSL
PGSSLMODE=disable               | mitm      | {kv}                             | PGSSLMODE=disable              | certificate verify failed
PGSSLMODE=allow                 | mitm      | {kv}                             | PGSSLMODE=allow                | certificate verify failed
PGSSLMODE=prefer                | mitm      | {kv}                             | PGSSLMODE=prefer               | certificate verify failed
PGSSLMODE=require               | mitm      | {kv}                             | PGSSLMODE=require              | certificate verify failed
PGSSLMODE=verify-ca             | wrongname | {kv}                             | PGSSLMODE=verify-ca PGSSLROOTCERT={T}/pki/root.pem | does not match host name
sslmode=disable (conninfo)      | mitm      | {kv} sslmode=disable             |                                | certificate verify failed
sslmode=allow (conninfo)        | mitm      | {kv} sslmode=allow               |                                | certificate verify failed
sslmode=prefer (conninfo)       | mitm      | {kv} sslmode=prefer              |                                | certificate verify failed
sslmode=require (conninfo)      | mitm      | {kv} sslmode=require             |                                | certificate verify failed
sslmode=verify-ca (conninfo)    | wrongname | {kv} sslmode=verify-ca sslrootcert={T}/pki/root.pem |             | does not match host name
sslmode=disable (URI)           | mitm      | {uri}&sslmode=disable            |                                | certificate verify failed
sslmode=allow (URI)             | mitm      | {uri}&sslmode=allow              |                                | certificate verify failed
sslmode=prefer (URI)            | mitm      | {uri}&sslmode=prefer             |                                | certificate verify failed
sslmode=require (URI)           | mitm      | {uri}&sslmode=require            |                                | certificate verify failed
sslmode=verify-ca (URI)         | wrongname | {uri}&sslmode=verify-ca&sslrootcert={T}/pki/root.pem |            | does not match host name
sslrootcert missing             | notls     | {kv} sslrootcert={T}/missing.pem |                                | pgverify refused this connection: .*cannot read CA bundle {T}/missing.pem
sslrootcert empty               | notls     | {kv} sslrootcert={T}/empty.pem   |                                | pgverify refused this connection: .*{T}/empty.pem holds no PEM certificate
sslrootcert unreadable          | notls     | {kv} sslrootcert={T}/unreadable.pem |                             | pgverify refused this connection: .*cannot read CA bundle {T}/unreadable.pem: Permission denied
sslrootcert a FIFO              | notls     | {kv} sslrootcert={T}/fifo.pem    |                                | pgverify refused this connection: .*cannot read CA bundle {T}/fifo.pem: not a regular file
sslrootcert garbage             | notls     | {kv} sslrootcert={T}/garbage.pem |                                | pgverify refused this connection: .*{T}/garbage.pem holds no PEM certificate
config: syntax error            | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/syntax.conf  | pgverify refused this connection: bad configuration: {T}/syntax.conf:2: syntax error
config: unknown key             | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/unknown.conf | pgverify refused this connection: bad configuration: {T}/unknown.conf:2: verify: unknown key
config: wrong type              | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/wrongtype.conf | pgverify refused this connection: bad configuration: {T}/wrongtype.conf:2: sslmode: .*string
config: @include of a group-writable file | mitm | {kv}                   | PGVERIFY_CONFIG={T}/include.conf | pgverify refused this connection: bad configuration: {T}/include.conf:1: @include is not allowed
config: missing file            | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/nowhere.conf | pgverify refused this connection: bad configuration: {T}/nowhere.conf
config: writable by group       | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/groupw.conf  | pgverify refused this connection: bad configuration: {T}/groupw.conf is writable by group or others
config: writable by others      | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/otherw.conf  | pgverify refused this connection: bad configuration: {T}/otherw.conf is writable by group or others
bundle writable by others       | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/w666.conf    | pgverify refused this connection: .*{T}/w666.pem is writable by group or others \(mode 0666\); run chmod go-w
bundle in a writable directory  | mitm      | {kv}                             | PGVERIFY_CONFIG={T}/wdir.conf    | pgverify refused this connection: .*the directory {T}/wdir is writable by group or others \(mode 0777\)
hostaddr without host           | mitm      | hostaddr=127.0.0.1 port={port} user=postgres dbname=postgres | | pgverify refused this connection: .*add host=
multi-host, rules disagree      | mitm      | host={name},other.example.com hostaddr=127.0.0.1,127.0.0.1 port={port} user=postgres dbname=postgres | PGVERIFY_CONFIG={T}/rules.conf | pgverify refused this connection: .*need different CA bundles
ROWS
)

trim() { local s=${1#"${1%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# fill TEXT PORT: the placeholders of a row filled in.
fill() {
	local s=$1
	s=${s//\{kv\}/$(at "$2")}
	s=${s//\{uri\}/postgresql://postgres@$PGV_NAME:$2/postgres?hostaddr=127.0.0.1}
	s=${s//\{port\}/$2}
	s=${s//\{name\}/$PGV_NAME}
	echo "${s//\{T\}/$T}"
}


# attempt SERVER PRELOAD ENV CLIENT...: runs the client, prints its output
# and, on a last line, "startups +N": what reached the server meanwhile.
attempt() {
	local server=$1 preload=$2 envs=$3 before after out
	shift 3
	before=$(startups "$server")
	# shellcheck disable=SC2086
	out=$($NOCAPS env PGVERIFY_CONFIG="$T/good.conf" ${preload:+LD_PRELOAD="$preload"} $envs "$@" 2>&1 </dev/null)
	after=$(startups "$server")
	printf '%s\nstartups +%d\n' "$out" $((after - before))
}

held=0 rows=0
while IFS='|' read -r -u 3 name server conn envs msg; do
	name=$(trim "$name") server=$(trim "$server")
	port=$(eval echo "\$P_$(echo "$server" | tr a-z A-Z)")
	conn=$(fill "$(trim "$conn")" "$port")
	envs=$(fill "$(trim "$envs")" "$port")
	msg=$(fill "$(trim "$msg")" "$port")
	msg=${msg//./\\.} msg=${msg//\\.\*/.*}
	rows=$((rows + 1)) failed_before=$tap_failed

	out=$(attempt "$server" "$SHIM" "$envs" "$T/psql-run" "$conn" "SELECT 1")
	check "$name: psql refused" "$out" "$msg"
	check "$name: psql, no startup packet reached the server" "$out" "^startups \+0$"
	out=$(attempt "$server" "" "$envs" "$LINKED" connectdb "$conn")
	check "$name: linked client refused" "$out" "^FAIL .*$msg"
	check "$name: linked client, no startup packet reached the server" "$out" "^startups \+0$"
	[ "$tap_failed" = "$failed_before" ] && held=$((held + 1))

	out=$(attempt "$server" "" "$envs" "$PLAIN" connectdb "$conn")
	check "$name: without the shim it reaches the server" "$out" "^OK ssl=[01]
startups \+1$"
done 3<<<"$MATRIX"

# --- {region} rules: narrower than the global bundle, and no weaker ---------------
check "{region} rule: a chain from the host's own region verifies" \
	"$(env PGVERIFY_CONFIG="$T/region.conf" "$LINKED" connectdb "$(at "$P_GOOD")" 2>&1)" "^OK ssl=1$"
check "the whole bundle by hand (verify-full) accepts another region's chain: the rule is what refuses it" \
	"$("$PLAIN" connectdb "$(at "$P_EUSERVER") sslmode=verify-full sslrootcert=$T/pki/regions.pem" 2>&1)" "^OK ssl=1$"

# --- a server that answers N to the SSLRequest: not one byte may follow ----------
# fake_after CLIENT...: bytes the client sent after the server's N.
fake_after() {
	fake_start
	env PGVERIFY_CONFIG="$T/good.conf" "$@" "$(fake_at)" >/dev/null 2>&1
	fake_wait
	echo "$FAKE_COUNT"
}
rows=$((rows + 1)) failed_before=$tap_failed
check "server answering N: psql sends nothing after it" "$(fake_after LD_PRELOAD="$SHIM" "$T/psql-run")" "^0$"
check "server answering N: linked client sends nothing after it" "$(fake_after "$LINKED" connectdb)" "^0$"
[ "$tap_failed" = "$failed_before" ] && held=$((held + 1))
check "server answering N: without the shim the startup packet follows" "$(fake_after "$PLAIN" connectdb)" "^[1-9][0-9]*$"

# --- an exempt name with a foreign hostaddr (in a private network namespace) ---
# exempt = ["localhost"], the README's own example: the name is exempt, but
# hostaddr (or PGHOSTADDR) decides where the bytes go, here 10.99.0.1 in a
# namespace this test makes.  Not one byte may go there in clear text.
NS=pgv-exempt-$$
if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null; then
	trap 'ip netns del "$NS" 2>/dev/null; servers_stop; rm -rf "$T"' EXIT
	ip -n "$NS" link set lo up && ip -n "$NS" addr add 10.99.0.1/32 dev lo
	printf 'sslrootcert = "%s";\nexempt = [ "localhost" ];\n' "$T/pki/root.pem" >"$T/exempt.conf"
	# foreign HOSTADDR_OPTION VAR=VALUE... CLIENT...: bytes 10.99.0.1
	# received (psql-run's SQL: none, it only connects)
	foreign() {
		local opt=$1
		shift
		fake_start 10 10.99.0.1 "$NS"
		ip netns exec "$NS" env PGVERIFY_CONFIG="$T/exempt.conf" "$@" \
			"host=localhost $opt port=$FAKE_PORT user=postgres password=s3cret dbname=postgres sslmode=disable" >/dev/null 2>&1
		fake_wait
		echo "$FAKE_COUNT"
	}
	rows=$((rows + 1)) failed_before=$tap_failed
	check "exempt name, foreign hostaddr: psql sends nothing in clear text" \
		"$(foreign hostaddr=10.99.0.1 LD_PRELOAD="$SHIM" "$T/psql-run")" "^0$"
	check "exempt name, foreign hostaddr: linked client sends nothing in clear text" \
		"$(foreign hostaddr=10.99.0.1 "$LINKED" connectdb)" "^0$"
	check "exempt name, foreign PGHOSTADDR: psql sends nothing in clear text" \
		"$(foreign "" PGHOSTADDR=10.99.0.1 LD_PRELOAD="$SHIM" "$T/psql-run")" "^0$"
	[ "$tap_failed" = "$failed_before" ] && held=$((held + 1))
	check "exempt name, foreign hostaddr, without the shim: the startup packet goes out in clear text" \
		"$(foreign hostaddr=10.99.0.1 "$PLAIN" connectdb)" "^[1-9][0-9]*$"
	check "exempt name, loopback hostaddr: left as asked (clear text to the local server)" \
		"$(env PGVERIFY_CONFIG="$T/exempt.conf" "$LINKED" connectdb "host=localhost hostaddr=127.0.0.1 port=$P_NOTLS user=postgres dbname=postgres sslmode=disable" 2>&1)" "^OK ssl=0$"
else
	skip "exempt name with a foreign hostaddr" "needs root to make a network namespace (ip netns)"
fi

echo "# threat matrix: $held of $rows rows held"
check "every row of the threat matrix held" "$held of $rows" "^$rows of $rows$"
tap_done
