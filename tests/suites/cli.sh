#!/bin/bash
# The pgverify command against the same loopback servers and test PKI as
# the shim's integration tests: human and JSON output of each subcommand,
# exit codes, bundles with expired and expiring CAs, malformed PEM, and
# passwords never printed.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
command -v python3 >/dev/null || skip_all "python3 is needed to read the JSON output"

PGV=$abs_top_builddir/src/pgverify
FAKE=$abs_top_builddir/tests/fake_server
export PGVERIFY_LIBRARY=$abs_top_builddir/src/.libs/libpgverify.so
fixture_clean_env

fixture_start good mitm wrongname expired notls
printf 'sslrootcert = "%s";\n' "$T/pki/root.pem" >"$T/pgverify.conf"
export PGVERIFY_CONFIG=$T/pgverify.conf

# run ARGS...: output (stdout and stderr) and, on its last line, "exit=N".
run() {
	"$PGV" "$@" 2>&1
	echo "exit=$?"
}
# json EXPR ARGS...: evaluate the Python expression EXPR on the JSON
# document pgverify ARGS... prints (as d), then ", exit=N".
json() {
	local expr=$1 out rc
	shift
	out=$("$PGV" "$@" 2>/dev/null)
	rc=$?
	printf '%s' "$out" | python3 -c "import json, sys; d = json.load(sys.stdin); print($expr, end='')" 2>&1
	echo ", exit=$rc"
}

# --- the command itself -------------------------------------------------------
check "--help fits on a screen" "$("$PGV" --help | wc -l)" "^([1-9]|1[0-9]|2[0-4])$"
check "--version" "$(run --version)" "^pgverify [0-9]+\.[0-9]+\.[0-9]+"
check "an unknown command is a usage error" "$(run frobnicate)" "exit=2$"
check "explain without CONNINFO is a usage error" "$(run explain)" "usage: pgverify explain.*
exit=2$"

# --- bundle ---------------------------------------------------------------------
check "bundle: a summary line per file" "$(run bundle "$T/pki/root.pem" "$T/pki/inter.pem")" \
	"^$T/pki/root.pem: 1 certificate, 0 expired, 0 expire within 30 days; the first on 20[0-9-]+
  other CAs          1 certificate, first to expire 20[0-9-]+: pgverify test root CA
$T/pki/inter.pem: 1 certificate, 0 expired, 0 expire within 30 days; the first on 20[0-9-]+
  other CAs          1 certificate, first to expire 20[0-9-]+: pgverify test intermediate CA
exit=0$"
out=$(run bundle --long "$T/pki/root.pem" "$T/pki/inter.pem")
check "bundle --long lists subject, issuer, validity and fingerprint" "$out" \
	"1  pgverify test root CA  \[CA\]"
check "bundle shows days left" "$out" "valid   [0-9-]+ \.\. [0-9-]+ \((3649|3650) days left\)"
check "bundle shows a SHA-256 fingerprint" "$out" "sha256  ([0-9A-F]{2}:){31}[0-9A-F]{2}"
check "bundle of good files exits 0" "$out" "exit=0$"
cat "$T/pki/root.pem" "$T/pki/oldca.pem" >"$T/mixed.pem"
out=$(run bundle --long "$T/mixed.pem")
check "an expired CA is flagged" "$out" "pgverify test expired CA  \[CA\]  EXPIRED"
check "a bundle with one valid CA is still usable: exit 0" "$out" "exit=0$"
check "bundle --json: certificates, expiry and usability" \
	"$(json "[(c['subject'], c['expired'], c['ca']) for c in d[0]['certificates']], d[0]['usable']" bundle --json "$T/mixed.pem")" \
	"^\[\('pgverify test root CA', False, True\), \('pgverify test expired CA', True, True\)\] True, exit=0$"
