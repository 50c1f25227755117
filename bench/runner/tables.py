"""bench/results/results.md: medians per server and scenario, ratios against the references
measured in the same session, the I/O models' known shapes, and the issue's targets. A Windows
session (ctx.suite) has the same tables with ratios to iocp, the wineserver's share beside the
server's, and no targets."""

from .targets import shapes, targets  # noqa: F401 (targets: for readme)

READINESS = ["select", "poll", "epoll"]


def fmt(v, digits=3):
    if v is None:
        return "–"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f} M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f} k"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "–"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def cpu_header(ctx):
    return "CPU % server / wineserver / load" if ctx.suite.wine else "CPU % server / load"


def cpu_pair(ctx, server, key):
    """'server/load' CPU % of a core: a load generator near 100 was the limit, not the server.
    Under Wine the wineserver's share sits between them (it serves the server's socket calls)."""
    s = ctx.median(server, key, "server_cpu_pct")
    l = ctx.median(server, key, "load_cpu_pct")
    if s is None or l is None:
        return "–"
    if ctx.suite.wine:
        w = ctx.median(server, key, "wineserver_cpu_pct")
        return f"{s:.0f} / {'–' if w is None else f'{w:.0f}'} / {l:.0f}"
    return f"{s:.0f} / {l:.0f}"


def vs_columns(refs, first_note=""):
    return [f"vs {r}" + (first_note if i == 0 else "") for i, r in enumerate(refs)]


def flag_problems(ctx, server, key):
    runs = ctx.runs(server, key)
    bad = [r for r in runs if not r["ok"]]
    return f" ({len(bad)}/{len(runs)} runs with problems)" if bad else ""


def pingpong_section(ctx, specs, servers):
    specs = [s for s in specs if s.group == "pingpong64"]
    if not specs:
        return ""
    mid = next((s for s in specs if s.x == 100), specs[0])
    header = ["server"] + [f"C={s.x} frames/s" for s in specs] + [f"C={s.x} p99 µs" for s in specs]
    refs = ctx.suite.pingpong_refs
    header += vs_columns(refs, f" (C={mid.x})") + [cpu_header(ctx)]
    ref = {name: ctx.median(name, mid.key, "frames_per_s") for name in refs}
    rows = []
    for kind in servers:
        v = ctx.median(kind.name, mid.key, "frames_per_s")
        rows.append([kind.name + flag_problems(ctx, kind.name, mid.key)]
                    + [fmt(ctx.median(kind.name, s.key, "frames_per_s")) for s in specs]
                    + [fmt(ctx.median(kind.name, s.key, "latency_p99_us")) for s in specs]
                    + [ratio(v, ref[r]) for r in refs] + [cpu_pair(ctx, kind.name, mid.key)])
    return "## pingpong: 64-byte frames, 8 in flight per connection\n\n" + table(header, rows)


def bulk_section(ctx, specs, servers):
    spec = next((s for s in specs if s.group == "pingpong16k"), None)
    if not spec:
        return ""
    refs = ctx.suite.bulk_refs
    ref = {name: ctx.median(name, spec.key, "mib_per_s") for name in refs}
    rows = [[k.name + flag_problems(ctx, k.name, spec.key),
             fmt(ctx.median(k.name, spec.key, "mib_per_s")),
             fmt(ctx.median(k.name, spec.key, "latency_p99_us"))]
            + [ratio(ctx.median(k.name, spec.key, "mib_per_s"), ref[r]) for r in refs]
            + [cpu_pair(ctx, k.name, spec.key)] for k in servers]
    return (f"## pingpong: 16 KiB frames, C={spec.x}, 8 in flight\n\n"
            + table(["server", "MiB/s (one direction)", "p99 µs"] + vs_columns(refs)
                    + [cpu_header(ctx)], rows))


def fanout_section(ctx, specs, servers):
    peak = next((s for s in specs if s.group == "fanout_peak"), None)
    if not peak:
        return ""
    half = next((s for s in specs if s.group == "fanout_half"), None)
    refs = ctx.suite.fanout_refs
    ref = {name: ctx.median(name, peak.key, "deliveries_per_s") for name in refs}
    rows = []
    for k in servers:
        if not k.speaks_chat:
            continue
        v = ctx.median(k.name, peak.key, "deliveries_per_s")
        gaps = sum(ctx.values(k.name, peak.key, "gaps")) + (
            sum(ctx.values(k.name, half.key, "gaps")) if half else 0)
        row = ([k.name + flag_problems(ctx, k.name, peak.key), fmt(v),
                fmt(ctx.median(k.name, peak.key, "latency_p99_us"))]
               + [ratio(v, ref[r]) for r in refs] + [cpu_pair(ctx, k.name, peak.key)])
        if half:
            row += [fmt(ctx.median(k.name, half.key, "deliveries_per_s")),
                    fmt(ctx.median(k.name, half.key, "latency_p99_us"))]
        rows.append(row + [f"{gaps:.0f}"])
    header = (["server", "peak deliveries/s", "p99 µs at peak"] + vs_columns(refs)
              + [cpu_header(ctx)])
    if half:
        header += ["half-peak deliveries/s", "p99 µs at half"]
    header += ["gaps (all runs)"]
    return (f"## fanout: {peak.x} members in one room, 10 senders\n\n"
            "Peak: closed loop (each sender keeps 4 messages in flight). Half: open loop at half "
            "of that server's own peak message rate.\n\n" + table(header, rows))


