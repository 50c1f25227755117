#!/usr/bin/env bash
# The README's test command (and CI's): installs every dependency, then runs each phase in turn:
#   linux    builds build/ and runs every Linux test (unit, conformance, e2e, GUI, bench smoke)
#   package  builds the Debian package from build/ and checks it: dependencies, the installed
#            chat_server --version, the systemd unit (scripts/package-check.sh)
#   soak     two minutes of chat_bench soak against chat_server, and its planted-leak checks
#            (ctest --preset soak: both cores, so on its own)
#   fuzz     builds the libFuzzer targets (build-fuzz/) and runs each for FUZZ_SECONDS (60)
#   asan     ASan + UBSan build (build-asan/): the unit tests (with every fuzz corpus input) and
#            the conformance suite on every Linux engine
#   tsan     TSan build (build-tsan/): the conformance suite on every Linux engine, with every
#            live engine switch, and the service driven from many threads (service_threads_test)
#   windows  cross-builds the Windows side with MinGW and runs its suite and the end-to-end test
#            of chat_server.exe under Wine (scripts/test-windows.sh)
# Every phase runs whatever an earlier one did; each prints one summary line, and the exit
# status is 0 only when all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh all || exit 1
# redis-server is installed now: a cluster test that cannot find it fails, never skips.
export NETCHAT_REQUIRE_REDIS=1

summary=()
failed=0
# run_phase NAME COMMAND...: runs it, times it, and records one summary line.
run_phase() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  echo "=== phase $name"
  "$@"
  rc=$?
  local line
  line=$(printf "phase %-8s %s in %4d s" "$name" "$([ "$rc" -eq 0 ] && echo passed || echo FAILED)" \
         $(( $(date +%s) - t0 )))
  echo "$line"
  summary+=("$line")
  [ "$rc" -eq 0 ] || failed=1
}

linux() {
  cmake --preset default && cmake --build --preset default &&
    ctest --preset default -j2 --timeout 300
}

# Any sanitizer report fails its test: halt_on_error in the test preset's environment and
# -fno-sanitize-recover=all in the build (CMakeLists.txt).
asan() {
  cmake --preset asan && cmake --build --preset asan &&
    ctest --preset asan -j2 --timeout 300
}

# TSan reports a race at once (halt_on_error) and fails the test with exit code 66. One test
# at a time: under TSan each new thread maps shadow memory, and the blocking engine's tests
# start two threads per connection (100 at once in AbortedAccepts) against a timed bound.
tsan() {
  cmake --preset tsan && cmake --build --preset tsan &&
    ctest --preset tsan -j1 --timeout 300
}

run_phase linux linux
run_phase package scripts/package-check.sh
run_phase soak ctest --preset soak --timeout 420
run_phase fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
run_phase asan asan
run_phase tsan tsan
run_phase windows scripts/test-windows.sh

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "tests finished in $(( $(date +%s) - start )) s"
passed=$(printf '%s\n' "${summary[@]}" | grep -c " passed in ")
echo "phases: $passed passed, $(( ${#summary[@]} - passed )) failed"
[ "$failed" -eq 0 ]
