#!/bin/bash
# One trust store per bundle per process, used by libpq's own handshake
# (src/shim/store.c), on the system's libpq and every build tests/libpq-builds.sh
# provides (each with its own OpenSSL: npm's carry 1.1):
#   - many connections through pgverify with one bundle open the bundle as
#     often as one connection does (strace counts the opens; libpq alone
#     opens it once per connection), threads included;
#   - a bundle renamed over, or rewritten in place, is used by the next
#     connection: one that no longer trusts the server is refused;
#   - a connection with sslcrl (or sslcrldir, or ~/.postgresql/root.crl)
#     revoking the server's certificate is refused, a clean CRL is not,
#     and connections after it with the same bundle still connect (the
#     shared store was not changed);
#   - a bundle that is missing, empty or not PEM gives libpq's own message,
#     word for word, and a bundle that failed is loaded again once fixed.
# PGVERIFY_MATRIX="NAME..." limits the builds.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the libpq builds run in the normal build"
command -v strace >/dev/null || skip_all "no strace (tests/deps.sh installs it)"
fixture_clients
FIXTURE_PKI=make_pki_crl
fixture_start good
GOOD=$(at "$P_GOOD")
B=$T/bundle.pem
K=$T/pki
printf 'sslrootcert = "%s";\n' "$B" >"$T/good.conf"
# pgverify leaves the name and address alone: the program's own options
# reach libpq as they are.
printf 'sslrootcert = "%s";\nexempt = [ "%s", "127.0.0.1" ];\n' "$B" "$PGV_NAME" >"$T/exempt.conf"
export PGVERIFY_CONFIG=$T/good.conf
mkdir -p "$T/home" "$T/crlhome/.postgresql"
cp "$K/crl-revoked.pem" "$T/crlhome/.postgresql/root.crl"
export HOME=$T/home

builds=$(fixture_libpq_builds)
fixture_builds_missing

# opens CMD...: CMD's output, then "opens N": how many times its process
# (and threads) opened the bundle.
opens() {
	local out
	out=$(timeout 120 strace -f -qq -e trace=openat -o "$T/strace" "$@" 2>&1 </dev/null)
	printf '%s\nopens %d\n' "$out" "$(grep -c "\"$B\"" "$T/strace")"
}

# put SOURCE: the bundle becomes a copy of SOURCE, renamed over it.
put() { echo "!cp $1 $B.new && mv $B.new $B"; }
# rewrite SOURCE: the bundle's own inode gets SOURCE's contents.
rewrite() { echo "!cat $1 >$B"; }

SHIMMED=(env LD_PRELOAD="$SHIM")

# results CMD...: one word per connection CMD made, in order: ok (verified),
# refused (certificate verify failed), failed (anything else).
results() {
	"$@" 2>/dev/null | awk '/^OK ssl=1$/ { r = r " ok"; next }
		/^FAIL .*certificate verify failed/ { r = r " refused"; next }
		/^FAIL/ { r = r " failed" } END { print substr(r, 2) }'
}

# same NAME GOT WANT: GOT is exactly WANT.
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected:" "$3" "got:" "$2"; fi
}

