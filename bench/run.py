#!/usr/bin/env python3
"""Runs every chat_bench scenario against every chat_server engine and every reference server
(raw epoll, libuv, Boost.Asio) in one session, several runs each, server pinned to one core and
the load generator to the other, and writes bench/results/ (results.md, results.json, PNGs).

    bench/run.sh            # the full session (the issue's sizes, 3 runs each)
    bench/run.sh --quick    # a smoke run for CI, under two minutes
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runner import plan, plots, readme, servers, tables  # noqa: E402
from runner.context import Context  # noqa: E402
from runner.measure import run_one  # noqa: E402
from runner.syscalls import perf_works  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, one run, ~1 s each")
    p.add_argument("--runs", type=int, help="runs per measurement (default 3; --quick 1)")
    p.add_argument("--duration", type=float, help="seconds measured (default 4; --quick 0.8)")
    p.add_argument("--warmup", type=float, help="seconds before measuring (default 1; --quick 0.2)")
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="CMake build directory")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="results dir")
    p.add_argument("--servers", help="comma-separated subset (engine or reference names)")
    p.add_argument("--scenarios", help="comma-separated groups: pingpong64, pingpong16k, "
                                       "fanout_peak, fanout_half, connect, churn")
    p.add_argument("--cpus", default="0,1", help="server core, load core (default 0,1)")
    p.add_argument("--load-engine", default="epoll",
                   help="chat_bench's own netcore engine (io_uring costs it fewer syscalls)")
    p.add_argument("--readme", action=argparse.BooleanOptionalAction, default=None,
                   help="put the headline into README.md (default: on for full sessions)")
    return p.parse_args()


def machine_lines(args, ctx, started):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    load_start, load_end = ctx.load_start, os.getloadavg()
    cmd = "bench/run.sh" + "".join(" " + a for a in sys.argv[1:])
    return [
        f"Command: `{cmd}` — {started:%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{time.monotonic() - ctx.t0:.0f} s.",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}. Server pinned to "
        f"core {ctx.server_cpu}, chat_bench to core {ctx.load_cpu} (taskset). Load average "
        f"{load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (other work on the "
        "machine shows up as noise).",
        "",
        f"Each cell is the median of {ctx.run_count} run(s) of {ctx.duration:g} s measured after "
        f"{ctx.warmup:g} s of warm-up, each against a freshly started server. Descriptor limit: "
        f"{soft} soft / {hard} hard (both processes). chat_bench runs on netcore's "
        f"`{ctx.load_engine}` engine.",
        "",
        "References, built from Debian's packages and measured in the same session: "
        "`raw_epoll` (bench/raw_epoll: the least a server can do per frame), `libuv` "
        "(uv_write per frame, as libuv's examples), `libuv_batch` (one uv_write per read "
        "callback), `asio` (Asio's chat_server example: header/body async_read, write deque).",
    ]


def main():
    args = parse_args()
    runs = args.runs or (1 if args.quick else 3)
    bin_dir = os.path.join(args.build, "bin")
    for tool in ("chat_server", "chat_bench"):
        if not os.path.exists(os.path.join(bin_dir, tool)):
            sys.exit(f"run.py: {bin_dir}/{tool} is missing; build first: "
                     "cmake --preset default && cmake --build build -j2")
    server_cpu, load_cpu = (int(c) for c in args.cpus.split(","))
    raw_dir = os.path.join(args.out, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    ctx = Context(bin_dir=bin_dir, raw_dir=raw_dir, out_dir=args.out,
                  duration=args.duration or (0.8 if args.quick else 4),
                  warmup=args.warmup if args.warmup is not None else (0.2 if args.quick else 1),
                  server_cpu=server_cpu, load_cpu=load_cpu, perf=perf_works(),
                  load_engine=args.load_engine)
    ctx.run_count, ctx.t0, ctx.load_start = runs, time.monotonic(), os.getloadavg()
    started = datetime.datetime.utcnow()

    kinds = servers.server_kinds(bin_dir)
    if args.servers:
        wanted = args.servers.split(",")
        kinds = [k for k in kinds if k.name in wanted]
    specs = plan.build(args.quick)
    if args.scenarios:
        specs = [s for s in specs if s.group in args.scenarios.split(",")]
    todo = [(r, s, k) for r in range(runs) for s in specs for k in kinds if s.applies_to(k)]
    print(f"{len(todo)} measurements: {len(kinds)} servers ({', '.join(k.name for k in kinds)}), "
          f"{len(specs)} scenarios, {runs} run(s); syscalls counted with "
          f"{'perf' if ctx.perf else 'the engines own counters'}", flush=True)

    for i, (run, spec, kind) in enumerate(todo, 1):
        result = run_one(kind, spec, ctx, run)
        ctx.results.append(result)
        m = result["metrics"]
        headline = next((f"{m[k]:.4g} {k}" for k in ("frames_per_s", "churn_per_s", "deliveries_per_s",
                                                      "welcomed") if k in m), "-")
        status = "ok" if result["ok"] else "PROBLEM: " + "; ".join(result["problems"])[:160]
        print(f"[{i}/{len(todo)}] {kind.name:12} {spec.key:20} run {run + 1}: {headline} "
              f"({status})", flush=True)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"started": started.isoformat(), "quick": args.quick, "runs": runs,
                   "duration": ctx.duration, "warmup": ctx.warmup, "results": ctx.results},
                  f, indent=1)
    md = os.path.join(args.out, "results.md")
    header = machine_lines(args, ctx, started)
    tables.write(ctx, specs, kinds, header, md)
    written = plots.write(ctx, specs, kinds, args.out)
    if args.readme if args.readme is not None else not (args.quick or args.servers
                                                         or args.scenarios):
        text = readme.body(header[0], tables.targets(ctx, specs, kinds),
                           tables.pingpong_section(ctx, specs, kinds),
                           os.path.join(args.out, "pingpong_throughput.png"), md, ROOT)
        if readme.update(os.path.join(ROOT, "README.md"), text):
            print("updated README.md (between the bench markers)")
    print(f"wrote {md}" + ("" if isinstance(written, str) else
                           "".join(f", {os.path.basename(p)}" for p in written)))
    if isinstance(written, str):
        print("plots: " + written)


if __name__ == "__main__":
    main()
