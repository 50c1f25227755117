#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine (apt-get only,
# and only the packages that are missing).
#   scripts/install-deps.sh [GROUP...]   groups: core (default), gui, bench, package, fuzz, windows,
#                                        all (= every group: what scripts/test.sh needs)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# The compiler, the libraries of netcore/chat/tools and the test frameworks; hiredis for
# clustering (--cluster) and redis-server, which the cluster tests start; prometheus-cpp and
# cpp-httplib for --metrics, and curl, which scrapes /metrics in the end-to-end tests; OpenSSL
# for TLS (the openssl command remakes the test certificates: tests/data/tls).
CORE=(
  build-essential cmake ninja-build pkg-config clang-format python3
  libspdlog-dev libfmt-dev libcli11-dev liburing-dev libsystemd-dev libutf8proc-dev
  libhiredis-dev redis-server prometheus-cpp-dev libcpp-httplib-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev curl
)
# server_gui and client_gui (Dear ImGui, GLFW, OpenGL), and their headless tests: Xvfb,
# xdotool for real input events, ImageMagick for screenshots, Mesa's software OpenGL, and a
# CJK font so Korean renders.
GUI=(
  libimgui-dev libglfw3-dev libgl-dev libstb-dev
  xvfb xauth xdotool imagemagick libgl1-mesa-dri fonts-noto-cjk
)
# bench/run.sh: the reference servers (Boost.Asio, libuv), the plots, and perf to count the
# servers' system calls.
BENCH=(libboost-dev libuv1-dev python3-matplotlib linux-perf)
# scripts/package-check.sh: cpack's dependency list (dpkg-shlibdeps) and systemd-analyze.
PACKAGE=(dpkg-dev systemd)
# The fuzz targets (tests/fuzz, scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes.
FUZZ=(clang libfuzzer-14-dev libclang-rt-14-dev)

# The Windows build: MinGW-w64 (posix threads flavour) to cross-compile, Wine to run it,
# GoogleTest's sources to build it for Windows, and the ImGui and GLFW headers the windows'
# sources are compiled against (cmake/MinGWGui.cmake).
WINDOWS=(
  g++-mingw-w64-x86-64-posix wine wine64 googletest libimgui-dev libglfw3-dev
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)
wanted=()
for g in "${groups[@]}"; do
  case "$g" in
    core) wanted+=("${CORE[@]}") ;;
    gui) wanted+=("${GUI[@]}") ;;
    bench) wanted+=("${BENCH[@]}") ;;
    package) wanted+=("${PACKAGE[@]}") ;;
    fuzz) wanted+=("${FUZZ[@]}") ;;
    windows) wanted+=("${WINDOWS[@]}") ;;
    all) wanted+=("${CORE[@]}" "${GUI[@]}" "${BENCH[@]}" "${PACKAGE[@]}" "${FUZZ[@]}" "${WINDOWS[@]}") ;;
    *) echo "install-deps.sh: unknown group '$g' (core, gui, bench, package, fuzz, windows, all)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
