#!/usr/bin/env bash
# A self-signed certificate and key for trying TLS locally (chat_server --tls-cert/--tls-key,
# client_gui --tls --ca). RSA 2048 with SHA-256, which Windows' Schannel loads as well as
# OpenSSL; the names localhost and 127.0.0.1 (and ::1), so a client that checks the host name
# accepts it on this machine. Not for a server others reach: get a real certificate for that.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/make-tls-cert.sh [OPTIONS] DIR

Writes a self-signed pair for local tries into DIR (created if missing):
  DIR/cert.pem   the certificate (CN localhost; names localhost, 127.0.0.1, ::1);
                 also what clients trust: client_gui --tls --ca DIR/cert.pem
  DIR/key.pem    its private key (RSA 2048, unencrypted, mode 600)

Options:
  --days N    how long it is valid (default 30)
  --force     overwrite an existing pair (without it, an existing file is an error)
  -h, --help  this help

Then:  chat_server --tls-cert DIR/cert.pem --tls-key DIR/key.pem
       client_gui --connect 127.0.0.1:7777 --nick ann --tls --ca DIR/cert.pem
Needs the openssl command (Debian: the openssl package).
EOF
}

days=30
force=0
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --force) force=1; shift ;;
    --days)
      days="${2:-}"
      shift 2 || { echo "make-tls-cert.sh: --days needs a number" >&2; exit 2; }
      ;;
    -*) echo "make-tls-cert.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *)
      if [ -n "$dir" ]; then
        echo "make-tls-cert.sh: one DIR only (got '$dir' and '$1')" >&2
        exit 2
      fi
      dir="$1"
      shift
      ;;
  esac
done
if [ -z "$dir" ]; then
  echo "make-tls-cert.sh: give the directory to write to (see --help)" >&2
  exit 2
fi
if ! [[ "$days" =~ ^[0-9]+$ ]] || [ "$days" -lt 1 ] || [ "$days" -gt 3650 ]; then
  echo "make-tls-cert.sh: --days must be a whole number in 1..3650, got '$days'" >&2
  exit 2
fi
if ! command -v openssl >/dev/null; then
  echo "make-tls-cert.sh: the openssl command is not installed (apt-get install openssl)" >&2
  exit 1
fi

cert="$dir/cert.pem"
key="$dir/key.pem"
if [ "$force" = 0 ]; then
  for f in "$cert" "$key"; do
    if [ -e "$f" ]; then
      echo "make-tls-cert.sh: $f exists; not overwriting it (--force to replace the pair)" >&2
      exit 1
    fi
  done
fi
mkdir -p "$dir"

# Written under temporary names and moved into place together: an interrupted run never
# leaves a certificate beside a key it does not match.
tmp_cert="$(mktemp "$dir/.cert.XXXXXX")"
tmp_key="$(mktemp "$dir/.key.XXXXXX")"
trap 'rm -f "$tmp_cert" "$tmp_key"' EXIT
chmod 600 "$tmp_key"
if ! openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days "$days" \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tmp_key" -out "$tmp_cert" 2>"$dir/.openssl.log"; then
  echo "make-tls-cert.sh: openssl failed:" >&2
  cat "$dir/.openssl.log" >&2
  rm -f "$dir/.openssl.log"
  exit 1
fi
rm -f "$dir/.openssl.log"
chmod 644 "$tmp_cert"
mv -f "$tmp_key" "$key"
mv -f "$tmp_cert" "$cert"
trap - EXIT

echo "wrote $cert and $key (self-signed, localhost/127.0.0.1/::1, valid $days days)"
echo "  server: chat_server --tls-cert $cert --tls-key $key"
echo "  client: client_gui --connect 127.0.0.1:7777 --nick NAME --tls --ca $cert"
