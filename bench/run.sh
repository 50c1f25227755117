#!/usr/bin/env bash
# The benchmark session in one command: installs what it needs (apt-get: Boost, libuv,
# matplotlib, perf), builds the servers and chat_bench (-j2), then runs bench/run.py with
# Debian's python3. Arguments go to run.py: --quick for a smoke run, --help for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh core bench
[ -f build/CMakeCache.txt ] || cmake --preset default
cmake -S . -B build -DNETCHAT_BENCH=ON >/dev/null
cmake --build build -j2 --target chat_server chat_bench asio_chat_server uv_chat_server \
  raw_epoll_echo
exec /usr/bin/python3 bench/run.py "$@"
