#!/bin/bash
# Report mode and audit records: mode = "report" (globally and per rule)
# lets every connection go ahead as asked and records what enforcement
# would have done, the chain checked from the live connection; audit
# records for enforce mode (upgraded, kept, left, refused); 16 threads and
# forked children appending to one file; syslog through a private listener;
# `pgverify report` over all of it.  No password in any record or report.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
fixture_clients
fixture_start good mitm wrongname notls
PGVERIFY=$abs_top_builddir/src/pgverify
AUDIT_PY="python3 $abs_top_srcdir/tests/lib/audit.py"
SSLQ="SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
GOOD="$(at "$P_GOOD") password=s3cret"
MITM="$(at "$P_MITM") password=s3cret"
WRONG="$(at "$P_WRONGNAME") password=s3cret"
NOTLS="$(at "$P_NOTLS") password=s3cret"
ROOT="/CN=pgverify test root CA"

# conf NAME LINES...: $T/NAME.conf with an audit file $T/NAME.log.
conf() {
	local name=$1
	shift
	{ printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/$name.log"; printf '%s\n' "$@"; } >"$T/$name.conf"
}
# psql_as NAME CONNINFO: psql (preloaded) under $T/NAME.conf.
psql_as() { psql_run "$2" "$SSLQ" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/$1.conf" 2>&1; }
# last NAME: the fields of the last record of $T/NAME.log.
last() { $AUDIT_PY fields "$T/$1.log" 2>&1 | tail -n 1; }

# --- report mode: everything goes ahead, the records say what would break -------
conf report 'mode = "report";' 'exempt = [ "localhost" ];'
check "report: the good server connects" "$(psql_as report "$GOOD")" "^ssl=true$"
check "report: its record: would upgrade, would verify, CA the test root" "$(last report)" \
	"^decision=\"reported\" would=\"upgrade\" would_verify=true outcome=\"connected\" verified=false ca=\"$ROOT\""
check "report: the forged server connects all the same" "$(psql_as report "$MITM")" "^ssl=true$"
check "report: its record: would not verify, and why" "$(last report)" \
	"^decision=\"reported\" would=\"upgrade\" would_verify=false outcome=\"connected\" verified=false ca=null would_verify_error=\"self-signed certificate in certificate chain\""
check "report: the wrong-name server connects" "$(psql_as report "$WRONG")" "^ssl=true$"
check "report: its record: the name does not match" "$(last report)" \
	"would_verify=false .*would_verify_error=\"server certificate does not match host name \\\\\"$PGV_NAME\\\\\"\""
check "report: the server without TLS connects in clear text, as prefer does" "$(psql_as report "$NOTLS")" "^ssl=false$"
check "report: its record: no TLS, the server's doing" "$(last report)" \
	"would_verify=false outcome=\"connected\" verified=false .*would_verify_error=\"no TLS: the server offered none\".* tls=false"
check "report: a program that disables TLS connects in clear text" "$(psql_as report "$GOOD sslmode=disable")" "^ssl=false$"
check "report: its record: no TLS, the program's doing" "$(last report)" \
	"would_verify=false outcome=\"connected\" verified=false .*would_verify_error=\"no TLS: the program asked for none \(sslmode=disable\)\".* tls=false"
fake_start
psql_as report "$(fake_at)" >/dev/null
fake_wait
check "report: the N server gets the startup packet, as prefer sends it" "$FAKE_COUNT" "^[1-9][0-9]*$"
check "report: its record: would not verify" "$(last report)" \
	"^decision=\"reported\" would=\"upgrade\" would_verify=false outcome=\"failed\""
psql_as report "host=localhost port=$P_GOOD user=postgres password=s3cret dbname=postgres" >/dev/null
check "report: an exempt host is left" "$(last report)" "^decision=\"left\" would=\"nothing\" would_verify=null outcome=\"connected\""
psql_as report "host=$T port=1 user=postgres password=s3cret dbname=postgres" >/dev/null
check "report: a Unix socket is left" "$(last report)" "^decision=\"left\" would=\"nothing\" would_verify=null outcome=\"failed\""
check "report: a linked client connects to the forged server" \
	"$(PGVERIFY_CONFIG="$T/report.conf" "$LINKED" connectdb "$MITM" 2>&1)" "^OK"
check "report: the linked client's record" "$(last report)" "^decision=\"reported\" would=\"upgrade\" would_verify=false"
check "report: PQconnectStart and PQconnectPoll: recorded when the poll ends" \
	"$(PGVERIFY_CONFIG="$T/report.conf" "$LINKED" start "$GOOD" >/dev/null 2>&1; last report)" \
	"^decision=\"reported\" would=\"upgrade\" would_verify=true outcome=\"connected\""
if [ -z "$PGVERIFY_TEST_PRELOAD" ] && /usr/bin/python3 -c "import psycopg2" 2>/dev/null; then
	pyq="import psycopg2, sys; c = psycopg2.connect(sys.argv[1]); cur = c.cursor(); cur.execute(\"$SSLQ\"); print(cur.fetchone()[0])"
	check "report: psycopg2 connects to the forged server" \
		"$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/report.conf" /usr/bin/python3 -c "$pyq" "$MITM" 2>&1)" "^ssl=true$"
	check "report: psycopg2's record" "$(last report)" "^decision=\"reported\" would=\"upgrade\" would_verify=false"
	pyran=1
else
	pyran=0
	skip "report: psycopg2 connects to the forged server" "no python3-psycopg2, or the sanitizer build"
	skip "report: psycopg2's record" "no python3-psycopg2, or the sanitizer build"
fi
# 9 records, and those of psycopg2, psycopg 3 and the raw client where they ran.
if [ -z "$PGVERIFY_TEST_PRELOAD" ] && /usr/bin/python3 -c "import psycopg" 2>/dev/null; then
	pyq3="import psycopg, sys; c = psycopg.connect(sys.argv[1]); print('connected')"
	check "report: psycopg 3 (ctypes) connects to the forged server" \
		"$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/report.conf" /usr/bin/python3 -c "$pyq3" "$MITM" 2>&1)" "^connected$"
	check "report: psycopg 3's record" "$(last report)" "^decision=\"reported\" would=\"upgrade\" would_verify=false"
	pyran=$((pyran + 1))
