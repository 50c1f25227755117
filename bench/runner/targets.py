"""The issue's targets checked against this session's medians, and the numbers that show each
I/O model's known shape. Every line says met, NOT met, or not measured, with its numbers."""


def _spec(specs, group, x=None):
    cands = [s for s in specs if s.group == group]
    if x is not None:
        cands = [s for s in cands if s.x == x] or cands
    return cands[0] if cands else None


def _verdict(ok):
    return "**met**" if ok else "**NOT met**"


def _engines(servers):
    return [k.name for k in servers if not k.reference]


def targets(ctx, specs, servers):
    lines = []
    names = {k.name for k in servers}
    engines = _engines(servers)
    pp = _spec(specs, "pingpong64", 100)
    if pp:
        fps = lambda n: ctx.median(n, pp.key, "frames_per_s")
        raw, asio = fps("raw_epoll"), fps("asio")
        # The stronger libuv: the per-frame uv_write of its examples, or one write per read.
        libuv_name = max((n for n in ("libuv", "libuv_batch") if fps(n)), key=fps, default=None)
        libuv = fps(libuv_name) if libuv_name else None
        if "epoll" in names and raw:
            r = fps("epoll") / raw
            lines.append(f"- pingpong 64 B, C={pp.x}: epoll at {r:.3f}x raw epoll "
                         f"(target ≥ 0.95x): {_verdict(r >= 0.95)}")
        measured = [(fps(e), e) for e in engines if fps(e)]
        if measured and libuv:
            best, name = max(measured)
            r = best / libuv
            lines.append(f"- pingpong 64 B, C={pp.x}: best engine {name} at {r:.2f}x "
                         f"{libuv_name}, the stronger libuv (target ≥ 1.1x): {_verdict(r >= 1.1)}")
        readiness = [e for e in ("select", "poll", "epoll") if e in names and fps(e)]
        if readiness and asio:
            worst = min(fps(e) / asio for e in readiness)
            detail = ", ".join(f"{e} {fps(e) / asio:.1f}x" for e in readiness)
            lines.append(f"- pingpong 64 B, C={pp.x}: readiness engines vs Asio chat-example "
                         f"style: {detail} (target ≥ 3x each): {_verdict(worst >= 3)}")
    bulk = _spec(specs, "pingpong16k")
    if bulk and ctx.median("raw_epoll", bulk.key, "mib_per_s"):
        raw = ctx.median("raw_epoll", bulk.key, "mib_per_s")
        got = [(ctx.median(e, bulk.key, "mib_per_s") or 0, e) for e in engines]
        if got:
            best, name = max(got)
            epoll = ctx.median("epoll", bulk.key, "mib_per_s") or 0
            lines.append(f"- pingpong 16 KiB: epoll at {epoll / raw:.2f}x raw epoll's MiB/s, best "
                         f"({name}) {best / raw:.2f}x (target ≥ 0.9x): "
                         f"{_verdict(max(best, epoll) / raw >= 0.9)}")
    peak = _spec(specs, "fanout_peak")
    if peak:
        asio = ctx.median("asio", peak.key, "deliveries_per_s")
        if asio:
            detail = [(ctx.median(e, peak.key, "deliveries_per_s") or 0) / asio for e in engines]
            text = ", ".join(f"{e} {d:.1f}x" for e, d in zip(engines, detail))
            ok = "epoll" in engines and detail[engines.index("epoll")] >= 2
            lines.append(f"- fanout {peak.x} members: deliveries/s vs Asio: {text} "
                         f"(target ≥ 2x; judged on epoll, the default): {_verdict(ok)}")
    half = _spec(specs, "fanout_half")
    if half:
        p99 = {e: ctx.median(e, half.key, "latency_p99_us") for e in engines}
        text = ", ".join(f"{e} {v / 1000:.2f} ms" for e, v in p99.items() if v is not None)
        ok = p99.get("epoll") is not None and p99["epoll"] < 5000
        lines.append(f"- fanout at half of peak: p99 delivery latency {text} (target < 5 ms; "
                     f"judged on epoll): {_verdict(ok)}")
    elif peak:
        lines.append("- fanout p99 at half of peak: not measured (--quick)")
    gap_specs = [s for s in specs if s.group in ("fanout_peak", "fanout_half", "churn")]
    gaps = sum(sum(ctx.values(k.name, s.key, "gaps")) + sum(ctx.values(k.name, s.key, "duplicates"))
               for k in servers for s in gap_specs)
    if gap_specs:
        lines.append(f"- zero gaps: {gaps:.0f} gaps or duplicates over every fanout and churn run "
                     f"of every server: {_verdict(gaps == 0)}")
    conn = _spec(specs, "connect")
    if conn:
        for e in ("epoll", "io_uring"):
            if e not in names:
                lines.append(f"- connect: {e}: not measured in this session")
                continue
            held = ctx.median(e, conn.key, "welcomed")
            per = ctx.median(e, conn.key, "server_rss_per_session_b")
            if held is None:
                lines.append(f"- connect: {e}: no result")
                continue
            ok = held >= 100000 and per is not None and per <= 2048
            args = conn.args_for(next(k for k in servers if k.name == e), ctx)
            why = ("" if held >= 100000 else
                   " — capped by the descriptor limit (see the connect notes)" if "--fit" in args
                   else f" — only {args[args.index('-n') + 1]} requested in this session")
            lines.append(f"- connect: {e} held {held:.0f} sessions at "
                         f"{per if per is not None else float('nan'):.0f} B of server RSS each "
                         f"(target 100,000 at ≤ 2 KiB): {_verdict(ok)}{why}")
        if "select" in names:
            runs = ctx.runs("select", conn.key)
            alive = runs and all(r.get("server_alive") for r in runs)
            refused = ctx.median("select", conn.key, "refused") or 0
            welcomed = ctx.median("select", conn.key, "welcomed") or 0
            lines.append(f"- connect: select welcomed {welcomed:.0f}, refused {refused:.0f} "
                         f"politely (ERROR server_full) past FD_SETSIZE, server alive: "
                         f"{'yes' if alive else 'NO'}: {_verdict(bool(alive) and refused > 0)}")
    return "\n".join(lines) + "\n" if lines else "No target could be checked.\n"


