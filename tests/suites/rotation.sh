#!/bin/bash
# CA rotation: servers under RDS-style roots (RSA2048, RSA4096 and ECC384
# G1 of us-east-1, and eu-west-1's RSA2048), `pgverify probe` naming each
# server's CA id and what the bundle trusts, `pgverify rotation` over host
# names and over `aws rds describe-db-instances` output, and
# `pgverify bundle --update` against a local HTTPS server with its own CA.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
fixture_require
fixture_clients
FIXTURE_PKI=make_pki_rds fixture_start srv2048 srv4096 srvecc384
PGV=$abs_top_builddir/src/pgverify
FIX=$abs_top_srcdir/tests/fixtures
run() { "$PGV" "$@" 2>&1; echo "exit=$?"; }
json_ok() { python3 -c 'import json, sys; json.load(sys.stdin); print("valid JSON")'; }
printf 'sslrootcert = "%s";\n' "$T/pki/rds-all.pem" >"$T/all.conf"
printf 'sslrootcert = "%s";\n' "$T/pki/rds-noecc.pem" >"$T/noecc.conf"

# --- probe: the CA id of each server, and the region's G1 ids ---------------------
for s in 2048:rsa2048 4096:rsa4096 ecc384:ecc384; do
	port=$(eval echo "\$P_SRV$(echo "${s%%:*}" | tr a-z A-Z)")
	check "probe: the ${s#*:} server's CA id" "$(run probe -c "$T/all.conf" "$(at "$port")")" \
		"verified   yes, anchored by /CN=Amazon RDS us-east-1 Root CA $(echo "${s#*:}" | tr a-z A-Z) G1 \(pgverify test\)
  root CA    Amazon RDS us-east-1 Root CA $(echo "${s#*:}" | tr a-z A-Z) G1 \(pgverify test\), until 20[0-9-]+ \([0-9]+ days\)
  RDS CA     rds-ca-${s#*:}-g1
  us-east-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 trusted until 20[0-9-]+
             rds-ca-ecc384-g1 trusted until 20[0-9-]+
(.|
)*exit=0$"
done
out=$(run probe -c "$T/noecc.conf" "$(at "$P_SRVECC384")")
check "probe: a bundle without the ECC384 root: not verified, the id named from the chain" "$out" \
	"verified   NO: self-signed certificate in certificate chain
  root CA    Amazon RDS us-east-1 Root CA ECC384 G1 \(pgverify test\) \(named by the chain; not verified\), until 20[0-9-]+ \([0-9]+ days\)
  RDS CA     rds-ca-ecc384-g1 \(named by the chain; not verified\)"
check "probe: and the ECC384 id reported missing" "$out" "             rds-ca-ecc384-g1 NOT in the bundle
(.|
)*exit=1$"
# --- the failure message: what the server presented, its RDS CA id ---------------
out=$(PGVERIFY_CONFIG=$T/noecc.conf LD_PRELOAD="$SHIM" "$PLAIN" connectdb "$(at "$P_SRVECC384")" 2>&1)
check "a server on a CA the bundle lacks: refused, the message names its issuer and RDS CA id" "$out" \
	"and the server's certificate did not pass; the server presented a certificate issued by .*, whose chain names the root /CN=Amazon RDS us-east-1 Root CA ECC384 G1 \(pgverify test\) \(RDS CA id rds-ca-ecc384-g1\); pgverify probe"
check "the same, psql: in its error message" \
	"$(psql_run "$(at "$P_SRVECC384")" "SELECT 1" LD_PRELOAD="$SHIM" PGVERIFY_CONFIG="$T/noecc.conf" 2>&1)" "\(RDS CA id rds-ca-ecc384-g1\)"
check "probe --json: ca_id and rds_cas" \
	"$("$PGV" probe -c "$T/noecc.conf" --json "$(at "$P_SRVECC384")" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(h["ca_id"], h["rds_region"], " ".join("%s=%s" % (c["id"], c["trusted"]) for c in h["rds_cas"]))')" \
	"^rds-ca-ecc384-g1 us-east-1 rds-ca-rsa2048-g1=True rds-ca-rsa4096-g1=True rds-ca-ecc384-g1=False$"

# --- rotation over host names ---------------------------------------------------------
out=$(run rotation -c "$T/noecc.conf" "$PGV_NAME")
check "rotation: one line per endpoint under a header; no CA id known, said so, exit 0" "$out" \
	"^NAME  ENDPOINT +CA  STATUS   +DETAIL
-     $PGV_NAME  -   unknown    CA id not known \(--aws or --to CA_ID names it\); trusted for us-east-1: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1
1 endpoint: 0 ready, 1 with no CA id known
exit=0$"
check "rotation --long: the bundle and the ids it trusts for the region" "$(run rotation -c "$T/noecc.conf" --long "$PGV_NAME")" \
	"^$PGV_NAME
  bundle     $T/pki/rds-noecc.pem
  us-east-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 trusted until 20[0-9-]+
             rds-ca-ecc384-g1 NOT in the bundle
  change to  rds-ca-rsa2048-g1: ready
  change to  rds-ca-rsa4096-g1: ready
  change to  rds-ca-ecc384-g1: would break: the bundle has no valid root for it in this region
  status     unknown
1 endpoint: 0 ready, 1 with no CA id known
exit=0$"
out=$(run rotation -c "$T/noecc.conf" --to rds-ca-ecc384-g1 "$PGV_NAME")
check "rotation --to rds-ca-ecc384-g1: NOT READY, the bundle to update named, exit 1" "$out" \
	" NOT READY  rds-ca-ecc384-g1 \(--to\) is not trusted for us-east-1; update the bundle: pgverify bundle -c $T/noecc.conf --update $T/pki/rds-noecc.pem
1 endpoint: 0 ready, 1 NOT READY
exit=1$"
check "rotation --long --to rds-ca-ecc384-g1: the change NOT READY" "$(run rotation -c "$T/noecc.conf" --long --to rds-ca-ecc384-g1 "$PGV_NAME")" \
	"  change to  rds-ca-ecc384-g1: NOT READY: the bundle has no valid root for it in this region
  status     NOT READY: rds-ca-ecc384-g1 \(--to\) is not trusted for us-east-1
  fix        update the bundle: pgverify bundle -c $T/noecc.conf --update $T/pki/rds-noecc.pem
(.|
)*exit=1$"
check "rotation --to rds-ca-rsa4096-g1: ready, exit 0" "$(run rotation -c "$T/noecc.conf" --to rds-ca-rsa4096-g1 "$PGV_NAME")" \
	" ready      rds-ca-rsa4096-g1 trusted until 20[0-9-]+
1 endpoint: 1 ready
exit=0$"
check "rotation --to with the full bundle: ECC384 ready" "$(run rotation -c "$T/all.conf" --to rds-ca-ecc384-g1 "$PGV_NAME")" \
	" ready      rds-ca-ecc384-g1 trusted until 20[0-9-]+
1 endpoint: 1 ready
exit=0$"
check "rotation --long: another region's ids" "$(run rotation -c "$T/noecc.conf" --long db.x.eu-west-1.rds.amazonaws.com)" \
	"  eu-west-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 NOT in the bundle
             rds-ca-ecc384-g1 NOT in the bundle"
check "rotation: a host that is no RDS endpoint is NOT READY" "$(run rotation -c "$T/noecc.conf" db.example.com)" \
	"^-     db.example.com  -   NOT READY  not an RDS endpoint \(<name>.<id>.<region>.rds.amazonaws.com\)
1 endpoint: 0 ready, 1 NOT READY
exit=1$"
check "rotation: an address that is no DNS name adds no option (quotes stay in the name)" \
	"$(run rotation -c "$T/noecc.conf" "x' sslmode=disable host='$PGV_NAME")" \
	"NOT READY  not an RDS endpoint(.|
)*exit=1$"
check "rotation: --to takes an RDS CA id only" "$(run rotation -c "$T/noecc.conf" --to rds-ca-9999 "$PGV_NAME")" \
	"^pgverify rotation: --to takes an RDS CA id(.|
)*exit=2$"
check "rotation: no endpoint is a usage error" "$(run rotation -c "$T/noecc.conf")" "^usage: pgverify rotation(.|
)*exit=2$"
check "rotation: a file given where an ENDPOINT goes (--audit a b) is a usage error" \
	"$(run rotation -c "$T/noecc.conf" --audit /dev/null "$T/audit.log" "$PGV_NAME")" \
	"^pgverify rotation: an ENDPOINT is a host name, not a file: each --aws and each --audit names one file
