#!/usr/bin/env bash
# The benchmark session in one command: builds what it needs (-j2), then runs bench/run.py
# with Debian's python3 (which has python3-matplotlib). Arguments go to run.py (--quick...).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || cmake --preset default
cmake --build build -j2 --target chat_server chat_bench asio_chat_server uv_chat_server \
  raw_epoll_echo
exec /usr/bin/python3 bench/run.py "$@"