else
	skip "report: psycopg 3 (ctypes) connects to the forged server" "no python3-psycopg, or the sanitizer build"
	skip "report: psycopg 3's record" "no python3-psycopg, or the sanitizer build"
fi
# Past every symbol table (libpq's address computed by the program): the
# backstop at the first poll sees the attempt, and records it.
start_offset=$(nm -D --defined-only "$(libpq_path)" | awk '$3 == "PQconnectStart" { print $1 }')
if objdump -d "$(libpq_path)" | grep -q 'call.*<PQconnectPoll@plt>'; then
	check "report: a connection started past every symbol table goes ahead" \
		"$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/report.conf" "$PLAIN" raw "$start_offset" "$MITM" 2>&1)" "^OK ssl=1$"
	check "report: and the backstop records it" "$(last report)" \
		"^decision=\"reported\" would=\"upgrade\" would_verify=false outcome=\"connected\""
	pyran=$((pyran + 1))
else
	skip "report: a connection started past every symbol table goes ahead" "this libpq calls PQconnectPoll internally"
	skip "report: and the backstop records it" "this libpq calls PQconnectPoll internally"
fi
check "report: every record has the contract's fields and types" "$($AUDIT_PY check "$T/report.log")" "^$((10 + pyran)) records valid$"
check "report: the file is created mode 0600" "$(stat -c %a "$T/report.log")" "^600$"

# --- a rule's mode beside the global one, both ways ------------------------------
OTHER="host=other.example.com hostaddr=127.0.0.1 user=postgres dbname=postgres"
conf rule_report "hosts = ( { match = \"*.rds.amazonaws.com\"; mode = \"report\"; } );"
check "global enforce, report rule: its host connects to the forged server" "$(psql_as rule_report "$MITM")" "^ssl=true$"
check "global enforce, report rule: recorded as reported" "$(last rule_report)" "^decision=\"reported\" would=\"upgrade\" would_verify=false"
check "global enforce, report rule: another host is enforced, forged refused" \
	"$(psql_as rule_report "$OTHER port=$P_MITM")" "certificate verify failed"
