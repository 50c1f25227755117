"""The servers under test: every netcore engine of chat_server and the reference servers (or,
for a Windows session, every engine of chat_server.exe under Wine), each started pinned to its
own core, found by its 'listening on ADDR:PORT engine=NAME' line."""

import os
import re
import resource
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field

from . import wine

LISTENING = re.compile(r"listening on (\S+):(\d+)(?: \(tls\))? engine=(\S+)")


@dataclass
class ServerKind:
    name: str          # the label in tables: an engine name, or the reference's name
    argv: list         # command line without the port
    reference: bool    # a reference server (not chat_server)
    speaks_chat: bool = True  # HELLO/JOIN/SAY (raw_epoll only echoes)
    commands: bool = False    # takes /stats on stdin (chat_server)
    env: dict = None          # the environment, when not ours (Wine's prefix)
    start_timeout: float = 10.0  # seconds to the 'listening on' line
    bench_args: list = field(default_factory=list)  # chat_bench's own (--tls --ca FILE)


def raise_fd_limit():
    """In the child: soft limit up to the hard one (chat_server does not raise it itself)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def chat_server_engines(bin_dir):
    out = subprocess.run([os.path.join(bin_dir, "chat_server"), "--list-engines"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


# No rate limit, no session cap, no timeouts during a run, quiet: the same for both builds.
CHAT_SERVER_ARGS = ["--rate-limit", "0", "--max-sessions", "1000000", "--handshake-timeout",
                    "3600", "--idle-timeout", "3600", "--log-level", "warn"]


def server_kinds(bin_dir):
    kinds = []
    chat_server = os.path.join(bin_dir, "chat_server")
    for engine in chat_server_engines(bin_dir):
        kinds.append(ServerKind(engine, [chat_server, "--engine", engine] + CHAT_SERVER_ARGS,
                                reference=False, commands=True))
    refs = [("raw_epoll", ["raw_epoll_echo"], False),
            ("libuv", ["uv_chat_server"], True),
            ("libuv_batch", ["uv_chat_server", "--batch"], True),
            ("asio", ["asio_chat_server"], True)]
    for name, argv, chat in refs:
        path = os.path.join(bin_dir, argv[0])
        if os.path.exists(path):
            kinds.append(ServerKind(name, [path] + argv[1:], reference=True, speaks_chat=chat))
    return kinds


def wine_server_kinds(build_win):
    """Every engine of build_win/bin/chat_server.exe, each run through cmake/wine-run.sh. No
    references: they are Linux servers, and these tables compare the Windows engines only."""
    exe = os.path.join(build_win, "bin", "chat_server.exe")
    wine_env = wine.env(build_win)
    # Wine starts slower than a native process, more so on a busy machine.
    return [ServerKind(engine, [wine.WINE_RUN, exe, "--engine", engine] + CHAT_SERVER_ARGS,
                       reference=False, commands=True, env=wine_env, start_timeout=60.0)
            for engine in wine.engines(exe, wine_env)]


@dataclass
class RunningServer:
    kind: ServerKind
    proc: subprocess.Popen
    port: int
    log_path: str
    lines: list = field(default_factory=list)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stats(self, timeout=2.0):
        """chat_server's /stats line as a dict of numbers (engine counters), or {}."""
        if not self.kind.commands or not self.alive():
            return {}
        try:
            self.proc.stdin.write(b"/stats\n")
            self.proc.stdin.flush()
        except OSError:
            return {}
        line = _read_line(self.proc.stdout, timeout, lambda l: "syscalls=" in l)
        # Numbers only: the line also has words and dotted versions (version=0.1.0).
        return {k: float(v) for k, v in re.findall(r"(\w+)=(\d+(?:\.\d+)?)(?=\s|$)", line or "")}

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f:
                f.close()


def _read_line(stream, timeout, accept):
    deadline = time.monotonic() + timeout
    buf = b""
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        for line in buf.decode(errors="replace").splitlines():
            if accept(line):
                return line
    return None


def start(kind, cpu, log_path):
    """Starts a server pinned to `cpu`; raises RuntimeError when it never says it listens."""
    argv = ["taskset", "-c", str(cpu)] + kind.argv + ["--port", "0"]
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                            preexec_fn=raise_fd_limit, env=kind.env)
    line = _read_line(proc.stdout, kind.start_timeout, lambda l: LISTENING.search(l) is not None)
    if not line:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{kind.name}: no 'listening on' line (see {log_path})")
    match = LISTENING.search(line)
    # taskset execs the server (and wine-run.sh execs wine, which becomes the .exe): the pid is
    # the server's own.
    return RunningServer(kind, proc, int(match.group(2)), log_path)
