#!/bin/bash
# Connections pgverify must see although they start in unusual places, and
# inputs libpq must read once: a connection opened inside a libpq callback
# (the key-passphrase hook) while another is being made, an NSS module that
# connects during libpq's user lookup, PHP's pgsql and PDO (extensions
# loaded with RTLD_DEEPBIND; asynchronous connect too), another thread
# toggling PGHOST, and a service file that can be read only once (a FIFO).
# Each against the good server (works, verified), the forged one (refused,
# no startup packet) or a server answering N (nothing sent after it), and
# each security check also without the shim, where it must fail.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "runs in the normal build (uninstrumented clients)"
fixture_clients
FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start good mitm
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/good.conf"
export PGVERIFY_CONFIG=$T/good.conf
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")
CLIENTS=$abs_top_srcdir/tests/clients

build() { # build NAME SOURCE...: compile a client into $T
	local name=$1
	shift
	cc -o "$T/$name" "$@" -I"$CLIENTS" $(pkg-config --cflags --libs libpq) -pthread -ldl >"$T/$name.cc.log" 2>&1 ||
		{ not_ok "$name builds" "$(cat "$T/$name.cc.log")"; return 1; }
}

# --- a connection opened inside libpq's key-passphrase callback -----------------
# The outer connection has an encrypted client key, so libpq calls the hook
# while it makes that connection; the hook connects elsewhere first.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:s3cret \
	-out "$T/client.key" 2>/dev/null
openssl req -x509 -new -key "$T/client.key" -passin pass:s3cret -subj /CN=postgres -days 2 \
	-out "$T/client.pem" 2>/dev/null
chmod 600 "$T/client.key"
if build keypass "$CLIENTS/keypass.c"; then
	outer="$GOOD sslcert=$T/client.pem sslkey=$T/client.key"
	out=$(on mitm env LD_PRELOAD="$SHIM" "$T/keypass" "$outer" "$MITM" s3cret)
	check "key-passphrase hook: the outer connection is made, verified" "$out" "^outer: ssl=t$"
	check "key-passphrase hook: the hook ran" "$out" "^hook calls=1$"
	check "key-passphrase hook: the connection opened inside it to the forged server is refused" "$out" \
		"^inner: FAIL .*certificate verify failed(.|
)*^startups \+0$"
	fake_start 10
	LD_PRELOAD="$SHIM" timeout 60 "$T/keypass" "$outer" "$(at "$FAKE_PORT")" s3cret >"$T/keypass.out" 2>&1
	fake_wait
	check "key-passphrase hook, inner connection to a server answering N: nothing sent after it" "$FAKE_COUNT" "^0$"
	check "key-passphrase hook, no shim: the inner connection reaches the forged server" \
		"$(on mitm "$T/keypass" "$outer" "$MITM" s3cret)" "^inner: ssl=t(.|
)*^startups \+1$"
fi

# --- another thread toggles PGHOST while connections are planned --------------------
# No host: a Unix socket (there is none at libpq's default place for this
# port), left alone; PGHOST=localhost: TCP to the forged server.  What libpq
# reads when the connection is made must be what pgverify planned with.
if build envrace "$CLIENTS/envrace.c"; then
	race="port=$P_MITM sslmode=disable user=postgres dbname=postgres connect_timeout=5"
	out=$(on mitm env LD_PRELOAD="$SHIM" "$T/envrace" 2000 40 localhost "$race")
	check "PGHOST race: 2000 attempts, none connected without verification" "$out" \
		"attempts=[0-9]+ connected=0 ssl=0(.|
)*^startups \+0$"
	echo "# $(echo "$out" | grep attempts=)"
	check "PGHOST race, no shim: plain-text connections to the forged server" \
		"$(on mitm "$T/envrace" 3000 30 localhost "$race")" "connected=[1-9][0-9]* ssl=0(.|
)*^startups \+[1-9]"
fi

# --- a service file that can be read once -------------------------------------------
# service_fifo PORT: a FIFO that one writer fills once with service "s".
service_fifo() {
	rm -f "$T/svc.fifo" && mkfifo "$T/svc.fifo"
	printf '[s]\nhost=%s\nhostaddr=127.0.0.1\nport=%s\nuser=postgres\ndbname=postgres\n' "$PGV_NAME" "$1" >"$T/svc.fifo" &
}
service_fifo "$P_GOOD"
check "one-shot service file (a FIFO): read once, upgraded and verified" \
	"$(PGSERVICEFILE=$T/svc.fifo LD_PRELOAD="$SHIM" timeout 30 "$PLAIN" connectdb "service=s" 2>&1)" "^OK ssl=1$"
service_fifo "$P_MITM"
check "one-shot service file to the forged server: refused" \
	"$(PGSERVICEFILE=$T/svc.fifo on mitm env LD_PRELOAD="$SHIM" "$PLAIN" connectdb "service=s")" \
	"certificate verify failed(.|
)*^startups \+0$"
service_fifo "$P_MITM"
check "one-shot service file, no shim: the forged server is accepted" \
	"$(PGSERVICEFILE=$T/svc.fifo on mitm "$PLAIN" connectdb "service=s")" "^OK ssl=1
startups \+1$"

