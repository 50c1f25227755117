#!/usr/bin/env bash
# The README's run command: builds, then opens the server window and two client windows
# (민수 and 지영) already connected to it, so the chat, the boards and the engine dropdown can
# be tried at once. With no display it says so and runs the headless chat_server instead.
# Arguments go to the server (e.g. --engine poll); NETCHAT_PORT changes the port (7777).
# --tls (first) runs the demo over TLS: a self-signed pair in build/tls-demo (made by
# scripts/make-tls-cert.sh when missing or about to expire), the server on it, the clients
# trusting it.
set -euo pipefail
cd "$(dirname "$0")/.."
tls_server=() tls_client=()
if [ "${1:-}" = "--tls" ]; then
  shift
  pair=build/tls-demo
  if [ ! -e "$pair/cert.pem" ] || [ ! -e "$pair/key.pem" ] ||
     ! openssl x509 -checkend 86400 -noout -in "$pair/cert.pem" >/dev/null 2>&1; then
    scripts/make-tls-cert.sh --force "$pair"
  fi
  tls_server=(--tls-cert "$pair/cert.pem" --tls-key "$pair/key.pem")
  tls_client=(--tls --ca "$pair/cert.pem")
fi
scripts/install-deps.sh core gui
cmake --preset default >/dev/null
cmake --build --preset default
port="${NETCHAT_PORT:-7777}"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run.sh: no display (DISPLAY/WAYLAND_DISPLAY unset): running the headless chat_server" \
       "on 127.0.0.1:$port instead of the windows"
  exec build/bin/chat_server --port "$port" "${tls_server[@]}" "$@"
fi
if [ ! -x build/bin/server_gui ] || [ ! -x build/bin/client_gui ]; then
  echo "run.sh: the windows were not built (Dear ImGui/GLFW missing?): running chat_server"
  exec build/bin/chat_server --port "$port" "${tls_server[@]}" "$@"
fi

# The three windows fit a 1280x800 screen with room for title bars: the server across the
# top, the two clients side by side below it. The clients keep trying until the server
# listens; closing the server window ends them.
build/bin/client_gui --connect "127.0.0.1:$port" --nick 민수 --room 보드게임 "${tls_client[@]}" \
  --geometry 636x330+0+430 &
minsu=$!
build/bin/client_gui --connect "127.0.0.1:$port" --nick 지영 --room 보드게임 "${tls_client[@]}" \
  --geometry 636x330+644+430 &
jiyoung=$!
trap 'kill "$minsu" "$jiyoung" 2>/dev/null || true' EXIT
build/bin/server_gui --port "$port" --geometry 1280x390+0+0 "${tls_server[@]}" "$@"
