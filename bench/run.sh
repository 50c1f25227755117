#!/usr/bin/env bash
# The benchmark session in one command: installs what it needs (apt-get: Boost, libuv,
# matplotlib, perf), builds the servers and chat_bench (-j2), then runs bench/run.py with
# Debian's python3. Arguments go to run.py: --quick for a smoke run, --help for the rest.
# With --windows: installs MinGW-w64 and Wine too, cross-builds chat_server.exe (the windows
# preset, build-win/ or --build-win DIR) and builds only chat_bench for Linux, then run.py
# measures the Windows engines under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
windows=0
build_win=build-win
prev=""
for a in "$@"; do
  case "$a" in
    -h|--help) exec /usr/bin/python3 bench/run.py --help ;;  # nothing to install or build
    --windows) windows=1 ;;
    --build-win=*) build_win="${a#--build-win=}" ;;
  esac
  [ "$prev" = --build-win ] && build_win="$a"
  prev="$a"
done

if [ "$windows" -eq 1 ]; then
  scripts/install-deps.sh core bench windows
  [ -f build/CMakeCache.txt ] || cmake --preset default
  cmake --build build -j2 --target chat_bench
  # Without netcore's thread checks (scripts/test-windows.sh turns them on in build-win/).
  cmake --preset windows -B "$build_win" -DNETCORE_CHECKS=OFF >/dev/null
  cmake --build "$build_win" -j2 --target chat_server
else
  scripts/install-deps.sh core bench
  [ -f build/CMakeCache.txt ] || cmake --preset default
  cmake -S . -B build -DNETCHAT_BENCH=ON >/dev/null
  cmake --build build -j2 --target chat_server chat_bench asio_chat_server uv_chat_server \
    raw_epoll_echo
fi
exec /usr/bin/python3 bench/run.py "$@"
