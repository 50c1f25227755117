"""The two kinds of session: Linux (chat_server's Linux engines beside reference servers, judged
against the issue's targets) and Windows (chat_server.exe's engines under Wine, compared with
each other only). A Suite says what the tables compare with and where the README headline goes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    name: str
    title: str             # of results.md
    wine: bool             # chat_server.exe under Wine: the wineserver's share is shown
    pingpong_refs: tuple   # the "vs X" columns of the 64-byte pingpong table
    bulk_refs: tuple       # ... of the 16 KiB table
    fanout_refs: tuple     # ... of the fanout table
    targets: bool          # check the targets (they name Linux servers)
    shapes: dict           # engines per kind of known-shape line; None: every engine measured
    markers: tuple         # README markers of the headline
    plot_note: str         # appended to plot titles
    out_subdir: str        # under bench/results/


LINUX = Suite(
    name="linux",
    title="Benchmark results",
    wine=False,
    pingpong_refs=("raw_epoll", "libuv", "asio"),
    bulk_refs=("raw_epoll",),
    fanout_refs=("asio", "libuv"),
    targets=True,
    shapes={"scaling": ("select", "poll", "epoll", "io_uring"),
            "idle": ("nonblocking", "blocking", "epoll"),
            "syscalls": ("io_uring", "epoll", "poll", "select")},
    markers=("<!-- bench:begin -->", "<!-- bench:end -->"),
    plot_note="",
    out_subdir="",
)

# iocp is chat_server.exe's default engine: every ratio is to it.
WINDOWS = Suite(
    name="windows",
    title="Benchmark results: Windows engines under Wine",
    wine=True,
    pingpong_refs=("iocp",),
    bulk_refs=("iocp",),
    fanout_refs=("iocp",),
    targets=False,
    shapes={"scaling": None, "idle": ("nonblocking", "blocking", "iocp"), "syscalls": None},
    markers=("<!-- bench-windows:begin -->", "<!-- bench-windows:end -->"),
    plot_note=" (Windows engines, under Wine)",
    out_subdir="windows",
)
