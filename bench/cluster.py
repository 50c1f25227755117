#!/usr/bin/env python3
"""The cluster's cost (docs/cluster.md), measured with chat_bench fanout on this machine:

  alone     one chat_server, no Redis (the embedded default)
  1 node    one chat_server with --cluster: every change through Redis' script and pub/sub
  2 nodes   two chat_servers, the room's members spread over them
  3 nodes   three

Each case starts its own redis-server (no persistence) and chat_server processes on free
loopback ports, runs `chat_bench fanout --servers ...` (closed loop: each sender keeps a few
messages in flight), and reads the CPU time of Redis and of the nodes from /proc over the
run. It writes bench/results/cluster/results.md (the table) and results.json, and keeps each
run's chat_bench output and the servers' logs there. The cases run in rounds (--runs, 3 by
default; each round runs every case once) and each cell is the median over the rounds: this
machine is shared and noisy. The machine's load (uptime) before each case goes into the table:
on a busy machine the numbers say little. Every process it starts is stopped at the end,
whatever happens.

Usage: bench/cluster.py [--runs N] [--members N] [--senders K] [--seconds S] [--build DIR]
                        [--out DIR]
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Processes:
    """Every process started here, stopped (SIGTERM, then SIGKILL) on the way out."""

    def __init__(self):
        self.procs = []

    def start(self, args, log):
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


def run_case(name, nodes, with_redis, args, out_dir):
    procs = Processes()
    logs = []
    try:
        redis = None
        if with_redis:
            redis_port = free_port()
            log = open(os.path.join(out_dir, f"{name}.redis.log"), "w")
            logs.append(log)
            redis = procs.start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", out_dir], log)
            wait_listening(redis_port, redis, "redis-server")
        servers, node_procs = [], []
        for i in range(nodes):
            port = free_port()
            cmd = [os.path.join(args.build, "bin", "chat_server"), "--port", str(port),
                   "--rate-limit", "0"]
            if with_redis:
                cmd += ["--cluster", f"redis://127.0.0.1:{redis_port}", "--node", f"n{i + 1}"]
            log = open(os.path.join(out_dir, f"{name}.node{i + 1}.log"), "w")
            logs.append(log)
            proc = procs.start(cmd, log)
            wait_listening(port, proc, f"chat_server {i + 1}")
            servers.append(f"127.0.0.1:{port}")
            node_procs.append(proc)
        time.sleep(0.5)  # the nodes reach Redis
        load = load_average()
        bench = [os.path.join(args.build, "bin", "chat_bench"), "fanout", "--servers",
                 ",".join(servers), "--members", str(args.members), "--senders", str(args.senders),
                 "--duration", str(args.seconds), "--warmup", "0", "--json", "--quiet"]
        redis_cpu0 = cpu_seconds(redis.pid) if redis else 0.0
        nodes_cpu0 = sum(cpu_seconds(p.pid) for p in node_procs)
        started = time.monotonic()
        done = subprocess.run(bench, capture_output=True, text=True, timeout=args.seconds + 120)
        wall = time.monotonic() - started
        redis_cpu = (cpu_seconds(redis.pid) - redis_cpu0) if redis else 0.0
        nodes_cpu = sum(cpu_seconds(p.pid) for p in node_procs) - nodes_cpu0
        with open(os.path.join(out_dir, f"{name}.bench.json"), "w") as f:
            f.write(done.stdout)
        if done.returncode != 0:
            raise RuntimeError(f"chat_bench failed ({done.returncode}): {done.stdout}"
                               f"{done.stderr}")
        report = json.loads(done.stdout)
        m = report["metrics"]
        messages = m["last_seq"]  # every message said in the run (warm-up 0, drained)
        return {
            "case": name, "nodes": nodes, "redis": with_redis, "load_before": load,
            "members": m["members"], "senders": m["senders"], "seconds": m["seconds"],
            "messages_per_s": m["messages_per_s"], "deliveries_per_s": m["deliveries_per_s"],
            "p50_us": m["latency_p50_us"], "p99_us": m["latency_p99_us"],
            "gaps": m["gaps"], "duplicates": m["duplicates"], "messages": messages,
            "wall_s": wall,
            "redis_cpu_us_per_message": redis_cpu * 1e6 / messages if redis and messages else None,
            "nodes_cpu_us_per_message": nodes_cpu * 1e6 / messages if messages else None,
            "redis_cpu_pct": redis_cpu * 100 / wall if redis else None,
        }
    finally:
        procs.stop()
        for log in logs:
            log.close()


def median_of(runs):
    """One row whose every number is the median over the runs of one case."""
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[key] = statistics.median(r[key] for r in runs)
    row["gaps"] = max(r["gaps"] for r in runs)  # any gap in any run shows
    row["duplicates"] = max(r["duplicates"] for r in runs)
    return row


def table(results, args):
    lines = [
        "# The cluster's cost: chat_bench fanout, one room spread over the nodes",
        "",
        f"Written by `bench/cluster.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:"
        f" {args.members} members, {args.senders} senders, closed loop (4 messages in flight"
        f" per sender), {args.seconds} s per case, each cell the median of {args.runs} runs"
        f" (gaps: the most in any run), every process on this {os.cpu_count()}-core"
        " machine (Redis, the nodes and chat_bench share its cores). CPU per message is the"
        " process' CPU time over the run divided by the messages said (every message reaches"
        " every member). Load is the 1-minute load average just before the case ran (median).",
        "",
        "| case | load | messages/s | deliveries/s | p50 | p99 | Redis CPU/message |"
        " nodes' CPU/message | gaps |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        redis = (f"{r['redis_cpu_us_per_message']:.1f} µs ({r['redis_cpu_pct']:.0f}% of a core)"
                 if r["redis"] else "-")
        lines.append(
            f"| {r['case']} | {r['load_before']:.1f} | {r['messages_per_s']:,.0f} |"
            f" {r['deliveries_per_s']:,.0f} | {r['p50_us'] / 1000:.2f} ms |"
            f" {r['p99_us'] / 1000:.2f} ms | {redis} | {r['nodes_cpu_us_per_message']:.1f} µs |"
            f" {r['gaps'] + r['duplicates']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="rounds; cells are medians")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "cluster"))
    args = parser.parse_args()
    if args.runs < 1 or args.members < 2 or args.senders < 1 or args.seconds <= 0:
        sys.exit("cluster.py: --runs and --senders must be at least 1, --members at least 2,"
                 " --seconds above 0")
    for tool in ("chat_server", "chat_bench"):
        if not os.access(os.path.join(args.build, "bin", tool), os.X_OK):
            sys.exit(f"cluster.py: {args.build}/bin/{tool} is missing: build first "
                     "(cmake --preset default && cmake --build --preset default)")
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        sys.exit("cluster.py: redis-server is not installed (scripts/install-deps.sh core)")
    os.makedirs(args.out, exist_ok=True)
    cases = [("alone", 1, False), ("1 node + Redis", 1, True), ("2 nodes", 2, True),
             ("3 nodes", 3, True)]
    runs = {name: [] for name, _, _ in cases}
    for round_ in range(1, args.runs + 1):
        for name, nodes, with_redis in cases:
            slug = name.split()[0] + ("r" if with_redis and nodes == 1 else "")
            print(f"cluster.py: run {round_}/{args.runs}: {name} (load {load_average():.1f}) ...",
                  flush=True)
            r = run_case(f"{slug}.run{round_}", nodes, with_redis, args, args.out)
            r["case"] = name
            runs[name].append(r)
            print(f"  {r['deliveries_per_s']:,.0f} deliveries/s,"
                  f" p99 {r['p99_us'] / 1000:.2f} ms", flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(runs, f, indent=1)
    text = table([median_of(runs[name]) for name, _, _ in cases], args)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
