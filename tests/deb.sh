#!/bin/bash
# Build the Debian package from HEAD (dpkg-buildpackage -us -uc -b), install
# it on this machine, check what it installed, and purge it again.  Run by
# .ci/run as root after the test suites; prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/tap.sh"
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
# With the shipped configuration and no bundle installed yet, a connection
# is refused before any network use, naming the missing bundle.
out=$(env -u PGVERIFY_CONFIG LD_PRELOAD="$lib" psql -XAtq -c "SELECT 1" \
	"host=db1.abc123.us-east-1.rds.amazonaws.com connect_timeout=2" 2>&1)
check "the installed library enforces the installed configuration" "$out" \
	"pgverify refused this connection: .*cannot read CA bundle /etc/pgverify/rds-global-bundle.pem"
tap_done
