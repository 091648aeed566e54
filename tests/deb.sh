#!/bin/bash
# Build the Debian package from HEAD (dpkg-buildpackage -us -uc -b), install
# it on this machine, check what it installed, and purge it again.  Run by
# .ci/run as root after the test suites; prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# The fixture (servers on loopback for the preload forms) brings tap.sh.
abs_top_srcdir=$top abs_top_builddir=$top/_build
. "$top/tests/lib/fixture.sh"
[ "$(id -u)" = 0 ] || skip_all "installing a package needs root"
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "ok installed" ||
	apt-get install -y -qq debhelper >/dev/null
work=$(mktemp -d /tmp/pgverify-deb.XXXXXX)
trap 'dpkg -P pgverify >/dev/null 2>&1; rm -rf "$work"' EXIT
git -C "$top" archive --prefix=pgverify/ HEAD | tar -x -C "$work"
if (cd "$work/pgverify" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds pgverify"
else
	not_ok "dpkg-buildpackage -us -uc -b builds pgverify" "$(tail -n 30 "$work/build.log")"
	tap_done
	exit 1
fi
deb=$(ls "$work"/pgverify_*_*.deb)
check "the package installs" "$(dpkg -i "$deb" 2>&1; echo "exit=$?")" "exit=0$"
check "/etc/pgverify.conf is a conffile" "$(dpkg-query -W -f='${Conffiles}' pgverify)" "^ /etc/pgverify.conf [0-9a-f]{32}"
check "/etc/pgverify/ exists for the bundles" "$(stat -c %F /etc/pgverify 2>&1)" "^directory$"
lib=$(dpkg -L pgverify | grep '/libpgverify\.so\.0$')
check "the library, the command and the man pages are installed" \
	"$(ls "$lib" /usr/bin/pgverify /usr/share/man/man1/pgverify.1.gz /usr/share/man/man5/pgverify.conf.5.gz /usr/share/man/man3/libpgverify.3.gz 2>&1)" \
	"libpgverify\.so\.0(.|
)*pgverify\.1\.gz(.|
)*pgverify\.conf\.5\.gz"
check "pgverify exec preloads the installed library" \
	"$(env -u LD_PRELOAD /usr/bin/pgverify exec sh -c 'echo "$LD_PRELOAD"' 2>&1)" "^${lib}$"
# The snapshot bundle is installed, not as a conffile, so that a fresh
# install verifies RDS endpoints with no download.
check "the per-region files the shipped rules use are split from it" \
	"$(ls /etc/pgverify/rds | wc -l; /usr/bin/pgverify bundle /etc/pgverify/rds/us-east-1.pem | head -n 1)" \
	"^3[0-9]
/etc/pgverify/rds/us-east-1.pem: [0-9]+ certificates, 0 expired"
check "the RDS bundle snapshot is installed as the bundle in use" \
	"$(cmp /usr/share/pgverify/rds-global-bundle.pem /etc/pgverify/rds-global-bundle.pem && echo same)" "^same$"
check "the bundle is not a conffile (pgverify bundle --update replaces it)" \
	"$(dpkg-query -W -f='${Conffiles}' pgverify | grep -c rds-global-bundle)" "^0$"
check "pgverify check reports the package snapshot" "$(env -u PGVERIFY_CONFIG /usr/bin/pgverify check 2>&1)" \
	"bundle /etc/pgverify/rds-global-bundle.pem .*
  ok: 108 certificates, 0 expired, 0 expire within 30 days
  age: modified [0-9-]+ \([0-9]+ days? ago\); the package snapshot of 2026-12"
# The providers' pinned roots: installed the same way, not as conffiles;
# the distrusted DigiCert Global Root CA only in /usr/share.
check "the pinned provider roots are installed in /etc/pgverify/providers" \
	"$(for f in amazon-root-ca.pem azure.pem isrg.pem; do cmp "/usr/share/pgverify/providers/$f" "/etc/pgverify/providers/$f" && echo same; done)" \
	"\Asame
same
same\n\z"
check "they are not conffiles, and the distrusted DigiCert root is in /usr/share only" \
	"$(dpkg-query -W -f='${Conffiles}' pgverify | grep -c providers; ls /usr/share/pgverify/providers/digicert-global-root-ca.pem /etc/pgverify/providers/digicert-global-root-ca.pem 2>&1)" \
	"^0
ls: cannot access '/etc/pgverify/providers/digicert-global-root-ca.pem': No such file(.|
)*^/usr/share/pgverify/providers/digicert-global-root-ca.pem$"
check "pgverify check: the per-tenant CAs not installed yet are said, with where to get them" \
	"$(env -u PGVERIFY_CONFIG /usr/bin/pgverify check 2>&1)" \
	"^bundle /etc/pgverify/providers/cloudsql.pem \(rule 7\)
  not installed: connections to Google Cloud SQL are refused until it is; .*pgverify bundle --install /etc/pgverify/providers/cloudsql.pem server-ca.pem$"
