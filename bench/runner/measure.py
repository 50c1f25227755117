"""One measurement: a fresh server pinned to one core, chat_bench pinned to the other,
chat_bench's JSON summary back, plus what the runner samples around it (system calls; under
Wine also the wineserver's CPU time and system calls over the same window)."""

import json
import os
import subprocess
import threading

from . import servers, wine
from .syscalls import SyscallCounter


def run_one(kind, spec, ctx, run_index):
    """Returns a result dict; never raises for a failed run (the result says why)."""
    log_path = os.path.join(ctx.raw_dir, f"{kind.name}.{spec.key}.{run_index}.log")
    result = {"server": kind.name, "spec": spec.key, "run": run_index, "ok": False,
              "metrics": {}, "problems": [], "notes": []}
    if ctx.wineserver:
        stuck = ctx.wineserver.ready()
        if stuck is not None:
            result["notes"].append(f"the wineserver stayed busy ({stuck:.0f}% of a core) with no "
                                   "server running: restarted before this run")
    try:
        server = servers.start(kind, ctx.server_cpu, log_path)
    except RuntimeError as e:
        result["problems"].append(str(e))
        return result
    try:
        stats_before = server.stats() if spec.syscalls else {}
        args = spec.args_for(kind, ctx)
        argv = ["taskset", "-c", str(ctx.load_cpu), os.path.join(ctx.bin_dir, "chat_bench"),
                spec.scenario, *args, "-p", str(server.port), "--server-pid", str(server.pid),
                "--json", "-d", str(ctx.duration), "--warmup", str(ctx.warmup),
                "--engine", ctx.load_engine, *kind.bench_args]
        result["argv"] = argv
        out, err, samplers = _drive(argv, spec, server, ctx)
        with open(log_path, "a") as log:
            log.write("$ " + " ".join(argv) + "\n" + err + out)
        summary = _last_json(out)
        if summary is None:
            result["problems"].append("chat_bench printed no summary: " + err.strip()[-300:])
        else:
            result.update(ok=summary["ok"], metrics=summary["metrics"],
                          problems=summary["problems"], notes=result["notes"] + summary["notes"])
        for metric, sampler in samplers.items():
            value = sampler.result()
            if value is not None:
                result["metrics"][metric] = value
        if spec.syscalls and stats_before:
            after = server.stats()
            if after and "syscalls" in after and "frames_in" in after:
                frames = after["frames_in"] - stats_before.get("frames_in", 0)
                calls = after["syscalls"] - stats_before.get("syscalls", 0)
                if frames > 0:
                    result["metrics"]["engine_syscalls_per_frame"] = calls / frames
        result["server_alive"] = server.alive()
        if not server.alive():
            result["problems"].append(f"the server exited (status {server.proc.returncode})")
    finally:
        server.stop()
    return result


def _steady_window(line, argv, ctx):
    """Seconds of steady state that begin with this progress line of chat_bench, or None: the
    measured window of pingpong, fanout and churn; connect's idle hold."""
    if "measuring for" in line:
        return ctx.duration
    if "holding" in line and "--hold" in argv:
        return float(argv[argv.index("--hold") + 1])
    return None


def _drive(argv, spec, server, ctx):
    """Runs chat_bench and, once it reports its steady window (the end of the warm-up, or
    connect's hold), samples what the runner measures itself: with spec.syscalls the server's
    system calls; under Wine the wineserver's CPU time (and system calls with spec.syscalls).
    Returns chat_bench's stdout and stderr and {metric: sampler with a result()}."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    samplers = {}

    def read_err():
        for line in proc.stderr:
            err_lines.append(line)
            seconds = None if samplers else _steady_window(line, argv, ctx)
            if not seconds:
                continue
            window = max(0.2, seconds * 0.8)
            if spec.syscalls and ctx.perf:
                samplers["server_syscalls_per_s"] = SyscallCounter(server.pid, window)
                if ctx.wineserver:
                    samplers["wineserver_syscalls_per_s"] = SyscallCounter(ctx.wineserver.pid,
                                                                           window)
            if ctx.wineserver:
                samplers["wineserver_cpu_pct"] = wine.CpuSampler(ctx.wineserver.pid, window)

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    try:
        out = proc.stdout.read()
        proc.wait(timeout=ctx.duration + ctx.warmup + 180)
    except subprocess.TimeoutExpired:
        proc.kill()
        out = ""
    reader.join(timeout=5)
    return out, "".join(err_lines), samplers


def _last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None
