#!/usr/bin/env bash
# The Windows half of the test command: installs MinGW-w64 and Wine (only when missing),
# cross-builds build-win/ (statically linked .exe files), runs the whole test suite under
# Wine (every Windows engine through the conformance suite, 500 concurrent clients each),
# then drives build-win/bin/chat_server.exe under Wine from the Linux e2e test over loopback,
# once per Windows engine. Ends with one summary line; exit status 0 only if all passed.
#   scripts/test-windows.sh            (from anywhere)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
scripts/install-deps.sh core windows || exit 1

export WINEPREFIX="$root/build-win/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="

# The thread rules of netcore are asserted in this build (NETCORE_CHECKS): the Windows engines
# run the whole suite with them. bench/run.sh --windows configures them off again.
cmake --preset windows -DNETCORE_CHECKS=ON >/dev/null || exit 1
cmake --build --preset windows || exit 1
built=$(( $(date +%s) - start ))

# One wineserver for the whole run, detached from our output (ctest must not wait on it).
"$root/cmake/wine-run.sh" cmd /c exit >/dev/null 2>&1 </dev/null || true
wineserver -p >/dev/null 2>&1 </dev/null &
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT

log="$root/build-win/ctest-windows.log"
# A test that fails under Wine gets one more try, and the failed try stays in the log: Wine now
# and then fails to start a test process at all (seen once: FrameAboveMaxFrame... ended in 0.01 s
# with no output, passing alone and in later runs), and the 1 s switch bounds of the completion
# engines were exceeded under heavy load (3 of 61 runs with two busy loops beside). A test
# that fails twice fails the phase, so a real defect still shows.
ctest --preset windows --timeout 300 --repeat until-pass:2 2>&1 | tee "$log"
suite_rc=${PIPESTATUS[0]}
suite_line=$(grep -E "tests passed|tests failed" "$log" | tail -1)

# End to end: the Linux e2e test drives the Windows server through Wine.
cmake --preset default >/dev/null || exit 1
cmake --build --preset default --target chat_server_e2e_test || exit 1
e2e_log="$root/build-win/e2e-windows.log"
CHAT_SERVER_CMD="$root/cmake/wine-run.sh $root/build-win/bin/chat_server.exe" \
  build/bin/chat_server_e2e_test --gtest_brief=1 2>&1 | tee "$e2e_log"
e2e_rc=${PIPESTATUS[0]}
e2e_passed=$(grep -oE "\[  PASSED  \] [0-9]+" "$e2e_log" | grep -oE "[0-9]+" || echo 0)
# One "[  FAILED  ] Suite.Test (N ms)" line per failed test (brief output has no other count).
e2e_failed=$(grep -E "^\[  FAILED  \] [^ ]+ \([0-9]+ ms\)" "$e2e_log" | sort -u | wc -l)

total=$(( $(date +%s) - start ))
echo "windows: suite under Wine: ${suite_line:-no result}; chat_server.exe e2e under Wine:" \
     "${e2e_passed} passed, ${e2e_failed} failed; build ${built} s, total ${total} s"
[ "$suite_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
