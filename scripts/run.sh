#!/usr/bin/env bash
# The README's run command: builds and starts the server, in its window (server_gui) when
# there is a display, headless (chat_server) otherwise. Arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh core gui
cmake --preset default >/dev/null
cmake --build --preset default
if [ -x build/bin/server_gui ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  exec build/bin/server_gui "$@"
fi
exec build/bin/chat_server "$@"
