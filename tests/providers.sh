#!/bin/bash
# The providers' shipped root files (data/providers, README "Providers"):
#   - each is what its manifest records (every fingerprint recomputed with
#     openssl), and the check fails on a file or manifest changed by one
#     certificate or one digit;
#   - `make install` (into a scratch DESTDIR) puts the pinned roots into
#     $(sysconfdir)/pgverify/providers, never over a file an administrator
#     changed, and every file with its manifest into $(pkgdatadir).
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/fixture.sh"
. "$abs_top_srcdir/tests/lib/manifest.sh"
fixture_require

D=$abs_top_srcdir/data/providers
fixture_start

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
inst=$T/inst
install_into() { make -s -C "$abs_top_builddir" install DESTDIR="$inst" >"$T/install.log" 2>&1; }
if install_into; then ok "make install DESTDIR=... installs"; else not_ok "make install DESTDIR=... installs" "$(tail -n 20 "$T/install.log")"; fi
conf=$(find "$inst" -name pgverify.conf -type f | head -n 1)
etc=$(dirname "$conf")/pgverify
share=$(dirname "$(find "$inst" -name digicert-global-root-ca.manifest | head -n 1)")
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

tap_done
