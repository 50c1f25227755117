#!/usr/bin/env bash
# A cluster on this machine (docs/cluster.md): a redis-server of its own (in a temporary folder,
# on a free port, nothing saved), three chat_server nodes sharing their rooms through it, and a
# client window on each node, side by side, so one room can be seen from three servers at once.
# Ctrl-C (or closing this terminal) stops everything it started and removes the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/cluster.sh [OPTIONS] [-- CHAT_SERVER_ARGS...]

Starts a local redis-server, three chat_server nodes (a, b, c) that share their rooms through
it, and one client_gui window on each node (ann on a, bob on b, 민수 on c, all in 보드게임).
Everything stops on Ctrl-C.

Options:
  --ports P1,P2,P3   the nodes' ports (default 7001,7002,7003)
  --redis-port PORT  Redis' port (default: a free one)
  --no-windows       the nodes only, no client windows (also when there is no display)
  --no-build         use build/bin as it is
  -h, --help         this help

Arguments after -- go to every chat_server (e.g. -- --engine poll --history 5000).
Logs: the temporary folder printed at the start (redis.log, node-a.log, ...).
EOF
}

ports="7001,7002,7003"
redis_port=""
windows=1
build=1
server_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --ports) ports="${2:?--ports needs P1,P2,P3}"; shift 2 ;;
    --redis-port) redis_port="${2:?--redis-port needs a port}"; shift 2 ;;
    --no-windows) windows=0; shift ;;
    --no-build) build=0; shift ;;
    --) shift; server_args=("$@"); break ;;
    *) echo "cluster.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

IFS=, read -r -a node_ports <<<"$ports"
if [ "${#node_ports[@]}" -ne 3 ]; then
  echo "cluster.sh: --ports takes three ports, e.g. 7001,7002,7003 (got '$ports')" >&2
  exit 2
fi
for p in "${node_ports[@]}" $redis_port; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
    echo "cluster.sh: '$p' is not a port (1..65535)" >&2
    exit 2
  fi
done
if ! command -v redis-server >/dev/null; then
  echo "cluster.sh: redis-server is not installed (scripts/install-deps.sh core installs it)" >&2
  exit 1
fi

if [ "$build" -eq 1 ]; then
  cmake --preset default >/dev/null
  cmake --build --preset default --target chat_server client_gui
fi
if [ ! -x build/bin/chat_server ]; then
  echo "cluster.sh: build/bin/chat_server is missing (run without --no-build)" >&2
  exit 1
fi
if [ "$windows" -eq 1 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "cluster.sh: no display (DISPLAY/WAYLAND_DISPLAY unset): the nodes only"
  windows=0
fi
if [ "$windows" -eq 1 ] && [ ! -x build/bin/client_gui ]; then
  echo "cluster.sh: client_gui was not built (Dear ImGui/GLFW missing?): the nodes only"
  windows=0
fi

# Someone listens there.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port nobody listens on, below Linux' range for outgoing connections (32768 up), so that no
# client socket holds it either; redis-server is tried again on another if it cannot bind.
free_port() {
  local candidate
  for _ in $(seq 50); do
    candidate=$((20000 + RANDOM % 12000))
    if ! port_in_use "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}
for p in $redis_port "${node_ports[@]}"; do
  if port_in_use "$p"; then
    echo "cluster.sh: port $p is in use already (choose others with --ports/--redis-port)" >&2
    exit 1
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/netchat-cluster.XXXXXX")
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "cluster.sh: stopping"
  # The windows and the nodes first (a node leaves its rooms in Redis as it stops), Redis last.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "${redis_pid:-}" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chosen_port=$redis_port
for attempt in 1 2 3 4 5; do
  if [ -z "$chosen_port" ]; then
    redis_port=$(free_port) || { echo "cluster.sh: found no free port for Redis" >&2; exit 1; }
  fi
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
    >"$dir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do
    port_in_use "$redis_port" && break
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  port_in_use "$redis_port" && break
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
  if [ -n "$chosen_port" ] || [ "$attempt" -eq 5 ]; then
    echo "cluster.sh: redis-server did not start: see below" >&2
    cat "$dir/redis.log" >&2
    exit 1
  fi
done
url="redis://127.0.0.1:$redis_port"
echo "cluster.sh: Redis at $url; logs in $dir"

names=(a b c)
for i in 0 1 2; do
  build/bin/chat_server --port "${node_ports[$i]}" --cluster "$url" --node "${names[$i]}" \
    "${server_args[@]}" >"$dir/node-${names[$i]}.log" 2>&1 &
  pids+=($!)
  echo "cluster.sh: node ${names[$i]} on 127.0.0.1:${node_ports[$i]}"
done

if [ "$windows" -eq 1 ]; then
  # Three windows across a 1280-pixel screen; each reconnects by itself until its node listens.
  nicks=(ann bob 민수)
  for i in 0 1 2; do
    build/bin/client_gui --connect "127.0.0.1:${node_ports[$i]}" --nick "${nicks[$i]}" \
      --room 보드게임 --geometry "420x700+$((i * 428))+40" >"$dir/client-${names[$i]}.log" 2>&1 &
    pids+=($!)
  done
  echo "cluster.sh: a client window on each node; Ctrl-C stops everything"
else
  echo "cluster.sh: connect with build/bin/client_gui --connect 127.0.0.1:${node_ports[0]} ..." \
       "; Ctrl-C stops everything"
fi

# Until Ctrl-C, or until a node stops by itself.
while :; do
  for pid in "${pids[@]:0:3}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: a node stopped by itself: its log ($dir):" >&2
      tail -n 20 "$dir"/node-*.log >&2
      exit 1
    fi
  done
  sleep 1
done
