#!/usr/bin/env bash
# The long soak: `chat_bench soak` for MINUTES (30) with each Linux engine in turn as the
# server's home engine (it still switches to every other engine during the run), one after
# the other, into bench/results/soak/: per engine ENGINE.json (chat_bench's summary),
# ENGINE.log (a line per cycle) and ENGINE.server.log, and results.md (the table, rewritten
# after each engine). soak.log says what runs; DONE appears when every engine has finished.
#
#   bench/soak.sh                          # 30 min x 6 engines: about 3 hours
#   bench/soak.sh --minutes 2 --out /tmp/soak2 --engines epoll,poll
#   nohup bench/soak.sh > /dev/null 2>&1 &  # detached; watch bench/results/soak/soak.log
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=30
out=bench/results/soak
engines=""
build=1
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; echo "options: --minutes N, --out DIR, --engines a,b, --no-build"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --out) out="$2"; shift ;;
    --engines) engines="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/soak.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ "$build" -eq 1 ]; then
  [ -f build/CMakeCache.txt ] || cmake --preset default || exit 2
  cmake --build build -j2 --target chat_server chat_bench || exit 2
fi
[ -n "$engines" ] || engines=$(build/bin/chat_server --list-engines | awk '{print $1}' | paste -sd, -)

mkdir -p "$out"
rm -f "$out/DONE" "$out"/*.json "$out"/*.log
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
log() { echo "[$(date -u '+%H:%M:%S')] $*" | tee -a "$out/soak.log"; }
log "soak: $minutes min per engine ($engines), commit $commit, into $out"

failed=0
for engine in ${engines//,/ }; do
  cmd="build/bin/chat_bench soak --minutes $minutes --json --server-log $out/$engine.server.log -- --engine $engine"
  echo "$cmd" > "$out/$engine.cmd"
  log "$engine: $cmd"
  # The run's own bound: its minutes plus room for the last cycle and the shutdown.
  timeout "$(awk -v m="$minutes" 'BEGIN { print int(m * 60) + 300 }')" $cmd \
    > "$out/$engine.json" 2> "$out/$engine.log"
  rc=$?
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  log "$engine: exit $rc ($(tail -n 1 "$out/$engine.log"))"
  /usr/bin/python3 bench/soak_table.py "$out" --minutes "$minutes" --commit "$commit" \
    --started "$started" || log "soak_table.py failed"
done
log "done: $failed engine(s) with problems; table in $out/results.md"
date -u '+%Y-%m-%d %H:%M:%S UTC' > "$out/DONE"
[ "$failed" -eq 0 ]