check "a bundle of expired CAs only: exit 1" "$(run bundle "$T/pki/oldca.pem")" "every certificate in .*oldca.pem has expired
exit=1$"
{
	cat "$T/pki/root.pem"
	printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'
	cat "$T/pki/inter.pem"
} >"$T/garbage-middle.pem"
out=$(run bundle "$T/garbage-middle.pem")
check "garbage in the middle: the position is reported" "$out" "certificate 2 \(after line [0-9]+\) is not a valid PEM certificate"
check "garbage in the middle: exit 1" "$out" "exit=1$"
check "bundle of a missing file: exit 1" "$(run bundle "$T/none.pem")" "cannot read CA bundle.*
exit=1$"
if [ -r "$abs_top_srcdir/../shared/fixtures/rds-global-bundle.pem" ]; then
	rds=$abs_top_srcdir/../shared/fixtures/rds-global-bundle.pem
	check "bundle: the real RDS global bundle's summary, by CA id" "$(run bundle "$rds")" \
		"^$rds: 118 certificates, 28 expired, [0-9]+ expire within 30 days; the first on 2061-05-18
  rds-ca-rsa2048-g1  28 regions, 30 certificates, first to expire 2061-05-18
  rds-ca-rsa4096-g1  28 regions, 30 certificates, first to expire 2121-05-18
  rds-ca-ecc384-g1   28 regions, 30 certificates, first to expire 2121-05-18
  rds-ca-2019        3 regions, 6 certificates \(6 expired\)
  other CAs          22 certificates \(22 expired\): .*
exit=0$"
	check "bundle --json: the CA ids" \
		"$(json "[(k['id'], k['certificates'], k['regions']) for k in d[0]['ca_ids']], d[0]['other_certificates']" bundle --json "$rds")" \
		"^\[\('rds-ca-rsa2048-g1', 30, 28\), \('rds-ca-rsa4096-g1', 30, 28\), \('rds-ca-ecc384-g1', 30, 28\), \('rds-ca-2019', 6, 3\)\] 22, exit=0$"
	check "the real RDS global bundle: 118 certificates, 28 expired, usable" \
		"$(json "len(d[0]['certificates']), sum(c['expired'] for c in d[0]['certificates']), d[0]['usable']" bundle --json "$rds")" \
		"^118 28 True, exit=0$"
	mkdir "$T/rds-split"
	out=$(run bundle --split "$T/rds-split" "$rds")
	check "--split of the real RDS bundle: 28 regions, the expired left out" "$out" \
		"^28 regions from .*; 28 expired certificates left out
exit=0$"
	check "--split: us-east-1 gets its three G1 roots and the Beta ones, nothing else" \
		"$(grep -h '^# ' "$T/rds-split/us-east-1.pem" | sort)" \
		"\A# Amazon RDS Beta us-east-1 Root CA ECC384 G1
# Amazon RDS Beta us-east-1 Root CA RSA2048 G1
# Amazon RDS Beta us-east-1 Root CA RSA4096 G1
# Amazon RDS us-east-1 Root CA ECC384 G1
# Amazon RDS us-east-1 Root CA RSA2048 G1
# Amazon RDS us-east-1 Root CA RSA4096 G1\n\z"
	check "--split: each region file is a usable bundle of 3 to 6 certificates" \
		"$(json "sorted(set(len(f['certificates']) for f in d)), all(f['usable'] for f in d)" bundle --json "$T"/rds-split/*.pem)" \
		"^\[3, 6\] True, exit=0$"
	check "--split: the files hold each of the 90 valid certificates once" \
		"$(cat "$T"/rds-split/*.pem | grep -c 'BEGIN CERTIFICATE')" "^90$"
else
	for n in 1 2 3 4 5; do ok "# SKIP ../shared/fixtures is absent (a user's clone)"; done
fi
mkdir "$T/split"
out=$(run bundle --split "$T/split" "$T/pki/regions.pem")
check "--split: one file per region a CA names, a CA naming none goes into each" "$out" \
	"^us-east-1 +$T/split/us-east-1.pem  \(2 certificates\)
eu-west-1 +$T/split/eu-west-1.pem  \(2 certificates\)
2 regions from $T/pki/regions.pem; 0 expired certificates left out
exit=0$"
check "--split: the file is the region's CA and the regionless root" \
	"$(grep -h '^# ' "$T/split/eu-west-1.pem")" "\A# pgverify test root CA
# Amazon RDS eu-west-1 Root CA \(pgverify test\)\n\z"
check "--split --json" "$(json "[(f['region'], f['certificates'], f['error']) for f in d]" bundle --json --split "$T/split" "$T/pki/regions.pem")" \
	"^\[\('us-east-1', 2, None\), \('eu-west-1', 2, None\)\], exit=0$"
