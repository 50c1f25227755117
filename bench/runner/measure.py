"""One measurement: a fresh server pinned to one core, chat_bench pinned to the other,
chat_bench's JSON summary back, plus what the runner samples around it (system calls)."""

import json
import os
import subprocess
import threading

from . import servers
from .syscalls import SyscallCounter


def run_one(kind, spec, ctx, run_index):
    """Returns a result dict; never raises for a failed run (the result says why)."""
    log_path = os.path.join(ctx.raw_dir, f"{kind.name}.{spec.key}.{run_index}.log")
    result = {"server": kind.name, "spec": spec.key, "run": run_index, "ok": False,
              "metrics": {}, "problems": [], "notes": []}
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
                "--engine", ctx.load_engine]
        result["argv"] = argv
        out, err, counter = _drive(argv, spec, server, ctx)
        with open(log_path, "a") as log:
            log.write("$ " + " ".join(argv) + "\n" + err + out)
        summary = _last_json(out)
        if summary is None:
            result["problems"].append("chat_bench printed no summary: " + err.strip()[-300:])
        else:
            result.update(ok=summary["ok"], metrics=summary["metrics"],
                          problems=summary["problems"], notes=summary["notes"])
        if counter is not None:
            per_s = counter.result()
            if per_s is not None:
                result["metrics"]["server_syscalls_per_s"] = per_s
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


def _drive(argv, spec, server, ctx):
    """Runs chat_bench; with spec.syscalls, counts the server's system calls from the first
    progress line (the end of the warm-up) for most of the measured window."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    counter = [None]

    def read_err():
        for line in proc.stderr:
            err_lines.append(line)
            if spec.syscalls and ctx.perf and counter[0] is None and "measuring" in line:
                window = max(0.2, ctx.duration * 0.8)
                counter[0] = SyscallCounter(server.pid, window)

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    try:
        out = proc.stdout.read()
        proc.wait(timeout=ctx.duration + ctx.warmup + 180)
    except subprocess.TimeoutExpired:
        proc.kill()
        out = ""
    reader.join(timeout=5)
    return out, "".join(err_lines), counter[0]


def _last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None
