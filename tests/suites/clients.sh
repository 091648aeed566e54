#!/bin/bash
# The client matrix: the programs people run, preloaded with pgverify and
# nothing else changed, against the good server (connects, verified TLS, a
# real operation works) and the forged one (refused).  Prints each client's
# version, for README.md's table.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
# Uninstrumented clients cannot run with the ASan runtime preloaded (p11-kit
# hangs at exit); the sanitizer build covers the shim through its own client.
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the client matrix runs in the normal build"
fixture_clients
fixture_start good mitm
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/pgverify.conf"
export PGVERIFY_CONFIG=$T/pgverify.conf
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")
PY=/usr/bin/python3
SSLQ="SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

# shim PROGRAM ARGS...: run PROGRAM preloaded; output and "exit=N".
shim() {
	LD_PRELOAD="$SHIM" "$@" 2>&1 </dev/null
	echo "exit=$?"
}
version() { echo "# version: $*"; }

# --- psql --------------------------------------------------------------------
version "$("$PG_BINDIR/psql" --version)"
check "psql: verified TLS and a query" "$(shim "$PG_BINDIR/psql" -XAtq -c "$SSLQ" "$GOOD")" "^ssl=true$"
check "psql: forged refused" "$(shim "$PG_BINDIR/psql" -XAtq -c "$SSLQ" "$MITM")" "certificate verify failed(.|
)*exit=2$"

# --- pgbench: init and a short run ---------------------------------------------
version "$("$PG_BINDIR/pgbench" --version)"
check "pgbench -i through the shim" "$(shim "$PG_BINDIR/pgbench" -i -s 1 -q "$GOOD")" "^done in .*
exit=0$"
check "pgbench, a short run with a connection per transaction" \
	"$(shim "$PG_BINDIR/pgbench" -n -S -C -t 20 "$GOOD")" "number of transactions actually processed: 20/20(.|
)*exit=0$"
check "pgbench: forged refused" "$(shim "$PG_BINDIR/pgbench" -n -S -t 1 "$MITM")" "certificate verify failed(.|
)*exit=1$"

# --- pg_dump and pg_restore: a small database, dumped and restored ----------------
version "$("$PG_BINDIR/pg_dump" --version); $("$PG_BINDIR/pg_restore" --version)"
check "pg_dump -Fc through the shim" "$(shim "$PG_BINDIR/pg_dump" -Fc -t pgbench_branches -f "$T/dump" "$GOOD")" "^exit=0$"
check "createdb through the shim" \
	"$(shim env PGHOSTADDR=127.0.0.1 "$PG_BINDIR/createdb" -h "$PGV_NAME" -p "$P_GOOD" -U postgres restored)" "^exit=0$"
restored="host=$PGV_NAME hostaddr=127.0.0.1 port=$P_GOOD user=postgres dbname=restored"
check "pg_restore through the shim" "$(shim "$PG_BINDIR/pg_restore" -d "$restored" "$T/dump")" "^exit=0$"
check "the restored table holds the dumped rows" \
	"$(shim "$PG_BINDIR/psql" -XAtq -c "SELECT count(*) FROM pgbench_branches" "$restored")" "^1
exit=0$"
check "pg_dump: forged refused" "$(shim "$PG_BINDIR/pg_dump" -Fc -f "$T/dump2" "$MITM")" "certificate verify failed(.|
)*exit=1$"
check "pg_restore: forged refused" \
	"$(shim "$PG_BINDIR/pg_restore" -d "host=$PGV_NAME hostaddr=127.0.0.1 port=$P_MITM user=postgres dbname=restored" "$T/dump")" \
	"certificate verify failed"

# --- pg_isready (PQpingParams) and vacuumdb ---------------------------------------
version "$("$PG_BINDIR/pg_isready" --version); $("$PG_BINDIR/vacuumdb" --version)"
check "pg_isready: the good server accepts connections" "$(shim "$PG_BINDIR/pg_isready" -d "$GOOD")" "accepting connections
exit=0$"
check "pg_isready: the forged one gives no response" "$(shim "$PG_BINDIR/pg_isready" -d "$MITM")" "no response
exit=2$"
check "vacuumdb through the shim" "$(shim "$PG_BINDIR/vacuumdb" -t pgbench_branches -d "$GOOD")" "vacuuming database \"postgres\"
exit=0$"
check "vacuumdb: forged refused" "$(shim "$PG_BINDIR/vacuumdb" -d "$MITM")" "certificate verify failed(.|
)*exit=1$"

# --- Python: psycopg2, psycopg 3, a Django-style DATABASE_URL --------------------
py() { shim env "$@"; }
ssl_py() { # ssl_py MODULE CONNECT-ARGS: connect, print "ssl True|False"
	echo "import $1 as m; c = m.connect($2); cur = c.cursor(); cur.execute(\"$SSLQ\"); print(cur.fetchone()[0])"
}
if $PY -c "import psycopg2" 2>/dev/null; then
	version "psycopg2 $($PY -c 'import psycopg2; print(psycopg2.__version__)')"
	check "psycopg2: verified TLS and a query" "$(py $PY -c "$(ssl_py psycopg2 "'$GOOD'")")" "^ssl=true
