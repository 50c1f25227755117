#!/usr/bin/env bash
# Runs a command with a native TLS server beside it (tls_peer.py: Python's ssl, OpenSSL) and
# NETCHAT_TLS_PEER naming its ports ("tls13=PORT tls12=PORT ..."): the Windows build's Schannel
# client tests, under Wine, talk to it over 127.0.0.1. The peer is stopped when the command ends.
#   tests/support/with_tls_peer.sh CERT_DIR COMMAND [ARG...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cert_dir=$1
shift
coproc PEER { exec python3 "$here/tls_peer.py" "$cert_dir"; }
peer_pid=$PEER_PID
if ! read -r -t 30 ports <&"${PEER[0]}" || [ -z "$ports" ]; then
  echo "with_tls_peer.sh: tls_peer.py did not start" >&2
  kill "$peer_pid" 2>/dev/null
  exit 1
fi
export NETCHAT_TLS_PEER="$ports"
"$@"
rc=$?
kill "$peer_pid" 2>/dev/null
wait "$peer_pid" 2>/dev/null
exit $rc
