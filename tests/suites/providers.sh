#!/bin/bash
# The managed PostgreSQL providers of the shipped configuration (README,
# "Providers"):
#   - each shipped root file is what its manifest records (every
#     fingerprint recomputed with openssl), and the check fails on a file or
#     manifest changed by one certificate or one digit;
#   - `make install` (into a scratch DESTDIR) puts the pinned roots where
#     the shipped rules look, never over a file an administrator changed;
#   - for each provider, `pgverify explain` of a typical endpoint name
#     under the installed configuration shows the rule, the trust and the
#     file, and a loopback server whose certificate the test CA issued for
#     that name is refused (no startup packet) where, without pgverify, psql
#     connects; it is accepted with a rule naming the test CA, or, for a
#     per-tenant CA, once the refusal's own `pgverify bundle --install`
#     command has installed it;
#   - probe names the provider and the root CA with its expiry; check says
#     which per-tenant CAs are not installed yet;
#   - the README's table lists exactly the shipped rules and files.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
. "$abs_top_srcdir/tests/lib/manifest.sh"
fixture_require
command -v python3 >/dev/null || skip_all "python3 is needed to read the JSON output and the README"

fixture_clients
PGV=$abs_top_builddir/src/pgverify
export PGVERIFY_LIBRARY=$abs_top_builddir/src/.libs/libpgverify.so
D=$abs_top_srcdir/data/providers

# provider | a typical endpoint name | the shipped rule | trust | the file
# under $(sysconfdir)/pgverify | for a per-tenant CA, the file its download
# gives
ROWS=$(
	cat <<'ROWS'
Amazon RDS Proxy | myproxy.proxy-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com | *.proxy-*.rds.amazonaws.com | pinned roots | providers/amazon-root-ca.pem |
Amazon Aurora DSQL | abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws | *.dsql.*.on.aws | pinned roots | providers/amazon-root-ca.pem |
Amazon RDS and Aurora | db1.abc123.us-east-1.rds.amazonaws.com | *.rds.amazonaws.com | RDS CA bundle | rds/us-east-1.pem |
Azure Database for PostgreSQL | myserver.postgres.database.azure.com | *.postgres.database.azure.com | pinned roots | providers/azure.pem |
Neon | ep-cool-darkness-123456.us-east-2.aws.neon.tech | *.neon.tech | pinned roots | providers/isrg.pem |
Google Cloud SQL | 1a2b3c4d5e6f.us-central1.sql.goog | *.sql.goog | per-tenant CA | providers/cloudsql.pem | server-ca.pem
Supabase | db.abcdefghijklmnopqrst.supabase.co | *.supabase.co | per-tenant CA | providers/supabase.pem | prod-ca-2021.crt
Supabase | aws-0-us-east-1.pooler.supabase.com | *.pooler.supabase.com | per-tenant CA | providers/supabase.pem | prod-ca-2021.crt
Crunchy Bridge | p.abcdefghijklmnopqrstuvwxyz.db.postgresbridge.com | *.db.postgresbridge.com | per-tenant CA | providers/crunchybridge.pem | team-ca.pem
DigitalOcean Managed PostgreSQL | db-postgresql-nyc3-12345-do-user-123456-0.b.db.ondigitalocean.com | *.db.ondigitalocean.com | per-tenant CA | providers/digitalocean.pem | ca-certificate.crt
Aiven for PostgreSQL | pg-myproject.a.aivencloud.com | *.aivencloud.com | per-tenant CA | providers/aiven.pem | ca.pem
ROWS
)
trim() { local s=${1#"${1%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
# re STRING: STRING as a Perl regex that matches it literally.
re() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|]/\\&/g'; }

# One server whose certificate (test intermediate CA, test root) carries
# every row's endpoint name.
providers_pki() {
	local names=() host
	while IFS='|' read -r _ host _; do names+=("DNS:$(trim "$host")"); done <<<"$ROWS"
	pki_server "$1" providers "$(trim "$(sed -n '1s/^[^|]*|\([^|]*\)|.*/\1/p' <<<"$ROWS")")" inter "${names[@]}"
}
FIXTURE_PKI=providers_pki FIXTURE_SERVER_OPTS="-c log_connections=on"
fixture_start providers
SSLQ="SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

# --- the shipped root files and their manifests -------------------------------
for pem in "$D"/*.pem; do
	check "$(basename "$pem") is what its manifest records (each subject, SHA-256 fingerprint and expiry, the file's SHA-256)" \
		"$(manifest_check "$pem" "${pem%.pem}.manifest" && echo same)" "^same$"
done
check "the pinned roots: Amazon Root CA 1-4, DigiCert Global Root G2 and Microsoft RSA Root CA 2017, ISRG Root X1 and X2" \
	"$(cat "$D/amazon-root-ca.manifest" "$D/azure.manifest" "$D/isrg.manifest" | sed -n 's/^subject: CN=\([^,]*\),.*/\1/p')" \
	"\AAmazon Root CA 1
Amazon Root CA 2
Amazon Root CA 3
Amazon Root CA 4
DigiCert Global Root G2
Microsoft RSA Root Certificate Authority 2017
ISRG Root X1
ISRG Root X2\n\z"
# The check can fail: one certificate swapped, a fingerprint with one digit
# changed, the order changed.
{ sed -n '1,/END CERTIFICATE/p' "$D/azure.pem"; sed -n '1,/END CERTIFICATE/p' "$D/isrg.pem"; } >"$T/swapped.pem"
out=$(manifest_check "$T/swapped.pem" "$D/azure.manifest")
check "a swapped certificate fails the manifest check, naming both fingerprints" "$out (status $?)" \
	"C7:41:F7:0F(.|
)*96:BC:EC:06(.|
)* \(status 1\)$"
sed 's/^sha256: CB:3C:CB:B7/sha256: CB:3C:CB:B8/' "$D/azure.manifest" >"$T/digit.manifest"
out=$(manifest_check "$D/azure.pem" "$T/digit.manifest")
check "a fingerprint one digit off in the manifest fails the check" "$out (status $?)" "CB:3C:CB:B8(.|
)* \(status 1\)$"
{ sed -n '/Amazon Root CA 2/,$p' "$D/amazon-root-ca.pem"; sed -n '1,/END CERTIFICATE/p' "$D/amazon-root-ca.pem"; } >"$T/order.pem"
check "the same certificates in another order fail the check" \
	"$(manifest_check "$T/order.pem" "$D/amazon-root-ca.manifest"; echo "status $?")" "status 1$"