usage: pgverify rotation(.|
)*exit=2$"

# --- rotation over aws rds describe-db-instances output -------------------------------
# The fixtures' certificates that should be valid expire in 2099 and the
# expired ones expired in 2024 and 2025: the verdicts do not move with the date.
out=$(run rotation -c "$T/noecc.conf" --aws "$FIX/describe-db-instances.json")
check "rotation --aws: a header and one line per PostgreSQL instance, then the summary" "$out" \
	"^NAME      ENDPOINT                                           CA                 STATUS     DETAIL
app-prod  app-prod.abc123xyz789.us-east-1.rds.amazonaws.com  rds-ca-rsa2048-g1  ready      rds-ca-rsa2048-g1 trusted until 20[0-9-]+; server certificate valid till 2099-03-04
reports   reports.abc123xyz789.us-east-1.rds.amazonaws.com   rds-ca-ecc384-g1   NOT READY  rds-ca-ecc384-g1 is not trusted for us-east-1; fix: aws rds modify-db-instance --db-instance-identifier reports --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1
legacy    legacy.abc123xyz789.us-east-1.rds.amazonaws.com    rds-ca-2019        NOT READY  rds-ca-2019 is not trusted for us-east-1; server certificate expired 2024-08-22; fix: aws rds modify-db-instance --db-instance-identifier legacy --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1
batch     batch.abc123xyz789.us-east-1.rds.amazonaws.com     rds-ca-rsa2048-g1  NOT READY  server certificate expired 2025-06-30; renew the server certificate: aws rds modify-db-instance --db-instance-identifier batch --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1
eu-app    eu-app.def456uvw012.eu-west-1.rds.amazonaws.com    rds-ca-rsa2048-g1  ready      rds-ca-rsa2048-g1 trusted until 20[0-9-]+; server certificate valid till 2099-01-15
5 instances: 2 ready, 3 NOT READY
skipped 3 instances of other engines \(mysql 2, aurora-mysql 1\)
left out 1 instance without an endpoint \(not yet available\)
exit=1$"
check_not "rotation --aws: the MySQL instances get no line of their own" "$out" "^(shop|wiki-1) "
check "rotation --aws: the columns line up" \
	"$(printf '%s\n' "$out" | sed -n '1,6p' | awk '{ print index($0, " " $2 " "), index($0, " " $3 " "), index($0, " " $4 " ") }' | sort -u)" \
	"^10 61 80$"

