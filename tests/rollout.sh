#!/bin/bash
# Whole-host rollout through /etc/ld.so.preload, in a throwaway mount
# namespace: a copy of /etc with ld.so.preload naming the build's library is
# mounted over /etc, and the configuration over $(sysconfdir), inside the
# namespace only.  psql started there with no environment change at all
# (env -i) must be verified and refuse the forged server; without the
# preload file, the same psql accepts it.  The machine's real /etc is never
# written.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the rollout test runs in the normal build"
[ "$(id -u)" = 0 ] || skip_all "a mount namespace needs root"
unshare -m --propagation private true 2>/dev/null || skip_all "unshare -m is not permitted here"
[ -d "$sysconfdir" ] || skip_all "$sysconfdir does not exist"
fixture_clients
fixture_start good mitm

real_before=$(sha256sum /etc/ld.so.preload 2>/dev/null || echo absent)
mkdir "$T/etc" "$T/sysconf"
cp -a /etc/. "$T/etc/"
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/sysconf/pgverify.conf"
SQL="SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

# in_namespace PRELOAD CONNINFO: psql in a namespace whose /etc/ld.so.preload
# holds PRELOAD (nothing if empty), with an empty environment.
in_namespace() {
	if [ -n "$1" ]; then echo "$1" >"$T/etc/ld.so.preload"; else rm -f "$T/etc/ld.so.preload"; fi
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc && mount --bind "$2" "$3" &&
		exec env -i PATH=/usr/bin:/bin "$4" -XAtq -c "$5" "$6"' \
		sh "$T/etc" "$T/sysconf" "$sysconfdir" "$PG_BINDIR/psql" "$SQL" "$2" 2>&1
}
check "ld.so.preload, empty environment: psql is verified" \
	"$(in_namespace "$SHIM" "$(at "$P_GOOD")")" "^ssl=true$"
check "ld.so.preload, empty environment: the forged server is refused" \
	"$(in_namespace "$SHIM" "$(at "$P_MITM")")" "certificate verify failed"
check "without ld.so.preload the same psql accepts the forged server" \
	"$(in_namespace "" "$(at "$P_MITM")")" "^ssl=true$"
check "the machine's /etc/ld.so.preload is untouched" \
	"$(sha256sum /etc/ld.so.preload 2>/dev/null || echo absent)" "^\Q$real_before\E$"
tap_done
