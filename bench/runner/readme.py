"""Puts the session's headline (targets, the pingpong table, a plot) into README.md between
the bench markers, so the README always shows what bench/run.sh last measured in full."""

import os
import re

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def update(readme_path, body):
    """Replaces the text between the markers; False when the README has no markers."""
    with open(readme_path) as f:
        text = f.read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        return False
    text = pattern.sub(lambda _: f"{BEGIN}\n{body.strip()}\n{END}", text)
    with open(readme_path, "w") as f:
        f.write(text)
    return True


def body(header, targets_md, pingpong_md, plot_path, results_md, root):
    rel = lambda p: os.path.relpath(p, root)
    parts = [header, "", "Targets of issue 6, from this session's medians:", "", targets_md.strip(),
             "", pingpong_md.replace("## ", "#### ").strip(), ""]
    if plot_path and os.path.exists(plot_path):
        parts.append(f"![pingpong throughput by engine and connection count]({rel(plot_path)})")
        parts.append("")
    parts.append(f"Every table, the known shapes of each model and more plots: "
                 f"[{rel(results_md)}]({rel(results_md)}).")
    return "\n".join(parts)
