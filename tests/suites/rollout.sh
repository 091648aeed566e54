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
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "the rollout test runs in the normal build"
[ "$(id -u)" = 0 ] || skip_all "a mount namespace needs root"
unshare -m --propagation private true 2>/dev/null || skip_all "unshare -m is not permitted here"
[ -d "$sysconfdir" ] || skip_all "$sysconfdir does not exist"
fixture_clients
FIXTURE_SERVER_OPTS="-c log_connections=on"
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
# --- lock = true: nothing in a process weakens the administrator's policy ----
# psql as an unprivileged user (nobody) under the host-wide preload, with
# each way that user has to weaken the policy: their own PGVERIFY_CONFIG
# (everything exempt, report mode), PGSSLROOTCERT naming the forged
# server's CA, a service file naming it, SSL_CERT_FILE under a "system"
# bundle.  Locked, each is refused; unlocked, each reaches the forged
# server, which shows the check can fail.
printf 'exempt = [ "*" ];\nmode = "report";\n' >"$T/attacker.conf"
printf '[evil]\nhost=%s\nhostaddr=127.0.0.1\nport=%s\nuser=postgres\ndbname=postgres\nsslrootcert=%s\n' \
	"$PGV_NAME" "$P_MITM" "$T/pki/rogue.pem" >"$T/evil.service"
for lock in true false; do
	printf 'sslrootcert = "%s";\nlock = %s;\n' "$T/pki/root.pem" "$lock" >"$T/bundle-$lock.conf"
	printf 'sslrootcert = "system";\nlock = %s;\n' "$lock" >"$T/system-$lock.conf"
done
# as_nobody CONF VAR=VALUE... -- COMMAND...: in the namespace (ld.so.preload
# naming the shim, CONF as the system configuration), as nobody, with an
# empty environment but VAR=VALUE....
as_nobody() {
	cp "$1" "$T/sysconf/pgverify.conf"
	shift
	echo "$SHIM" >"$T/etc/ld.so.preload"
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc && mount --bind "$2" "$3" && shift 3 &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=/usr/bin:/bin "$@"' \
		sh "$T/etc" "$T/sysconf" "$sysconfdir" "$@" 2>&1
}
# attack CONF VAR=VALUE...: psql as nobody to the forged server, and the
# startups it reached.
attack() {
	local conf=$1 before out
	shift
	before=$(startups mitm)
	out=$(as_nobody "$conf" "$@" timeout 60 "$PG_BINDIR/psql" -XAtq -c "$SQL" "${CONN-$(at "$P_MITM")}")
	printf '%s\nstartups +%d\n' "$out" $(($(startups mitm) - before))
}
refused="(certificate verify failed|pgverify refused)(.|
)*^startups \+0$"
accepted="^ssl=true
startups \+1$"
check "locked: PGVERIFY_CONFIG naming the user's own file is ignored, the forged server refused" \
	"$(attack "$T/bundle-true.conf" PGVERIFY_CONFIG="$T/attacker.conf")" "PGVERIFY_CONFIG=.*is ignored(.|
)*$refused"
check "unlocked: the user's own PGVERIFY_CONFIG reaches the forged server" \
	"$(attack "$T/bundle-false.conf" PGVERIFY_CONFIG="$T/attacker.conf")" "$accepted"
check "locked: PGSSLROOTCERT naming the forged server's CA is not used" \
	"$(attack "$T/bundle-true.conf" PGSSLROOTCERT="$T/pki/rogue.pem")" "$refused"
check "unlocked: PGSSLROOTCERT naming the forged server's CA reaches it" \
	"$(attack "$T/bundle-false.conf" PGSSLROOTCERT="$T/pki/rogue.pem")" "$accepted"
check "locked: a service file chosen by PGSERVICEFILE/PGSERVICE naming the forged server's CA is not used" \
	"$(CONN="" attack "$T/bundle-true.conf" PGSERVICEFILE="$T/evil.service" PGSERVICE=evil)" "$refused"