check "global enforce, report rule: recorded as upgraded" "$(last rule_report)" "^decision=\"upgraded\" outcome=\"failed\""
conf rule_enforce 'mode = "report";' "hosts = ( { match = \"*.rds.amazonaws.com\"; mode = \"enforce\"; } );"
check "global report, enforce rule: its host is enforced, forged refused" "$(psql_as rule_enforce "$MITM")" "certificate verify failed"
check "global report, enforce rule: another host connects to the forged server" \
	"$(psql_as rule_enforce "$OTHER port=$P_MITM")" "^ssl=true$"
check "global report, enforce rule: recorded as reported" "$(last rule_enforce)" "^decision=\"reported\" would=\"upgrade\" would_verify=false"

# --- enforce mode: one record per kind -------------------------------------------
conf enforce 'exempt = [ "localhost" ];'
psql_as enforce "$GOOD" >/dev/null
psql_as enforce "$GOOD sslmode=verify-full sslrootcert=$T/pki/root.pem gssencmode=disable" >/dev/null
psql_as enforce "host=localhost port=$P_GOOD user=postgres password=s3cret dbname=postgres" >/dev/null
psql_as enforce "$GOOD sslrootcert=$T/missing.pem" >/dev/null
check "enforce: upgraded, kept, left, refused: one record each" "$($AUDIT_PY fields "$T/enforce.log" | cut -d' ' -f1 | tr '\n' ' ')" \
	"^decision=\"upgraded\" decision=\"kept\" decision=\"left\" decision=\"refused\" $"
check "enforce: the upgraded connection's record" "$($AUDIT_PY fields "$T/enforce.log" | sed -n 1p)" \
	"^decision=\"upgraded\" outcome=\"connected\" verified=true ca=\"$ROOT\""
check "enforce: the refusal's record says why" "$($AUDIT_PY fields "$T/enforce.log" | tail -n 1)" \
	"^decision=\"refused\" outcome=\"failed\" verified=null ca=null reason=\".*cannot read CA bundle $T/missing.pem"
check "enforce: every record has the contract's fields and types" "$($AUDIT_PY check "$T/enforce.log")" "^4 records valid$"
check "enforce: no report-mode fields" "$(grep -c '"would' "$T/enforce.log")" "^0$"
if objdump -d "$(libpq_path)" | grep -q 'call.*<PQconnectPoll@plt>'; then
	"$PLAIN" raw "$start_offset" "$GOOD" >/dev/null 2>&1 # no shim: no record
	check "enforce: a connection started past every symbol table is refused" \
		"$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/enforce.conf" "$PLAIN" raw "$start_offset" "$GOOD" 2>&1)" "^FAIL "
	check "enforce: the backstop's refusal is recorded, with why" "$(last enforce)" \
		"^decision=\"refused\" outcome=\"failed\" verified=null ca=null reason=\".*calling libpq past pgverify"
else
	skip "enforce: a connection started past every symbol table is refused" "this libpq calls PQconnectPoll internally"
	skip "enforce: the backstop's refusal is recorded, with why" "this libpq calls PQconnectPoll internally"
fi

# --- threads and forks append whole lines -----------------------------------------
conf busy
for n in 1 2 3; do PGVERIFY_CONFIG="$T/busy.conf" "$LINKED" threads 16 "$GOOD" >"$T/threads.$n" 2>&1 & done
for n in 1 2 3 4; do PGVERIFY_CONFIG="$T/busy.conf" "$LINKED" fork "$GOOD" >"$T/fork.$n" 2>&1 & done
wait
check "threads: every client verified" "$(cat "$T"/threads.*)" "^OK 16/16 verified
OK 16/16 verified
OK 16/16 verified$"
check "3 x 16 threads and 4 forking clients: 56 whole, valid lines" "$($AUDIT_PY check "$T/busy.log")" "^56 records valid$"
check "the forked children's records are their own" "$(grep -o '"pid":[0-9]*' "$T/busy.log" | sort -u | wc -l)" "^11$"

# --- an audit file that cannot be opened: connections unaffected, one warning ----------
printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/nowhere/audit.log" >"$T/nowhere.conf"
out=$(psql_run "$GOOD" "$SSLQ" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/nowhere.conf" 2>&1)
check "audit in a missing directory: the connection is verified" "$out" "^ssl=true$"
check "audit in a missing directory: one warning" "$out" \
	"^pgverify: cannot open audit file $T/nowhere/audit.log: No such file or directory; connections go ahead, without audit records \\(said once\\)$"
ln -s "$T/elsewhere.log" "$T/link.log"
printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/link.log" >"$T/link.conf"
check "audit path a symbolic link: not followed" \
	"$(psql_run "$GOOD" "$SSLQ" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/link.conf" 2>&1; ls "$T/elsewhere.log" 2>&1)" \
	"cannot open audit file $T/link.log: it is a symbolic link(.|
)*ssl=true(.|
)*No such file"

