# A throwaway test PKI, made at test time with the openssl command:
#   root CA -> intermediate CA -> server certificate for $PGV_NAME
#   a rogue root CA -> a server certificate for the same name (the MITM)
#   the good intermediate -> a certificate for another host name
# make_pki DIR
PGV_NAME=db1.abc123.us-east-1.rds.amazonaws.com

pki_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# pki_ca DIR NAME SUBJECT [ISSUER]: a CA certificate, self-signed without ISSUER.
pki_ca() {
	pki_key "$1/$2.key"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$1/$2.ext"
	if [ -z "${4:-}" ]; then
		openssl req -x509 -new -key "$1/$2.key" -subj "$3" -days 3650 \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign -out "$1/$2.pem"
	else
		openssl req -new -key "$1/$2.key" -subj "$3" -out "$1/$2.csr" &&
			openssl x509 -req -in "$1/$2.csr" -CA "$1/$4.pem" -CAkey "$1/$4.key" \
				-CAcreateserial -days 3650 -extfile "$1/$2.ext" -out "$1/$2.pem" 2>/dev/null
	fi
}

# pki_server DIR NAME DNSNAME ISSUER: a server certificate and its chain file.
pki_server() {
	pki_key "$1/$2.key"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' "$3" >"$1/$2.ext"
	openssl req -new -key "$1/$2.key" -subj "/CN=$3" -out "$1/$2.csr" &&
		openssl x509 -req -in "$1/$2.csr" -CA "$1/$4.pem" -CAkey "$1/$4.key" \
			-CAcreateserial -days 3650 -extfile "$1/$2.ext" -out "$1/$2.crt" 2>/dev/null &&
		cat "$1/$2.crt" "$1/$4.pem" >"$1/$2.pem"
}

make_pki() {
	mkdir -p "$1"
	pki_ca "$1" root "/CN=pgverify test root CA" &&
		pki_ca "$1" inter "/CN=pgverify test intermediate CA" root &&
		pki_server "$1" good "$PGV_NAME" inter &&
		pki_server "$1" wrongname other.example.com inter &&
		pki_ca "$1" rogue "/CN=pgverify test rogue CA" &&
		pki_server "$1" mitm "$PGV_NAME" rogue
}