# A server certificate's ValidTill alone decides: the same instance, past and future.
one() { printf '{"DBInstances": [{"DBInstanceIdentifier": "%s", "Engine": "%s", "Endpoint": {"Address": "%s.abc123xyz789.us-east-1.rds.amazonaws.com", "Port": 5432}, "CACertificateIdentifier": "%s", "CertificateDetails": {"CAIdentifier": "%s", "ValidTill": "%s"}}]}\n' \
	"$1" "$2" "$1" "$3" "$3" "$4"; }
one old postgres rds-ca-rsa4096-g1 2001-02-03T04:05:06Z >"$T/expired.json"
one new postgres rds-ca-rsa4096-g1 2099-02-03T04:05:06.123Z >"$T/valid.json"
check "rotation: an expired server certificate is NOT READY, with its date; exit 1" \
	"$(run rotation -c "$T/noecc.conf" --aws "$T/expired.json")" \
	"^old   old.abc123xyz789.us-east-1.rds.amazonaws.com  rds-ca-rsa4096-g1  NOT READY  server certificate expired 2001-02-03; renew the server certificate: aws rds modify-db-instance --db-instance-identifier old --ca-certificate-identifier rds-ca-rsa4096-g1 --apply-immediately --region us-east-1
1 instance: 0 ready, 1 NOT READY
exit=1$"
check "rotation: the same instance with a certificate valid till 2099 is ready; exit 0" \
	"$(run rotation -c "$T/noecc.conf" --aws "$T/valid.json")" \
	"^new   new.abc123xyz789.us-east-1.rds.amazonaws.com  rds-ca-rsa4096-g1  ready      rds-ca-rsa4096-g1 trusted until 20[0-9-]+; server certificate valid till 2099-02-03
1 instance: 1 ready
exit=0$"
one shop mysql rds-ca-2019 2001-02-03T04:05:06Z >"$T/mysql.json"
check "rotation: a MySQL instance alone is skipped and counted, not NOT READY; exit 0" \
	"$(run rotation -c "$T/noecc.conf" --aws "$T/mysql.json")" \
	"^0 instances: 0 ready
skipped 1 instance of other engines \(mysql 1\)
exit=0$"

# 200 instances, every tenth still on rds-ca-2019: still one line each.
{
	echo '{"DBInstances": ['
	for i in $(seq 1 200); do
		ca=rds-ca-rsa2048-g1
		[ $((i % 10)) = 0 ] && ca=rds-ca-2019
		[ "$i" = 1 ] || echo ','
		printf '{"DBInstanceIdentifier": "db-%03d", "Engine": "postgres", "Endpoint": {"Address": "db-%03d.abc123xyz789.us-east-1.rds.amazonaws.com"}, "CACertificateIdentifier": "%s", "CertificateDetails": {"CAIdentifier": "%s", "ValidTill": "2099-01-01T00:00:00+00:00"}}' "$i" "$i" "$ca" "$ca"
	done
	echo ']}'
} >"$T/200.json"
out=$(run rotation -c "$T/noecc.conf" --aws "$T/200.json")
check "rotation: 200 instances give at most 210 lines" "$(printf '%s\n' "$out" | wc -l | awk '$1 >= 202 && $1 <= 210 { print "lines ok" }')" "^lines ok$"
check "rotation: 200 instances, 20 NOT READY, each with its command on its line" \
	"$(printf '%s\n' "$out" | grep -c '^db-[0-9]*0 .* NOT READY  rds-ca-2019 is not trusted for us-east-1; fix: aws rds modify-db-instance --db-instance-identifier db-[0-9]*0 ')
$(printf '%s\n' "$out" | tail -2)" "^20
200 instances: 180 ready, 20 NOT READY
exit=1$"

