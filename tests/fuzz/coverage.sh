#!/bin/bash
# Line coverage of pgverify's sources by a fuzz corpus: builds the target
# with clang's source-based coverage and the replay driver, runs every input
# of CORPUS-DIR... once, and prints llvm-cov's report for src/.
#   PGVERIFY_CORE_SOURCES='src/a.c ...' tests/fuzz/coverage.sh TARGET CORPUS-DIR...
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
t=$1
shift
out=$(mktemp -d /tmp/pgverify-cov.XXXXXX)
trap 'rm -rf "$out"' EXIT
core=""
for f in ${PGVERIFY_CORE_SOURCES:?set it as make fuzz does}; do case $f in *.c) core="$core $src/$f" ;; esac; done
# shellcheck disable=SC2086
clang -O1 -fprofile-instr-generate -fcoverage-mapping -D_GNU_SOURCE \
	-DPGVERIFY_SYSCONFDIR='"/nonexistent"' -DPGVERIFY_PKGDATADIR='"/nonexistent"' -I"$src/src/base" -I"$src/src/core" $(pkg-config --cflags libpq libconfig openssl) \
	-o "$out/replay" "$src/tests/fuzz/fuzz_$t.c" "$src/tests/fuzz/fuzz.c" "$src/tests/fuzz/replay.c" $core \
	$(pkg-config --libs libpq libconfig openssl) -ldl -lpthread
find "$@" -type f -print0 | LLVM_PROFILE_FILE="$out/%p.profraw" xargs -0 -n 500 "$out/replay" >/dev/null 2>&1
llvm-profdata merge -sparse "$out"/*.profraw -o "$out/all.profdata"
# shellcheck disable=SC2086
llvm-cov report "$out/replay" -instr-profile="$out/all.profdata" $core | sed "s|$src/||"