# --- syslog, through a listener on a private /dev/log ---------------------------------
# No journald here: a listener gets the datagrams glibc's syslog() sends,
# and tests/lib/audit.py writes them as `journalctl -o json` would.
syslog_run() { # syslog_run CMD...: CMD with /dev/log bound to $T/log.sock
	unshare -m sh -ec '
		mkdir -p "$T/olddev"; mount --bind /dev "$T/olddev"
		mount -t tmpfs none /dev
		for d in null zero random urandom; do touch /dev/$d; mount --bind "$T/olddev/$d" /dev/$d; done
		touch /dev/log; mount --bind "$T/log.sock" /dev/log
		exec "$@"' syslog_run "$@"
}
export T
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	python3 "$abs_top_srcdir/tests/lib/syslog_listen.py" "$T/log.sock" "$T/datagrams" &
	listener=$!
	i=0
	while [ ! -e "$T/datagrams.ready" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	printf 'mode = "report";\nsslrootcert = "%s";\naudit = "syslog";\n' "$T/pki/root.pem" >"$T/syslog.conf"
	for c in "$GOOD" "$MITM" "$NOTLS"; do
		syslog_run env LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/syslog.conf" "$T/psql-run" "$c" "$SSLQ" >/dev/null 2>&1
	done
	sleep 0.2
	kill "$listener"
	$AUDIT_PY journal "$T/datagrams" "$T/journal.json"
	check "syslog: three records reached the listener" "$(grep -c 'pgverify-audit: {' "$T/datagrams")" "^3$"
	check "syslog: pgverify report reads journalctl -o json" "$("$PGVERIFY" report "$T/journal.json"; echo "exit=$?")" \
		"port $P_MITM
  reported 1; failed 0
  asked for:
    1 x sslmode prefer
  would refuse 0, would not verify 1
  1 x self-signed certificate in certificate chain
(.|
)*3 records, 2 would break under enforcement, 0 failed under enforcement
exit=1$"
else
	skip "syslog: three records reached the listener" "needs root and unshare -m"
	skip "syslog: pgverify report reads journalctl -o json" "needs root and unshare -m"
fi

# --- pgverify report ------------------------------------------------------------------
out=$("$PGVERIFY" report "$T/report.log"; echo "exit=$?")
who="\((user root, )?on $(hostname)\)"
check "report: the table per program, user, machine and host" "$out" "^(psql|client_plain) $who  $PGV_NAME \(hostaddr 127.0.0.1\) port [0-9]+
  reported [0-9]+; failed 0
  asked for:
    [0-9]+ x sslmode prefer"
check "report: the good server's group: its CA, expiry, times" "$out" "port $P_GOOD
  reported [0-9]+; failed 0
  asked for:
    [0-9]+ x sslmode prefer
  would refuse 0, would not verify 0
  CA $ROOT \([0-9]+\)
  soonest certificate expiry 20[0-9-]+T[0-9:]+Z
  seen 20[0-9-]+T[0-9:.]+Z to 20[0-9-]+T[0-9:.]+Z
"
check "report: the forged server's group: the reason" "$out" "port $P_MITM
  reported [0-9]+; failed 0
  asked for:
    [0-9]+ x sslmode prefer
  would refuse 0, would not verify [1-9]
  [0-9]+ x self-signed certificate in certificate chain
"
check "report: the group without TLS: what the program asked for, and whose doing" "$out" "port $P_NOTLS
  reported 1; failed 0
  asked for:
    1 x sslmode prefer
  would refuse 0, would not verify 1
  1 x no TLS: the server offered none
"
check "report: a program that disabled TLS, told apart" "$out" "  asked for:
(    [0-9]+ x sslmode prefer
)?    1 x sslmode disable
(.|
)*  [0-9]+ x no TLS: the program asked for none \(sslmode=disable\)"
check "report: exit 1 when something would break" "$out" "would break under enforcement, [0-9]+ failed under enforcement
exit=1$"
check "report --json: parses, and counts match the table" \
	"$("$PGVERIFY" report --json "$T/report.log" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["records"], sum(g["would_not_verify"] for g in d["groups"]), d["skipped_lines"])')" \
	"^$((10 + pyran)) [4-9] 0$"
check "report: only good connections, exit 0" \
	"$(head -n 1 "$T/enforce.log" | "$PGVERIFY" report; echo "exit=$?")" "1 records, 0 would break under enforcement, 0 failed under enforcement
exit=0$"
check "report: a refusal in enforce mode counts as failed, with why" "$("$PGVERIFY" report "$T/enforce.log"; echo "exit=$?")" \
	"  failed under enforcement:
    1 x .*cannot read CA bundle $T/missing.pem(.|
)*exit=1$"
check "report: a line that is no record is skipped, said so" \
	"$( (echo 'not json'; head -n 1 "$T/enforce.log") | "$PGVERIFY" report)" "1 records, 0 would break under enforcement, 0 failed under enforcement \(some lines were not audit records\)$"
check "report: a missing file is a usage error" "$("$PGVERIFY" report "$T/none.log" 2>&1; echo "exit=$?")" \
	"^pgverify report: cannot read $T/none.log: No such file or directory
exit=2$"
: >"$T/empty.log"
check "report: no record to read: exit 2" "$("$PGVERIFY" report "$T/empty.log" 2>&1; echo "exit=$?")" \
	"^pgverify report: no audit record to read
exit=2$"
gzip -c "$T/report.log" >"$T/report.log.1.gz"
check "report: a gzip'd rotation reads as the file it was" \
	"$(diff <("$PGVERIFY" report "$T/report.log") <("$PGVERIFY" report "$T/report.log.1.gz") && echo same)" "^same$"
head -c 200 "$T/report.log.1.gz" >"$T/cut.gz"
check "report: a cut gzip file is an error, not a short report" "$("$PGVERIFY" report "$T/cut.gz" 2>&1; echo "exit=$?")" \
	"^pgverify report: cannot read $T/cut.gz: .*\(a cut or damaged gzip file\)
exit=2$"
check "report --host: only that host's records" \
	"$("$PGVERIFY" report --host 'LOCALHOST' "$T/report.log")" "^(psql|client_plain) $who  localhost port $P_GOOD
(.|
)*^1 records,"
check "report --program: a glob on the program" \
	"$("$PGVERIFY" report --program 'client_*' "$T/report.log" | grep -c '^psql')" "^0$"
check "report --since in the future: nothing matched, exit 2" \
	"$("$PGVERIFY" report --since 2099-01-01 "$T/report.log" 2>&1; echo "exit=$?")" "^pgverify report: no audit record matched
exit=2$"
check "report --since 1h: every record of this run" \
	"$("$PGVERIFY" report --since 1h "$T/report.log" | tail -n 1)" "^$((10 + pyran)) records,"
check "report --since: a bad time is a usage error" "$("$PGVERIFY" report --since yesterday "$T/report.log" 2>&1; echo "exit=$?")" \
	"^pgverify report: --since takes a UTC date and time(.|
)*exit=2$"

