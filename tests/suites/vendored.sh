#!/bin/bash
# The vendored libpq matrix: copies of libpq as pip wheels and application
# bundles ship them, for the system's libpq and every build that
# tests/libpq-builds.sh provides (Debian's 13 and 18, Ubuntu-style
# -Bsymbolic-functions 15 and 18, npm's 16 and 17).  Each build is copied
# under a mangled soname (patchelf --set-soname libpq-<hash>.so.5) and
# reached in every way a vendored copy is:
#   plugin_local     an extension linked with the copy, dlopen(RTLD_LOCAL)
#   plugin_deepbind  the same with RTLD_DEEPBIND (how PHP loads modules)
#   linked           a program linked with the copy directly
#   rpath            a program finding the (unrenamed) copy through its RPATH
#   dlmopen          dlmopen(LM_ID_NEWLM) of the copy by path
#   dlsym_local      dlopen(RTLD_LOCAL) + dlsym() on the copy (cffi)
#   dlsym_deepbind   the same with RTLD_DEEPBIND
#   ctypes           Python's ctypes.CDLL() of the copy by path
# against the good server (verified, and the copy itself did it: its
# PQlibVersion(), its file in /proc/self/maps), the forged one (refused,
# no startup packet), a server answering N (nothing sent after it), and
# without the shim (the forged server accepted, which shows the checks can
# fail).  Then one process holding two copies of different versions, each
# used for a connection and a cancel.
# PGVERIFY_MATRIX="NAME..." limits the builds.
set -u
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the vendored matrix runs in the normal build (ASan refuses RTLD_DEEPBIND)"
command -v patchelf >/dev/null || skip_all "no patchelf (apt-get install patchelf)"
command -v cc >/dev/null || skip_all "no C compiler"
fixture_clients
FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start good mitm
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/good.conf"
export PGVERIFY_CONFIG=$T/good.conf
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")
SRC=$abs_top_srcdir/tests/clients
INC=$(pkg-config --cflags libpq)

builds=$(fixture_libpq_builds)
fixture_builds_missing

cc -o "$T/vendored" "$SRC/vendored.c" $INC -ldl || skip_all "cannot build tests/clients/vendored.c"

py_ctypes='import ctypes, sys
pq = ctypes.CDLL(sys.argv[1])
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQstatus.argtypes = pq.PQsslInUse.argtypes = pq.PQerrorMessage.argtypes = pq.PQfinish.argtypes = [ctypes.c_void_p]
pq.PQerrorMessage.restype = ctypes.c_char_p
c = pq.PQconnectdb(sys.argv[2].encode())
print("OK ssl=%d version=%d" % (pq.PQsslInUse(c), pq.PQlibVersion()) if pq.PQstatus(c) == 0 else "FAIL " + pq.PQerrorMessage(c).decode())
pq.PQfinish(c)
print("maps: " + " ".join(sorted({l.split()[-1] for l in open("/proc/self/maps") if "libpq" in l})))'

# vendor NAME LIBDIRS: $V (the build's copies and programs) for build NAME.
vendor() {
	local name=$1 dirs=$2 real hash
	real=$(readlink -f "$(echo "$dirs" | cut -d: -f1)/libpq.so.5")
	hash=$(sha256sum "$real" | cut -c1-8)
	V=$T/v-$name
	mkdir -p "$V/rpath"
	COPY=$V/libpq-$hash.so.5
	cp "$real" "$COPY"
	cp "$real" "$V/rpath/libpq.so.5"
	# The copy's own libraries (npm's OpenSSL 1.1) stay where they are.
	patchelf --set-soname "libpq-$hash.so.5" "$COPY" && patchelf --set-rpath "$dirs" "$COPY"
	patchelf --set-rpath "$dirs" "$V/rpath/libpq.so.5"
	cc -shared -fPIC -o "$V/plugin.so" "$SRC/plugin.c" $INC "$COPY" -Wl,-rpath,"$V" -ldl &&
		cc -o "$V/linked" "$SRC/client.c" $INC "$COPY" -Wl,-rpath,"$V" -lpthread -ldl &&
		cc -o "$V/rpath-client" "$SRC/client.c" $INC -L"$V/rpath" -l:libpq.so.5 \
			-Wl,--disable-new-dtags,-rpath,"$V/rpath" -lpthread -ldl
}

# shape NAME CMD...: a script $V/shape-NAME that runs CMD... CONNINFO.
shape() {
	local name=$1
	shift
	printf '#!/bin/sh\nexec' >"$V/shape-$name"
	printf " '%s'" "$@" >>"$V/shape-$name"
	printf ' "$1"\n' >>"$V/shape-$name"
	chmod 755 "$V/shape-$name"
}