check "rotation --long --aws: app-prod's detail, the changes from its CA" \
	"$(run rotation -c "$T/noecc.conf" --long --aws "$FIX/describe-db-instances.json")" \
	"^app-prod.abc123xyz789.us-east-1.rds.amazonaws.com \(app-prod\)
  bundle     $T/pki/rds-noecc.pem
  us-east-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 trusted until 20[0-9-]+
             rds-ca-ecc384-g1 NOT in the bundle
  current    rds-ca-rsa2048-g1, server certificate valid till 2099-03-04T10:15:00\+00:00: ready
  change to  rds-ca-rsa4096-g1: ready
  change to  rds-ca-ecc384-g1: would break: the bundle has no valid root for it in this region
  status     ready
reports.abc123xyz789.us-east-1.rds.amazonaws.com \(reports\)
(.|
)*  current    rds-ca-ecc384-g1, server certificate valid till 2099-12-20T08:00:00\+00:00: NOT READY
(.|
)*  status     NOT READY: rds-ca-ecc384-g1 is not trusted for us-east-1
  fix        aws rds modify-db-instance --db-instance-identifier reports --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1
(.|
)*^eu-app.def456uvw012.eu-west-1.rds.amazonaws.com \(eu-app\)
  bundle     $T/pki/rds-noecc.pem
  eu-west-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 NOT in the bundle
             rds-ca-ecc384-g1 NOT in the bundle
  current    rds-ca-rsa2048-g1, server certificate valid till 2099-01-15T12:00:00\+00:00: ready
(.|
)*^5 instances: 2 ready, 3 NOT READY
(.|
)*exit=1$"
check "rotation --aws with the full bundle: legacy (rds-ca-2019) and batch (expired) fail" \
	"$("$PGV" rotation -c "$T/all.conf" --json --aws "$FIX/describe-db-instances.json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["ok"], " ".join("%s=%s" % (e["name"], e["status"]) for e in d["instances"]))
print(d["summary"])
print(next(e for e in d["instances"] if e["name"] == "legacy")["fix"])')" \
	"^False app-prod=ready reports=ready legacy=not ready batch=not ready eu-app=ready
\{'ready': 3, 'not_ready': 2, 'unknown': 0, 'other_engines_skipped': 3, 'other_engines': \[\{'engine': 'mysql', 'count': 2\}, \{'engine': 'aurora-mysql', 'count': 1\}\], 'without_endpoint': 1, 'expired_cas': \[\]\}
\{'action': 'modify', 'command': 'aws rds modify-db-instance --db-instance-identifier legacy --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1'\}$"
check "rotation --json is valid JSON" "$("$PGV" rotation -c "$T/noecc.conf" --json --aws "$FIX/describe-db-instances.json" | json_ok)" "^valid JSON$"

# --- describe-db-clusters: the CA of a Multi-AZ DB cluster, of each Aurora instance -----------
check "rotation --aws, describe-db-clusters: the cluster endpoint and its CA" \
	"$(run rotation -c "$T/noecc.conf" --aws "$FIX/describe-db-clusters.json")" \
	"^aurora-main  aurora-main.cluster-abc123xyz789.us-east-1.rds.amazonaws.com  rds-ca-rsa4096-g1  ready      rds-ca-rsa4096-g1 trusted until 20[0-9-]+; server certificate valid till 2099-05-01
ledger       ledger.cluster-abc123xyz789.us-east-1.rds.amazonaws.com       rds-ca-2019        NOT READY  rds-ca-2019 is not trusted for us-east-1; server certificate expired 2024-08-22; fix: aws rds modify-db-cluster --db-cluster-identifier ledger --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1
2 instances: 1 ready, 1 NOT READY
skipped 1 instance of other engines \(aurora-mysql 1\)
exit=1$"
printf 'sslrootcert = "%s";\n' "$T/pki/rds2048.pem" >"$T/only2048.conf"
check "rotation: an Aurora cluster's CA is changed on each of its instances" \
	"$(run rotation -c "$T/only2048.conf" --aws "$FIX/describe-db-clusters.json")" \
	"^aurora-main .* NOT READY  rds-ca-rsa4096-g1 is not trusted for us-east-1; fix: aws rds modify-db-instance --db-instance-identifier aurora-main-1 --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1 && aws rds modify-db-instance --db-instance-identifier aurora-main-2 --ca-certificate-identifier rds-ca-rsa2048-g1 --apply-immediately --region us-east-1$"
printf 'sslrootcert = "%s";\n' "$T/pki/rdseu2048.pem" >"$T/euonly.conf"
check "rotation: a bundle that trusts no CA of the region: update it" \
	"$(run rotation -c "$T/euonly.conf" --aws "$FIX/describe-db-clusters.json")" \
	"^ledger .* NOT READY  rds-ca-2019 is not trusted for us-east-1; server certificate expired 2024-08-22; update the bundle: pgverify bundle -c $T/euonly.conf --update $T/pki/rdseu2048.pem$"
