"""bench/run.sh --tls: what encryption costs each engine. Every chat_server engine runs twice
in the same session, as it is and with its listener over TLS (--tls-cert/--tls-key, a pair
scripts/make-tls-cert.sh writes into the results directory), chat_bench with --tls --ca for
the second; pingpong and fan-out only. results.md has, per scenario, the engine's figure
without and with TLS and their ratio."""

import dataclasses
import os
import subprocess

from .tables import cpu_header, cpu_pair, flag_problems, fmt, ratio, table

GROUPS = ("pingpong64", "pingpong16k", "fanout_peak", "fanout_half")
SUFFIX = "+tls"

# The figure each group is judged by, and its label.
HEADLINE = {
    "pingpong64": ("frames_per_s", "frames/s"),
    "pingpong16k": ("mib_per_s", "MiB/s"),
    "fanout_peak": ("deliveries_per_s", "deliveries/s"),
    "fanout_half": ("deliveries_per_s", "deliveries/s"),
}


def make_pair(root, out_dir):
    """A fresh self-signed pair in out_dir/tls-pair; returns (cert, key)."""
    where = os.path.join(out_dir, "tls-pair")
    subprocess.run([os.path.join(root, "scripts", "make-tls-cert.sh"), "--force", where],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(where, "cert.pem"), os.path.join(where, "key.pem")


def kinds(plain_kinds, cert, key):
    """Each chat_server engine as it is, then over TLS ("epoll", "epoll+tls", ...); no
    references (they have no TLS)."""
    out = []
    for kind in plain_kinds:
        if kind.reference:
            continue
        out.append(kind)
        out.append(dataclasses.replace(
            kind, name=kind.name + SUFFIX, argv=kind.argv + ["--tls-cert", cert, "--tls-key", key],
            bench_args=["--tls", "--ca", cert]))
    return out


def specs(all_specs):
    return [s for s in all_specs if s.group in GROUPS]


def write(ctx, specs_done, kinds_done, header_lines, path):
    engines = [k.name for k in kinds_done if not k.name.endswith(SUFFIX)]
    parts = ["# Benchmark results: the cost of TLS per engine\n", "\n".join(header_lines), "",
             "Each engine twice in one session: plaintext, and the same over TLS "
             "(chat_server --tls-cert/--tls-key, chat_bench --tls). *TLS/plain* below 1 is "
             "what encryption costs; CPU % of a core, server / load generator.\n"]
    for spec in specs_done:
        metric, unit = HEADLINE[spec.group]
        rows = []
        for engine in engines:
            tls_name = engine + SUFFIX
            plain = ctx.median(engine, spec.key, metric)
            secure = ctx.median(tls_name, spec.key, metric)
            rows.append([engine + flag_problems(ctx, engine, spec.key)
                         + flag_problems(ctx, tls_name, spec.key),
                         fmt(plain), fmt(secure), ratio(secure, plain),
                         fmt(ctx.median(engine, spec.key, "latency_p99_us")),
                         fmt(ctx.median(tls_name, spec.key, "latency_p99_us")),
                         cpu_pair(ctx, engine, spec.key), cpu_pair(ctx, tls_name, spec.key)])
        parts.append(f"## {spec.key}: `chat_bench {spec.scenario} "
                     f"{' '.join(spec.args) or '(rate: half of each peak)'}`\n")
        parts.append(table(["engine", f"plain {unit}", f"TLS {unit}", "TLS/plain",
                            "plain p99 µs", "TLS p99 µs", f"plain {cpu_header(ctx)}",
                            f"TLS {cpu_header(ctx)}"], rows))
    with open(path, "w") as f:
        f.write("\n".join(parts))
