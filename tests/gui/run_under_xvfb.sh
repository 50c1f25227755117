#!/usr/bin/env bash
# Runs a GUI test binary on a private virtual display (Xvfb, 1280x800, software OpenGL).
# Usage: run_under_xvfb.sh TEST_BINARY [ARGS...]
# Exits 77 (ctest: skipped) only when the tools are missing; scripts/install-deps.sh gui
# installs them, so in CI the test really runs.
set -euo pipefail

for tool in Xvfb xdotool import; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: '$tool' is not installed (run scripts/install-deps.sh gui)"
    exit 77
  fi
done

workdir=$(mktemp -d)
fifo="$workdir/displayfd"
mkfifo "$fifo"
# -displayfd lets Xvfb pick a free display number and tell us which.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$fifo" >"$workdir/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() {
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

display=""
if ! read -r -t 20 display <"$fifo" || [ -z "$display" ]; then
  echo "Xvfb did not start:"
  cat "$workdir/xvfb.log"
  exit 1
fi
export DISPLAY=":$display"
# Mesa's software rasteriser: there is no GPU on CI machines.
export LIBGL_ALWAYS_SOFTWARE=1
echo "Xvfb on $DISPLAY"
"$@"