check "explain of an Azure endpoint under the installed configuration: its provider and the pinned roots file" \
	"$(env -u PGVERIFY_CONFIG /usr/bin/pgverify explain "host=myserver.postgres.database.azure.com" 2>&1)" \
	"^provider:     Azure Database for PostgreSQL \(pinned roots: (.|
)*^sslrootcert:  /etc/pgverify/providers/azure.pem \(hosts rule \"\*\.postgres\.database\.azure\.com\"\)$"
check "the installed library raises a connection to the installed bundle" \
	"$(env -u PGVERIFY_CONFIG PGVERIFY_LOG=info LD_PRELOAD="$lib" psql -XAtq -c "SELECT 1" \
		"host=db1.abc123.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=1 connect_timeout=2" 2>&1)" \
	"pgverify: db1.abc123.us-east-1.rds.amazonaws.com \(hostaddr 127.0.0.1\): sslmode prefer -> verify-full, sslrootcert /etc/pgverify/rds/us-east-1.pem \(rule \*.rds.amazonaws.com\)"
# Every documented preload form, literally: the README's LD_PRELOAD line
# (the bare soname) and the drop-in pgverify enable writes.
check "the README's LD_PRELOAD=libpgverify.so.0 preloads the installed library" \
	"$(env -u PGVERIFY_CONFIG PGVERIFY_LOG=info LD_PRELOAD=libpgverify.so.0 psql -XAtq -c "SELECT 1" \
		"host=db1.abc123.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=1 connect_timeout=2" 2>&1)" \
	"pgverify: db1.abc123.us-east-1.rds.amazonaws.com \(hostaddr 127.0.0.1\): sslmode prefer -> verify-full"
dropin=$(/usr/bin/pgverify enable --dry-run myapp | sed -n 's/^Environment=//p')
check "the drop-in of pgverify enable preloads the installed library" \
	"$(env -u PGVERIFY_CONFIG PGVERIFY_LOG=info "$dropin" psql -XAtq -c "SELECT 1" \
		"host=db1.abc123.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=1 connect_timeout=2" 2>&1)" \
	"pgverify: db1.abc123.us-east-1.rds.amazonaws.com \(hostaddr 127.0.0.1\): sslmode prefer -> verify-full"
check "the engine is installed beside the library" "$(/usr/bin/pgverify check 2>&1)" \
	"engine /usr/lib/[a-z0-9_-]+/pgverify/pgverify-engine.so: ok"
check "the update timer is shipped, not enabled" \
	"$(ls /lib/systemd/system/pgverify-update.timer /lib/systemd/system/pgverify-update.service 2>&1; ls /etc/systemd/system/timers.target.wants/pgverify-update.timer 2>&1)" \
	"^/lib/systemd/system/pgverify-update.service
/lib/systemd/system/pgverify-update.timer
ls: cannot access '/etc/systemd/system/timers.target.wants/pgverify-update.timer': No such file"
# Every documented preload form, literally, against a good server and a
# forged one (same name, another CA): LD_PRELOAD with the bare soname,
# pgverify exec, the drop-in of pgverify enable, and the soname as a line of
# /etc/ld.so.preload (in a mount namespace: the machine's /etc is never
# written).  Without pgverify the same psql accepts the forged server.
if [ -x "$PG_BINDIR/initdb" ] && unshare -m --propagation private true 2>/dev/null; then
	fixture_clean_env
	fixture_start good mitm
	trap 'servers_stop; rm -rf "$T"; dpkg -P pgverify >/dev/null 2>&1; rm -rf "$work"' EXIT
	printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/deb.conf"
	Q="SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	export PGVERIFY_CONFIG=$T/deb.conf PGCONNECT_TIMEOUT=10
	form() { # form NAME COMMAND...: COMMAND's psql to the good server, then the forged one
		local name=$1
		shift
		check "$name: the good server, verified" "$("$@" psql -XAtq -c "$Q" "$(at "$P_GOOD")" 2>&1)" "^ssl=true$"
		check "$name: the forged server, refused" "$("$@" psql -XAtq -c "$Q" "$(at "$P_MITM")" 2>&1)" "certificate verify failed"
	}
	check "control: without pgverify psql accepts the forged server" \
		"$(psql -XAtq -c "$Q" "$(at "$P_MITM")" 2>&1)" "^ssl=true$"
	form "LD_PRELOAD=libpgverify.so.0" env LD_PRELOAD=libpgverify.so.0
	form "pgverify exec" /usr/bin/pgverify exec
	form "pgverify enable's drop-in" env "$(/usr/bin/pgverify enable --dry-run myapp | sed -n 's/^Environment=//p')"
	mkdir "$T/etc" && cp -a /etc/. "$T/etc/" && echo libpgverify.so.0 >"$T/etc/ld.so.preload"
	in_preloaded() { unshare -m --propagation private sh -c 'mount --bind "$1" /etc && shift && exec "$@"' sh "$T/etc" "$@"; }
	form "/etc/ld.so.preload naming libpgverify.so.0" in_preloaded env
	check "pgverify status in that namespace: host-wide" "$(in_preloaded /usr/bin/pgverify status 2>&1)" \
		"host-wide \(/etc/ld.so.preload\): libpgverify.so.0"
	unset PGVERIFY_CONFIG
else
	for n in 1 2 3 4 5 6 7 8 9 10; do skip "documented preload forms against real servers ($n)" "no PostgreSQL server binaries or no unshare -m"; done
fi
# The documented audit setup for one service: its directory, a record per
# connection, the package's logrotate entry moving the file away, the next
# record in a new file, and pgverify report reading both (one gzip'd).
command -v logrotate >/dev/null || apt-get install -y -qq logrotate >/dev/null
check "the logrotate entry is installed and parses" \
	"$(logrotate -d /etc/logrotate.d/pgverify 2>&1; echo "exit=$?")" "rotating pattern: /var/log/pgverify/\*\.jsonl(.|
)*exit=0$"
install -d -o nobody -m 0750 /var/log/pgverify
printf 'mode = "report";\nsslrootcert = "/etc/pgverify/rds-global-bundle.pem";\naudit = "/var/log/pgverify/audit.jsonl";\n' >"$work/audit.conf"
chmod 755 "$work"
as_nobody_psql() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups env -u LD_PRELOAD HOME=/ PGVERIFY_CONFIG="$work/audit.conf" \
		LD_PRELOAD=libpgverify.so.0 psql -XAtq -c "SELECT 1" "host=db1.abc123.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=1 connect_timeout=2" >/dev/null 2>&1
}
as_nobody_psql
check "audit: a record from the service, in a file it created mode 0600" \
	"$(stat -c '%U %a' /var/log/pgverify/audit.jsonl 2>&1; grep -c '"user":"nobody"' /var/log/pgverify/audit.jsonl)" "^nobody 600