check "--split of a bundle naming no region: exit 1" "$(run bundle --split "$T/split" "$T/pki/root.pem")" \
	"no valid certificate in .*root.pem names an AWS region.*
exit=1$"
check "--split with two bundles is a usage error" "$(run bundle --split "$T/split" "$T/pki/regions.pem" "$T/pki/root.pem")" "exit=2$"
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.rds.amazonaws.com"; sslrootcert = "%s/{region}.pem"; } );\n' \
	"$T/pki/root.pem" "$T/split" >"$T/region.conf"
out=$(run check -c "$T/region.conf")
check "check of a {region} rule checks each region's file" "$out" \
	"^bundle $T/split/eu-west-1.pem \(rule 1\)
  ok: 2 certificates(.|
)*^bundle $T/split/us-east-1.pem \(rule 1\)
  ok: 2 certificates(.|
)*exit=0$"
printf 'hosts = ( { match = "*.rds.amazonaws.com"; sslrootcert = "%s/{region}.pem"; } );\n' "$T/nodir" >"$T/noregion.conf"
check "check of a {region} rule with no region file fails" "$(run check -c "$T/noregion.conf")" \
	"bundle $T/nodir/\{region\}.pem \(rule 1\)
  FAILED: cannot read CA bundle(.|
)*exit=1$"
check "--split into a new directory: it is made" \
	"$(run bundle --split "$T/made-by-split" "$T/pki/regions.pem"; ls "$T/made-by-split" | wc -l)" "exit=0
[1-9][0-9]*$"
check "--split into a directory that cannot be made: one error, exit 1, no success line" \
	"$(run bundle --split "$T/no/such/dir" "$T/pki/regions.pem")" \
	"\\Apgverify: cannot write into $T/no/such/dir: No such file or directory
exit=1$"
# --- bundle --install -------------------------------------------------------------
mkdir "$T/inst"
out=$(run bundle --install "$T/inst/ca.pem" "$T/pki/root.pem")
check "--install into a new file: installs and lists what it adds" "$out" \
	"^$T/inst/ca.pem: installed 1 certificates from $T/pki/root.pem
  \+ pgverify test root CA  ([0-9A-F]{2}:){31}[0-9A-F]{2}
  \(there was no usable bundle at $T/inst/ca.pem before\)
exit=0$"
check "--install: the file is mode 0644" "$(stat -c %a "$T/inst/ca.pem")" "^644$"
out=$(run bundle --install "$T/inst/ca.pem" "$T/pki/regions.pem")
check "--install over a bundle: the CAs added, none removed" "$out" \
	"installed 3 certificates(.|
)*\+ Amazon RDS us-east-1 Root CA \(pgverify test\)(.|
)*\+ Amazon RDS eu-west-1 Root CA \(pgverify test\)(.|
)*exit=0$"
before=$(sha256sum <"$T/inst/ca.pem")
check "--install of a file that drops an RDS CA: refused without --force, exit 1" \
	"$(run bundle --install "$T/inst/ca.pem" "$T/pki/usroot.pem")" \
	"would drop 1 RDS CA that $T/inst/ca.pem holds \\(Amazon RDS eu-west-1 Root CA \\(pgverify test\\), ...\\): .*give --force(.|
)*exit=1$"
check "--dry-run --force: the changes listed, nothing written" \
	"$(run bundle --dry-run --force --install "$T/inst/ca.pem" "$T/pki/usroot.pem"; sha256sum <"$T/inst/ca.pem")" \
	"would install \\(--dry-run: unchanged\\) 1 certificates(.|
)*exit=0
\\Q${before%% *}\\E"
check "--install --json --force: the changes" \
	"$(json "d['installed'], [(c['change'], c['subject']) for c in d['changes']]" bundle --json --force --install "$T/inst/ca.pem" "$T/pki/usroot.pem")" \
	"^True \[\('removed', 'pgverify test root CA'\), \('removed', 'Amazon RDS eu-west-1 Root CA \(pgverify test\)'\)\], exit=0$"
before=$(sha256sum <"$T/inst/ca.pem")
check "--install of garbage: refused, exit 1" "$(run bundle --install "$T/inst/ca.pem" "$T/garbage-middle.pem")" \
	"is not a valid PEM certificate.*; $T/inst/ca.pem is unchanged
