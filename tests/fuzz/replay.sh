#!/bin/bash
# Replays the committed fuzz corpora (tests/fuzz/corpus/TARGET/) through the
# fuzz targets built without libFuzzer; a finding aborts the target.  The
# config target also replays tests/configs/, its seeds (kept once, there).
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
export LSAN_OPTIONS=suppressions=$abs_top_srcdir/tests/fuzz/lsan.supp
for t in conninfo config; do
	corpus=("$abs_top_srcdir/tests/fuzz/corpus/$t"/*)
	[ "$t" = config ] && corpus+=("$abs_top_srcdir/tests/configs"/*)
	out=$("$abs_top_builddir/tests/fuzz_${t}_replay" "${corpus[@]}" 2>&1)
	check "fuzz corpus '$t': ${#corpus[@]} inputs replay with no finding" "$out
exit $?" "^${#corpus[@]} inputs replayed
exit 0$"
done
tap_done
