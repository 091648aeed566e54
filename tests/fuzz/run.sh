#!/bin/bash
# Build the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# and run each for SECONDS (default 60), starting from the committed corpus.
# New inputs go to $PGVERIFY_FUZZ_DIR (default _fuzz/), never into the
# repository; crashes are left there as crash-* files, to be minimised
# (-minimize_crash=1) and committed under tests/fuzz/corpus/ as regressions.
#   make fuzz [FUZZ_SECONDS=N]    (from the build directory), or
#   PGVERIFY_CORE_SOURCES='src/a.c ...' tests/fuzz/run.sh [SECONDS] [TARGET...]
# TARGET: conninfo config.  The source list comes from Makefile.am.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
targets=${*:-conninfo config}
out=${PGVERIFY_FUZZ_DIR:-$src/_fuzz}
CC=${CC:-clang}
mkdir -p "$out"

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE
	-I$src/src/base -I$src/src/core $(pkg-config --cflags libpq libconfig openssl)"
libs="$(pkg-config --libs libpq libconfig openssl) -ldl -lpthread"
core=""
for f in ${PGVERIFY_CORE_SOURCES:?run it as make fuzz}; do case $f in *.c) core="$core $src/$f" ;; esac; done

for t in $targets; do
	# shellcheck disable=SC2086
	$CC $flags -DPGVERIFY_SYSCONFDIR='"/nonexistent"' -DPGVERIFY_PKGDATADIR='"/nonexistent"' -DPGVERIFY_LIBDIR='"/nonexistent"' \
		-o "$out/fuzz_$t" "$src/tests/fuzz/fuzz_$t.c" "$src/tests/fuzz/fuzz.c" $core $libs
	mkdir -p "$out/corpus-$t"
	seeds=("$src/tests/fuzz/corpus/$t")
	[ "$t" = config ] && seeds+=("$src/tests/configs")
	echo "== fuzz_$t for ${secs}s"
	(cd "$out" && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0 ./"fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
		-max_len=65536 -timeout=10 -rss_limit_mb=4096 \
		"corpus-$t" "${seeds[@]}") 2>&1 | tee "$out/fuzz_$t.log" | grep -E '^#|stat::|ERROR|SUMMARY' | tail -n 12
done