exit=1$"
check "--install of a server certificate: refused, a bundle holds CAs" "$(run bundle --install "$T/inst/ca.pem" "$T/pki/good.crt")" \
	"certificate 1 \(db1.abc123.us-east-1.rds.amazonaws.com\) is not a CA(.|
)*exit=1$"
check "--install of expired CAs only: refused" "$(run bundle --install "$T/inst/ca.pem" "$T/pki/oldca.pem")" \
	"every certificate in $T/pki/oldca.pem has expired; $T/inst/ca.pem is unchanged
exit=1$"
check "--install of a missing file: refused" "$(run bundle --install "$T/inst/ca.pem" "$T/none.pem")" "cannot copy(.|
)*exit=1$"
check "after every refusal the bundle is byte for byte what it was" "$(sha256sum <"$T/inst/ca.pem")" "^${before%% *}"
check "--install leaves no temporary file behind" "$(ls -A "$T/inst")" "\Aca.pem\n\z"
check "--split leaves no temporary file behind" "$(ls -A "$T/split")" "\Aeu-west-1.pem
us-east-1.pem\n\z"

# --- check ----------------------------------------------------------------------
out=$(run check)
check "check: the config and its bundle are ok" "$out" "bundle $T/pki/root.pem \(default\)
  ok: 1 certificates, 0 expired, 0 expire within 30 days
  age: modified [0-9-]+ \(0 days ago\)
libpq (.|
)*^ok
exit=0$"
cat "$T/pki/root.pem" "$T/pki/soonca.pem" "$T/pki/oldca.pem" >"$T/aging.pem"
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.corp.example"; sslrootcert = "%s"; } );\n' \
	"$T/aging.pem" "$T/pki/oldca.pem" >"$T/aging.conf"
out=$(run check -c "$T/aging.conf")
check "check names the CA that expires within the window" "$out" "expiring: pgverify test soon-expiring CA"
check "check names the CA that already expired" "$out" "expired:  pgverify test expired CA"
check "check: a rule's bundle with only expired CAs fails, exit 1" "$out" "bundle $T/pki/oldca.pem \(rule 1\)
  expired:  pgverify test expired CA \(2021-01-01\)
  FAILED: every certificate in $T/pki/oldca.pem has expired"
check "check: exit 1 when a bundle would refuse connections" "$out" "exit=1$"
check "check --json" "$(json "[(b['used_by'], b['ok'], b['certificates'], b['expiring'], b['expired']) for b in d['bundles']], d['ok']" check --json -c "$T/aging.conf")" \
	"^\[\('default', True, 3, 1, 1\), \('rule 1', False, 1, 0, 1\)\] False, exit=1$"
printf 'sslmode = "prefer";\n' >"$T/bad.conf"
check "check: a bad config is exit 2 with file, line and key" "$(run check -c "$T/bad.conf")" \
	"$T/bad.conf:1: sslmode: \"prefer\" is not one of \"verify-ca\", \"verify-full\"
exit=2$"
check "check --json of a bad config" "$(json "d['ok'], d['error']" check --json -c "$T/bad.conf")" \
	"^False $T/bad.conf:1: sslmode: .*, exit=2$"
check "check -c of a missing file: exit 2" "$(run check -c "$T/none.conf")" "exit=2$"

# --- check: what the shim will find in this libpq --------------------------------
out=$(run check)
check "check: names the libpq and its version" "$out" "^libpq /.*libpq\.so\.5 \([0-9]{5,6}\)$"
check "check: libpq's symbols and inputs are there to bind" "$out" \
	"connection functions in its symbol table: found(.|
)*environment and service file read once: yes"
if objdump -d "$(libpq_path)" | grep -q 'call.*<PQconnectPoll@plt>'; then want=yes; else want="no \(built with -Bsymbolic-functions"; fi
check "check: says whether the first-poll backstop exists in this libpq" "$out" "backstop at the first PQconnectPoll: $want"
check "check --json: the libpq section" \
	"$(json "d['libpq']['symbols'], d['libpq']['inputs_routed']" check --json)" "^True True, exit=0$"