exit=0$"
	check "psycopg2: forged refused" "$(py $PY -c "$(ssl_py psycopg2 "'$MITM'")")" "certificate verify failed"
	# Django's backend passes the parsed DATABASE_URL to psycopg2 as keywords.
	django() {
		echo "import urllib.parse as u, psycopg2
url = u.urlparse('$1'); q = dict(u.parse_qsl(url.query))
c = psycopg2.connect(host=url.hostname, port=url.port, user=url.username, dbname=url.path[1:], **q)
cur = c.cursor(); cur.execute(\"$SSLQ\"); print(cur.fetchone()[0])"
	}
	url="postgres://postgres@$PGV_NAME:$P_GOOD/postgres?sslmode=prefer&hostaddr=127.0.0.1"
	check "DATABASE_URL with sslmode=prefer: raised and verified" "$(py $PY -c "$(django "$url")")" "^ssl=true
exit=0$"
	url="postgres://postgres@$PGV_NAME:$P_MITM/postgres?sslmode=prefer&hostaddr=127.0.0.1"
	check "DATABASE_URL with sslmode=prefer, forged: refused" "$(py $PY -c "$(django "$url")")" "certificate verify failed"
else
	for n in 1 2 3 4; do skip "psycopg2 ($n)" "no python3-psycopg2"; done
fi
if $PY -c "import psycopg" 2>/dev/null; then
	version "psycopg $($PY -c 'import psycopg; print(psycopg.__version__, psycopg.pq.__impl__)')"
	# ctypes calls libpq past the hooks: verified only with the options set.
	set3="PGSSLMODE=verify-full PGSSLROOTCERT=$T/pki/root.pem PGGSSENCMODE=disable"
	check "psycopg 3: with PGSSLMODE/PGSSLROOTCERT/PGGSSENCMODE, verified" \
		"$(py $set3 $PY -c "$(ssl_py psycopg "'$GOOD'")")" "^ssl=true
exit=0$"
	check "psycopg 3: forged refused" "$(py $set3 $PY -c "$(ssl_py psycopg "'$MITM'")")" "certificate verify failed"
	check "psycopg 3: nothing set, upgraded and verified" "$(py $PY -c "$(ssl_py psycopg "'$GOOD'")")" "^ssl=true
exit=0$"
else
	for n in 1 2 3; do skip "psycopg 3 ($n)" "no python3-psycopg"; done
fi
# --- ODBC: psqlODBC through unixODBC's isql ---------------------------------------
# psqlODBC writes sslmode=disable into every connection string it builds
# unless the DSN sets SSLmode; pgverify upgrades it like any other.
ODBC_DRIVER=/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so
if command -v isql >/dev/null && [ -f "$ODBC_DRIVER" ]; then
	version "$(isql --version), psqlODBC $(dpkg-query -W -f='${Version}' odbc-postgresql 2>/dev/null)"
	echo "$SSLQ" >"$T/ssl.sql"
	# odbc DSN [VAR=VALUE...]: the query over SQLDriverConnect(DSN).
	odbc() {
		local dsn=$1
		shift
		LD_PRELOAD="$SHIM" env PGHOSTADDR=127.0.0.1 "$@" isql -v -b -k "$dsn" <"$T/ssl.sql" 2>&1
		echo "exit=$?"
	}
	dsn="Driver=$ODBC_DRIVER;Servername=$PGV_NAME;Database=postgres;Username=postgres"
	check "psqlODBC: its own sslmode=disable upgraded and verified" "$(odbc "$dsn;Port=$P_GOOD")" "\| ssl=true +\|(.|
)*exit=0$"
	check "psqlODBC: forged refused" "$(odbc "$dsn;Port=$P_MITM")" "certificate verify failed(.|
)*exit=1$"
	printf 'on_disable = "refuse";\nsslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/refuse.conf"
	check "psqlODBC, on_disable = refuse: the message names the driver's default and the DSN fix" \
		"$(odbc "$dsn;Port=$P_GOOD" PGVERIFY_CONFIG="$T/refuse.conf")" \
		"pgverify refused this connection: $PGV_NAME \(hostaddr 127.0.0.1\): the connection string psqlodbcw.so gave libpq asks for sslmode=disable, and $T/refuse.conf sets on_disable = \"refuse\"; psqlODBC adds sslmode=disable unless the DSN sets SSLmode: set SSLmode=verify-full \(or prefer\) in the DSN or odbc.ini"
	check "psqlODBC, on_disable = refuse: SSLmode=verify-full in the DSN is verified" \
		"$(odbc "$dsn;Port=$P_GOOD;SSLmode=verify-full" PGVERIFY_CONFIG="$T/refuse.conf")" "\| ssl=true +\|(.|
)*exit=0$"
else
	for n in 1 2 3 4; do skip "psqlODBC ($n)" "no odbc-postgresql and unixodbc"; done
fi
tap_done
