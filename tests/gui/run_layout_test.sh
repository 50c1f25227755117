#!/usr/bin/env bash
# scripts/run.sh's windows on a 1280x800 screen: every --geometry it passes lies within the
# screen (title bars included: 30 px each) and no two windows overlap; server_gui refuses a bad
# --geometry with the reason and exit status 2 (before it needs a display).
#   run_layout_test.sh RUN_SH SERVER_GUI
set -uo pipefail
run_sh=$1 server_gui=$2
fail=0
mapfile -t boxes < <(grep -oE -- '--geometry [0-9]+x[0-9]+\+[0-9]+\+[0-9]+' "$run_sh" | cut -d' ' -f2)
[ ${#boxes[@]} -eq 3 ] || { echo "expected 3 windows placed in $run_sh, found ${#boxes[@]}"; exit 1; }
declare -a X Y W H
for i in "${!boxes[@]}"; do
  IFS='x+' read -r W[i] H[i] X[i] Y[i] <<<"${boxes[i]}"
  right=$(( X[i] + W[i] )) bottom=$(( Y[i] + H[i] + 30 ))
  if [ $right -gt 1280 ] || [ $bottom -gt 800 ]; then
    echo "FAIL ${boxes[i]} leaves the 1280x800 screen (right $right, bottom $bottom)"; fail=1
  fi
done
for i in "${!boxes[@]}"; do for j in "${!boxes[@]}"; do
  [ $i -lt $j ] || continue
  if [ $(( X[i] < X[j] + W[j] && X[j] < X[i] + W[i] && Y[i] < Y[j] + H[j] + 30 && Y[j] < Y[i] + H[i] + 30 )) -eq 1 ]; then
    echo "FAIL ${boxes[i]} and ${boxes[j]} overlap"; fail=1
  fi
done; done
out=$("$server_gui" --geometry huge --port 0 2>&1); rc=$?
if [ $rc -ne 2 ] || ! grep -q "expected WxH or WxH+X+Y" <<<"$out"; then
  echo "FAIL server_gui --geometry huge: exit $rc, said: $out"; fail=1
fi
[ $fail -eq 0 ] && echo "run.sh layout: ${boxes[*]} fit 1280x800"
exit $fail
