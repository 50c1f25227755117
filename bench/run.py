#!/usr/bin/env python3
"""Runs every chat_bench scenario against every chat_server engine and every reference server
(raw epoll, libuv, Boost.Asio) in one session, several runs each, server pinned to one core and
the load generator to the other, and writes bench/results/ (results.md, results.json, PNGs).

With --windows it runs the same scenarios against every engine of the cross-built
chat_server.exe (build-win/, the windows preset) under Wine instead, with no reference servers,
into bench/results/windows/. Those tables compare the Windows engines with each other (ratios
to iocp, the Windows default) and never with Linux servers: Wine's own overhead is in every
number, so only the ranking means something. The issue's targets are not checked there, and
the sizes suit Wine (runner/plan.py, build_windows: fanout 300 members, connect 5,000 sessions,
fewer for select and blocking). One wineserver, pinned to the server's core, serves the whole
session; its CPU time and system calls are reported beside the server's.

    bench/run.sh                      # the full session (the issue's sizes, 3 runs each)
    bench/run.sh --quick              # a smoke run for CI, under two minutes
    bench/run.sh --windows            # the Windows engines under Wine, full session
    bench/run.sh --windows --quick    # ... its smoke run, about a minute and a half
    bench/run.sh --tls                # every engine plain and over TLS: pingpong, fan-out
                                      # (bench/results/tls; --tls --quick: a smoke run)
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

from runner import plan, plots, readme, servers, suites, tables, tls, wine  # noqa: E402
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
    p.add_argument("--build", default=os.path.join(ROOT, "build"),
                   help="CMake build directory (Linux: chat_bench, and the servers)")
    p.add_argument("--windows", action="store_true",
                   help="the Windows engines of chat_server.exe under Wine, compared with each\n"
                        "other only (no references, no targets); results in bench/results/windows")
    p.add_argument("--tls", action="store_true",
                   help="every chat_server engine plain and over TLS, side by side: pingpong\n"
                        "and fan-out only, no references; results in bench/results/tls")
    p.add_argument("--build-win", default=os.path.join(ROOT, "build-win"),
                   help="the MinGW build directory of --windows (cmake --preset windows)")
    p.add_argument("--out", help="results dir (default bench/results, bench/results/windows)")
    p.add_argument("--servers", help="comma-separated subset (engine or reference names; with\n"
                                     "--windows, names from chat_server.exe --list-engines)")
    p.add_argument("--scenarios", help="comma-separated groups: pingpong64, pingpong16k, "
                                       "fanout_peak, fanout_half, connect, churn")
    p.add_argument("--cpus", default="0,1", help="server core, load core (default 0,1)")
    p.add_argument("--load-engine", default="epoll",
                   help="chat_bench's own netcore engine (io_uring costs it fewer syscalls)")
    p.add_argument("--readme", action=argparse.BooleanOptionalAction, default=None,
                   help="put the headline into README.md between the bench markers (with\n"
                        "--windows: the bench-windows markers); default: on for full sessions")
    args = p.parse_args()
    args.suite = suites.WINDOWS if args.windows else suites.LINUX
    if args.tls and args.windows:
        p.error("--tls runs the Linux engines only (the Wine session has no TLS column yet)")
    if args.out is None:
        args.out = os.path.join(ROOT, "bench", "results",
                                "tls" if args.tls else args.suite.out_subdir)
    return args


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
    if args.windows:
        compared = [
            "Windows engines of chat_server.exe (MinGW-w64 cross-build, statically linked) run "
            f"under {wine.version()} on Linux, one persistent wineserver pinned to the server's "
            "core; chat_bench is the native Linux build. Wine's own overhead is in every number: compare the engines with "
            "each other (ratios are to `iocp`, the Windows default), never with the Linux "
            "tables; only the ranking means something, not the absolute figures. The issue's "
            "targets name Linux servers and are not checked here."]
        restarts = ctx.wineserver.restarts if ctx.wineserver else 0
        if restarts:
            compared[0] += (f" The wineserver was restarted {restarts} time(s): it kept a socket "
                            "of an ended server and spun on it (see bench/README.md).")
    elif args.tls:
        compared = [
            "No references (they have no TLS): each engine of chat_server against itself over "
            "TLS, with a self-signed RSA 2048 pair from scripts/make-tls-cert.sh; chat_bench "
            "checks the certificate (--tls --ca)."]
    else:
        compared = [
            "References, built from Debian's packages and measured in the same session: "
            "`raw_epoll` (bench/raw_epoll: the least a server can do per frame), `libuv` "
            "(uv_write per frame, as libuv's examples), `libuv_batch` (one uv_write per read "
            "callback), `asio` (Asio's chat_server example: header/body async_read, write deque)."]
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
    ] + compared


def check_built(args, bin_dir):
    if not os.path.exists(os.path.join(bin_dir, "chat_bench")):
        sys.exit(f"run.py: {bin_dir}/chat_bench is missing; build first: "
                 "cmake --preset default && cmake --build build -j2")
    if args.windows:
        exe = os.path.join(args.build_win, "bin", "chat_server.exe")
        if not os.path.exists(exe):
            sys.exit(f"run.py: {exe} is missing; build first: cmake --preset windows && "
                     "cmake --build --preset windows --target chat_server")
    elif not os.path.exists(os.path.join(bin_dir, "chat_server")):
        sys.exit(f"run.py: {bin_dir}/chat_server is missing; build first: "
                 "cmake --preset default && cmake --build build -j2")


def measure_all(todo, ctx):
    width = max((len(kind.name) for _, _, kind in todo), default=12)
    for i, (run, spec, kind) in enumerate(todo, 1):
        result = run_one(kind, spec, ctx, run)
        ctx.results.append(result)
        m = result["metrics"]
        headline = next((f"{m[k]:.4g} {k}" for k in ("frames_per_s", "churn_per_s", "deliveries_per_s",
                                                      "welcomed") if k in m), "-")
        status = "ok" if result["ok"] else "PROBLEM: " + "; ".join(result["problems"])[:160]
        print(f"[{i}/{len(todo)}] {kind.name:{width}} {spec.key:20} run {run + 1}: {headline} "
              f"({status})", flush=True)


def main():
    args = parse_args()
    runs = args.runs or (1 if args.quick else 3)
    bin_dir = os.path.join(args.build, "bin")
    check_built(args, bin_dir)
    server_cpu, load_cpu = (int(c) for c in args.cpus.split(","))
    raw_dir = os.path.join(args.out, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    ctx = Context(bin_dir=bin_dir, raw_dir=raw_dir, out_dir=args.out,
                  duration=args.duration or (0.8 if args.quick else 4),
                  warmup=args.warmup if args.warmup is not None else (0.2 if args.quick else 1),
                  server_cpu=server_cpu, load_cpu=load_cpu, perf=perf_works(),
                  load_engine=args.load_engine, suite=args.suite)
    ctx.run_count, ctx.t0, ctx.load_start = runs, time.monotonic(), os.getloadavg()
    started = datetime.datetime.utcnow()

    kinds = (servers.wine_server_kinds(args.build_win) if args.windows
             else servers.server_kinds(bin_dir))
    if args.servers:
        wanted = args.servers.split(",")
        kinds = [k for k in kinds if k.name in wanted]
    specs = plan.build_windows(args.quick) if args.windows else plan.build(args.quick)
    if args.tls:
        kinds = tls.kinds(kinds, *tls.make_pair(ROOT, args.out))
        specs = tls.specs(specs)
    if args.scenarios:
        specs = [s for s in specs if s.group in args.scenarios.split(",")]
    todo = [(r, s, k) for r in range(runs) for s in specs for k in kinds if s.applies_to(k)]
    print(f"{len(todo)} measurements: {len(kinds)} servers ({', '.join(k.name for k in kinds)}), "
          f"{len(specs)} scenarios, {runs} run(s); syscalls counted with "
          f"{'perf' if ctx.perf else 'the engines own counters'}"
          + ("; under Wine" if args.windows else ""), flush=True)

    try:
        if args.windows:
            ctx.wineserver = wine.WineServer(wine.env(args.build_win), server_cpu)
    except RuntimeError as e:
        sys.exit(f"run.py: {e}")
    try:
        measure_all(todo, ctx)
    finally:
        if ctx.wineserver:
            ctx.wineserver.stop()

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"started": started.isoformat(), "suite": args.suite.name, "quick": args.quick,
                   "runs": runs, "duration": ctx.duration, "warmup": ctx.warmup,
                   "results": ctx.results}, f, indent=1)
    md = os.path.join(args.out, "results.md")
    header = machine_lines(args, ctx, started)
    if args.tls:
        tls.write(ctx, specs, kinds, header, md)
        print(f"wrote {md}")
        return
    tables.write(ctx, specs, kinds, header, md)
    written = plots.write(ctx, specs, kinds, args.out)
    if args.readme if args.readme is not None else not (args.quick or args.servers
                                                         or args.scenarios):
        targets = tables.targets(ctx, specs, kinds) if args.suite.targets else None
        intro = (None if args.suite.targets else
                 "Windows engines under Wine: every number carries Wine's overhead, so compare "
                 "the engines with each other only (ratios to iocp, the Windows default).")
        text = readme.body(header[0], targets, tables.pingpong_section(ctx, specs, kinds),
                           os.path.join(args.out, "pingpong_throughput.png"), md, ROOT, intro)
        if readme.update(os.path.join(ROOT, "README.md"), text, args.suite.markers):
            print(f"updated README.md (between the {args.suite.markers[0]} markers)")
    print(f"wrote {md}" + ("" if isinstance(written, str) else
                           "".join(f", {os.path.basename(p)}" for p in written)))
    if isinstance(written, str):
        print("plots: " + written)


if __name__ == "__main__":
    main()
