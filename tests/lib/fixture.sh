# The integration fixture: a temporary directory $T, the test PKI in $T/pki
# and PostgreSQL servers on 127.0.0.1, all removed on exit.
#   fixture_start SERVER...   SERVER: good mitm wrongname expired (TLS with
#                             that certificate) or notls; sets P_GOOD, ...
#                             $FIXTURE_SERVER_OPTS: more postgres -c options
#                             $FIXTURE_PKI: a function that adds to $T/pki
# Sourcing it brings tap.sh, pki.sh and servers.sh along.

# pgverify refuses configuration files that group or others can write.
umask 022
lib=$(dirname "${BASH_SOURCE[0]}")
. "$lib/tap.sh"
. "$lib/pki.sh"
. "$lib/servers.sh"

# A sanitizer build (--enable-sanitizers): programs built without the
# sanitizers (psql, sh) get their runtimes preloaded ahead of libpgverify,
# and no leak report for leaks that are theirs (valgrind covers ours).
#
# $T/psql-run CONNINFO SQL is psql -XAtq -c SQL CONNINFO.  Under the
# sanitizers an uninstrumented psql with the ASan runtime preloaded hangs at
# exit (p11-kit's destructor deadlocks in freelocale, with or without
# pgverify), so there our instrumented client does what psql does.
if [ -n "${PGVERIFY_TEST_PRELOAD:-}" ] && [ -n "${PGVERIFY_TEST_PRELOAD# }" ]; then
	PGVERIFY_TEST_PRELOAD="${PGVERIFY_TEST_PRELOAD# } "
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# Programs the tests compile themselves are instrumented too.
	PGVERIFY_TEST_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"
else
	PGVERIFY_TEST_CFLAGS=""
	PGVERIFY_TEST_PRELOAD=""
fi

fixture_psql() {
	if [ -n "$PGVERIFY_TEST_PRELOAD" ]; then
		printf '#!/bin/sh\nexec "%s" query "$1" "$2"\n' "$abs_top_builddir/tests/client_plain"
	else
		printf '#!/bin/sh\nexec "%s" -XAtq -c "$2" "$1"\n' "$PG_BINDIR/psql"
	fi >"$T/psql-run"
	chmod 755 "$T/psql-run"
}

# psql_run CONNINFO SQL [VAR=VALUE...]
psql_run() {
	local c=$1 q=$2
	shift 2
	env "$@" "$T/psql-run" "$c" "$q"
}

