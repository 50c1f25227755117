"""PNG plots for bench/results/ (or bench/results/windows/): throughput and p99 by engine and
connection count, fanout deliveries, and memory per session. Needs Debian's python3-matplotlib."""

import os


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _lines(plt, ctx, specs, servers, metric, ylabel, title, path, logy=False):
    fig, ax = plt.subplots(figsize=(8, 5))
    for k in servers:
        pts = [(s.x, ctx.median(k.name, s.key, metric)) for s in specs]
        pts = [(x, y) for x, y in pts if y is not None]
        if pts:
            style = "--" if k.reference else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=k.name)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("connections (C)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(plt, labels, values, ylabel, title, path):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.bar(labels, values, color=["#4c72b0" if not l.startswith(("raw", "libuv", "asio"))
                                  else "#999999" for l in labels])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(ctx, specs, servers, out_dir):
    """Returns the files written, or a reason when matplotlib is missing."""
    try:
        plt = _pyplot()
    except ImportError:
        return "matplotlib missing: apt-get install python3-matplotlib, run with /usr/bin/python3"
    written = []
    note = ctx.suite.plot_note
    pp = sorted((s for s in specs if s.group == "pingpong64"), key=lambda s: s.x)
    if pp:
        path = os.path.join(out_dir, "pingpong_throughput.png")
        _lines(plt, ctx, pp, servers, "frames_per_s", "echoed frames/s",
               "pingpong, 64 B frames, 8 in flight: throughput" + note, path)
        written.append(path)
        path = os.path.join(out_dir, "pingpong_p99.png")
        _lines(plt, ctx, pp, servers, "latency_p99_us", "round-trip p99 (µs)",
               "pingpong, 64 B frames, 8 in flight: p99 latency" + note, path, logy=True)
        written.append(path)
    peak = next((s for s in specs if s.group == "fanout_peak"), None)
    if peak:
        rows = [(k.name, ctx.median(k.name, peak.key, "deliveries_per_s")) for k in servers]
        rows = [r for r in rows if r[1] is not None]
        if rows:
            path = os.path.join(out_dir, "fanout_deliveries.png")
            _bars(plt, [r[0] for r in rows], [r[1] for r in rows], "deliveries/s",
                  f"fanout, {peak.x} members: peak deliveries/s" + note, path)
            written.append(path)
    conn = next((s for s in specs if s.group == "connect"), None)
    if conn:
        rows = [(k.name, ctx.median(k.name, conn.key, "server_rss_per_session_b")) for k in servers]
        rows = [r for r in rows if r[1] is not None]
        if rows:
            path = os.path.join(out_dir, "connect_memory.png")
            _bars(plt, [r[0] for r in rows], [r[1] for r in rows], "bytes of server RSS",
                  "server memory per idle session" + note, path)
            written.append(path)
    return written