1$"
for n in 1 2; do
	logrotate -f -s "$work/logrotate.state" /etc/logrotate.d/pgverify >/dev/null 2>&1
	as_nobody_psql
done
check "audit: rotated twice, each next record in a new file; report reads all, gzip'd too" \
	"$(ls /var/log/pgverify; /usr/bin/pgverify report /var/log/pgverify/audit.jsonl* | tail -n 1)" \
	"^audit.jsonl
audit.jsonl.1
audit.jsonl.2.gz
3 records, 3 would break under enforcement, 0 failed under enforcement"
rm -rf /var/log/pgverify
# A changed pinned root file survives reinstalling the package too, and a
# per-tenant CA an administrator installed survives a purge.
cat /usr/share/pgverify/providers/digicert-global-root-ca.pem >>/etc/pgverify/providers/azure.pem
/usr/bin/pgverify bundle --install /etc/pgverify/providers/cloudsql.pem /usr/share/pgverify/providers/isrg.pem >/dev/null 2>&1
# An updated bundle (here: one CA fewer) survives reinstalling the package.
sed '/-----END CERTIFICATE-----/q' /usr/share/pgverify/rds-global-bundle.pem >"$work/one.pem"
/usr/bin/pgverify bundle --force --install /etc/pgverify/rds-global-bundle.pem "$work/one.pem" >/dev/null 2>&1
before=$(sha256sum </etc/pgverify/rds-global-bundle.pem)
check "the package installs again over an updated bundle" "$(dpkg -i "$deb" 2>&1; echo "exit=$?")" "exit=0$"
check "an updated bundle is not overwritten by the package" "$(sha256sum </etc/pgverify/rds-global-bundle.pem)" "^${before%% *}"
check "pgverify check no longer calls it the snapshot" "$(env -u PGVERIFY_CONFIG /usr/bin/pgverify check 2>&1 | grep -c 'package snapshot')" "^0$"
check "a changed pinned root file is not overwritten by the package" \
	"$(grep -c 'BEGIN CERTIFICATE' /etc/pgverify/providers/azure.pem)" "^3$"
dpkg -P pgverify >/dev/null 2>&1
check "purge removes the bundle the package managed, and its region files" "$(ls /etc/pgverify/rds-global-bundle.pem /etc/pgverify/rds /var/lib/pgverify 2>&1 | grep -c 'No such file')" "^3$"
check "purge removes the pinned roots, keeps the administrator's per-tenant CA" \
	"$(ls /etc/pgverify/providers 2>&1)" "\Acloudsql.pem\n\z"
rm -f /etc/pgverify/providers/cloudsql.pem
rmdir /etc/pgverify/providers /etc/pgverify 2>/dev/null
tap_done
