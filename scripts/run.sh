#!/usr/bin/env bash
# The README's run command: builds and starts the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
exec build/bin/chat_server "$@"