# --- explain --------------------------------------------------------------------
GOOD=$(at "$P_GOOD")
out=$(run explain "$GOOD password=s3cret sslmode=disable")
check "explain: the decision and the change, and the host's provider" "$out" "^decision:     enforce
hosts:        $PGV_NAME \(hostaddr 127.0.0.1\)
provider:     Amazon RDS and Aurora \(RDS CA bundle: Amazon RDS root CAs, per region\)
sslmode:      disable -> verify-full \(the connection's own from the connection string; minimum from $T/pgverify.conf\)"
check "explain: the rewritten options (libpq's order), password masked" "$out" \
	"forwarded:    user=postgres password=\*{8} dbname=postgres host=$PGV_NAME hostaddr=127.0.0.1 port=$P_GOOD sslmode=disable sslmode=verify-full sslrootcert=$T/pki/root.pem gssencmode=disable$"
check_not "explain never prints the password" "$out$(run explain --json "$GOOD password=s3cret")" "s3cret"
check "explain: PGSSLMODE is named as the origin" \
	"$(PGSSLMODE=require run explain "$GOOD")" "require -> verify-full \(the connection's own from PGSSLMODE"
check "explain --json" "$(json "d['decision'], d['sslmode'], d['sslrootcert']['source']" explain --json "$GOOD")" \
	"^enforce \{'before': 'prefer', 'after': 'verify-full', 'origin': \"libpq's default\"\} config, exit=0$"
check "explain of a refused connection: exit 1 and the reason" \
	"$(run explain "hostaddr=127.0.0.1 port=$P_GOOD")" "decision:     refuse
hosts:        127.0.0.1
reason:       .*add host=.*
exit=1$"
check "explain of a Unix socket: left alone, exit 0" "$(run explain "host=/tmp")" "decision:     leave
hosts:        /tmp
reason:       Unix-domain socket: no TLS in libpq
forwarded:    host=/tmp
exit=0$"
check "explain with a bad config: exit 2" "$(run explain -c "$T/bad.conf" "$GOOD")" "exit=2$"

# libpq's parse error quotes the string it failed on, password and all.
bad_uri="postgresql://u:s3cret@[::1/db"
out=$(run explain "$bad_uri")
check "explain of an unparsable URI: refused, libpq's message cut where it quotes the URI" "$out" \
	"reason: +cannot read the connection options: .*libpq's message is cut(.|
)*exit=1$"
check_not "explain, text and --json, of an unparsable URI: no password" \
	"$out$(run explain --json "$bad_uri")$(run explain "host=x password=s3cret port=1 junk")" "s3cret"
check_not "probe of an unparsable URI: no password" "$(run probe "$bad_uri")" "s3cret"
out=$(LD_PRELOAD="${PGVERIFY_TEST_PRELOAD% }" run exec "$T/psql-run" "$bad_uri" "SELECT 1")
check_not "exec, the shim's log and libpq's message for an unparsable URI: no password" "$out" "s3cret"
check "exec: the shim's refusal says libpq's message was cut" "$out" \
	"pgverify refused this connection: cannot read the connection options: .*libpq's message is cut"
# --- probe ----------------------------------------------------------------------
out=$(run probe "$(at "$P_GOOD") password=s3cret")
check "probe, good server: the provider, TLS, the chain, verified, the root CA's expiry, name matches" "$out" "^  provider   Amazon RDS and Aurora \(RDS CA bundle: Amazon RDS root CAs, per region\)
  tls        TLSv1\.[23], .+
  direct TLS no: keep the classic negotiation \(PostgreSQL 16 or older, or a proxy that does not take it\)
  chain      0  $PGV_NAME, issued by pgverify test intermediate CA, until [0-9-]+ \([0-9]+ days\)
             1  pgverify test intermediate CA, issued by pgverify test root CA, until .*
  bundle     $T/pki/root.pem
  verified   yes, anchored by /CN=pgverify test root CA
  root CA    pgverify test root CA, until [0-9-]+ \((3649|3650) days\)
  us-east-1  rds-ca-rsa2048-g1 NOT in the bundle
             rds-ca-rsa4096-g1 NOT in the bundle
             rds-ca-ecc384-g1 NOT in the bundle
  host name  matches $PGV_NAME
  result     ok: pgverify lets this connection through