# --- an NSS module that connects during libpq's user lookup -------------------------
# Debian's libnss-pgsql2 answers passwd lookups from a database.  With no
# user= libpq looks the OS user up while it makes the connection, and the
# module opens its own libpq connection then.  The module's configuration
# lives in a private copy of /etc, bind-mounted in a throwaway namespace.
if [ "$(id -u)" = 0 ] && [ -e /lib/libnss_pgsql.so.2 ] && unshare -m --propagation private true 2>/dev/null; then
	"$PLAIN" query "$GOOD" "CREATE ROLE root LOGIN" >/dev/null 2>&1
	mkdir "$T/etc" && cp -a /etc/. "$T/etc/" 2>/dev/null
	sed -i 's/^passwd:.*/passwd: pgsql files/' "$T/etc/nsswitch.conf"
	# nss_etc PORT: the module's database is on 127.0.0.1:PORT.
	nss_etc() {
		printf '%s\n' "connectionstring = host=$PGV_NAME hostaddr=127.0.0.1 port=$1 dbname=postgres user=postgres connect_timeout=2" \
			"getpwuid = SELECT 'x', 'x', 'x', '/', '/bin/sh', 0, 0 WHERE \$1 = 12345" \
			"getpwnam = SELECT 'x', 'x', 'x', '/', '/bin/sh', 0, 0 WHERE \$1 = 'nobody-here'" >"$T/etc/nss-pgsql.conf"
		chmod 644 "$T/etc/nss-pgsql.conf"
	}
	# $T/in-etc CMD...: CMD with the private /etc.
	printf '#!/bin/sh\nexec unshare -m --propagation private sh -c '"'"'mount --bind "$0" /etc && exec "$@"'"'"' "%s" "$@"\n' \
		"$T/etc" >"$T/in-etc"
	chmod 755 "$T/in-etc"
	nouser="host=$PGV_NAME hostaddr=127.0.0.1 port=$P_GOOD dbname=postgres"
	nss_etc "$P_MITM"
	out=$(on mitm "$T/in-etc" env LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$nouser")
	check "NSS module: the outer connection (user from the passwd lookup) is made, verified" "$out" "^OK ssl=1$"
	check "NSS module: its own connection, to the forged server, is refused" "$out" "^startups \+0$"
	fake_start 10
	nss_etc "$FAKE_PORT"
	"$T/in-etc" env LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$nouser" >/dev/null 2>&1
	fake_wait
	check "NSS module, its database answering N: nothing sent after it" "$FAKE_COUNT" "^0$"
	nss_etc "$P_MITM"
	check "NSS module, no shim: its connection reaches the forged server" \
		"$(on mitm "$T/in-etc" "$PLAIN" connectdb "$nouser")" "^startups \+[1-9]"
else
	skip "NSS module (libnss-pgsql2)" "needs root, unshare -m and libnss-pgsql2 (tests/deps.sh installs it)"
fi

# --- PHP: pgsql and PDO_pgsql ---------------------------------------------------------
# PHP loads its extensions with RTLD_DEEPBIND, so they bind libpq's functions
# in libpq itself.
if command -v php >/dev/null && php -m | grep -qx pgsql && php -m | grep -qx pdo_pgsql; then
	q="SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	cat >"$T/sync.php" <<PHP
<?php \$c = pg_connect(\$argv[1]); if (!\$c) exit(1);
echo "ssl=", pg_fetch_result(pg_query(\$c, "$q"), 0, 0), "\n";
PHP
	cat >"$T/async.php" <<PHP
<?php \$c = pg_connect(\$argv[1], PGSQL_CONNECT_ASYNC); if (!\$c) exit(1);
for (\$i = 0; \$i < 1000; \$i++) {
	\$s = pg_connect_poll(\$c);
	if (\$s == PGSQL_POLLING_OK) break;
	if (\$s == PGSQL_POLLING_FAILED) { echo "FAIL ", pg_last_error(\$c), "\n"; exit(1); }
	usleep(10000);
}
echo "ssl=", pg_fetch_result(pg_query(\$c, "$q"), 0, 0), "\n";
PHP
	# PDO's DSN takes no hostaddr: PGHOSTADDR gives it.
	cat >"$T/pdo.php" <<PHP
<?php try { \$d = new PDO("pgsql:host=" . \$argv[2] . ";port=" . \$argv[3] . ";dbname=postgres", "postgres");
	echo "ssl=", \$d->query("$q")->fetchColumn() ? "t" : "f", "\n"; }
catch (PDOException \$e) { echo "FAIL ", \$e->getMessage(), "\n"; exit(1); }
PHP
	for kind in sync async pdo; do
		check "PHP $kind: nothing set, upgraded and verified" \
			"$(env PGHOSTADDR=127.0.0.1 LD_PRELOAD="$SHIM" php "$T/$kind.php" "$(at "$P_GOOD")" "$PGV_NAME" "$P_GOOD" 2>&1)" "ssl=t$"
		check "PHP $kind: forged server refused, no startup packet" \
			"$(on mitm env PGHOSTADDR=127.0.0.1 LD_PRELOAD="$SHIM" php "$T/$kind.php" "$MITM" "$PGV_NAME" "$P_MITM")" \
			"certificate verify failed(.|
)*^startups \+0$"
		fake_start 10
		env PGHOSTADDR=127.0.0.1 LD_PRELOAD="$SHIM" timeout 60 php "$T/$kind.php" "$(at "$FAKE_PORT")" "$PGV_NAME" "$FAKE_PORT" >/dev/null 2>&1
		fake_wait
		check "PHP $kind: server answering N, nothing sent after it" "$FAKE_COUNT" "^0$"
		check "PHP $kind, no shim: the forged server is accepted" \
			"$(on mitm env PGHOSTADDR=127.0.0.1 php "$T/$kind.php" "$MITM" "$PGV_NAME" "$P_MITM")" "ssl=t
startups \+1$"
	done
else
	skip "PHP pgsql and PDO" "php-cli and php-pgsql are not installed (tests/deps.sh installs them)"
fi

tap_done
