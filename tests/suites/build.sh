#!/bin/bash
# What the built library promises about itself, read off the ELF file.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/tap.sh"
so=$abs_top_builddir/src/.libs/libpgverify.so
command -v readelf >/dev/null || skip_all "no readelf"

check_not "libpgverify.so carries no NEEDED libpq: each copy in the process is found and bound" \
	"$(readelf -d "$so")" "NEEDED.*\[libpq"
check "libpgverify.so needs the C library only (each libpq copy's OpenSSL is found at run time)" \
	"$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v -E '^lib(a|ub)san\.so' | sort | tr '\n' ' ')" \
	"^(ld-linux[^ ]*\.so\.[0-9]+ )?libc\.so\.6 $"
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "i" { print $3 }' | sort | tr '\n' ' ')
expected="PQconnectPoll PQconnectStart PQconnectStartParams PQconnectdb PQconnectdbParams PQping PQpingParams PQsetdbLogin dlmopen dlopen"
check "exports exactly the eight interposed libpq names, dlopen and dlmopen" "$(echo $exported)" "^$expected$"
listed=$(sed -n '/global:/,/local:/p' "$abs_top_srcdir/src/shim/libpgverify.map" | sed -n 's/^[[:space:]]*\([A-Za-z_]*\);.*/\1/p' | sort | tr '\n' ' ')
check "exports exactly what src/shim/libpgverify.map lists, name by name" "$(echo $exported)" "^$(echo $listed)$"
# The layers are directories: a file includes headers of its own layer and
# of those below it (base < core < cli; the shim may use them all).
layer_breaks() {
	local dir=$1 allowed=$2 f h a found
	for f in "$abs_top_srcdir/src/$dir"/*.[ch]; do
		for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			found=""
			for a in $allowed; do [ -e "$abs_top_srcdir/src/$a/$h" ] && found=1; done
			[ -n "$found" ] || echo "src/$dir/${f##*/} includes $h"
		done
	done
}
check "src/base includes nothing above it" "$(layer_breaks base base)" "^$"
check "src/core includes only src/core and src/base" "$(layer_breaks core "core base")" "^$"
check "src/cli includes only src/cli, src/core and src/base" "$(layer_breaks cli "cli core base")" "^$"
# No two source files call each other (hooks.c and shim.c once did): the
# object files of the build, and a pair that does, to show the check sees one.
check "no source files call each other" \
	"$(python3 "$abs_top_srcdir/tests/lib/calls.py" $(find "$abs_top_builddir/src" -name '*.o'))" "^none$"
circle=$(mktemp -d)
printf 'int b(int);\nint a(int n) { return n ? b(n - 1) : 0; }\n' >"$circle/a.c"
printf 'int a(int);\nint b(int n) { return n ? a(n - 1) : 1; }\n' >"$circle/b.c"
check "the call check finds two files that call each other" \
	"$(cd "$circle" && ${CC:-cc} -c a.c b.c && python3 "$abs_top_srcdir/tests/lib/calls.py" a.o b.o)" "^\(a\.o b\.o\)$"
rm -rf "$circle"
# HACKING.md is the map: every source file is on it.
missing=$(cd "$abs_top_srcdir/src" && for f in */*.c; do grep -q "\`$(basename "$f")\`" "$abs_top_srcdir/HACKING.md" || echo "$f"; done)
check "HACKING.md names every source file" "${missing:-none}" "^none$"
for page in pgverify.1 pgverify.conf.5 libpgverify.3; do
	if command -v groff >/dev/null; then
		check "man page $page renders without warnings" \
			"$(groff -man -Tutf8 -ww -z "$abs_top_srcdir/man/$page" 2>&1; echo "exit=$?")" "^exit=0$"
	else
		ok "# SKIP man page $page: no groff"
	fi
done
# Run outside make, with nothing set, it still runs (once: not from the
# nested run, and where the build is the default _build).
if [ -z "${PGVERIFY_RUN_ALONE:-}" ] && [ "$(cd "$abs_top_builddir" && pwd -P)" = "$(cd "$abs_top_srcdir" && pwd -P)/_build" ]; then
	check "tests/suites/build.sh runs alone, outside make, with no variable set" \
		"$(cd / && env -u abs_top_srcdir -u abs_top_builddir -u PGVERIFY_TEST_PRELOAD PGVERIFY_RUN_ALONE=1 \
			bash "$abs_top_srcdir/tests/suites/build.sh" 2>&1)" "\A(ok [0-9]+ - [^\n]*\n)+1\.\.[0-9]+\n\z"
fi

tap_done