exit=0$"
check_not "probe never prints the password" "$out" "s3cret"
out=$(run probe "$(at "$P_MITM")")
check "probe, forged server: does not verify, exit 1" "$out" "verified   NO: self-signed certificate in certificate chain"
check "probe, forged server: refused" "$out" "result     REFUSED.*
exit=1$"
printf 'sslrootcert = "%s";\nmode = "report";\n' "$T/pki/root.pem" >"$T/probe-report.conf"
out=$(run probe -c "$T/probe-report.conf" "$(at "$P_MITM")")
check "probe in report mode: says what enforcement would do, not REFUSED" "$out" \
	"result     would be refused under enforcement \\(report mode(.|
)*exit=1$"
check_not "probe in report mode: no REFUSED" "$out" "REFUSED"
out=$(run probe "$(at "$P_WRONGNAME")")
check "probe, wrong name: verified chain but the name does not match, exit 1" "$out" "verified   yes(.|
)*  host name  does NOT match $PGV_NAME
  result     REFUSED.*
exit=1$"
out=$(run probe "$(at "$P_EXPIRED")")
check "probe, expired server certificate: exit 1" "$out" "verified   NO: certificate has expired(.|
)*exit=1$"
check "probe, expired certificate: its dates are shown" "$out" "chain      0  $PGV_NAME, issued by pgverify test intermediate CA, until 2021-01-01 \(-[0-9]+ days\)"
check "probe, server without TLS: reported, exit 1" "$(run probe "$(at "$P_NOTLS")")" \
	"REFUSED    the server does not support TLS \(answered N\)
exit=1$"
check "probe --json, good server" \
	"$(json "d['ok'], [(h['tls'], h['verified'], h['host_match'], len(h['chain']), h['chain'][0]['subject']) for h in d['hosts']]" probe --json "$(at "$P_GOOD")")" \
	"^True \[\(True, True, True, 2, '$PGV_NAME'\)\], exit=0$"
check "probe --json, forged server" \
	"$(json "d['ok'], d['hosts'][0]['verified'], d['hosts'][0]['verify_error']" probe --json "$(at "$P_MITM")")" \
	"^False False self-signed certificate in certificate chain, exit=1$"
check "probe --json, wrong name" \
	"$(json "d['ok'], d['hosts'][0]['verified'], d['hosts'][0]['host_match']" probe --json "$(at "$P_WRONGNAME")")" \
	"^False True False, exit=1$"
check "probe --json, expired certificate" \
	"$(json "d['ok'], d['hosts'][0]['verify_error'], d['hosts'][0]['chain'][0]['days_left'] < 0" probe --json "$(at "$P_EXPIRED")")" \
	"^False certificate has expired True, exit=1$"
check "probe --json, no TLS" \
	"$(json "d['ok'], d['hosts'][0]['tls'], d['hosts'][0]['error']" probe --json "$(at "$P_NOTLS")")" \
	"^False False the server does not support TLS \(answered N\), exit=1$"
check "probe of hostaddr without host: refused by the policy, no network" \
	"$(run probe "hostaddr=127.0.0.1 port=$P_GOOD")" "^refused: .*add host=.*
exit=1$"
multi="host=$PGV_NAME,$PGV_NAME hostaddr=127.0.0.1,127.0.0.1 port=$P_GOOD,$P_MITM user=postgres"
out=$(run probe "$multi")
check "probe of a multi-host list probes each host" "$(echo "$out" | grep -c '^  result')" "^2$"
check "probe of a multi-host list fails if any host does" "$out" "exit=1$"

# The fake server answers N and counts what follows: a probe sends nothing.
fake_start 10
out=$(run probe "$(fake_at)")
check "probe against a server that answers N: reported, exit 1" "$out" "answered N(.|
)*exit=1$"
fake_wait
check "probe sends nothing after the SSLRequest (no startup packet, no password)" "$FAKE_COUNT" "^0$"

# --- exec -----------------------------------------------------------------------
# In a sanitizer build the commands exec runs need the runtimes preloaded.
run_exec() { LD_PRELOAD="${PGVERIFY_TEST_PRELOAD% }" run exec "$@"; }
sslq="SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
out=$(run_exec -c "$T/pgverify.conf" "$T/psql-run" "$(at "$P_MITM")" "$sslq")
check "exec: psql under pgverify refuses the forged server" "$out" "certificate verify failed"
check "exec: the exit status is the command's" "$out" "exit=2$"
check "exec: psql under pgverify connects to the good server" \
	"$(run_exec "$T/psql-run" "$(at "$P_GOOD")" "$sslq")" "^t
