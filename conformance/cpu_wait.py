"""How long a client's own processes waited for a CPU: the machine's stall, seen from the client.

A client that runs as a separate process (`--client-cmd`, a connector's service) is judged on
its media timing like any other, but its stalls are not the harness's: the suite's loop can
keep time (conformance.loop_lag sees nothing) while the client's process sits runnable on a
busy machine's run queue, and its pacer starves the call through no fault of its own. Linux
counts that time for every thread (/proc/PID/task/TID/schedstat, second field: nanoseconds
spent waiting on a run queue). The runner samples it for the client's process group (the
client and whatever it started) during a case, so a media-timing failure can be read against
it (conformance.rerun): a process that waited for a CPU near the moment judged is run again;
one that was given the CPU and was late anyway is judged as it is.

Without /proc (not Linux, or the process gone) the wait counts as zero: the verdict stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

STEP_S = 0.02  # how often the group's threads are read
FIND_S = 1.0  # how often the group's members are looked for (a scan of /proc)
NOTED_MS = 1.0  # a step's wait below this is noise and not kept
KEPT = 50_000  # samples kept (about 15 minutes of a process that waits at every step)
PROC = Path("/proc")


def group_members(group: int) -> list[int]:
    """The processes of process group `group` (the client's children are started in their own
    session, so its group is its pid and holds whatever it starts)."""
    members = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it
                if int((entry / "stat").read_text().rpartition(")")[2].split()[2]) == group:
                    members.append(int(entry.name))
    return members


def thread_waits(pids: Iterable[int]) -> dict[str, int]:
    """Each live thread of `pids` (by /proc path) with its run-queue wait so far (ns)."""
    waits = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in (PROC / str(pid) / "task").iterdir():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    waits[str(task)] = int((task / "schedstat").read_text().split()[1])
    return waits


class CpuWait:
    """The run-queue wait of one client's processes, step by step, during one case."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=KEPT)  # (monotonic s, ms)
        self._lock = threading.Lock()  # judged in a worker thread while the loop appends

    async def watch(self, group_of: Callable[[], int | None]) -> None:
        """Sample the process group `group_of()` names (once it names one) until cancelled:
        each step, the growth of every thread's wait since the step before (a thread first
        seen counts whole: it started since, or was just found)."""
        before: dict[str, int] = {}
        members: list[int] = []
        found_at = 0.0
        while True:
            await asyncio.sleep(STEP_S)
            group, now = group_of(), time.monotonic()
            if group is None:
                continue
            if now - found_at >= FIND_S:
                members, found_at = group_members(group) or [group], now
            waits = thread_waits(members)
            grown = sum(max(0, ns - before.get(task, 0)) for task, ns in waits.items())
            if before and grown / 1e6 >= NOTED_MS:
                with self._lock:
                    self.samples.append((now, grown / 1e6))
            before = waits

    def waited(self, start: float, end: float) -> float:
        """The wait noted between two monotonic times (ms): every step that overlaps them."""
        with self._lock:
            samples = tuple(self.samples)
        return round(sum(ms for t, ms in samples if start <= t <= end + STEP_S), 1)