printf '{"DBInstances": [{"DBInstanceIdentifier": "x$(reboot)", "Engine": "postgres", "Endpoint": {"Address": "x.abc123xyz789.us-east-1.rds.amazonaws.com"}, "CACertificateIdentifier": "rds-ca-2019"}]}\n' >"$T/odd.json"
check "rotation: a name that is no plain word is quoted in the command" \
	"$(run rotation -c "$T/noecc.conf" --aws "$T/odd.json")" \
	"--db-instance-identifier 'x\\\$\(reboot\)' --ca-certificate-identifier"

# --- describe-certificates: each CA id's ValidTill ---------------------------------------
out=$(run rotation -c "$T/all.conf" --long --aws "$FIX/describe-db-instances.json" --aws "$FIX/describe-certificates.json")
check "rotation --aws describe-certificates: --long names each CA's ValidTill" "$out" \
	"^app-prod.abc123xyz789(.|
)*  current    rds-ca-rsa2048-g1 \(CA valid till 2061-05-25\), server certificate valid till 2099-03-04T10:15:00\+00:00: ready
  change to  rds-ca-rsa4096-g1 \(CA valid till 2121-05-25\): ready
  change to  rds-ca-ecc384-g1 \(CA valid till 2121-05-25\): ready"
check "rotation --aws describe-certificates: legacy's CA expired per AWS" "$out" \
	"  current    rds-ca-2019 \(CA expired 2024-08-22\), server certificate valid till 2024-08-22T17:08:50\+00:00: NOT READY"
check "rotation --aws describe-certificates: the summary warns about the expired CA id" "$out" \
	"^warning: CA rds-ca-2019 expired 2024-08-22 \(describe-certificates\); 1 instance is still on it
exit=1$"
check "rotation --aws describe-certificates with an ENDPOINT and --to" \
	"$(run rotation -c "$T/all.conf" --long --to rds-ca-ecc384-g1 --aws "$FIX/describe-certificates.json" "$PGV_NAME")" \
	"  change to  rds-ca-ecc384-g1 \(CA valid till 2121-05-25\): ready
  status     ready
1 endpoint: 1 ready
warning: CA rds-ca-2019 expired 2024-08-22 \(describe-certificates\)
exit=0$"
check "rotation --json: describe-certificates' ValidTill, and the expired CA ids" \
	"$("$PGV" rotation -c "$T/all.conf" --json --aws "$FIX/describe-db-instances.json" --aws "$FIX/describe-certificates.json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["instances"][0]["current"]["ca_valid_till"], d["summary"]["expired_cas"])')" \
	"^2061-05-25T23:34:57\+00:00 \[\{'id': 'rds-ca-2019', 'valid_till': '2024-08-22T17:08:50\+00:00', 'instances': 1\}\]$"
echo '{"DBInstances": [ {"Endpoint": ' >"$T/broken.json"
check "rotation --aws: a broken file says where" "$(run rotation -c "$T/noecc.conf" --aws "$T/broken.json")" \
	"^pgverify rotation: $T/broken.json:[0-9]+: .*
exit=2$"
echo '{"Items": []}' >"$T/other.json"
check "rotation --aws: JSON of something else is refused" "$(run rotation -c "$T/noecc.conf" --aws "$T/200.json" --aws "$T/other.json")" \
	"^pgverify rotation: $T/other.json: no DBInstances, DBClusters or Certificates(.|
)*exit=2$"

