"""The session's settings and every result so far (medians come from here)."""

import statistics
from dataclasses import dataclass, field

from .suites import LINUX, Suite


@dataclass
class Context:
    bin_dir: str
    raw_dir: str
    out_dir: str
    duration: float
    warmup: float
    server_cpu: int = 0
    load_cpu: int = 1
    perf: bool = False
    load_engine: str = "epoll"
    suite: Suite = LINUX
    wineserver: object = None  # Windows sessions: wine.WineServer, sampled beside the server
    results: list = field(default_factory=list)

    def values(self, server, spec_key, metric):
        return [r["metrics"][metric] for r in self.results
                if r["server"] == server and r["spec"] == spec_key and metric in r["metrics"]]

    def median(self, server, spec_key, metric):
        vals = self.values(server, spec_key, metric)
        return statistics.median(vals) if vals else None

    def runs(self, server, spec_key):
        return [r for r in self.results if r["server"] == server and r["spec"] == spec_key]
