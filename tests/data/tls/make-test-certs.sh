#!/usr/bin/env bash
# Makes the TLS tests' certificates (RSA 2048: Schannel takes RSA): a test CA and, signed by
# it, a server certificate for localhost/127.0.0.1/::1 valid for ~100 years, an expired one,
# and one for another host name. The PEM files are committed (the Windows tests under Wine
# read them); run this again only to replace them: tests/data/tls/make-test-certs.sh
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=netchat test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

# openssl ca signs with the validity dates given (the expired certificate needs a past one).
mkdir -p "$work/db"
: > "$work/db/index.txt"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/db/index.txt
new_certs_dir = $work/db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
rand_serial = yes
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
CNF

# sign NAME CN SAN START END
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$work/$1.csr"
  SAN="$3" openssl ca -batch -config "$work/ca.cnf" -extensions server -notext \
    -startdate "$4" -enddate "$5" -in "$work/$1.csr" -out "$1.pem" 2>/dev/null
}

sign server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 20250101000000Z 21241231000000Z
sign expired localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 20200101000000Z 20210101000000Z
sign otherhost other.example "DNS:other.example" 20250101000000Z 21241231000000Z
# The server key once more in the older PKCS#1 form ("BEGIN RSA PRIVATE KEY"), which the
# Schannel side reads too (tests/netcore/tls_schannel_test.cpp).
openssl rsa -in server.key -traditional -out server-pkcs1.key 2>/dev/null
rm -f ca.srl
echo "made ca.pem, server.pem, expired.pem, otherhost.pem and their keys in $(pwd)"