# --- --audit: the programs seen connecting whose trust would not survive -----------------
# A record as the shim writes it; $1 program, $2 host connected to, $3 mode,
# $4 decision, $5 sslrootcert_before (or null), $6 sslrootcert, $7 user, $8 unit.
rec() {
	printf '{"time":"2026-12-01T10:00:00Z","pid":4242,"program":"%s","hostname":"web1","uid":1000,"user":%s,"unit":%s,"application_name":null,"hosts":["%s"],"hostaddrs":null,"port":"5432","mode":"%s","decision":"%s","sslmode_before":"verify-full","sslmode_after":"verify-full","sslrootcert_before":%s,"sslrootcert":"%s","outcome":"connected","error":null,"tls":true,"verified":true,"ca":null,"ca_id":null,"cert_not_after":null}\n' \
		"$1" "$7" "$8" "$2" "$3" "$4" "$5" "$6"
}
APP=app-prod.abc123xyz789.us-east-1.rds.amazonaws.com
OLD=$T/pki/rds2048.pem
{
	rec billing "$APP" report reported "\"$OLD\"" "$OLD" '"app"' '"billing.service"'
	rec billing "$APP" report reported "\"$OLD\"" "$OLD" '"app"' '"billing.service"'
	rec goodapp "$APP" enforce upgraded null "$T/pki/rds-all.pem" '"app"' null
	rec remote "$(echo "$APP" | tr a-z A-Z)" enforce upgraded null /nonexistent/pgverify/ca.pem null '"cron.service"'
	rec exempted "$APP" enforce left null "$OLD" '"app"' null
	rec elsewhere db.abc123xyz789.us-east-1.rds.amazonaws.com report reported "\"$OLD\"" "$OLD" '"app"' null
	echo 'not a record'
} >"$T/audit.log"
rec gzapp "$APP" report reported "\"$OLD\"" "$OLD" '"etl"' null | gzip >"$T/audit.log.1.gz"
{
	python3 -c 'import json, sys; print(json.dumps({"MESSAGE": "pgverify-audit: " + sys.argv[1], "SYSLOG_IDENTIFIER": "pgverify", "_HOSTNAME": "web1"}))' \
		"$(rec journalapp "$APP" report reported "\"$OLD\"" "$OLD" '"svc"' '"journal.service"')"
	python3 -c 'import json, sys; print(json.dumps({"MESSAGE": list(("pgverify-audit: " + sys.argv[1]).encode()), "_HOSTNAME": "web1"}))' \
		"$(rec bytesapp "$APP" report reported "\"$OLD\"" "$OLD" '"svc"' null)"
	echo '{"MESSAGE": "systemd: Started something", "_HOSTNAME": "web1"}'
} >"$T/journal.json"
one app-prod postgres rds-ca-rsa2048-g1 2099-03-04T10:15:00+00:00 >"$T/app.json"
check "rotation --to rds-ca-rsa4096-g1 without --audit: app-prod ready" \
	"$(run rotation -c "$T/all.conf" --to rds-ca-rsa4096-g1 --aws "$T/app.json")" " ready  (.|
)*exit=0$"
out=$(run rotation -c "$T/all.conf" --to rds-ca-rsa4096-g1 --aws "$T/app.json" --audit "$T/audit.log" --audit "$T/audit.log.1.gz" --audit "$T/journal.json")
check "rotation --audit: the programs that pin a bundle without the CA are named, once each, under the instance; exit 1" "$out" \
	"^app-prod  app-prod.abc123xyz789.us-east-1.rds.amazonaws.com  rds-ca-rsa2048-g1  NOT READY  4 programs seen connecting would break
  billing \(user app, unit billing.service, on web1\): $OLD does not trust rds-ca-rsa4096-g1 for us-east-1
  remote \(uid 1000, unit cron.service, on web1\): cannot tell: /nonexistent/pgverify/ca.pem is not readable on this host
  gzapp \(user etl, on web1\): $OLD does not trust rds-ca-rsa4096-g1 for us-east-1
  journalapp \(user svc, unit journal.service, on web1\): $OLD does not trust rds-ca-rsa4096-g1 for us-east-1
  bytesapp \(user svc, on web1\): $OLD does not trust rds-ca-rsa4096-g1 for us-east-1
1 instance: 0 ready, 1 NOT READY
exit=1$"
check_not "rotation --audit: a program whose bundle trusts the CA, an exempt connection and another host's are not named" "$out" \
	"goodapp|exempted|elsewhere"
check "rotation --audit --long: the programs under clients" \
	"$(run rotation -c "$T/all.conf" --long --to rds-ca-rsa4096-g1 --aws "$T/app.json" --audit "$T/audit.log")" \
	"  status     NOT READY: 1 program seen connecting would break
  clients    billing \(user app, unit billing.service, on web1\): $OLD does not trust rds-ca-rsa4096-g1 for us-east-1
             remote \(uid 1000, unit cron.service, on web1\): cannot tell: /nonexistent/pgverify/ca.pem is not readable on this host
1 instance: 0 ready, 1 NOT READY"
check "rotation --audit: without --to, the instance's own CA is what the bundles must hold" \
	"$(run rotation -c "$T/all.conf" --aws "$T/app.json" --audit "$T/audit.log")" \
	"^app-prod .* ready      rds-ca-rsa2048-g1 trusted until 20[0-9-]+; server certificate valid till 2099-03-04
  remote \(uid 1000, unit cron.service, on web1\): cannot tell: /nonexistent/pgverify/ca.pem is not readable on this host
1 instance: 1 ready
exit=0$"
check "rotation --audit --json: the programs, with their bundles" \
	"$("$PGV" rotation -c "$T/all.conf" --json --to rds-ca-rsa4096-g1 --aws "$T/app.json" --audit "$T/audit.log" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["instances"][0]["clients"]:
    print(c["program"], c["user"], c["uid"], c["unit"], c["hostname"], c["bundle"], c["trusts"])')" \
	"^billing app 1000 billing.service web1 $OLD False
