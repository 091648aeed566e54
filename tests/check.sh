#!/bin/sh
# The test command: install the dependencies, build out of tree and run
# `make check` (unit tests, ELF checks, integration tests against real
# PostgreSQL servers on 127.0.0.1).  Usage: tests/check.sh [configure args]
# PGVERIFY_BUILD names the build directory (default _build), PGVERIFY_CHECK
# the make target (default check; check-valgrind runs memcheck).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
cd "$top"
./autogen.sh >/dev/null 2>&1
build=${PGVERIFY_BUILD:-_build}
mkdir -p "$build"
cd "$build"
../configure --quiet "$@"
make -j"$(nproc)" >/dev/null
status=0
make -j"$(nproc)" "${PGVERIFY_CHECK:-check}" >check.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' check.out || true
grep -A2 -E '^(not ok|FAIL|ERROR)' tests/*.log tests/suites/*.log tests/fuzz/*.log 2>/dev/null | head -n 60 || true
total=$(sed -n 's/^# TOTAL: *//p' check.out)
pass=$(sed -n 's/^# PASS: *//p' check.out)
skip=$(sed -n 's/^# SKIP: *//p' check.out)
fail=$(( ${total:-0} - ${pass:-0} - ${skip:-0} ))
echo "${pass:-0} passed, $fail failed, ${skip:-0} skipped"
[ "$status" = 0 ] && [ "${total:-0}" -gt 0 ]