def _k(v):
    """Thousands, one decimal below 10 k (Wine's slower engines)."""
    return f"{v / 1e3:.0f}" if v >= 1e4 else f"{v / 1e3:.1f}"


def _shape_engines(ctx, servers, line):
    """The engines of one kind of shape line: the suite's list, or every engine measured."""
    chosen = ctx.suite.shapes[line]
    return chosen if chosen is not None else tuple(_engines(servers))


def shapes(ctx, specs, servers):
    lines = []
    names = {k.name for k in servers}
    pps = sorted((s for s in specs if s.group == "pingpong64"), key=lambda s: s.x)
    if len(pps) >= 2:
        lo, hi = pps[0], pps[-1]
        for e in _shape_engines(ctx, servers, "scaling"):
            a = ctx.median(e, lo.key, "frames_per_s")
            b = ctx.median(e, hi.key, "frames_per_s")
            if a and b:
                lines.append(f"- {e}: {_k(b)} k frames/s at C={hi.x} vs {_k(a)} k at "
                             f"C={lo.x} ({b / a:.2f}x); p99 "
                             f"{ctx.median(e, hi.key, 'latency_p99_us') or 0:.0f} µs at C={hi.x}")
    conn = next((s for s in specs if s.group == "connect"), None)
    if conn:
        for e in _shape_engines(ctx, servers, "idle"):
            if e in names:
                cpu = ctx.median(e, conn.key, "server_cpu_pct")
                per = ctx.median(e, conn.key, "server_rss_per_session_b")
                held = ctx.median(e, conn.key, "welcomed")
                if cpu is not None:
                    lines.append(f"- {e}: {cpu:.0f}% of a core while {held or 0:.0f} sessions "
                                 f"sit idle; {per or 0:.0f} B of server RSS per session")
    sc = next((s for s in specs if s.syscalls), None)
    if sc:
        for e in _shape_engines(ctx, servers, "syscalls"):
            per_s = ctx.median(e, sc.key, "server_syscalls_per_s")
            fps = ctx.median(e, sc.key, "frames_per_s")
            own = ctx.median(e, sc.key, "engine_syscalls_per_frame")
            if fps and (per_s or own):
                text = f"{per_s / fps:.3f} syscalls per frame (perf)" if per_s else ""
                if own is not None:
                    text += (", " if text else "") + f"{own:.3f} by the engine's own count"
                lines.append(f"- {e}: {text}")
    return "\n".join(lines) + "\n" if lines else "Not enough engines measured.\n"