remote None 1000 cron.service web1 /nonexistent/pgverify/ca.pem None$"
# The real AWS bundles: a program that pins the October 2023 bundle cannot
# verify an instance of a region opened since (ca-west-1), whatever its CA id.
SHARED=$abs_top_srcdir/../shared/fixtures
if [ -r "$SHARED/rds-global-bundle.pem" ] && [ -r "$SHARED/rds-global-bundle-2026.pem" ]; then
	printf 'sslrootcert = "%s";\n' "$SHARED/rds-global-bundle-2026.pem" >"$T/aws2026.conf"
	CAW=calgary.abc123xyz789.ca-west-1.rds.amazonaws.com
	printf '{"DBInstances": [{"DBInstanceIdentifier": "calgary", "Engine": "postgres", "Endpoint": {"Address": "%s"}, "CACertificateIdentifier": "rds-ca-rsa2048-g1", "CertificateDetails": {"CAIdentifier": "rds-ca-rsa2048-g1", "ValidTill": "2099-01-01T00:00:00Z"}}]}\n' "$CAW" >"$T/calgary.json"
	{
		rec pinned2023 "$CAW" report reported "\"$SHARED/rds-global-bundle.pem\"" "$SHARED/rds-global-bundle.pem" '"app"' null
		rec current "$CAW" enforce upgraded null "$SHARED/rds-global-bundle-2026.pem" '"app"' null
	} >"$T/calgary.log"
	check "rotation, real AWS bundles: the 2026 bundle trusts ca-west-1; the program pinning the 2023 one does not" \
		"$(run rotation -c "$T/aws2026.conf" --aws "$T/calgary.json" --audit "$T/calgary.log")" \
		"^calgary  $CAW  rds-ca-rsa2048-g1  NOT READY  1 program seen connecting would break
  pinned2023 \\(user app, on web1\\): $SHARED/rds-global-bundle.pem does not trust rds-ca-rsa2048-g1 for ca-west-1
1 instance: 0 ready, 1 NOT READY
exit=1$"
	check "rotation --long, real AWS bundles: legacy on rds-ca-2019 is NOT READY, us-east-1's G1 roots trusted" \
		"$(run rotation -c "$T/aws2026.conf" --long --aws "$FIX/describe-db-instances.json")" \
		"^legacy.abc123xyz789.us-east-1.rds.amazonaws.com \\(legacy\\)
  bundle     $SHARED/rds-global-bundle-2026.pem
  us-east-1  rds-ca-rsa2048-g1 trusted until 2061-05-25
             rds-ca-rsa4096-g1 trusted until 2121-05-25
             rds-ca-ecc384-g1 trusted until 2121-05-25
  current    rds-ca-2019, server certificate valid till 2024-08-22T17:08:50\\+00:00: NOT READY"
else
	skip "rotation, real AWS bundles: the 2026 bundle trusts ca-west-1; the program pinning the 2023 one does not" "no ../shared beside the tree"
	skip "rotation --long, real AWS bundles: legacy on rds-ca-2019 is NOT READY, us-east-1's G1 roots trusted" "no ../shared beside the tree"
fi
check "rotation --audit of a file that cannot be read: exit 2" \
	"$(run rotation -c "$T/all.conf" --aws "$T/app.json" --audit "$T/nonexistent.log")" \
	"^pgverify rotation: cannot read $T/nonexistent.log: No such file or directory
exit=2$"

