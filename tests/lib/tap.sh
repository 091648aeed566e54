# Minimal TAP for the shell tests: each check prints "ok N - name" or
# "not ok N - name" with the evidence, and the plan is printed at the end.
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/#   /'
}

# matches OUTPUT PATTERN: PATTERN (Perl syntax) matches somewhere in the
# whole OUTPUT; ^ and $ anchor lines, and a newline in PATTERN is a newline.
matches() {
	printf '%s\n' "$1" | grep -Pzq -- "(?m)${2//$'\n'/\\n}"
}

# check NAME OUTPUT PATTERN: OUTPUT must match PATTERN.
check() {
	if matches "$2" "$3"; then ok "$1"; else not_ok "$1" "expected /$3/, got:" "$2"; fi
}

# check_not NAME OUTPUT PATTERN: OUTPUT must not match PATTERN.
check_not() {
	if matches "$2" "$3"; then not_ok "$1" "unexpected /$3/ in:" "$2"; else ok "$1"; fi
}

# skip NAME REASON: a check that cannot run here, said so.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
