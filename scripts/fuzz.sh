#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan + UBSan, build-fuzz/) and runs
# each for SECONDS (default 60), two at a time (one per core). Each run starts from the seeds
# kept in the tree (tests/fuzz/corpus/TARGET, only read) and grows a working corpus in
# build-fuzz/corpus/TARGET, kept between runs. Prints one line per target: its corpus, its
# executions per second, and any crash (the input is saved in build-fuzz/crashes/; replay it with
# build-fuzz/bin/fuzz_TARGET FILE, then keep it in tests/fuzz/corpus/TARGET/ with a unit test).
# Exit status 0 only if no target crashed.
#   scripts/fuzz.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds per target, default 60)" >&2
  exit 2
fi
targets=(frame_decoder encoder service client_session)

cmake --preset fuzz >/dev/null && cmake --build --preset fuzz || exit 1
mkdir -p build-fuzz/crashes

run_target() {
  local t=$1
  mkdir -p "build-fuzz/corpus/$t"
  # -max_len: room for several frames and for the encoder's long-string parameters.
  build-fuzz/bin/fuzz_"$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t-" \
    "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"build-fuzz/fuzz-$t.log" 2>&1
  echo $? >"build-fuzz/fuzz-$t.rc"
}

# Two at a time: the machine has two cores.
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run_target "${targets[i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && run_target "${targets[i + 1]}" &
  wait
done

failed=0
for t in "${targets[@]}"; do
  log="build-fuzz/fuzz-$t.log"
  rc=$(cat "build-fuzz/fuzz-$t.rc")
  seeds=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
  # The last status line, e.g. "#62437 DONE cov: 1557 ft: 5480 corp: 369/109Kb ...".
  corpus=$(grep -oE "corp: [0-9]+/[0-9]+[a-zA-Z]*" "$log" | tail -1 | cut -d' ' -f2)
  execs=$(grep -oE "stat::average_exec_per_sec: *[0-9]+" "$log" | grep -oE "[0-9]+$")
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$")
  if [ "$rc" -eq 0 ]; then
    outcome="no crash"
  else
    failed=1
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | cut -d' ' -f5)
    why=$(grep -m1 -E "fuzz check failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error" "$log")
    outcome="CRASH (rc $rc): ${why:-see $log}; input ${crash:-not saved}"
  fi
  printf "fuzz %-14s %4ss: corpus %s inputs/bytes (from %s seeds), %s exec/s, %s runs: %s\n" \
    "$t" "$seconds" "${corpus:-?}" "$seeds" "${execs:-?}" "${runs:-?}" "$outcome"
done
exit "$failed"
