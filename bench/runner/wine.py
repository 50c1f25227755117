"""Wine for the Windows session. chat_server.exe runs through cmake/wine-run.sh (which makes the
headless prefix on first use and execs wine, so the pid is the Windows process itself). One
wineserver serves the whole session: started here in the foreground (its pid is ours), pinned to
the server's core, and kept until the end instead of one per measurement. Every wait and many
socket calls of a Windows program under Wine are requests to it, so its CPU time and system
calls are sampled beside the server's.

Wine 8.0 now and then keeps a socket of a server it has just ended (seen with the select
engine, about once in twenty runs); once the peer has closed it, the wineserver peeks at it in
a loop (recvfrom + epoll_wait) at 100% of a core for the rest of its life. So before each
measurement the runner waits for the wineserver to go idle and restarts it when it does not."""

import os
import signal
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WINE_RUN = os.path.join(ROOT, "cmake", "wine-run.sh")


def env(build_win):
    """The environment of every Wine process of the session (one prefix, quiet, no prompts)."""
    e = dict(os.environ)
    e.update(WINEPREFIX=os.path.join(os.path.abspath(build_win), "wineprefix"), WINEDEBUG="-all",
             WINEDLLOVERRIDES="mscoree,mshtml=")
    return e


def engines(exe, wine_env):
    """chat_server.exe --list-engines, default first. Makes the prefix when it is missing."""
    out = subprocess.run([WINE_RUN, exe, "--list-engines"], capture_output=True, text=True,
                         env=wine_env, stdin=subprocess.DEVNULL, timeout=300, check=True).stdout
    return [line.split()[0] for line in out.replace("\r", "").splitlines() if line.strip()]


def version():
    out = subprocess.run(["wine", "--version"], capture_output=True, text=True).stdout.strip()
    return out or "Wine"


def _listening(pid, prefix):
    """Whether wineserver `pid` has made its socket: its server directory (keyed by the prefix's
    device and inode; where it lives depends on the Wine build) is among its open files and
    holds the socket."""
    st = os.stat(prefix)
    name = f"server-{st.st_dev:x}-{st.st_ino:x}"
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if os.path.basename(target) == name and os.path.exists(os.path.join(target, "socket")):
            return True
    return False


class WineServer:
    """A persistent wineserver for the session's prefix, pinned to `cpu`."""

    def __init__(self, wine_env, cpu):
        self.env, self.cpu, self.restarts = wine_env, cpu, 0
        self._start()

    def _start(self):
        wine_env, cpu = self.env, self.cpu
        # A wineserver left from --list-engines exits on its own (no client left): wait for it.
        try:
            subprocess.run(["wineserver", "-w"], env=wine_env, timeout=60)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"a wineserver of {wine_env['WINEPREFIX']} is still serving other "
                               "Wine programs after 60 s (a test run in the same build?)")
        self.proc = subprocess.Popen(["taskset", "-c", str(cpu), "wineserver", "-f", "-p"],
                                     env=wine_env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not _listening(self.proc.pid, wine_env["WINEPREFIX"]):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("wineserver did not start (is another one using the prefix?)")
            time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def ready(self):
        """Waits for the wineserver to go idle (the last server's teardown); restarts it when it
        stays busy with no server running. Returns the CPU % it was stuck at, or None."""
        stuck = settle(self.pid)
        if stuck is not None:
            self.stop()
            self._start()
            self.restarts += 1
        return stuck

    def stop(self):
        """SIGINT: the wineserver ends the prefix's processes (Wine's own services.exe,
        explorer.exe...) and exits. SIGTERM would leave those behind, orphaned, forever."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid):
    """user + system CPU time of a process from /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid, limit=3.0, step=0.2, busy_pct=10.0):
    """Waits (at most `limit` seconds) until the wineserver is idle: the teardown of the last
    server must not fall into the next measurement. Returns None once idle, else its CPU %."""
    deadline = time.monotonic() + limit
    pct = None
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(step)
        after = cpu_seconds(pid)
        if before is None or after is None:
            return None
        pct = 100.0 * (after - before) / step
        if pct < busy_pct:
            return None
    return pct


class CpuSampler:
    """A process' CPU time over the next `seconds`, in percent of one core; result() waits."""

    def __init__(self, pid, seconds):
        self.pct = None
        self.thread = threading.Thread(target=self._run, args=(pid, seconds), daemon=True)
        self.thread.start()

    def _run(self, pid, seconds):
        t0, c0 = time.monotonic(), cpu_seconds(pid)
        time.sleep(seconds)
        t1, c1 = time.monotonic(), cpu_seconds(pid)
        if c0 is not None and c1 is not None:
            self.pct = 100.0 * (c1 - c0) / (t1 - t0)

    def result(self):
        self.thread.join()
        return self.pct