def connect_section(ctx, specs, servers):
    spec = next((s for s in specs if s.group == "connect"), None)
    if not spec:
        return ""
    rows = []
    for k in servers:
        m = lambda key: ctx.median(k.name, spec.key, key)
        args = spec.args_for(k, ctx)
        alive = all(r.get("server_alive", False) for r in ctx.runs(k.name, spec.key))
        rows.append([k.name, args[args.index("-n") + 1] + (" (fit)" if "--fit" in args else ""),
                     fmt(m("welcomed")), fmt(m("refused")), fmt(m("connects_per_s")),
                     fmt(m("server_rss_per_session_b")), fmt(m("server_anon_per_session_b")),
                     fmt(m("server_cpu_pct"))]
                    + ([fmt(m("wineserver_cpu_pct"))] if ctx.suite.wine else [])
                    + ["yes" if alive else "NO"])
    notes = sorted({n for k in servers for r in ctx.runs(k.name, spec.key)
                    for n in r.get("notes", []) if "RSS counts" not in n})
    notes_md = "".join(f"- {n}\n" for n in notes) + ("\n" if notes else "")
    wine = ("" if not ctx.suite.wine else
            " Under Wine the RSS is the .exe's (the wineserver's own objects per socket are not "
            "in it), and the wineserver's idle CPU has its own column.")
    return ("## connect: sessions held open (HELLO on each), then idle\n\n" + notes_md
            + "Per-session memory is the server's RSS growth divided by the sessions welcomed "
            "(user space only; kernel socket buffers are not in RSS). Idle CPU is the server's "
            "CPU time while every session sits silent." + wine + "\n\n"
            + table(["server", "requested", "welcomed", "refused", "sessions/s", "RSS B/session",
                     "heap B/session", "idle CPU %"]
                    + (["wineserver idle CPU %"] if ctx.suite.wine else []) + ["alive"],
                    rows))


def churn_section(ctx, specs, servers):
    spec = next((s for s in specs if s.group == "churn"), None)
    if not spec:
        return ""
    rows = [[k.name + flag_problems(ctx, k.name, spec.key),
             fmt(ctx.median(k.name, spec.key, "churn_per_s")),
             fmt(ctx.median(k.name, spec.key, "deliveries_per_s")),
             fmt(ctx.median(k.name, spec.key, "latency_p99_us")),
             f"{sum(ctx.values(k.name, spec.key, 'gaps')):.0f}"]
            for k in servers if k.speaks_chat]
    return ("## churn: 16 connections cycling (connect, HELLO, JOIN, close) beside 50 chatting "
            "members (500 messages/s)\n\n"
            + table(["server", "cycles/s", "deliveries/s", "p99 µs", "gaps (all runs)"], rows))


def syscall_section(ctx, specs, servers):
    spec = next((s for s in specs if s.syscalls), None)
    if not spec:
        return ""
    wine = ctx.suite.wine
    per = lambda n, d: fmt(n / d if n and d else None)
    rows = []
    for k in servers:
        per_s = ctx.median(k.name, spec.key, "server_syscalls_per_s")
        ws = ctx.median(k.name, spec.key, "wineserver_syscalls_per_s")
        fps = ctx.median(k.name, spec.key, "frames_per_s")
        rows.append([k.name, fmt(per_s)] + ([fmt(ws)] if wine else []) + [fmt(fps), per(per_s, fps)]
                    + ([per(ws, fps)] if wine else [])
                    + [fmt(ctx.median(k.name, spec.key, "engine_syscalls_per_frame"))])
    how = ("`perf stat -e raw_syscalls:sys_enter -p PID` over the measured window (every "
           "system call of every server thread)" if ctx.perf else
           "perf was not usable here: only the engines' own counters (/stats) are shown")
    if wine and ctx.perf:
        how += (": Linux system calls of the Wine process (a Winsock call may be several, or "
                "a request to the wineserver), and of the wineserver beside it")
    header = (["server", "syscalls/s"] + (["wineserver syscalls/s"] if wine else [])
              + ["frames/s", "syscalls per frame"] + (["wineserver per frame"] if wine else [])
              + ["engine-counted per frame"])
    return (f"## system calls per echoed frame (pingpong 64 B, C={spec.x})\n\nCounted with "
            f"{how}; the last column is what the engine itself counts (chat_server's `/stats`, "
            "I/O calls only).\n\n" + table(header, rows))


CPU_NOTE = ("\"CPU % server / load\" is each process' CPU time over the measured window in "
            "percent of one core: the side near 100 was the bottleneck. When it is the load "
            "generator, the server's number is a lower bound.\n")


WINE_CPU_NOTE = ("Under Wine the middle figure is the wineserver's CPU time over the same "
                 "window (pinned to the server's core; it serves the .exe's waits and many of "
                 "its socket calls).\n")


def write(ctx, specs, servers, header_lines, path):
    parts = [f"# {ctx.suite.title}\n", "\n".join(header_lines) + "\n", CPU_NOTE]
    if ctx.suite.wine:
        parts.append(WINE_CPU_NOTE)
    if ctx.suite.targets:
        parts.append("## Targets (issue 6)\n\n" + targets(ctx, specs, servers) + "\n")
    parts.append("## The models' known shapes\n\n" + shapes(ctx, specs, servers) + "\n")
    for section in (pingpong_section, bulk_section, fanout_section, connect_section,
                    churn_section, syscall_section):
        text = section(ctx, specs, servers)
        if text:
            parts.append(text)
    with open(path, "w") as f:
        f.write("\n".join(parts))
