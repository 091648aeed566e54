#!/bin/bash
# CA rotation: servers under RDS-style roots (RSA2048, RSA4096 and ECC384
# G1 of us-east-1, and eu-west-1's RSA2048), `pgverify probe` naming each
# server's CA id and what the bundle trusts, `pgverify rotation` over host
# names and over `aws rds describe-db-instances` output, and
# `pgverify bundle --update` against a local HTTPS server with its own CA.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
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
check "probe --json: ca_id and rds_cas" \
	"$("$PGV" probe -c "$T/noecc.conf" --json "$(at "$P_SRVECC384")" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(h["ca_id"], h["rds_region"], " ".join("%s=%s" % (c["id"], c["trusted"]) for c in h["rds_cas"]))')" \
	"^rds-ca-ecc384-g1 us-east-1 rds-ca-rsa2048-g1=True rds-ca-rsa4096-g1=True rds-ca-ecc384-g1=False$"

# --- rotation over host names ---------------------------------------------------------
out=$(run rotation -c "$T/noecc.conf" "$PGV_NAME")
check "rotation: the bundle and the ids it trusts for the region" "$out" \
	"^$PGV_NAME
  bundle     $T/pki/rds-noecc.pem
  us-east-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 trusted until 20[0-9-]+
             rds-ca-ecc384-g1 NOT in the bundle
  change to  rds-ca-rsa2048-g1: ready
  change to  rds-ca-rsa4096-g1: ready
  change to  rds-ca-ecc384-g1: NOT READY: the bundle has no valid root for it in this region
exit=0$"
check "rotation --to rds-ca-ecc384-g1: not ready, exit 1" "$(run rotation -c "$T/noecc.conf" --to rds-ca-ecc384-g1 "$PGV_NAME")" \
	"  change to  rds-ca-ecc384-g1: NOT READY(.|
)*exit=1$"
check "rotation --to rds-ca-rsa4096-g1: ready, exit 0" "$(run rotation -c "$T/noecc.conf" --to rds-ca-rsa4096-g1 "$PGV_NAME")" \
	"  change to  rds-ca-rsa4096-g1: ready
exit=0$"
check "rotation --to with the full bundle: ECC384 ready" "$(run rotation -c "$T/all.conf" --to rds-ca-ecc384-g1 "$PGV_NAME")" \
	"  change to  rds-ca-ecc384-g1: ready
exit=0$"
check "rotation: another region's ids" "$(run rotation -c "$T/noecc.conf" db.x.eu-west-1.rds.amazonaws.com)" \
	"  eu-west-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 NOT in the bundle
             rds-ca-ecc384-g1 NOT in the bundle"
check "rotation: a host that is no RDS endpoint is not ready" "$(run rotation -c "$T/noecc.conf" db.example.com)" \
	"^db.example.com
  NOT READY  not an RDS endpoint \(<name>.<id>.<region>.rds.amazonaws.com\)
exit=1$"
check "rotation: an address that is no DNS name adds no option (quotes stay in the name)" \
	"$(run rotation -c "$T/noecc.conf" "x' sslrootcert='$T/pki/rds-all.pem' host='$PGV_NAME")" \
	"NOT READY  not an RDS endpoint(.|
)*exit=1$"
check "rotation: --to takes an RDS CA id only" "$(run rotation -c "$T/noecc.conf" --to rds-ca-9999 "$PGV_NAME")" \
	"^pgverify rotation: --to takes an RDS CA id(.|
)*exit=2$"
check "rotation: no endpoint is a usage error" "$(run rotation -c "$T/noecc.conf")" "^usage: pgverify rotation(.|
)*exit=2$"

# --- rotation over aws rds describe-db-instances output -------------------------------
out=$(run rotation -c "$T/noecc.conf" --aws "$FIX/describe-db-instances.json")
check "rotation --aws: app-prod is ready for its current CA" "$out" \
	"app-prod.abc123xyz789.us-east-1.rds.amazonaws.com \(app-prod\)
(.|
)*  current    rds-ca-rsa2048-g1, server certificate valid till 2027-03-04T10:15:00\+00:00: ready
  change to  rds-ca-rsa4096-g1: ready
  change to  rds-ca-ecc384-g1: NOT READY"
check "rotation --aws: reports, on ECC384, is not ready for its current CA" "$out" \
	"\(reports\)
(.|
)*  current    rds-ca-ecc384-g1, server certificate valid till 2026-12-20T08:00:00\+00:00: NOT READY"
check "rotation --aws: legacy, still on rds-ca-2019, is not ready" "$out" \
	"  current    rds-ca-2019, server certificate valid till 2024-08-22T17:08:50\+00:00: NOT READY"
check "rotation --aws: eu-app is judged against eu-west-1's roots" "$out" \
	"\(eu-app\)
  bundle     $T/pki/rds-noecc.pem
  eu-west-1  rds-ca-rsa2048-g1 trusted until 20[0-9-]+
             rds-ca-rsa4096-g1 NOT in the bundle
             rds-ca-ecc384-g1 NOT in the bundle
  current    rds-ca-rsa2048-g1, server certificate valid till 2027-01-15T12:00:00\+00:00: ready"
check "rotation --aws: an instance without an endpoint is left out, said so; exit 1" "$out" \
	"^pgverify rotation: 1 described without an endpoint \(not yet available\), left out
(.|
)*exit=1$"
check "rotation --aws with the full bundle: only legacy (rds-ca-2019) fails" \
	"$("$PGV" rotation -c "$T/all.conf" --json --aws "$FIX/describe-db-instances.json" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["ok"], " ".join("%s=%s" % (e["instance"], e["current"]["ready"]) for e in d["endpoints"]))')" \
	"^False app-prod=True reports=True legacy=False eu-app=True$"
check "rotation --aws, describe-db-clusters: the cluster endpoint and its CA" \
	"$(run rotation -c "$T/noecc.conf" --aws "$FIX/describe-db-clusters.json")" \
	"aurora-main.cluster-abc123xyz789.us-east-1.rds.amazonaws.com \(aurora-main\)
(.|
)*  current    rds-ca-rsa4096-g1, server certificate valid till 2027-05-01T00:00:00\+00:00: ready
(.|
)*exit=0$"
check "rotation --json is valid JSON" "$("$PGV" rotation -c "$T/noecc.conf" --json --aws "$FIX/describe-db-instances.json" 2>/dev/null | json_ok)" "^valid JSON$"
echo '{"DBInstances": [ {"Endpoint": ' >"$T/broken.json"
check "rotation --aws: a broken file says where" "$(run rotation -c "$T/noecc.conf" --aws "$T/broken.json")" \
	"^pgverify rotation: $T/broken.json:[0-9]+: .*
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
i=0
while [ ! -s "$W/port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
URL=https://127.0.0.1:$(cat "$W/port")
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
