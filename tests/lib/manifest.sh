# The manifests of the shipped CA files (data/providers/*.manifest): what
# each certificate of the PEM file beside them must be, recomputed here with
# the openssl command, never with pgverify's own code.
#
# A manifest is "key: value" lines and # comments: the file's own sha256 and
# number of certificates, then one block per certificate, in file order:
#   certificate: N
#   subject: the subject, RFC 2253
#   sha256: the SHA-256 fingerprint of its DER encoding, AA:BB:...
#   not_after: YYYY-MM-DD
#   origin: the file it was copied from (Debian's ca-certificates)

# manifest_blocks PEM: the certificate blocks of PEM as a manifest records
# them (no origin lines: where a certificate came from is not in it).
manifest_blocks() {
	local dir n=0
	dir=$(mktemp -d "${TMPDIR:-/tmp}/pgverify-manifest.XXXXXX") || return 1
	awk -v d="$dir" '/-----BEGIN CERTIFICATE-----/ { n++; in_cert = 1 }
		in_cert { print > (d "/" n ".pem") }
		/-----END CERTIFICATE-----/ { in_cert = 0; close(d "/" n ".pem") }' "$1"
	while [ -e "$dir/$((n + 1)).pem" ]; do
		n=$((n + 1))
		echo "certificate: $n"
		openssl x509 -in "$dir/$n.pem" -noout -subject -nameopt RFC2253 \
			-fingerprint -sha256 -enddate -dateopt iso_8601 |
			sed -e 's/^subject=/subject: /' -e 's/^.*Fingerprint=/sha256: /' \
				-e 's/^notAfter=\(.\{10\}\).*/not_after: \1/'
	done
	rm -rf "$dir"
}

# manifest_check PEM MANIFEST: nothing, status 0, if MANIFEST records
# exactly the certificates of PEM (subject, fingerprint, expiry, order and
# number) and PEM's own SHA-256; else what differs, status 1.
manifest_check() {
	local pem=$1 manifest=$2 want have out bad=0
	want=$(sed -n 's/^sha256: \([0-9a-f]\{64\}\)$/\1/p' "$manifest")
	have=$(sha256sum <"$pem" | cut -d' ' -f1)
	[ "$want" = "$have" ] || { echo "$pem: sha256 $have, the manifest says ${want:-nothing}"; bad=1; }
	want=$(sed -n 's/^certificates: //p' "$manifest")
	have=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$pem")
	[ "$want" = "$have" ] || { echo "$pem: $have certificates, the manifest says ${want:-nothing}"; bad=1; }
	out=$(diff <(grep -E '^(certificate|subject|sha256|not_after): ' "$manifest" |
		grep -v '^sha256: [0-9a-f]\{64\}$') <(manifest_blocks "$pem")) ||
		{ printf '%s\n' "$out" | sed "s|^|$pem: |"; bad=1; }
	return $bad
}

# manifest_origins MANIFEST: "N PATH SHA256" for each certificate, where it
# was copied from and the fingerprint recorded for it.
manifest_origins() {
	awk '/^certificate: / { n = $2 } /^sha256: [0-9A-F:]+$/ { f = $2 }
		/^origin: / { print n, $2, f }' "$1"
}