# Where each came from: the files of Debian's ca-certificates the manifests
# name, where this machine has them.
while read -r manifest; do
	while read -r n origin sha; do
		what="$(basename "$manifest" .manifest) certificate $n is $origin of Debian's ca-certificates"
		if [ -r "$origin" ]; then
			check "$what" "$(openssl x509 -in "$origin" -noout -fingerprint -sha256 | sed 's/^.*=//')" "^$sha$"
		else
			skip "$what" "$origin is not on this machine (ca-certificates not installed, or a version without it)"
		fi
	done < <(manifest_origins "$manifest")
done < <(ls "$D"/*.manifest)
check "the distrusted DigiCert Global Root CA is flagged in its manifest" \
	"$(grep -c 'DISTRUSTED' "$D/digicert-global-root-ca.manifest")" "^[1-9]"

# --- make install ---------------------------------------------------------------
# The installed configuration, its paths moved into the scratch DESTDIR as
# DESTDIR moves the files: what a host gets from `make install`.
inst=$T/inst
install_into() { make -s -C "$abs_top_builddir" install DESTDIR="$inst" >"$T/install.log" 2>&1; }
if install_into; then ok "make install DESTDIR=... installs"; else not_ok "make install DESTDIR=... installs" "$(tail -n 20 "$T/install.log")"; fi
conf=$(find "$inst" -name pgverify.conf -type f | head -n 1)
etc=$(dirname "$conf")/pgverify
share=$(dirname "$(find "$inst" -name digicert-global-root-ca.manifest | head -n 1)")
check "the shipped rules name files in \$(sysconfdir)/pgverify" \
	"$(grep -v '^ *#' "$conf" | grep -c "sslrootcert = \"${etc#"$inst"}/providers/")" "^10$"
check "make install: the pinned roots in \$(sysconfdir)/pgverify/providers, nothing else there" \
	"$(cd "$etc/providers" && ls)" "\Aamazon-root-ca.pem
azure.pem
isrg.pem\n\z"
check "make install: the installed roots are the shipped files" \
	"$(for f in amazon-root-ca.pem azure.pem isrg.pem; do cmp "$D/$f" "$etc/providers/$f" && echo same; done)" "\Asame
same
same\n\z"
check "make install: every root file and manifest in \$(pkgdatadir)/providers" \
	"$(cd "$share" && ls | tr '\n' ' ')" \
	"^amazon-root-ca.manifest amazon-root-ca.pem azure.manifest azure.pem digicert-global-root-ca.manifest digicert-global-root-ca.pem isrg.manifest isrg.pem $"
cat "$T/pki/root.pem" >>"$etc/providers/isrg.pem"
make -s -C "$abs_top_builddir" install-data DESTDIR="$inst" >/dev/null 2>&1
check "installing again (make install-data, which runs the hook) keeps a root file the administrator changed" \
	"$(grep -c 'BEGIN CERTIFICATE' "$etc/providers/isrg.pem")" "^3$"
make -s -C "$abs_top_builddir" uninstall DESTDIR="$inst" >/dev/null 2>&1
check "make uninstall removes the roots it installed, keeps the changed one" "$(cd "$etc/providers" && ls)" "\Aisrg.pem\n\z"
rm -rf "$inst"
install_into
sed "s|\"/|\"$inst/|" "$conf" >"$T/shipped.conf"

# --- each provider: explain, refused, accepted ---------------------------------
at_name() { echo "host=$1 hostaddr=127.0.0.1 port=$P_PROVIDERS user=postgres dbname=postgres"; }
# try CONF CONNINFO [ENV...]: psql under pgverify with CONF, then "startups +N".
try() {
	local c=$1 conn=$2
	shift 2
	on providers env PGVERIFY_CONFIG="$c" LD_PRELOAD="$SHIM" "$@" "$T/psql-run" "$conn" "$SSLQ"
}
n=0
while IFS='|' read -r name host glob trust file downloaded; do
	name=$(trim "$name") host=$(trim "$host") glob=$(trim "$glob") trust=$(trim "$trust")
	file=$etc/$(trim "$file") downloaded=$(trim "$downloaded")
	n=$((n + 1))
	conn=$(at_name "$host")
	out=$("$PGV" explain -c "$T/shipped.conf" "$conn" 2>&1)
	if [ "$trust" = "per-tenant CA" ]; then
		check "$name ($host): explain shows the rule, the trust, the file and where the CA is downloaded" "$out" \
			"^decision:     refuse
hosts:        $(re "$host") \(hostaddr 127\.0\.0\.1\)
provider:     $(re "$name") \(per-tenant CA: per [a-z]+\)
reason:       .*cannot read CA bundle $(re "$file"): No such file or directory \(sslrootcert from the rule $(re "$glob")\); $(re "$name")'s CA is per [a-z]+: .+, then pgverify bundle --install $(re "$file") $(re "$downloaded")$"
		out=$(try "$T/shipped.conf" "$conn")
		check "$name ($host): refused under the shipped rules, with the download hint, no startup packet" "$out" \
			"pgverify refused this connection: .*cannot read CA bundle $(re "$file")(.|
)*then pgverify bundle --install $(re "$file") $(re "$downloaded")(.|
)*^startups \+0$"
	else
		check "$name ($host): explain shows the rule, the trust and the file" "$out" \
			"^decision:     enforce
hosts:        $(re "$host") \(hostaddr 127\.0\.0\.1\)
provider:     $(re "$name") \($trust: .+\)
sslmode:      prefer -> verify-full .*
sslrootcert:  $(re "$file") \(hosts rule \"$(re "$glob")\"\)$"
		out=$(try "$T/shipped.conf" "$conn")
		check "$name ($host): a certificate from the test CA is refused under the shipped rules, no startup packet" "$out" \
			"certificate verify failed(.|
)*^startups \+0$"
	fi
	check "$name ($host): without pgverify, psql connects to that server" \
		"$(on providers env PGVERIFY_CONFIG="$T/shipped.conf" "$T/psql-run" "$conn" "$SSLQ")" "^ssl=true
startups \+1$"
	if [ "$trust" = "per-tenant CA" ]; then
		# The refusal's own command, with the test CA as the download.
		install_out=$("$PGV" bundle --install "$file" "$T/pki/root.pem" 2>&1)
		check "$name ($host): pgverify bundle --install $(basename "$file") TEST-CA installs it" "$install_out" "^$(re "$file"): installed 1 certificates"
		check "$name ($host): accepted under the shipped rule once its CA is installed, verify-full" \
			"$(try "$T/shipped.conf" "$conn" PGVERIFY_LOG=info)" \
			"sslmode prefer -> verify-full, sslrootcert $(re "$file") \(rule $(re "$glob")\)(.|
)*^ssl=true
startups \+1$"
		rm "$file" # the next row (Supabase's pooler) starts as shipped
	else
		sed "/^hosts = (/a\\  { match = \"$host\"; sslrootcert = \"$T/pki/root.pem\"; }," "$T/shipped.conf" >"$T/accept$n.conf"
		check "$name ($host): accepted with a rule naming the test CA ahead of the shipped ones, verify-full" \
			"$(try "$T/accept$n.conf" "$conn" PGVERIFY_LOG=info)" \
			"sslmode prefer -> verify-full, sslrootcert $(re "$T/pki/root.pem") \(rule $(re "$host")\)(.|
)*^ssl=true
startups \+1$"
	fi
done <<<"$ROWS"

# --- probe: the provider and the root CA with its expiry -------------------------
azure=myserver.postgres.database.azure.com
sed "/^hosts = (/a\\  { match = \"$azure\"; sslrootcert = \"$T/pki/root.pem\"; }," "$T/shipped.conf" >"$T/azure-test.conf"
out=$("$PGV" probe -c "$T/shipped.conf" "$(at_name "$azure")" 2>&1; echo "exit=$?")
check "probe under the shipped rules: the provider and its trust" "$out" \
	"^  provider   Azure Database for PostgreSQL \(pinned roots: DigiCert Global Root G2, Microsoft RSA Root Certificate Authority 2017\)$"
check "probe: the root CA the chain names, not verified by the pinned roots" "$out" \
	"^  verified   NO: unable to get local issuer certificate
  root CA    pgverify test root CA \(named by the chain; not verified\)(.|
)*exit=1$"
out=$("$PGV" probe -c "$T/azure-test.conf" "$(at_name "$azure")" 2>&1; echo "exit=$?")
check "probe with the test CA's rule: the anchoring root CA and its expiry" "$out" \
	"^  root CA    pgverify test root CA, until 20[0-9]{2}-[0-9]{2}-[0-9]{2} \((3649|3650) days\)(.|
)*result     ok(.|
)*exit=0$"
check "probe --json: provider, trust and the root CA's expiry" \
	"$("$PGV" probe --json -c "$T/azure-test.conf" "$(at_name "$azure")" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(h["provider"]["name"], "|", h["provider"]["trust"], "|", h["root_ca"]["name"], h["root_ca"]["verified"], h["root_ca"]["not_after"][:2], h["root_ca"]["days_left"] > 3000)')" \
	"^Azure Database for PostgreSQL \| pinned roots \| pgverify test root CA True 20 True$"
check "explain --json: the provider" \
	"$("$PGV" explain --json -c "$T/shipped.conf" "$(at_name 1a2b3c4d5e6f.us-central1.sql.goog)" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["provider"], d["decision"])')" \
	"^\{'name': 'Google Cloud SQL', 'trust': 'per-tenant CA', 'roots': 'per instance', 'file': 'providers/cloudsql.pem'\} refuse$"
check "explain of a host no provider has: no provider line" \
	"$("$PGV" explain -c "$T/shipped.conf" "$(at_name db.example.com)" | grep -c '^provider:')" "^0$"

# --- check: what is not installed yet is said, not failed ------------------------
# (Each per-tenant file installed above was removed again: as installed.)
out=$("$PGV" check -c "$T/shipped.conf" 2>&1; echo "exit=$?")
check "check of the installed configuration: the pinned roots are ok" "$out" \
	"^bundle $(re "$etc")/providers/amazon-root-ca.pem \(rule 1, rule 2\)
  ok: 4 certificates, 0 expired"
check "check: a per-tenant CA not installed yet is said, with its hint" "$out" \
	"^bundle $(re "$etc")/providers/cloudsql.pem \(rule 7\)
  not installed: connections to Google Cloud SQL are refused until it is; Google Cloud SQL's CA is per instance: gcloud sql ssl server-ca-certs list --instance=INSTANCE --format='value\(cert\)' >server-ca.pem, then pgverify bundle --install $(re "$etc")/providers/cloudsql.pem server-ca.pem$"
check "check of the installed configuration passes: exit 0" "$out" "^ok
exit=0$"
check "check --json: the per-tenant files not installed" \
	"$("$PGV" check --json -c "$T/shipped.conf" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sorted(b["provider"] for b in d["bundles"] if b.get("installed") is False), d["ok"])')" \
	"^\['Aiven for PostgreSQL', 'Crunchy Bridge', 'DigitalOcean Managed PostgreSQL', 'Google Cloud SQL', 'Supabase'\] True$"
echo "not a certificate" >"$etc/providers/aiven.pem"
check "check: a per-tenant file that is there but broken fails" "$("$PGV" check -c "$T/shipped.conf" 2>&1; echo "exit=$?")" \
	"^bundle $(re "$etc")/providers/aiven.pem \(rule 12\)
  FAILED: (.|
)*exit=1$"

# AWS's China regions have a bundle of their own: the global one holds no
# CA of theirs, so a .com.cn endpoint finds no region file, and is refused.
check "Amazon RDS China (.com.cn): no region file from the global bundle, refused, saying which" \
	"$("$PGV" explain -c "$T/shipped.conf" "host=db1.abc123.cn-north-1.rds.amazonaws.com.cn")" \
	"^decision:     refuse(.|
)*cannot read CA bundle .*/rds/cn-north-1\.pem: No such file or directory"

# --- the README's table is the shipped configuration -------------------------
# table_vs_conf README CONF.IN: each "glob file" pair of the README's
# "Providers" table and of the configuration's rules, and what only one has.
table_vs_conf() {
	python3 - "$1" "$2" <<'PY'
import re, sys
readme, conf = (open(p).read() for p in sys.argv[1:3])
section = readme.split("\n## Providers\n", 1)[1].split("\n## ", 1)[0]
table = set()
for line in section.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
    if len(cells) < 4:
        continue
    files = re.findall(r"`([^`]+\.pem)`", cells[3])
    for glob in re.findall(r"`(\*[^`]*)`", cells[1]):
        table.add((glob, files[0] if files else "(none)"))
rules = set()
for line in conf.splitlines():
    m = re.match(r'\s*\{ match = "([^"]+)";\s*sslrootcert = "@sysconfdir@/pgverify/([^"]+)";', line)
    if m:
        rules.add(m.groups())
for g, f in sorted(table - rules):
    print("only in the README:", g, f)
for g, f in sorted(rules - table):
    print("only in the configuration:", g, f)
print(len(table & rules), "rules in both")
PY
}
check "the README's Providers table lists exactly the shipped rules and their files" \
	"$(table_vs_conf "$abs_top_srcdir/README.md" "$abs_top_srcdir/conf/pgverify.conf.in")" "\A12 rules in both\n\z"
grep -v '`\*\.neon\.tech`' "$abs_top_srcdir/README.md" >"$T/README.md"
check "the table check fails when a row is missing" \
	"$(table_vs_conf "$T/README.md" "$abs_top_srcdir/conf/pgverify.conf.in")" \
	"^only in the configuration: \*\.neon\.tech providers/isrg\.pem$"
sed 's|providers/azure\.pem` |providers/isrg.pem` |' "$abs_top_srcdir/README.md" >"$T/README.md"
check "the table check fails when a row names another file" \
	"$(table_vs_conf "$T/README.md" "$abs_top_srcdir/conf/pgverify.conf.in")" \
	"^only in the README: \*\.postgres\.database\.azure\.com providers/isrg\.pem"

tap_done
