#!/bin/bash
# The interception matrix: for the system's libpq and every build that
# tests/libpq-builds.sh provides (Debian's 13 and 18, Ubuntu-style
# -Bsymbolic-functions 15 and 18, npm's 16 and 17), each way a program
# reaches libpq, against the good server (verified with nothing set), the
# forged one (refused, no startup packet reached it) and a server answering
# N (nothing sent after it); and each way without the shim, where the
# forged server must be accepted, which shows the checks can fail.
# PGVERIFY_MATRIX="NAME..." limits the builds.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the matrix runs in the normal build (ASan refuses RTLD_DEEPBIND)"
fixture_clients
FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start good mitm
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/good.conf"
export PGVERIFY_CONFIG=$T/good.conf
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")

builds=$(fixture_libpq_builds)
fixture_builds_missing

py_ctypes='import ctypes, sys
pq = ctypes.CDLL("libpq.so.5")
for f in ("PQconnectdb",): getattr(pq, f).restype = ctypes.c_void_p
pq.PQstatus.argtypes = pq.PQsslInUse.argtypes = pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
pq.PQerrorMessage.restype = ctypes.c_char_p
c = pq.PQconnectdb(sys.argv[1].encode())
print("OK ssl=%d" % pq.PQsslInUse(c) if pq.PQstatus(c) == 0 else "FAIL " + pq.PQerrorMessage(c).decode())'
py_psycopg2='import sys, psycopg2
c = psycopg2.connect(sys.argv[1]); cur = c.cursor()
cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
print("OK ssl=%d" % cur.fetchone()[0])'
py_psycopg='import sys, psycopg
c = psycopg.connect(sys.argv[1])
print("OK ssl=%d" % c.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0])'

# way NAME CMD...: a script $T/way-NAME that runs CMD... CONNINFO, one way
# into libpq; WAYS lists them.
WAYS=""
way() {
	local name=$1
	shift
	WAYS="$WAYS $name"
	printf '#!/bin/sh\nexec' >"$T/way-$name"
	printf " '%s'" "$@" >>"$T/way-$name"
	printf ' "$1"\n' >>"$T/way-$name"
	chmod 755 "$T/way-$name"
}
way linked_scope "$PLAIN" connectdb
way async "$PLAIN" start
way dlsym_on_libpq "$PLAIN" bypass
way deepbind "$PLAIN" deepbind
way dlmopen "$PLAIN" dlmopen
way ctypes /usr/bin/python3 -c "$py_ctypes"
/usr/bin/python3 -c "import psycopg2" 2>/dev/null && way psycopg2 /usr/bin/python3 -c "$py_psycopg2"
/usr/bin/python3 -c "import psycopg" 2>/dev/null && way psycopg3 /usr/bin/python3 -c "$py_psycopg"

while read -r name dir env; do
	[ -n "$name" ] || continue
	export LD_LIBRARY_PATH=$env
	lib=$(libpq_path)
	check "$name: the clients load this build's libpq" "$("$PLAIN" maps | sort -u)" "^$(readlink -f "$lib")$"
	case $name in
	system) ;;
	*) check "$name: not the system's libpq" "$lib" "^$dir/" ;;
	esac
	if objdump -d "$lib" | grep -q 'call.*<PQconnectPoll@plt>'; then plt=yes; else plt=no; fi
	check "$name: pgverify check says whether the backstop exists (PLT: $plt)" \
		"$("$abs_top_builddir/src/pgverify" check)" "backstop at the first PQconnectPoll: $plt"
	for w in $WAYS; do
		check "$name, $w: good server, nothing set: verified" \
			"$(LD_PRELOAD="$SHIM" "$T/way-$w" "$GOOD" 2>&1)" "^OK ssl=1$"
		out=$(on mitm env LD_PRELOAD="$SHIM" "$T/way-$w" "$MITM")
		check "$name, $w: forged server refused, no startup packet" "$out" "certificate verify failed(.|
)*^startups \+0$"
		check "$name, $w: N server, nothing sent after it" "$(fake_after env LD_PRELOAD="$SHIM" "$T/way-$w")" "^0$"
		check "$name, $w, no shim: the forged server is accepted" \
			"$(on mitm "$T/way-$w" "$MITM")" "^OK ssl=1
startups \+1$"
	done
	if [ -x "$dir/bin/psql" ]; then
		check "$name, its own psql: verified" \
			"$(LD_PRELOAD="$SHIM" "$dir/bin/psql" -XAtq -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" "$GOOD" 2>&1)" "^t$"
		check "$name, its own psql: forged refused" \
			"$(on mitm env LD_PRELOAD="$SHIM" "$dir/bin/psql" -XAtq -c "SELECT 1" "$MITM")" "certificate verify failed(.|
)*^startups \+0$"
	fi
	version=$("$PLAIN" maps >/dev/null; /usr/bin/python3 -c 'import ctypes; print(ctypes.CDLL("libpq.so.5").PQlibVersion())')
	if [ "$version" -ge 170000 ]; then
		# libpq 17 refuses sslnegotiation=direct with its default sslmode;
		# pgverify raises the sslmode, so the option is kept and libpq
		# opens TLS directly (which the test servers, PostgreSQL 15, do
		# not speak: they close the connection).
		check "$name: sslnegotiation=direct with no sslmode, no shim: libpq refuses it" \
			"$("$PLAIN" connectdb "$GOOD sslnegotiation=direct" 2>&1)" "weak sslmode"
		out=$(PGVERIFY_LOG=info LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$GOOD sslnegotiation=direct" 2>&1)
		check "$name: sslnegotiation=direct with no sslmode: raised to verify-full, TLS attempted directly" \
			"$out" "sslmode prefer -> verify-full(.|
)*^FAIL 1 .*SSL (SYSCALL error|error: unexpected eof)"
		check_not "$name: sslnegotiation=direct: not refused for its weak sslmode" "$out" "weak sslmode|pgverify refused"
	fi
	if [ "$version" -ge 180000 ]; then
		# libpq 18's sslkeylogfile writes the TLS secrets of a connection
		# pgverify verifies: said at warning unlocked, refused locked.
		keys=$T/keys-$name.log
		printf 'sslrootcert = "%s";\nlock = true;\n' "$T/pki/root.pem" >"$T/lock.conf"
		out=$(LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$GOOD sslkeylogfile=$keys" 2>&1; [ -s "$keys" ] && echo "keys written")
		check "$name: sslkeylogfile, unlocked: honoured as libpq does, and said at warning" "$out" \
			"sslkeylogfile=.*TLS keys are written(.|
)*^OK ssl=1(.|
)*^keys written$"
		rm -f "$keys"
		out=$(PGVERIFY_CONFIG=$T/lock.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$GOOD sslkeylogfile=$keys" 2>&1; [ -e "$keys" ] && echo "keys written")
		check "$name: sslkeylogfile, locked: refused" "$out" "^FAIL 1 pgverify refused this connection: .*sslkeylogfile"
		check_not "$name: sslkeylogfile, locked: no key written" "$out" "keys written"
		rm -f "$keys"
		check "$name: sslkeylogfile, no shim: the keys are written" \
			"$("$PLAIN" connectdb "$GOOD sslkeylogfile=$keys" 2>&1; [ -s "$keys" ] && echo "keys written")" "^keys written$"
	fi
	if [ "$version" -ge 160000 ]; then
		check "$name: sslrootcert=system sslmode=prefer: read and raised, not refused" \
			"$(LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$GOOD sslrootcert=system sslmode=prefer" 2>&1)" \
			"certificate verify failed"
	fi
done <<<"$builds"
unset LD_LIBRARY_PATH
tap_done