exit=0$"
check "exec keeps an existing LD_PRELOAD after the library" \
	"$(LD_PRELOAD="${PGVERIFY_TEST_PRELOAD}libm.so.6" run exec sh -c 'echo "$LD_PRELOAD"')" "^$PGVERIFY_LIBRARY ${PGVERIFY_TEST_PRELOAD}libm.so.6
exit=0$"
check "exec -c sets PGVERIFY_CONFIG to the absolute path" \
	"$(cd "$T" && run_exec -c pgverify.conf sh -c 'echo "$PGVERIFY_CONFIG"')" "^$T/pgverify.conf
exit=0$"
check "exec with a bad config does not run the command: exit 2" \
	"$(run exec -c "$T/bad.conf" sh -c 'echo ran')" "sslmode.*
exit=2$"
check "exec of a missing command: exit 127" "$(run exec /nonexistent/cmd)" "exit=127$"
check "exec without the library does not run the command" \
	"$(PGVERIFY_LIBRARY=/nonexistent.so run exec sh -c 'echo ran')" "cannot use /nonexistent.so.*
exit=2$"

# --- help, enable, disable, status ---------------------------------------------------
for c in exec check explain probe bundle rotation report enable disable status; do
	check "pgverify help $c: options and an example" "$(run help "$c")" "^usage: pgverify $c(.|
)*Example"
done
check "pgverify help of an unknown command: exit 2" "$(run help nosuch 2>&1)" "no command \"nosuch\"(.|
)*exit=2$"
check "check --help is the same help" "$(run check --help)" "^usage: pgverify check(.|
)*Examples:"
out=$(run enable --dry-run myapp)
check "enable --dry-run: the drop-in preloads the bare soname, nothing written" "$out" \
	"^would write /etc/systemd/system/myapp.service.d/pgverify.conf:(.|
)*^Environment=LD_PRELOAD=libpgverify.so.0
exit=0$"
check "enable of a name that is no unit: exit 2" "$(run enable ../etc 2>&1)" "not a systemd unit name(.|
)*exit=2$"
if [ "$(id -u)" = 0 ] && [ -d /etc/systemd/system ] && unshare -m --propagation private true 2>/dev/null; then
	out=$(unshare -m --propagation private sh -c 'mount -t tmpfs none /etc/systemd/system &&
		"$1" enable myapp && cat /etc/systemd/system/myapp.service.d/pgverify.conf &&
		"$1" status myapp; "$1" disable myapp && ls -A /etc/systemd/system; "$1" disable myapp' sh "$abs_top_builddir/src/pgverify" 2>&1)
	check "enable writes the drop-in, disable removes it and its directory" "$out" \
		"^wrote /etc/systemd/system/myapp.service.d/pgverify.conf
now run: systemctl daemon-reload && systemctl restart myapp
(.|
)*^Environment=LD_PRELOAD=libpgverify.so.0
(.|
)*^removed /etc/systemd/system/myapp.service.d/pgverify.conf
now run: systemctl daemon-reload && systemctl restart myapp
myapp: pgverify was not enabled there$"
	check "status UNIT says pgverify enable preloads it" "$out" "^myapp: not running \\(no main process\\); pgverify enable preloads it$"
else
	skip "enable and disable in a private /etc/systemd/system" "needs root and unshare -m"
	skip "status UNIT with the drop-in" "needs root and unshare -m"
fi
check "status without an argument: the host" "$(run status)" "^host-wide \\(/etc/ld.so.preload\\): (.|
)*^configuration: (.|
)*exit=0$"
# --- check: rules that never apply, a mistyped key ----------------------------------
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.example.com"; sslrootcert = "system"; },\n  { match = "db.example.com"; sslrootcert = "system"; },\n  { match = "db.other.com:5432"; sslrootcert = "system"; } );\n' \
	"$T/pki/root.pem" >"$T/rules-never.conf"