# fixture_require: skip the whole test where servers cannot be started.
fixture_require() {
	[ -x "$PG_BINDIR/initdb" ] || skip_all "no PostgreSQL server binaries (apt-get install postgresql)"
	[ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || skip_all "running as root without a postgres account"
}

fixture_tls() {
	echo "-c ssl=on -c ssl_cert_file=$T/pki/$1.pem -c ssl_key_file=$T/pki/$1.key"
}

fixture_start() {
	local name opts
	T=$(mktemp -d /tmp/pgverify-test.XXXXXX)
	chmod 755 "$T"
	trap 'servers_stop; rm -rf "$T"' EXIT
	trap 'exit 1' INT TERM
	if ! { make_pki "$T/pki" && make_pki_dated "$T/pki" && make_pki_regions "$T/pki" &&
		{ [ -z "${FIXTURE_PKI:-}" ] || $FIXTURE_PKI "$T/pki"; }; } >"$T/pki.log" 2>&1; then
		cat "$T/pki.log" >&2
		skip_all "openssl could not make the test PKI"
	fi
	find "$T/pki" -type d -exec chmod 755 {} +
	find "$T/pki" -type f -exec chmod 644 {} +
	[ "$(id -u)" = 0 ] && chown postgres "$T"/pki/*.key
	chmod 600 "$T"/pki/*.key
	fixture_psql
	server_init "$T" || { cat "$T/initdb.log" >&2; exit 1; }
	for name in "$@"; do
		if [ "$name" = notls ]; then opts="-c ssl=off"; else opts=$(fixture_tls "$name"); fi
		# shellcheck disable=SC2086
		server_start "$T" "$name" $opts ${FIXTURE_SERVER_OPTS:-} || exit 1
		eval "P_$(echo "$name" | tr a-z A-Z)=$SERVER_PORT"
	done
}

# at PORT: a connection string for the test certificate's name on 127.0.0.1.
at() { echo "host=$PGV_NAME hostaddr=127.0.0.1 port=$1 user=postgres dbname=postgres"; }

# fixture_clients: the programs the integration tests drive, and a clean
# environment (nothing from the caller's may steer libpq):
#   SHIM    what to preload; PLAIN, a client linked with libpq alone;
#   LINKED  a client linked with libpgverify; FAKE, the server answering N.
# PGVERIFY_TEST_WITHOUT_SHIM=1 takes the shim out of every check: the
# security checks must then fail, which shows that they can.
fixture_clients() {
	SHIM="$PGVERIFY_TEST_PRELOAD$abs_top_builddir/src/.libs/libpgverify.so"
	PLAIN=$abs_top_builddir/tests/client_plain
	LINKED=$abs_top_builddir/tests/client_linked
	FAKE=$abs_top_builddir/tests/fake_server
	if [ -n "${PGVERIFY_TEST_WITHOUT_SHIM:-}" ]; then
		SHIM=""
		LINKED=$PLAIN
	fi
	fixture_clean_env
	export PGCONNECT_TIMEOUT=10
}

# fixture_clean_env: no variable libpq or pgverify reads is left from the
# caller's environment (the one list; the unit tests clear theirs in C).
PGV_ENV_VARS="PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE
PGSERVICE PGSERVICEFILE PGOPTIONS PGAPPNAME PGSSLMODE PGREQUIRESSL PGSSLCERT
PGSSLKEY PGSSLROOTCERT PGSSLCRL PGSSLCRLDIR PGSSLSNI PGSSLNEGOTIATION
PGSSLMINPROTOCOLVERSION PGSSLMAXPROTOCOLVERSION PGGSSENCMODE PGREQUIREAUTH
PGTARGETSESSIONATTRS PGLOADBALANCEHOSTS PGCONNECT_TIMEOUT PGSYSCONFDIR
PGVERIFY_LOG PGVERIFY_CONFIG"
fixture_clean_env() {
	# shellcheck disable=SC2086
	unset $PGV_ENV_VARS
}

# libpq_path: the libpq.so.5 the test clients load (LD_LIBRARY_PATH honoured).
libpq_path() {
	readlink -f "$(ldd "$abs_top_builddir/tests/client_plain" | awk '$1 == "libpq.so.5" { print $3 }')"
}

# startups SERVER: how many startup packets SERVER has accepted so far
# (its servers run with log_connections=on).
startups() { grep -c 'connection authorized' "$T/$1.log"; }

# on SERVER CMD...: CMD's output (at most 60 s), then "startups +N": the
# startup packets SERVER accepted meanwhile.
on() {
	local server=$1 before after out
	shift
	before=$(startups "$server")
	out=$(timeout 60 "$@" 2>&1 </dev/null)
	after=$(startups "$server")
	printf '%s\nstartups +%d\n' "$out" $((after - before))
}

# fixture_libpq_builds: the libpq builds the matrices run over, as "NAME DIR
# LD_LIBRARY_PATH" lines, the system's first (tests/libpq-builds.sh); run
# as builds=$(fixture_libpq_builds), then fixture_builds_missing.
fixture_libpq_builds() {
	echo "system - $(dirname "$(libpq_path)")"
	"$abs_top_srcdir/tests/libpq-builds.sh" ${PGVERIFY_MATRIX:-} 2>"$T/builds.err"
}

# fixture_builds_missing: one TAP line per build that could not be made
# (after fixture_libpq_builds; in the test's own shell, which counts the
# TAP lines): a failure in CI (CI set), a skip elsewhere.
fixture_builds_missing() {
	local name
	while read -r line; do echo "# $line"; done <"$T/builds.err"
	while read -r name _; do
		if [ -n "${CI:-}" ]; then
			not_ok "libpq build $name is available" "$(grep -A3 "libpq-builds: $name:" "$T/builds.err")"
		else
			skip "libpq build $name" "could not be built or fetched here (see above); CI=true makes this a failure"
		fi
	done < <(sed -n 's/^libpq-builds: \([^:]*\): skipped.*/\1/p' "$T/builds.err")
}

# port_of FILE: the port a server started in the background writes to
# FILE, once it has (10 s at most; empty if it never does).
port_of() {
	local i=0
	while [ ! -s "$1" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	cat "$1" 2>/dev/null
}

# fake_start [WAIT [ADDRESS [NETNS]]]: the server that answers N to the
# SSLRequest and counts what follows, for one client (WAIT seconds at
# most, on ADDRESS, in network namespace NETNS); sets FAKE_PID, FAKE_PORT.
fake_start() {
	rm -f "$T/fake.port" "$T/fake.count"
	# shellcheck disable=SC2086
	${3:+ip netns exec $3} "$FAKE" "$T/fake.port" "$T/fake.count" ${1:-} ${2:-} &
	FAKE_PID=$!
	FAKE_PORT=$(port_of "$T/fake.port")
}

# fake_wait: once the client is done, FAKE_COUNT is the bytes it sent
# after the N (in the shell that ran fake_start: only it can wait).
fake_wait() {
	wait "$FAKE_PID"
	FAKE_COUNT=$(cat "$T/fake.count")
	rm -f "$T/fake.port" "$T/fake.count"
}

# fake_at: a connection string to the fake server, with a password.
fake_at() { echo "host=$PGV_NAME hostaddr=127.0.0.1 port=$FAKE_PORT user=postgres password=s3cret dbname=postgres"; }

# fake_after CMD...: bytes CMD CONNINFO sent after a server's N.
fake_after() {
	fake_start 10
	timeout 60 "$@" "$(fake_at)" >/dev/null 2>&1
	fake_wait
	echo "$FAKE_COUNT"
}