# --- two users, two units: what tells programs apart --------------------------------
# Each program runs as its user in a cgroup named as systemd names a
# service's, which is all `unit` is read from.
CGROOT=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
	if mkdir -p "$d/pgverify-test.slice/probe.service" 2>/dev/null &&
		sh -c 'echo $$ >"$1/cgroup.procs"' _ "$d/pgverify-test.slice/probe.service" 2>/dev/null; then
		CGROOT=$d
		break
	fi
done
# in_unit UNIT USER COMMAND...: COMMAND as USER in pgverify-test.slice/UNIT.
in_unit() {
	local cg=$CGROOT/pgverify-test.slice/$1 user=$2
	shift 2
	mkdir -p "$cg"
	sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' in_unit "$cg" \
		setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups env HOME=/ "$@"
}
if [ -n "$CGROOT" ] && [ "$(id -u)" = 0 ] && id www-data >/dev/null 2>&1; then
	conf units 'mode = "report";'
	conf units_enforce 'on_disable = "refuse";'
	sed -i "s|$T/units_enforce.log|$T/units.log|" "$T/units_enforce.conf"
	# Several users append to one file here; hosts should use syslog.
	install -m 0666 /dev/null "$T/units.log"
	in_unit billing.service www-data env PGVERIFY_CONFIG="$T/units.conf" LD_PRELOAD="$SHIM" "$T/psql-run" "$GOOD application_name=billing" "$SSLQ" >/dev/null 2>&1
	in_unit reports.service root env PGAPPNAME=nightly PGVERIFY_CONFIG="$T/units.conf" LD_PRELOAD="$SHIM" "$T/psql-run" "$MITM" "$SSLQ" >/dev/null 2>&1
	in_unit reports.service root env PGVERIFY_CONFIG="$T/units_enforce.conf" LD_PRELOAD="$SHIM" \
		"$T/psql-run" "$GOOD sslmode=verify-full sslrootcert=$T/pki/root.pem" "$SSLQ" >/dev/null 2>&1
	in_unit reports.service root env PGVERIFY_CONFIG="$T/units_enforce.conf" LD_PRELOAD="$SHIM" "$T/psql-run" "$NOTLS" "$SSLQ" >/dev/null 2>&1
	in_unit reports.service root env PGVERIFY_CONFIG="$T/units_enforce.conf" LD_PRELOAD="$SHIM" "$T/psql-run" "$GOOD sslmode=disable" "$SSLQ" >/dev/null 2>&1
	picked=$($AUDIT_PY pick "$T/units.log" uid user unit application_name hosts hostaddrs decision sslrootcert_before tls outcome)
	check "units: five valid records from two users" "$($AUDIT_PY check "$T/units.log")" "^5 records valid$"
	check "units: www-data's record: its uid, user, unit and application_name, hosts and hostaddrs as arrays" "$(echo "$picked" | sed -n 1p)" \
		"^uid=$(id -u www-data) user=\"www-data\" unit=\"billing.service\" application_name=\"billing\" hosts=\[\"$PGV_NAME\"\] hostaddrs=\[\"127.0.0.1\"\] decision=\"reported\" sslrootcert_before=null tls=true outcome=\"connected\"$"
	check "units: root's record: PGAPPNAME, the other unit" "$(echo "$picked" | sed -n 2p)" \
		"^uid=0 user=\"root\" unit=\"reports.service\" application_name=\"nightly\" "
	check "units: a program that verifies with its own bundle is kept, its bundle recorded" "$(echo "$picked" | sed -n 3p)" \
		"decision=\"kept\" sslrootcert_before=\"$T/pki/root.pem\" tls=true outcome=\"connected\"$"
	check "units: a server without TLS under enforcement: failed, no TLS" "$(echo "$picked" | sed -n 4p)" \
		"decision=\"upgraded\" sslrootcert_before=null tls=false outcome=\"failed\"$"
	check "units: a program that disables TLS, refused: no TLS" "$(echo "$picked" | sed -n 5p)" \
		"decision=\"refused\" sslrootcert_before=null tls=false outcome=\"failed\"$"
	out=$("$PGVERIFY" report "$T/units.log"; echo "exit=$?")
	check "units: report: a group per user and unit" "$out" \
		"^(psql|client_plain) \(user www-data, unit billing.service, on $(hostname)\)  $PGV_NAME \(hostaddr 127.0.0.1\) port $P_GOOD
