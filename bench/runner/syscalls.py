"""Counting a server's system calls while it serves: `perf stat -e raw_syscalls:sys_enter`
attached to its pid (every syscall of every thread, the same probe for every server). When
perf cannot do it, chat_server's own counter from /stats is the fallback (I/O calls only)."""

import shutil
import subprocess


def perf_works():
    if not shutil.which("perf"):
        return False
    probe = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"],
                           capture_output=True, text=True)
    return probe.returncode == 0 and "raw_syscalls" in probe.stderr


class SyscallCounter:
    """perf stat on a pid for `seconds`, started now; result() waits for it."""

    def __init__(self, pid, seconds):
        self.proc = subprocess.Popen(
            ["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", str(pid), "--",
             "sleep", f"{seconds:.3f}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.seconds = seconds

    def result(self):
        """System calls per second, or None."""
        _, err = self.proc.communicate()
        for line in err.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and "raw_syscalls:sys_enter" in line:
                try:
                    return float(fields[0]) / self.seconds
                except ValueError:
                    return None
        return None
