"""Puts the session's headline (targets, the pingpong table, a plot) into README.md between
the suite's markers (bench:begin/end for Linux, bench-windows:begin/end for the Windows engines
under Wine), so the README always shows what bench/run.sh last measured in full."""

import os
import re

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def update(readme_path, body, markers=(BEGIN, END)):
    """Replaces the text between the markers; False when the README has no markers."""
    begin, end = markers
    with open(readme_path) as f:
        text = f.read()
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return False
    text = pattern.sub(lambda _: f"{begin}\n{body.strip()}\n{end}", text)
    with open(readme_path, "w") as f:
        f.write(text)
    return True


def body(header, targets_md, pingpong_md, plot_path, results_md, root, intro=None):
    """targets_md None: no targets (a Windows session); `intro` then leads the table."""
    rel = lambda p: os.path.relpath(p, root)
    parts = [header, ""]
    if targets_md is not None:
        parts += ["Targets of issue 6, from this session's medians:", "", targets_md.strip(), ""]
    if intro:
        parts += [intro, ""]
    parts += [pingpong_md.replace("## ", "#### ").strip(), ""]
    if plot_path and os.path.exists(plot_path):
        parts.append(f"![pingpong throughput by engine and connection count]({rel(plot_path)})")
        parts.append("")
    parts.append(f"Every table, the known shapes of each model and more plots: "
                 f"[{rel(results_md)}]({rel(results_md)}).")
    return "\n".join(parts)
