#!/bin/bash
# make check-valgrind: the unit tests, the fuzz corpora and the C clients'
# paths through the shim (preloaded and linked, against real servers) under
# valgrind memcheck.  Each must end with zero errors and zero bytes
# definitely or indirectly lost: leaks of those kinds count as errors here.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
command -v valgrind >/dev/null || skip_all "valgrind is not installed (apt-get install valgrind)"
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "valgrind cannot run the sanitizer build"
fixture_require

B=$abs_top_builddir
SHIM=$B/src/.libs/libpgverify.so
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --suppressions=$abs_top_srcdir/tests/valgrind.supp"

# memcheck NAME [VAR=VALUE...] PROGRAM ARGS...: clean under memcheck.
memcheck() {
	local name=$1 out rc
	shift
	# shellcheck disable=SC2086
	out=$(env "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = 99 ] || matches "$out" "^==[0-9]+=="; then
		not_ok "$name: memcheck clean" "exit $rc" "$out"
	else
		ok "$name: memcheck clean"
	fi
}
# Libtool wrappers are shell scripts: run the real binaries under valgrind.
bin() { echo "$B/tests/.libs/$1"; }
lib_env="LD_LIBRARY_PATH=$B/src/.libs"

fixture_clean_env
for t in unit_policy unit_config unit_hostile unit_mask unit_plan unit_providers; do
	[ -x "$B/tests/$t" ] || continue
	memcheck "$t" CMOCKA_MESSAGE_OUTPUT=STDOUT srcdir="$abs_top_srcdir" $VG "$B/tests/$t"
done
export LSAN_OPTIONS=
for t in conninfo config; do
	memcheck "fuzz corpus '$t'" $VG "$B/tests/fuzz_${t}_replay" "$abs_top_srcdir/tests/fuzz/corpus/$t"/*
done

FIXTURE_PKI=make_pki_crl
fixture_start good mitm
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/pgverify.conf"
export PGVERIFY_CONFIG=$T/pgverify.conf PGCONNECT_TIMEOUT=10
GOOD=$(at "$P_GOOD")
MITM=$(at "$P_MITM")
PLAIN=$B/tests/client_plain
pre() { memcheck "$1" LD_PRELOAD="$SHIM" $VG "${@:2}"; }
pre "preloaded, PQconnectdb, verified" "$PLAIN" connectdb "$GOOD"
pre "preloaded, PQconnectdb, forged refused" "$PLAIN" connectdb "$MITM"
pre "preloaded, async start + poll" "$PLAIN" start "$GOOD"
pre "preloaded, PQconnectdbParams" "$PLAIN" params "dbname=$GOOD" sslmode=disable
pre "preloaded, PQsetdbLogin" "$PLAIN" setdb "$PGV_NAME" "$P_GOOD" postgres postgres
pre "preloaded, PQping" "$PLAIN" ping "$MITM"
pre "preloaded, 8 threads" "$PLAIN" threads 8 "$GOOD"
pre "preloaded, fork" "$PLAIN" fork "$GOOD"
pre "preloaded, refused before connecting (garbage bundle)" "$PLAIN" connectdb "$GOOD sslrootcert=/etc/hostname"
# The shared trust store (src/shim/store.c): a bundle replaced (the old store
# released), connections with a CRL (private stores), a bundle that fails
# to load (libpq's own call) and one fixed afterwards.
cp "$T/pki/root.pem" "$T/bundle.pem"
printf 'sslrootcert = "%s";\nexempt = [ "%s", "127.0.0.1" ];\n' "$T/bundle.pem" "$PGV_NAME" >"$T/store.conf"
: >"$T/empty.pem"
memcheck "preloaded, shared store: replaced bundle, CRLs, a failed load" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/store.conf" \
	$VG "$PLAIN" sequence "$GOOD sslmode=verify-full sslrootcert=$T/bundle.pem" \
	"$GOOD sslmode=verify-full sslrootcert=$T/bundle.pem sslcrl=$T/pki/crl-revoked.pem" \
	"!cp $T/pki/regions.pem $T/bundle.new && mv $T/bundle.new $T/bundle.pem" \
	"$GOOD sslmode=verify-full sslrootcert=$T/bundle.pem sslcrldir=$T/pki/crldir-revoked" \
	"$GOOD sslmode=verify-full sslrootcert=$T/bundle.pem" \
	"$GOOD sslmode=verify-full sslrootcert=$T/empty.pem" "!cat $T/pki/root.pem >$T/empty.pem" \
	"$GOOD sslmode=verify-full sslrootcert=$T/empty.pem"
memcheck "preloaded, bad configuration" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG=/nonexistent.conf $VG "$PLAIN" connectdb "$GOOD"
# Vendored copies (tests/suites/vendored.sh): the system's libpq renamed, reached
# by an extension (RTLD_LOCAL, RTLD_DEEPBIND) and by dlsym() on it.
if command -v patchelf >/dev/null && command -v cc >/dev/null; then
	V=$T/vendored
	mkdir -p "$V"
	cp "$(libpq_path)" "$V/libpq-vg.so.5" && patchelf --set-soname libpq-vg.so.5 "$V/libpq-vg.so.5"
	INC=$(pkg-config --cflags libpq)
	cc -shared -fPIC -o "$V/plugin.so" "$abs_top_srcdir/tests/clients/plugin.c" $INC "$V/libpq-vg.so.5" -Wl,-rpath,"$V" -ldl
	cc -o "$V/vendored" "$abs_top_srcdir/tests/clients/vendored.c" $INC -ldl
	pre "preloaded, vendored copy, extension RTLD_LOCAL: verified, cancelled" "$V/vendored" plugin local "$V/plugin.so" "$GOOD"
	pre "preloaded, vendored copy, extension RTLD_DEEPBIND: forged refused" "$V/vendored" plugin deepbind "$V/plugin.so" "$MITM"
	pre "preloaded, vendored copy, dlsym on it (RTLD_DEEPBIND): verified" "$V/vendored" dlsym deepbind "$V/libpq-vg.so.5" "$GOOD"
	pre "preloaded, two copies in one process" "$V/vendored" two "$V/plugin.so" "$V/plugin.so" "$GOOD"
else
	skip "vendored copies under memcheck" "needs patchelf and cc"
fi
memcheck "linked, verified" $lib_env $VG "$(bin client_linked)" connectdb "$GOOD"
memcheck "linked, forged refused" $lib_env $VG "$(bin client_linked)" connectdb "$MITM"
# Report mode with an audit file: the chain check, the records, the table
# of asynchronous starts, and pgverify report over what they wrote.
printf 'mode = "report";\nsslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/audit.log" >"$T/report.conf"
rep() { memcheck "$1" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/report.conf" $VG "${@:2}"; }
rep "report mode + audit, verified" "$PLAIN" connectdb "$GOOD"
rep "report mode + audit, forged (goes ahead)" "$PLAIN" connectdb "$MITM sslmode=prefer"
rep "report mode + audit, async start + poll" "$PLAIN" start "$GOOD"
rep "report mode + audit, PQping" "$PLAIN" ping "$GOOD"
rep "report mode + audit, 8 threads" "$PLAIN" threads 8 "$GOOD"
rep "report mode + audit, fork" "$PLAIN" fork "$GOOD"
cli=$B/src/.libs/pgverify
memcheck "pgverify report" $lib_env $VG "$cli" report "$T/audit.log"
memcheck "pgverify report --json" $lib_env $VG "$cli" report --json "$T/audit.log"
printf 'sslrootcert = "%s";\n' "$T/pki/regions.pem" >"$T/rotation.conf"
memcheck "pgverify rotation --aws --json" $lib_env $VG "$cli" rotation -c "$T/rotation.conf" --json \
	--aws "$abs_top_srcdir/tests/fixtures/describe-db-instances.json"
cp "$T/pki/root.pem" "$T/dest.pem"
memcheck "pgverify bundle --update --from FILE" $lib_env $VG "$cli" bundle --update --from "$T/pki/regions.pem" "$T/dest.pem"
memcheck "pgverify bundle --update from plain http" $lib_env $VG "$cli" bundle --update --from "http://127.0.0.1:1/x.pem" "$T/dest.pem"
memcheck "pgverify check" $lib_env $VG "$cli" check
memcheck "pgverify explain --json" $lib_env $VG "$cli" explain --json "$GOOD sslmode=disable password=x"
memcheck "pgverify probe (forged)" $lib_env $VG "$cli" probe "$MITM"
memcheck "pgverify bundle" $lib_env $VG "$cli" bundle "$T/pki/root.pem" "$T/pki/expired.pem"
tap_done
