#!/usr/bin/env python3
"""Writes DIR/results.md from the soak summaries bench/soak.sh leaves in DIR (ENGINE.json,
ENGINE.cmd): one row per engine with its cycles, the server's descriptors, threads and RSS at
the baseline (after the warm-up) and at the end, seq gaps, and what failed."""

import argparse
import glob
import json
import os


def mib(kib):
    return f"{kib / 1024:.1f}" if kib is not None else "?"


def load(directory):
    runs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        engine = os.path.basename(path)[:-len(".json")]
        cmd_path = os.path.join(directory, engine + ".cmd")
        cmd = open(cmd_path).read().strip() if os.path.exists(cmd_path) else ""
        try:
            with open(path) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            summary = None  # still running, or it printed no summary (see ENGINE.log)
        runs.append((engine, cmd, summary))
    return runs


def row(engine, summary):
    if summary is None:
        return [engine] + ["-"] * 8 + ["no summary (running, or see the log)"]
    m = summary["metrics"]
    g = m.get

    def pair(key):
        return f"{g(key + '_baseline', '?'):.0f} → {g(key + '_end', '?'):.0f}" \
            if key + "_end" in m and key + "_baseline" in m else "?"

    rss = f"{mib(g('rss_baseline_kib'))} → {mib(g('rss_end_kib'))} (max {mib(g('rss_max_kib') or None)})"
    result = "ok" if summary["ok"] else f"**{len(summary['problems'])} problem(s)**"
    return [engine,
            f"{g('cycles', 0):.0f} ({g('judged_cycles', 0):.0f} judged, {g('failed_cycles', 0):.0f} failed)",
            pair("fd"), pair("threads"), rss,
            f"{g('gaps', 0):.0f} / {g('duplicates', 0):.0f}",
            f"{g('switches', 0):.0f} ({g('switch_max_ms', 0):.0f} ms max)",
            f"{g('churn_cycles', 0):,.0f} / {g('resets', 0):.0f} / {g('slow_consumers_cut', 0):.0f}",
            f"{g('delivery_quiet_max_s', 0):.2f} s",
            result]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dir")
    ap.add_argument("--minutes", default="?")
    ap.add_argument("--commit", default="?")
    ap.add_argument("--started", default="?")
    a = ap.parse_args()
    runs = load(a.dir)
    lines = [
        "# Soak: every Linux engine as the home engine",
        "",
        f"Command: `bench/soak.sh --minutes {a.minutes}` — started {a.started}, commit {a.commit}.",
        "Each engine's own command is below the table; `chat_bench soak --help` and "
        "[docs/robustness.md](../../../docs/robustness.md#the-soak) say what a cycle does.",
        "",
        "Before = the baseline after the warm-up (the first fifth of the run), after = after the "
        "last cycle; descriptors and threads must stay within 5% of it, RSS must not stay over "
        "it by more than 5% (at least 1 MiB) plus 128 KiB per room member (the output buffers "
        "netcore keeps for reuse) for three cycles in a row.",
        "",
        "| home engine | cycles | fds before → after | threads before → after | RSS MiB before → after | gaps / dups | switches | churned / resets / slow consumers cut | longest silence | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, _, summary in runs:
        lines.append("| " + " | ".join(row(engine, summary)) + " |")
    lines += ["", "## Commands and problems", ""]
    for engine, cmd, summary in runs:
        lines.append(f"- `{engine}`: `{cmd}`")
        if summary:
            for p in summary["problems"][:10]:
                lines.append(f"  - {p}")
            if len(summary["problems"]) > 10:
                lines.append(f"  - ... {len(summary['problems']) - 10} more in {engine}.json")
    with open(os.path.join(a.dir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