(.|
)*^(psql|client_plain) \(user root, unit reports.service, on $(hostname)\)  $PGV_NAME \(hostaddr 127.0.0.1\) port $P_MITM"
	check "units: report: what the program asked for, verified on its own" "$out" "  kept 1, refused 1; failed 1
  asked for:
    1 x sslmode verify-full with its own bundle
    1 x sslmode disable"
	check "units: report: a server without TLS and a program without TLS told apart" "$out" \
		"  failed under enforcement:
    1 x .*asks for sslmode=disable, and $T/units_enforce.conf sets on_disable = \"refuse\"(.|
)*  failed under enforcement:
    1 x the server offers no TLS \(server does not support SSL, but SSL was required\)"
	check "units: report: exit 1 (would break, and failed)" "$out" "5 records, 1 would break under enforcement, 2 failed under enforcement
exit=1$"
	check "units: report --json: user, unit and hostname per group" \
		"$("$PGVERIFY" report --json "$T/units.log" | python3 -c 'import json, sys; print(sorted({(g["user"], g["unit"]) for g in json.load(sys.stdin)["groups"]}))')" \
		"^\[\('root', 'reports.service'\), \('www-data', 'billing.service'\)\]$"
	rmdir "$CGROOT"/pgverify-test.slice/*.service "$CGROOT/pgverify-test.slice" 2>/dev/null
else
	for n in 1 2 3 4 5 6 7 8 9 10 11; do skip "units: two users, two units ($n)" "needs root, a writable cgroup hierarchy and www-data"; done
fi

# --- where records may go ----------------------------------------------------------
# A daemon that connects, closes every descriptor, opens its own data file
# (which gets the descriptor a kept audit file had) and connects again:
# both records go to the audit file, none into its data.
conf daemon
out=$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/daemon.conf" /usr/bin/python3 -c '
import ctypes, os, sys
pq = ctypes.CDLL("libpq.so.5")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQfinish.argtypes = pq.PQstatus.argtypes = [ctypes.c_void_p]
def connect():
    c = pq.PQconnectdb(sys.argv[2].encode()); s = pq.PQstatus(c); pq.PQfinish(c); return s
first = connect()
os.closerange(3, 1024)
data = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
print("data fd", data, "status", first, connect())' "$T/daemon.data" "$GOOD" 2>&1)
check "a daemon reusing descriptors: both connections verified" "$out" "status 0 0$"
check "a daemon reusing descriptors: its data file holds no record" "$(wc -c <"$T/daemon.data")" "^0$"
check "a daemon reusing descriptors: the audit file holds both records" "$(grep -c '"decision"' "$T/daemon.log")" "^2$"
# audit NAME PATH: three connections in one process with audit = PATH.
audit_to() {
	printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$2" >"$T/$1.conf"
	LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/$1.conf" timeout 60 "$PLAIN" threads 3 "$GOOD" 2>&1
}
mkfifo "$T/fifo.log"
out=$(audit_to fifo "$T/fifo.log")
check "audit = a FIFO with no reader: no hang, connections verified" "$out" "^OK 3/3 verified$"
check "audit = a FIFO with no reader: said once" "$(echo "$out" | grep -c "audit file $T/fifo.log: it is a FIFO")" "^1$"
# A reader that is there before the program writes: this shell holds the
# FIFO open for reading (read-write, which Linux opens without waiting).
exec 4<>"$T/fifo.log"
check "audit = a FIFO with a reader: refused as not a regular file, connections verified" \
	"$(audit_to fifo2 "$T/fifo.log")" "audit file $T/fifo.log is not a regular file"
timeout 2 cat <&4 >"$T/fifo.read"
exec 4>&-
check "audit = a FIFO with a reader: the reader got no record" "$(wc -c <"$T/fifo.read")" "^0$"
check "audit = a symbolic link: said once per process" "$(audit_to link "$T/link.log" | grep -c 'symbolic link')" "^1$"
mkdir "$T/adir"
check "audit = a directory: said once" "$(audit_to adir "$T/adir" | grep -c 'Is a directory')" "^1$"
out=$(audit_to nodir "$T/nodir/audit.log")
check "audit = a file in a missing directory: connections verified" "$out" "^OK 3/3 verified$"
check "audit = a file in a missing directory: said once" \
	"$(echo "$out" | grep -c "cannot open audit file $T/nodir/audit.log: No such file or directory")" "^1$"
check "a program that never uses libpq prints, opens and reads nothing (missing audit directory)" \
	"$(LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/nodir.conf" strace -f -e trace=open,openat -o "$T/true.strace" /bin/true 2>&1
		grep -c -E 'nodir|\.conf|pgverify-engine|libpq|libssl|libcrypto|libconfig' "$T/true.strace")" "^0$"

# --- never a password -------------------------------------------------------------
check "no password in any record, datagram or report" \
	"$(cd "$T" && cat report.log enforce.log busy.log rule_report.log rule_enforce.log | grep -c s3cret
		cat datagrams journal.json 2>/dev/null | grep -c s3cret
		"$PGVERIFY" report --json report.log enforce.log busy.log rule_report.log rule_enforce.log | grep -c s3cret)" "^0
0
0$"
tap_done