# --- bundle --update against a local HTTPS server ------------------------------------------
W=$T/web
mkdir -p "$W/files"
pki_ca "$W" webca "/CN=pgverify test web CA" >/dev/null 2>&1
pki_server "$W" web localhost webca IP:127.0.0.1 >/dev/null 2>&1
cp "$T/pki/rds-all.pem" "$W/files/good.pem"
echo "garbage" >"$W/files/garbage.pem"
: >"$W/files/empty.pem"
cp "$T/pki/oldca.pem" "$W/files/expired.pem"
python3 "$abs_top_srcdir/tests/lib/https_server.py" "$W/web.pem" "$W/web.key" "$W/files" "$W/port" &
web=$!
URL=https://127.0.0.1:$(port_of "$W/port")
DEST=$T/dest.pem
cp "$T/pki/rds-noecc.pem" "$DEST"
orig=$(sha256sum <"$DEST")
upd() { SSL_CERT_FILE="$W/webca.pem" "$PGV" bundle --update "$@" "$DEST" 2>&1; echo "exit=$?"; }
unchanged() { [ "$(sha256sum <"$DEST")" = "$orig" ] && echo "DEST unchanged"; }
for c in "garbage.pem:holds no PEM certificate|not a well-formed" "empty.pem:holds no PEM certificate|no certificate" \
	"html:holds no PEM certificate|not a well-formed" "missing:404" "expired.pem:expired|no certificate (that is )?valid" \
	"big:larger than 4194304 bytes"; do
	name=${c%%:*}
	check "update from /$name: refused, DEST byte for byte unchanged" \
		"$(upd --from "$URL/$name"; unchanged)" "(${c#*:})(.|
)*exit=1
DEST unchanged$"
done
check "update from plain http://: refused before any fetch" "$(upd --from "http://127.0.0.1:$(cat "$W/port")/good.pem"; unchanged)" \
	"only https:// URLs are fetched(.|
)*exit=1
DEST unchanged$"
check "update: a redirect to http:// is not followed" "$(upd --from "$URL/to-http"; unchanged)" "exit=1
DEST unchanged$"
check "update: a server the system store does not trust is refused" \
	"$(env -u SSL_CERT_FILE SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$PGV" bundle --update --from "$URL/good.pem" "$DEST" 2>&1; echo "exit=$?"; unchanged)" \
	"cannot fetch $URL/good.pem: .*(certificate|SSL)(.|
)*exit=1
DEST unchanged$"
check "update: a server that stalls past the timeout is given up" "$(upd --timeout 2 --from "$URL/stall"; unchanged)" \
	"cannot fetch $URL/stall: .*(timed out|Timeout)(.|
)*exit=1
DEST unchanged$"
check "update: a good bundle replaces DEST, listing what changed" "$(upd --from "$URL/good.pem")" \
	"^$DEST: installed 4 certificates from $URL/good.pem
  \+ Amazon RDS us-east-1 Root CA ECC384 G1 \(pgverify test\)  [0-9A-F:]+(.|
)*exit=0$"
check "update: DEST is the new bundle" "$(cmp "$W/files/good.pem" "$DEST" && echo same)" "^same$"
# --- the {region} files are split again from the new bundle ---------------------------------
mkdir "$T/regions"
cp "$T/pki/rds-noecc.pem" "$DEST"
"$PGV" bundle --split "$T/regions" "$DEST" >/dev/null
printf 'sslrootcert = "%s";\nhosts = ( { match = "*.rds.amazonaws.com"; sslrootcert = "%s/{region}.pem"; } );\n' "$DEST" "$T/regions" >"$T/split.conf"
check "before the update, us-east-1's file has no ECC384 root" "$(grep -c BEGIN "$T/regions/us-east-1.pem")" "^2$"
check "rotation with a {region} rule: the bundle to update is the one the region files are split from" \
	"$(run rotation -c "$T/split.conf" --to rds-ca-ecc384-g1 "$PGV_NAME")" \
	"NOT READY  rds-ca-ecc384-g1 \\(--to\\) is not trusted for us-east-1; update the bundle: pgverify bundle -c $T/split.conf --update $DEST
(.|
)*exit=1$"
check "update with a {region} rule: the region files are rewritten" "$(upd -c "$T/split.conf" --from "$URL/good.pem")" "exit=0$"
check "after the update, us-east-1's file holds the ECC384 root" "$(grep -c BEGIN "$T/regions/us-east-1.pem")" "^3$"
check "update --from FILE dropping an RDS CA: refused without --force" "$(upd --from "$T/pki/rds-noecc.pem")" \
	"would drop 1 RDS CA .*ECC384 G1(.|
)*exit=1$"
check "update --from FILE --force: a local file, no network" "$(upd --force --from "$T/pki/rds-noecc.pem")" "installed 3 certificates from $T/pki/rds-noecc.pem(.|
)*exit=0$"
kill "$web" 2>/dev/null

# --- the shipped snapshot: the file, its manifest and the command agree --------------------
snap=$abs_top_srcdir/data/rds-global-bundle.pem
sha=$(sha256sum <"$snap" | cut -d' ' -f1)
check "the snapshot's SHA-256 is the manifest's" "$(grep '^sha256: ' "$abs_top_srcdir/data/rds-global-bundle.manifest")" "^sha256: $sha$"
check "the snapshot's SHA-256 is the one pgverify check recognises" "$(grep -A1 'define PGVERIFY_SNAPSHOT_SHA256' "$abs_top_srcdir/src/cli/snapshot.h")" "\"$sha\""
check "the snapshot holds the manifest's count, all valid G1 roots" \
	"$("$PGV" bundle --long "$snap" | grep -c '\[CA\]$'; "$PGV" bundle --long "$snap" | grep -c EXPIRED; grep '^certificates: ' "$abs_top_srcdir/data/rds-global-bundle.manifest")" "^108
0
certificates: 108$"
check "pgverify check calls the snapshot the snapshot" \
	"$(printf 'sslrootcert = "%s";\n' "$snap" >"$T/snap.conf"; "$PGV" check -c "$T/snap.conf" 2>&1)" \
	"  age: modified [0-9-]+ \([0-9]+ days? ago\); the package snapshot of 2026-12, pgverify bundle --update fetches the current one"
if [ -r "$abs_top_srcdir/../shared/fixtures/rds-global-bundle-2026.pem" ]; then
	check "the snapshot is the verified copy in ../shared/fixtures" \
		"$(cmp "$snap" "$abs_top_srcdir/../shared/fixtures/rds-global-bundle-2026.pem" && echo same)" "^same$"
else
	skip "the snapshot is the verified copy in ../shared/fixtures" "no ../shared beside the tree"
fi
tap_done
