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

# pki_server DIR NAME DNSNAME ISSUER [SAN...]: a server certificate and its
# chain file; SAN adds subjectAltName entries (IP:127.0.0.1).
pki_server() {
	pki_key "$1/$2.key"
	local san="DNS:$3" extra
	for extra in "${@:5}"; do san="$san,$extra"; done
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
		"$san" >"$1/$2.ext"
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

# pki_ca_sign DIR NAME ISSUER EXTFILE START END: sign NAME.csr with explicit
# validity dates (openssl x509 -req cannot set a start date in the past).
pki_ca_sign() {
	local d=$1
	mkdir -p "$d/ca-db"
	: >"$d/ca-db/index.txt"
	[ -f "$d/ca-db/serial" ] || echo 1000 >"$d/ca-db/serial"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\nnew_certs_dir=%s\nserial=%s\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
		"$d/ca-db/index.txt" "$d/ca-db" "$d/ca-db/serial" >"$d/ca-db/ca.cnf"
	openssl ca -batch -notext -config "$d/ca-db/ca.cnf" -cert "$d/$3.pem" -keyfile "$d/$3.key" \
		-in "$d/$2.csr" -out "$d/$2.crt" -extfile "$4" -startdate "$5" -enddate "$6" 2>/dev/null
}

# make_pki_dated DIR: what the pgverify command's tests add to make_pki:
#   expired.pem   a server certificate for $PGV_NAME that expired in 2021
#   oldca.pem     a CA that expired in 2021; soonca.pem, one that expires in 10 days
#   oldcasrv.pem  a valid server certificate for $PGV_NAME issued by oldca
make_pki_dated() {
	pki_key "$1/expired.key"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' "$PGV_NAME" >"$1/expired.ext"
	openssl req -new -key "$1/expired.key" -subj "/CN=$PGV_NAME" -out "$1/expired.csr" &&
		pki_ca_sign "$1" expired inter "$1/expired.ext" 20200101000000Z 20210101000000Z &&
		cat "$1/expired.crt" "$1/inter.pem" >"$1/expired.pem" || return 1
	pki_key "$1/oldca.key"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$1/oldca.ext"
	openssl req -new -key "$1/oldca.key" -subj "/CN=pgverify test expired CA" -out "$1/oldca.csr" &&
		pki_ca_sign "$1" oldca root "$1/oldca.ext" 20200101000000Z 20210101000000Z &&
		cp "$1/oldca.crt" "$1/oldca.pem" &&
		pki_server "$1" oldcasrv "$PGV_NAME" oldca || return 1
	pki_key "$1/soonca.key"
	openssl req -x509 -new -key "$1/soonca.key" -subj "/CN=pgverify test soon-expiring CA" -days 10 \
		-addext basicConstraints=critical,CA:TRUE -out "$1/soonca.pem"
}

# make_pki_regions DIR: CAs named the way AWS names RDS CAs, for the
# {region} rules:
#   usroot.pem, euroot.pem   "Amazon RDS us-east-1 / eu-west-1 Root CA (test)"
#   euserver.pem             a certificate for $PGV_NAME (a us-east-1 endpoint)
#                            issued by the eu-west-1 CA
#   usserver.pem             one for $PGV_NAME (and IP 127.0.0.1, for bench/'s
#                            pgbouncer) issued by the us-east-1 CA
#   regions.pem              a "global bundle": root, usroot, euroot
make_pki_regions() {
	pki_ca "$1" usroot "/CN=Amazon RDS us-east-1 Root CA (pgverify test)" &&
		pki_ca "$1" euroot "/CN=Amazon RDS eu-west-1 Root CA (pgverify test)" &&
		pki_server "$1" euserver "$PGV_NAME" euroot &&
		pki_server "$1" usserver "$PGV_NAME" usroot IP:127.0.0.1 &&
		cat "$1/root.pem" "$1/usroot.pem" "$1/euroot.pem" >"$1/regions.pem"
}

# make_pki_rds DIR: roots named as AWS names RDS CAs, with the key types
# their names say, and a server for $PGV_NAME (a us-east-1 endpoint) under
# each us-east-1 root:
#   rds2048 rds4096 rdsecc384   "Amazon RDS us-east-1 Root CA {RSA2048,
#                               RSA4096,ECC384} G1 (pgverify test)", and
#                               srv2048 srv4096 srvecc384 signed by them
#   rdseu2048                   the eu-west-1 RSA2048 G1 root
#   rds-all.pem                 the four roots; rds-noecc.pem without ECC384
make_pki_rds() {
	local d=$1 name alg
	for name in rds2048:RSA:rsa_keygen_bits:2048:RSA2048:us-east-1 rds4096:RSA:rsa_keygen_bits:4096:RSA4096:us-east-1 \
		rdsecc384:EC:ec_paramgen_curve:P-384:ECC384:us-east-1 rdseu2048:RSA:rsa_keygen_bits:2048:RSA2048:eu-west-1; do
		IFS=: read -r n alg opt val kind region <<<"$name"
		openssl genpkey -algorithm "$alg" -pkeyopt "$opt:$val" -out "$d/$n.key" 2>/dev/null &&
			openssl req -x509 -new -key "$d/$n.key" -subj "/CN=Amazon RDS $region Root CA $kind G1 (pgverify test)" \
				-days 3650 -addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign -out "$d/$n.pem" || return 1
	done
	pki_server "$d" srv2048 "$PGV_NAME" rds2048 &&
		pki_server "$d" srv4096 "$PGV_NAME" rds4096 &&
		pki_server "$d" srvecc384 "$PGV_NAME" rdsecc384 &&
		cat "$d/rds2048.pem" "$d/rds4096.pem" "$d/rdsecc384.pem" "$d/rdseu2048.pem" >"$d/rds-all.pem" &&
		cat "$d/rds2048.pem" "$d/rds4096.pem" "$d/rdseu2048.pem" >"$d/rds-noecc.pem"
}

# make_pki_crl DIR: certificate revocation lists for good.pem's chain.
# libpq checks CRLs for the whole chain, so each CA gives one:
#   crl-revoked.pem   the root's (empty) and the intermediate's, which
#                     revokes good.crt
#   crl-clean.pem     both empty
#   crldir-revoked/   crl-revoked.pem's two CRLs under their hashed names,
#                     for sslcrldir
make_pki_crl() {
	local d=$1 ca
	for ca in root inter; do
		mkdir -p "$d/crl-$ca"
		: >"$d/crl-$ca/index.txt"
		echo 01 >"$d/crl-$ca/crlnumber"
		printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\ncrlnumber=%s\ndefault_md=sha256\ndefault_crl_days=3650\n' \
			"$d/crl-$ca/index.txt" "$d/crl-$ca/crlnumber" >"$d/crl-$ca/ca.cnf"
		openssl ca -gencrl -config "$d/crl-$ca/ca.cnf" -cert "$d/$ca.pem" -keyfile "$d/$ca.key" \
			-out "$d/crl-$ca/clean.pem" 2>/dev/null || return 1
	done
	openssl ca -config "$d/crl-inter/ca.cnf" -cert "$d/inter.pem" -keyfile "$d/inter.key" \
		-revoke "$d/good.crt" 2>/dev/null &&
		openssl ca -gencrl -config "$d/crl-inter/ca.cnf" -cert "$d/inter.pem" -keyfile "$d/inter.key" \
			-out "$d/crl-inter/revoked.pem" 2>/dev/null || return 1
	cat "$d/crl-root/clean.pem" "$d/crl-inter/revoked.pem" >"$d/crl-revoked.pem"
	cat "$d/crl-root/clean.pem" "$d/crl-inter/clean.pem" >"$d/crl-clean.pem"
	mkdir -p "$d/crldir-revoked"
	cp "$d/crl-root/clean.pem" "$d/crldir-revoked/root.pem"
	cp "$d/crl-inter/revoked.pem" "$d/crldir-revoked/inter.pem"
	openssl rehash "$d/crldir-revoked" 2>/dev/null
}
