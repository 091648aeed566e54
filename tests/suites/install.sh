#!/bin/bash
# `make install` as users run it, into the configured prefix (/usr/local),
# inside a throwaway mount namespace: a tmpfs over /usr/local and a copy of
# /etc (for ld.so.cache and ld.so.preload) hide the machine's, which are
# never written.  Then every documented preload form, literally, against a
# good server and a forged one (same name, another CA): LD_PRELOAD with the
# bare soname, pgverify exec, the drop-in pgverify enable writes, and the
# soname in /etc/ld.so.preload; and the installed configuration as shipped:
# check passes, the RDS rule uses the installed region file.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
[ -z "$PGVERIFY_TEST_PRELOAD" ] || skip_all "make install is tested in the normal build"
[ "$(id -u)" = 0 ] || skip_all "a mount namespace needs root"
unshare -m --propagation private true 2>/dev/null || skip_all "unshare -m is not permitted here"
prefix=$(sed -n 's/^prefix = //p' "$abs_top_builddir/Makefile")
[ "$prefix" = /usr/local ] || skip_all "the build's prefix is $prefix; the loader searches /usr/local/lib"
fixture_clean_env
fixture_start good mitm
mkdir "$T/etc" "$T/out"
cp -a /etc/. "$T/etc/"
rm -f "$T/etc/ld.so.preload"
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/test.conf"
export T PG_BINDIR abs_top_builddir GOOD="$(at "$P_GOOD")" MITM="$(at "$P_MITM")"

# Inside the namespace: install, then each form's psql to both servers,
# each output in $T/out/NAME.good and NAME.mitm.
unshare -m --propagation private bash -c '
	set -u
	mount -t tmpfs none /usr/local && mount --bind "$T/etc" /etc || exit 1
	make -C "$abs_top_builddir" install >"$T/out/install" 2>&1
	echo "exit=$?" >>"$T/out/install"
	Q="SELECT '\''ssl='\'' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	form() {
		local name=$1
		shift
		PGVERIFY_CONFIG=$T/test.conf timeout 60 "$@" psql -XAtq -c "$Q" "$GOOD" >"$T/out/$name.good" 2>&1
		PGVERIFY_CONFIG=$T/test.conf timeout 60 "$@" psql -XAtq -c "$Q" "$MITM" >"$T/out/$name.mitm" 2>&1
	}
	form soname env LD_PRELOAD=libpgverify.so.0
	form exec pgverify exec
	pgverify enable --dry-run myapp >"$T/out/dropin" 2>&1
	form dropin env "$(sed -n "s/^Environment=//p" "$T/out/dropin")"
	echo libpgverify.so.0 >/etc/ld.so.preload
	form preload env
	rm /etc/ld.so.preload
	pgverify check >"$T/out/check" 2>&1
	echo "exit=$?" >>"$T/out/check"
	PGVERIFY_LOG=info LD_PRELOAD=libpgverify.so.0 psql -XAtq -c "SELECT 1" \
		"host=db1.abc123.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=1 connect_timeout=2" >"$T/out/shipped" 2>&1
	make -C "$abs_top_builddir" uninstall >"$T/out/uninstall" 2>&1
	echo "exit=$?" >>"$T/out/uninstall"
	find /usr/local -type f >>"$T/out/uninstall"
'
check "make install into /usr/local: exit 0" "$(tail -n 1 "$T/out/install")" "^exit=0$"
for form in soname exec dropin preload; do
	name=$(case $form in
		soname) echo "LD_PRELOAD=libpgverify.so.0" ;;
		exec) echo "pgverify exec" ;;
		dropin) echo "pgverify enable's drop-in" ;;
		preload) echo "libpgverify.so.0 in /etc/ld.so.preload" ;;
		esac)
	check "after make install, $name: the good server, verified" "$(cat "$T/out/$form.good")" "^ssl=true$"
	check "after make install, $name: the forged server, refused" "$(cat "$T/out/$form.mitm")" "certificate verify failed"
done
check "the drop-in names the soname" "$(cat "$T/out/dropin")" "^Environment=LD_PRELOAD=libpgverify.so.0$"
check "control: without pgverify the same psql accepts the forged server" \
	"$(psql_run "$(at "$P_MITM")" "SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" "^ssl=true$"
check "the installed configuration passes pgverify check, the engine loads, region files included" \
	"$(cat "$T/out/check")" "^config /usr/local/etc/pgverify.conf(.|
)*bundle /usr/local/etc/pgverify/rds/us-east-1.pem \(rule [0-9]+, rule [0-9]+\)
  ok: [0-9]+ certificates(.|
)*engine /usr/local/lib/pgverify/pgverify-engine.so: ok(.|
)*^ok
exit=0$"
check "the shipped RDS rule verifies with the installed region file" "$(cat "$T/out/shipped")" \
	"sslmode prefer -> verify-full, sslrootcert /usr/local/etc/pgverify/rds/us-east-1.pem \(rule \*.rds.amazonaws.com\)"
check "make uninstall leaves no file behind" "$(cat "$T/out/uninstall")" "exit=0$"
tap_done
