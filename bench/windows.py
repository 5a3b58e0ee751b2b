"""The measurement window of bench_sessions.py, cut into slices judged clean or disturbed.

The machine is shared with other programs whose bursts would pass for the server's lateness.
Every slice records our processes' CPU time and each core's busy time (/proc); what the core
did beyond our processes is others' load. Only the clean slices are measured.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from processes import CLIENT_CORE, SERVER_CORE, core_busy_seconds, cpu_seconds

SLICE_S = 0.5
Intervals = list[tuple[float, float]]


@dataclass(frozen=True)
class Sample:
    """CPU counters at one instant: our processes' CPU time and each core's busy time."""

    at: float
    server_cpu: float
    client_cpu: float
    core_busy: list[float]

    @classmethod
    def take(cls, server_pid: int, client_pids: list[int]) -> Sample:
        client_cpu = sum(cpu_seconds(pid) for pid in client_pids)
        return cls(time.monotonic(), cpu_seconds(server_pid), client_cpu, core_busy_seconds())


@dataclass(frozen=True)
class Slice:
    """A part of the window: our CPU shares, and the share of each core others used."""

    start: float
    end: float
    server_cpu: float
    client_cpu: float
    others: tuple[float, float]  # of the server's core and of the client's core

    @classmethod
    def between(cls, before: Sample, after: Sample) -> Slice:
        wall = after.at - before.at
        server, client = after.server_cpu - before.server_cpu, after.client_cpu - before.client_cpu
        busy = [b - a for a, b in zip(before.core_busy, after.core_busy, strict=True)]
        server_core = max(busy[SERVER_CORE] - server, 0) / wall
        client_core = max(busy[CLIENT_CORE] - client, 0) / wall
        return cls(before.at, after.at, server / wall, client / wall, (server_core, client_core))


async def sample_window(
    server_pid: int, client_pids: list[int], start: float, end: float
) -> list[Slice]:
    await asyncio.sleep(max(start - time.monotonic(), 0))
    previous, slices = Sample.take(server_pid, client_pids), []
    while previous.at < end - SLICE_S / 10:
        await asyncio.sleep(max(min(previous.at + SLICE_S, end) - time.monotonic(), 0))
        sample = Sample.take(server_pid, client_pids)
        slices.append(Slice.between(previous, sample))
        previous = sample
    return slices


def clean_intervals(slices: list[Slice], max_other_pct: float) -> Intervals:
    """The slices others left alone (and the one before too: a backlog carries over), merged."""
    quiet = [max(piece.others) * 100 <= max_other_pct for piece in slices]
    intervals: Intervals = []
    for index, piece in enumerate(slices):
        if not (quiet[index] and (index == 0 or quiet[index - 1])):
            continue
        if intervals and intervals[-1][1] == piece.start:
            intervals[-1] = (intervals[-1][0], piece.end)
        else:
            intervals.append((piece.start, piece.end))
    return intervals