while read -r name dir env; do
	[ -n "$name" ] || continue
	export LD_LIBRARY_PATH=$env
	version=$(/usr/bin/python3 -c 'import ctypes; print(ctypes.CDLL("libpq.so.5").PQlibVersion())')
	cp "$K/regions.pem" "$B"

	# --- parsed once ---
	one=$(opens "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD")
	check "$name: one connection verified, with the bundle" "$one" "^OK ssl=1\nopens [1-9]"
	n1=$(sed -n 's/^opens //p' <<<"$one")
	out=$(opens "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD" "$GOOD" "$GOOD" "$GOOD" "$GOOD" "$GOOD")
	check "$name: six connections, one process: all verified, the bundle opened as often as for one ($n1)" \
		"$out" "\A(OK ssl=1\n){6}opens $n1\n\z"
	out=$(opens "${SHIMMED[@]}" "$PLAIN" threads 8 "$GOOD")
	check "$name: eight threads at once: all verified, the bundle opened as often as for one ($n1)" \
		"$out" "^OK 8/8 verified\nopens $n1$"
	out=$(opens "$PLAIN" sequence "$GOOD sslmode=verify-full sslrootcert=$B" "$GOOD sslmode=verify-full sslrootcert=$B" \
		"$GOOD sslmode=verify-full sslrootcert=$B")
	check "$name, no shim: libpq alone opens the bundle for every connection (what is counted)" \
		"$out" "\A(OK ssl=1\n){3}opens 3\n\z"

	# A second OpenSSL defining the same versioned names ahead of the
	# copy's own in the global scope: libpq binds to it, the copy's own
	# dependency says otherwise; pgverify cannot tell which libpq calls
	# without being the loader, so the copy loads its own bundles.
	ssl=$(ldd "$PLAIN" | awk '$1 ~ /^libssl\.so/ { print $3 }')
	crypto=$(ldd "$PLAIN" | awk '$1 ~ /^libcrypto\.so/ { print $3 }')
	mkdir -p "$T/dup-$name"
	cp "$ssl" "$T/dup-$name/libssl-dup.so" && cp "$crypto" "$T/dup-$name/libcrypto-dup.so" &&
		patchelf --set-soname libssl-dup.so "$T/dup-$name/libssl-dup.so" &&
		patchelf --set-soname libcrypto-dup.so "$T/dup-$name/libcrypto-dup.so" &&
		patchelf --replace-needed "$(basename "$crypto")" "$T/dup-$name/libcrypto-dup.so" "$T/dup-$name/libssl-dup.so"
	out=$(opens env LD_PRELOAD="$SHIM $T/dup-$name/libssl-dup.so" "$PLAIN" sequence "$GOOD" "$GOOD" "$GOOD")
	check "$name: another OpenSSL first in the global scope: left alone, verified, the bundle loaded by each connection" \
		"$out" "\A(OK ssl=1\n){3}opens $((n1 + 2))\n\z"

	# --- a changed bundle is used by the next connection ---
	check "$name: bundle renamed over, then rewritten in place: each next connection uses it" \
		"$(results "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD" "$(put "$K/rogue.pem")" "$GOOD" \
			"$(put "$K/regions.pem")" "$GOOD" "$(rewrite "$K/rogue.pem")" "$GOOD" \
			"$(rewrite "$K/regions.pem")" "$GOOD")" "^ok refused ok refused ok$"
	cp "$K/regions.pem" "$B"

	# --- a CRL applies to its own connection only ---
	check "$name: sslcrl revoking the server refused; the connections after it, and a clean CRL, verified" \
		"$(results "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD" "$GOOD sslcrl=$K/crl-revoked.pem" "$GOOD" \
			"$GOOD sslcrl=$K/crl-clean.pem" "$GOOD")" "^ok refused ok ok ok$"
	check "$name: sslcrl revoking the server on the bundle's first load refused; the next verified" \
		"$(results "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD sslcrl=$K/crl-revoked.pem" "$GOOD")" "^refused ok$"
	check "$name, no shim: the revoking CRL refuses, the clean one does not (the CRL is what refuses)" \
		"$(results "$PLAIN" sequence "$GOOD sslmode=verify-full sslrootcert=$B sslcrl=$K/crl-revoked.pem" \
			"$GOOD sslmode=verify-full sslrootcert=$B sslcrl=$K/crl-clean.pem")" "^refused ok$"
	if [ "$version" -ge 140000 ]; then
		check "$name: sslcrldir revoking the server refused; the next connection verified" \
			"$(results "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD" "$GOOD sslcrldir=$K/crldir-revoked" "$GOOD")" \
			"^ok refused ok$"
	fi
	if [ "$version" -ge 150000 ]; then
		# 15+ find the home directory through HOME.
		check "$name: ~/.postgresql/root.crl revoking the server refused, every time" \
			"$(HOME=$T/crlhome results "${SHIMMED[@]}" "$PLAIN" sequence "$GOOD" "$GOOD")" "^refused refused$"
	fi

	# --- what fails, fails as libpq fails ---
	: >"$T/empty.pem"
	echo "not a certificate" >"$T/junk.pem"
	for f in "$T/missing.pem" "$T/empty.pem" "$T/junk.pem"; do
		c="$GOOD sslmode=verify-full sslrootcert=$f"
		same "$name: bundle $(basename "$f") (an exempt host): libpq's own message, word for word" \
			"$(PGVERIFY_CONFIG=$T/exempt.conf "${SHIMMED[@]}" "$PLAIN" connectdb "$c" 2>&1)" \
			"$("$PLAIN" connectdb "$c" 2>&1)"
	done
	check "$name, no shim: an empty bundle is refused (what is compared)" \
		"$("$PLAIN" connectdb "$GOOD sslmode=verify-full sslrootcert=$T/empty.pem" 2>&1)" \
		"^FAIL 1 .*could not read root certificate file"
	check "$name: a bundle that failed to load is loaded again once it holds a certificate" \
		"$(PGVERIFY_CONFIG=$T/exempt.conf results "${SHIMMED[@]}" "$PLAIN" sequence \
			"$GOOD sslmode=verify-full sslrootcert=$T/empty.pem" "!cat $K/root.pem >$T/empty.pem" \
			"$GOOD sslmode=verify-full sslrootcert=$T/empty.pem")" "^failed ok$"
	printf 'sslrootcert = "%s";\n' "$T/missing.pem" >"$T/missing.conf"
	check "$name: the configured bundle missing: pgverify's refusal" \
		"$(PGVERIFY_CONFIG=$T/missing.conf "${SHIMMED[@]}" "$PLAIN" connectdb "$GOOD" 2>&1)" \
		"^FAIL 1 pgverify refused this connection: .*missing.pem"
done <<<"$builds"
unset LD_LIBRARY_PATH
tap_done