out=$(run check -c "$T/rules-never.conf")
check "check: a rule an earlier glob covers never applies, exit 1" "$out" \
	"^rule 2 \\(\"db.example.com\"\\) NEVER APPLIES: rule 1 \\(\"\\*.example.com\"\\) comes first and covers it(.|
)*exit=1$"
check "check: a match with a port never applies" "$out" "^rule 3 \\(\"db.other.com:5432\"\\) NEVER APPLIES: it holds a port"
# A provider's own rule for a CA per tenant: a file not downloaded yet is
# said with where it comes from, and fails nothing; the same file under a
# rule of one's own is a missing bundle like any other.
mkdir "$T/tenant"
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.sql.goog"; sslrootcert = "%s/cloudsql.pem"; } );\n' \
	"$T/pki/root.pem" "$T/tenant" >"$T/tenant.conf"
check "check: a per-tenant CA not installed yet is said with its download and install command, exit 0" \
	"$(run check -c "$T/tenant.conf")" "^bundle $T/tenant/cloudsql.pem \\(rule 1\\)
  not installed: connections to Google Cloud SQL are refused until it is; Google Cloud SQL's CA is per instance: gcloud sql ssl server-ca-certs list .*, then pgverify bundle --install $T/tenant/cloudsql.pem server-ca.pem(.|
)*^ok
exit=0$"
sed 's/"\*\.sql\.goog"/"db1.*.sql.goog"/' "$T/tenant.conf" >"$T/own.conf"
check "check: the same missing file under a rule of one's own fails, exit 1" "$(run check -c "$T/own.conf")" \
	"^bundle $T/tenant/cloudsql.pem \\(rule 1\\)
  FAILED: cannot read CA bundle(.|
)*exit=1$"
"$PGV" bundle --install "$T/tenant/cloudsql.pem" "$T/pki/root.pem" >/dev/null
check "check: once installed, it is checked as any bundle" "$(run check -c "$T/tenant.conf")" \
	"^bundle $T/tenant/cloudsql.pem \\(rule 1\\)
  ok: 1 certificates(.|
)*exit=0$"
printf 'sslrotcert = "%s";\n' "$T/pki/root.pem" >"$T/typo.conf"
check "check: a mistyped key names the nearest known one" "$(run check -c "$T/typo.conf")" \
	"sslrotcert: unknown key; did you mean \"sslrootcert\"\\?(.|
)*exit=2$"
printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/no/such/dir/audit.jsonl" >"$T/audit-nodir.conf"
check "check: an audit file in a missing directory: records would be lost, the fix, exit 1" "$(run check -c "$T/audit-nodir.conf")" \
	"^audit $T/no/such/dir/audit.jsonl: RECORDS WOULD BE LOST: its directory $T/no/such/dir does not exist: create it for the service that writes \(install -d -o USER -m 0750 $T/no/such/dir\), or set audit = \"syslog\"
FAILED: audit records would be lost
exit=1$"
ln -sf "$T/elsewhere" "$T/audit-link.jsonl"
printf 'sslrootcert = "%s";\naudit = "%s";\n' "$T/pki/root.pem" "$T/audit-link.jsonl" >"$T/audit-link.conf"
check "check: an audit path that is a symbolic link: not a regular file" "$(run check -c "$T/audit-link.conf")" \
	"RECORDS WOULD BE LOST: it is not a regular file"
printf 'sslrootcert = "%s";\naudit = "syslog";\n' "$T/pki/root.pem" >"$T/audit-syslog.conf"
check_not "check: audit = syslog is fine" "$(run check -c "$T/audit-syslog.conf")" "RECORDS WOULD BE LOST"
printf 'sslrootcert = "%s";\nexempt = [ "localhost" ];\n' "$T/pki/root.pem" >"$T/exempt-lo.conf"
check "check: an exempt entry covering loopback says what the local pooler must do" "$(run check -c "$T/exempt-lo.conf")" \
	"^exempt covers loopback \(localhost\): a local pooler's hop is left unverified; .*server_tls_sslmode = verify-full"
printf 'sslrootcert = "%s";\nexempt = [ "10.0.0.0/8" ];\n' "$T/pki/root.pem" >"$T/exempt-ten.conf"
check_not "check: an exempt block without loopback says nothing of poolers" "$(run check -c "$T/exempt-ten.conf")" "loopback"
tap_done
