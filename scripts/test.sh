#!/usr/bin/env bash
# The README's test command (and CI's): installs every dependency, builds and tests the Linux
# side (build/), then cross-builds the Windows side with MinGW and runs its suite and the
# end-to-end test of chat_server.exe under Wine (scripts/test-windows.sh). Both halves always
# run; the exit status is 0 only when both passed.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh all || exit 1

linux_rc=0
if cmake --preset default && cmake --build --preset default; then
  ctest --preset default -j2 --timeout 300 || linux_rc=$?
else
  linux_rc=1
fi
linux_s=$(( $(date +%s) - start ))

scripts/test-windows.sh
windows_rc=$?

result() { [ "$1" -eq 0 ] && echo passed || echo FAILED; }
echo "tests finished in $(( $(date +%s) - start )) s: linux $(result $linux_rc) (${linux_s} s)," \
     "windows under Wine $(result $windows_rc)"
[ "$linux_rc" -eq 0 ] && [ "$windows_rc" -eq 0 ]
