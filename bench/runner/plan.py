"""What to measure: the scenarios at the issue's sizes (full) or small (quick), and for which
servers. A Spec is one chat_bench invocation shape; results are grouped by `group`. build() is
the Linux session; build_windows() the same scenarios sized for chat_server.exe under Wine."""

from dataclasses import dataclass, field


@dataclass
class Spec:
    key: str               # unique: "pingpong64_c100"
    group: str             # table: "pingpong64", "fanout_peak", ...
    scenario: str          # chat_bench subcommand
    args: list
    x: int = 0             # the plotted variable (connections, members)
    needs_chat: bool = True   # needs HELLO/JOIN/SAY (raw_epoll only echoes)
    syscalls: bool = False    # count the server's system calls in this one
    per_server: dict = field(default_factory=dict)  # server name -> args replacing `args`
    derive: object = None  # fn(kind, ctx) -> args, from earlier results (half of peak)

    def applies_to(self, kind):
        return kind.speaks_chat or not self.needs_chat

    def args_for(self, kind, ctx):
        if self.derive:
            return self.derive(kind, ctx)
        return self.per_server.get(kind.name, self.args)


def half_of_peak(peak_key, members, senders):
    """Open-loop fanout at half of this server's own measured peak message rate."""
    def derive(kind, ctx):
        peak = ctx.median(kind.name, peak_key, "messages_per_s")
        rate = max(10.0, 0.5 * (peak or 0))
        return ["-c", str(members), "-k", str(senders), "-r", f"{rate:.0f}"]
    return derive


def _traffic(quick, members):
    """pingpong (64 B at several C, 16 KiB) and fanout (peak, and half of it in full runs)."""
    specs = []
    conns = [100] if quick else [10, 100, 1000]
    for c in conns:
        specs.append(Spec(f"pingpong64_c{c}", "pingpong64", "pingpong",
                          ["-c", str(c), "-D", "8", "-s", "64"], x=c, needs_chat=False,
                          syscalls=(c == 100)))
    big = 10 if quick else 100
    specs.append(Spec(f"pingpong16k_c{big}", "pingpong16k", "pingpong",
                      ["-c", str(big), "-D", "8", "-s", "16KiB"], x=big, needs_chat=False))
    specs.append(Spec(f"fanout_peak_m{members}", "fanout_peak", "fanout",
                      ["-c", str(members), "-k", "10", "-w", "4"], x=members))
    if not quick:
        specs.append(Spec(f"fanout_half_m{members}", "fanout_half", "fanout", [], x=members,
                          derive=half_of_peak(f"fanout_peak_m{members}", members, 10)))
    return specs


def build(quick):
    specs = _traffic(quick, 200 if quick else 1000)
    n = 1000 if quick else 10000
    most = ["-n", "100000", "--fit", "--hold", "2"]
    # select: past FD_SETSIZE on purpose (it must refuse politely). blocking: two threads per
    # session, and the machine has 32,768 pids for everyone: keep it to 2,000 sessions.
    specs.append(Spec(f"connect_n{n}", "connect", "connect",
                      ["-n", str(n), "--hold", "0.5" if quick else "2"], x=n, needs_chat=False,
                      per_server={"select": ["-n", "1500" if quick else "2000", "--hold", "1"],
                                  **({} if quick else {"epoll": most, "io_uring": most,
                                                       "blocking": ["-n", "2000", "--hold", "2"]})}))
    specs.append(Spec("churn", "churn", "churn", [], x=50))
    return specs


def build_windows(quick):
    """chat_server.exe's engines under Wine: the same traffic; connect at a few thousand
    sessions (every socket is a descriptor in the .exe and another in the wineserver).
    select: past its FD_SETSIZE of 1024 on purpose (it must refuse politely). blocking: Wine
    starts threads slowly (~130 a second, slower as they add up: 2,000 sessions take minutes)
    and each holds ~1 MiB of RSS, so its connect run is kept to a few hundred sessions, and
    fanout has 300 members (each JOIN goes to every member: at 500, blocking had only 441 to
    498 joined when chat_bench gave up after 25 s; at 1,000, ~600)."""
    specs = _traffic(quick, 200 if quick else 300)
    n = 1000 if quick else 5000
    hold = "0.5" if quick else "2"
    specs.append(Spec(f"connect_n{n}", "connect", "connect", ["-n", str(n), "--hold", hold],
                      x=n, needs_chat=False,
                      per_server={"select": ["-n", "1500" if quick else "2000", "--hold", "1"],
                                  "blocking": ["-n", "200" if quick else "500", "--hold", hold]}))
    specs.append(Spec("churn", "churn", "churn", [], x=50))
    return specs
