#!/bin/sh
# Install what building and testing pgverify needs on Debian or Ubuntu.
# Installs nothing that is already there; needs root (or sudo) otherwise.
set -e
PKGS="build-essential autoconf automake libtool pkg-config binutils util-linux iproute2 strace \
openssl groff-base python3 python3-psycopg2 python3-psycopg php-cli php-pgsql libnss-pgsql2 odbc-postgresql unixodbc valgrind libpq-dev libssl-dev libconfig-dev libjansson-dev zlib1g-dev libcurl4-openssl-dev libcmocka-dev postgresql postgresql-client patchelf"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing:$missing"
$SUDO apt-get update -qq
# The tests start their own servers; Debian's default cluster is not needed.
$SUDO mkdir -p /etc/postgresql-common
[ -f /etc/postgresql-common/createcluster.conf ] ||
	echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
# --force-confold keeps that file without asking (it is a conffile).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >/dev/null
