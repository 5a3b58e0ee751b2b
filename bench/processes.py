"""Benchmark processes: CPU pinning, the open-files limit, CPU time, and server subprocesses.

Server and client run in separate processes pinned to separate cores (os.sched_setaffinity),
so neither steals the other's core and the figures are about one server process on one core.
Every wait here has a timeout: a benchmark stops by itself.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SERVER_SCRIPT = BENCH_DIR / "servers.py"
SERVER_CORE = 0
CLIENT_CORE = 1
READY_PREFIX = "ready port="
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def pin_to_core(core: int) -> bool:
    """Run this process on `core` only; False (and unpinned) when the machine has no such core."""
    if core >= (os.cpu_count() or 1):
        print(f"warning: no core {core} to pin to; running unpinned", file=sys.stderr)
        return False
    os.sched_setaffinity(0, {core})
    return True


def raise_open_files_limit() -> int:
    """Raise the soft open-files limit to the hard one (one descriptor per connection)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / CLOCK_TICKS


def core_busy_seconds() -> list[float]:
    """Busy time of each core so far (everything but idle and iowait), from /proc/stat."""
    busy = []
    for line in Path("/proc/stat").read_text().splitlines():
        name, *ticks = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(tick) for tick in ticks]
            busy.append((sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS)
    return busy


@dataclass
class CoreLoad:
    """How busy each core was between `start()` and `stop()`, for telling apart our own load
    from other programs' (this machine is shared: others' bursts make a step noisy)."""

    wall: float = 0.0
    busy: list[float] = field(default_factory=list)

    def start(self) -> CoreLoad:
        self.wall, self.busy = time.monotonic(), core_busy_seconds()
        return self

    def stop(self) -> CoreLoad:
        now, busy = time.monotonic(), core_busy_seconds()
        self.busy = [after - before for after, before in zip(busy, self.busy, strict=True)]
        self.wall = now - self.wall
        return self

    def others(self, core: int, own_cpu_s: float) -> float:
        """Share of `core` (0..1) used by others, given the CPU time our processes spent."""
        if core >= len(self.busy) or self.wall <= 0:
            return 0.0
        return max(self.busy[core] - own_cpu_s, 0.0) / self.wall


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class ServerProcess:
    """A benchmark server (bench/servers.py) in a subprocess, pinned to `core`."""

    args: list[str]
    core: int = SERVER_CORE
    port: int = 0
    process: subprocess.Popen[str] | None = field(default=None, repr=False)

    def start(self) -> ServerProcess:
        command = [sys.executable, str(SERVER_SCRIPT), "--cpu", str(self.core), *self.args]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.port = self._await_ready()
        return self

    def _await_ready(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith(READY_PREFIX):
                return int(line[len(READY_PREFIX) :].split()[0])
        self.stop()
        raise RuntimeError(f"server did not start: {' '.join(self.args)}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str = "/v1/realtime?model=gpt-realtime") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def stop(self) -> str:
        """SIGTERM, wait, and return what the server printed on the way out."""
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.process = None
        return out or ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