SHAPES="plugin_local plugin_deepbind linked rpath dlmopen dlsym_local dlsym_deepbind ctypes"
declare -A VERSION VCOPY
while read -r name dir env; do
	[ -n "$name" ] || continue
	unset LD_LIBRARY_PATH
	if ! vendor "$name" "$env" 2>"$T/vendor.err"; then
		not_ok "$name: the vendored copies build" "$(cat "$T/vendor.err")"
		continue
	fi
	shape plugin_local "$T/vendored" plugin local "$V/plugin.so"
	shape plugin_deepbind "$T/vendored" plugin deepbind "$V/plugin.so"
	shape linked "$V/linked" connectdb
	shape rpath "$V/rpath-client" connectdb
	shape dlmopen "$T/vendored" dlmopen "$COPY"
	shape dlsym_local "$T/vendored" dlsym local "$COPY"
	shape dlsym_deepbind "$T/vendored" dlsym deepbind "$COPY"
	shape ctypes /usr/bin/python3 -c "$py_ctypes" "$COPY"
	VCOPY[$name]=$COPY
	VERSION[$name]=$(/usr/bin/python3 -c 'import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).PQlibVersion())' "$COPY")
	check "$name: the copy is version ${VERSION[$name]} and not the system's file" \
		"${VERSION[$name]} $COPY" "^[0-9]{6} $V/libpq-"
	for s in $SHAPES; do
		file=$COPY
		[ "$s" = rpath ] && file=$V/rpath/libpq.so.5
		out=$(LD_PRELOAD="$SHIM" "$V/shape-$s" "$GOOD" 2>&1; [ "$s" = linked ] && "$V/linked" maps; [ "$s" = rpath ] && "$V/rpath-client" maps)
		check "$name, $s: good server: verified, by the copy itself" "$out" \
			"^OK ssl=1( version=${VERSION[$name]}.*)?$(printf '(.|\n)*')$file"
		check_not "$name, $s: the system's libpq is not loaded for it" "$out" \
			"$([ "$name" = system ] && echo '^$' || echo "$(libpq_path)")"
		out=$(on mitm env LD_PRELOAD="$SHIM" "$V/shape-$s" "$MITM")
		check "$name, $s: forged server refused, no startup packet" "$out" "certificate verify failed(.|
)*^startups \+0$"
		check "$name, $s: N server, nothing sent after it" "$(fake_after env LD_PRELOAD="$SHIM" "$V/shape-$s")" "^0$"
		check "$name, $s, no shim: the forged server is accepted" \
			"$(on mitm "$V/shape-$s" "$MITM")" "^OK ssl=1(.|
)*^startups \+1$"
	done
	PLUGINS="${PLUGINS:-} $name:$V/plugin.so"
done <<<"$builds"

# Two copies of different versions in one process, each used for a
# connection and a cancel (libpq 17's PQcancelCreate where it has one).
sys_plugin=$T/v-system/plugin.so
for entry in ${PLUGINS:-}; do
	name=${entry%%:*}
	[ "$name" = system ] && continue
	plugin=${entry#*:}
	out=$(LD_PRELOAD="$SHIM" "$T/vendored" two "$sys_plugin" "$plugin" "$GOOD" 2>&1)
	check "system + $name in one process: each connection verified by its own copy, cancels answered" "$out" \
		"^OK ssl=1 version=${VERSION[system]} cancel=1
OK ssl=1 version=${VERSION[$name]} cancel=1( cancel17=1)?
maps: "
	check "system + $name in one process, forged server: both refused" \
		"$(on mitm env LD_PRELOAD="$SHIM" "$T/vendored" two "$sys_plugin" "$plugin" "$MITM")" \
		"certificate verify failed(.|
)*certificate verify failed(.|
)*^startups \+0$"
	check "system + $name in one process, no shim: the forged server is accepted twice" \
		"$(on mitm "$T/vendored" two "$sys_plugin" "$plugin" "$MITM")" "^OK ssl=1 version=${VERSION[system]} cancel=1
OK ssl=1 version=${VERSION[$name]}(.|
)*^startups \+2$"
done
# pgverify status PID: a running process holding two copies, with and
# without the shim.
PGV=$abs_top_builddir/src/pgverify
hold() { # hold OUT [VAR=VALUE...]: python holding the system's and 17's copies
	local out=$1 i=0
	shift
	rm -f "$out"
	env "$@" /usr/bin/python3 -c 'import ctypes, sys, time
for p in sys.argv[1:]: ctypes.CDLL(p)
print("ready", flush=True)
time.sleep(60)' "$(libpq_path)" "${VCOPY[17]:-${VCOPY[system]}}" >"$out" 2>&1 &
	HELD=$!
	while ! grep -q ready "$out" 2>/dev/null && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
}
hold "$T/held.out" LD_PRELOAD="$SHIM"
out=$("$PGV" status "$HELD"; echo "exit=$?")
kill "$HELD"
check "status PID: loaded, each copy listed and bound" "$out" "^libpq $(libpq_path): bound$(printf '(.|\n)*')^pgverify: loaded(.|
)*exit=0$"
hold "$T/held.out"
out=$("$PGV" status "$HELD"; echo "exit=$?")
json=$("$PGV" status --json "$HELD")
kill "$HELD"
check "status PID, no shim: NOT loaded, copies NOT bound, exit 1" "$out" "^libpq $(libpq_path): NOT bound$(printf '(.|\n)*')^pgverify: NOT loaded
exit=1$"
check "status --json PID, no shim" "$json" '^\{"pid":[0-9]+,"libpq":\[\{"path":"[^"]+","bound":false\}.*\],"loaded":false,"engine_loaded":false\}$'
check "status of a missing process: exit 2" "$("$PGV" status 999999999 2>&1; echo "exit=$?")" "cannot read /proc/999999999/maps(.|
)*exit=2$"
tap_done