check "unlocked: that service file reaches the forged server" \
	"$(CONN="" attack "$T/bundle-false.conf" PGSERVICEFILE="$T/evil.service" PGSERVICE=evil)" "$accepted"
check "locked: SSL_CERT_FILE under sslrootcert = \"system\" is not used" \
	"$(attack "$T/system-true.conf" SSL_CERT_FILE="$T/pki/rogue.pem")" "$refused"
check "unlocked: SSL_CERT_FILE under sslrootcert = \"system\" reaches the forged server" \
	"$(attack "$T/system-false.conf" SSL_CERT_FILE="$T/pki/rogue.pem")" "$accepted"
check "locked: the good server is verified" \
	"$(as_nobody "$T/bundle-true.conf" "$PG_BINDIR/psql" -XAtq -c "$SQL" "$(at "$P_GOOD")")" "^ssl=true$"
PGV=$abs_top_builddir/src/pgverify
check "check under ld.so.preload, unlocked: recommends lock = true" \
	"$(as_nobody "$T/bundle-false.conf" "$PGV" check)" "recommended: lock = true"
check_not "check under ld.so.preload, locked: no recommendation" \
	"$(as_nobody "$T/bundle-true.conf" "$PGV" check)" "recommended"
# --- what every user of a preloaded host needs -----------------------------------
# in_root CONF COMMAND...: as_nobody's namespace, as root.
in_root() {
	cp "$1" "$T/sysconf/pgverify.conf"
	shift
	echo "$SHIM" >"$T/etc/ld.so.preload"
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc && mount --bind "$2" "$3" && shift 3 && exec env -i PATH=/usr/bin:/bin "$@"' \
		sh "$T/etc" "$T/sysconf" "$sysconfdir" "$@" 2>&1
}
mkdir -m 0755 "$T/private"
install -m 0600 "$T/pki/root.pem" "$T/private/root.pem"
printf 'sslrootcert = "%s";\nlock = true;\n' "$T/private/root.pem" >"$T/private.conf"
check "a bundle only root can read: nobody's connection is refused" \
	"$(as_nobody "$T/private.conf" "$PG_BINDIR/psql" -XAtq -c "$SQL" "$(at "$P_GOOD")")" "pgverify refused.*$T/private/root.pem"
check "a bundle only root can read: check, as root, says so with the fix, exit 1" \
	"$(in_root "$T/private.conf" "$PGV" check; echo "exit=$?")" \
	"^bundle $T/private/root.pem: NOT READABLE by every user, though /etc/ld.so.preload preloads pgverify into every program: their connections would be refused; chmod o\+r $T/private/root.pem
(.|
)*exit=1$"
chmod 0644 "$T/private/root.pem"
chmod 0700 "$T/private"
check "a directory others cannot search: check names it" \
	"$(in_root "$T/private.conf" "$PGV" check)" "NOT READABLE by every user.*chmod o\+x $T/private$"
chmod 0755 "$T/private"
check_not "readable by all: no complaint" "$(in_root "$T/private.conf" "$PGV" check)" "NOT READABLE"
install -m 0600 /dev/null "$T/audit.jsonl"
printf 'sslrootcert = "%s";\nlock = true;\naudit = "%s";\n' "$T/pki/root.pem" "$T/audit.jsonl" >"$T/audit-file.conf"
check "an audit file under host-wide preloading: check says other users' records are lost, use syslog" \
	"$(in_root "$T/audit-file.conf" "$PGV" check; echo "exit=$?")" \
	"^audit $T/audit.jsonl: RECORDS WOULD BE LOST: /etc/ld.so.preload preloads pgverify into every program(.|
)*audit = \"syslog\"(.|
)*exit=1$"
check "the machine's /etc/ld.so.preload is still untouched" \
	"$(sha256sum /etc/ld.so.preload 2>/dev/null || echo absent)" "^\Q$real_before\E$"
tap_done
