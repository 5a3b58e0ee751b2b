"""Pauses of a benchmark server process: garbage-collector passes and event-loop stalls.

Lateness at low CPU is pauses, not throughput. `PauseProbe` times every collection (gc.callbacks)
and runs a ticker on the loop every `TICK_S` on absolute deadlines: a tick that comes late by
more than `STALL_S` is a stall (the loop was busy with one thing, or the process was not
scheduled). Both are kept with their time (time.monotonic, the clients' clock), so the
benchmark measures those in its window only. Printed as one JSON object on the `stats` line.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

PAUSES_PREFIX = "pauses "
TICK_S = 0.005
STALL_S = 0.002  # a tick later than this is kept
KEPT_GC_S = 0.0005  # a collection longer than this is kept


class PauseProbe:
    def __init__(self) -> None:
        self._gc_start = self._gc_cpu = 0.0
        # (at, generation, wall seconds, CPU seconds: wall less the time others had the core)
        self.collections: list[tuple[float, int, float, float]] = []
        self.gc_counts = [0, 0, 0]
        self.gen2_objects: list[int] = []  # after each full pass (counting them takes ~1 ms)
        self.stalls: list[tuple[float, float]] = []  # (at, lateness seconds)
        self._ticker: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if phase == "start":
            self._gc_start, self._gc_cpu = now, cpu
            return
        took = now - self._gc_start
        generation = int(info["generation"])
        self.gc_counts[generation] += 1
        if took >= KEPT_GC_S or generation == 2:
            self.collections.append((time.monotonic(), generation, took, cpu - self._gc_cpu))
        if generation == 2:  # what a full pass walks: the heap outside the frozen part
            self.gen2_objects.append(len(gc.get_objects(generation=2)))

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        k = 0
        while True:
            k += 1
            due = start + k * TICK_S
            await asyncio.sleep(max(due - loop.time(), 0))
            late = loop.time() - due
            if late > STALL_S:
                self.stalls.append((time.monotonic(), late))
            if late > TICK_S:  # skip the ticks the stall swallowed
                k += int(late / TICK_S)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> dict[str, Any]:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._ticker is not None:
            self._ticker.cancel()
        return {
            "gc_counts": self.gc_counts,
            "gen2_objects": self.gen2_objects,
            "frozen": gc.get_freeze_count(),
            "collections": [
                [round(at, 4), gen, round(s, 5), round(cpu, 5)]
                for at, gen, s, cpu in self.collections
            ],
            "stalls": [[round(at, 4), round(s, 5)] for at, s in self.stalls],
        }


def in_window(pauses: dict[str, Any], start: float, end: float) -> dict[str, Any]:
    """The window's figures: collections (count, longest, total by generation) and stalls."""
    kept = [(gen, s, cpu) for at, gen, s, cpu in pauses.get("collections", []) if start <= at < end]
    stalls = sorted(s for at, s in pauses.get("stalls", []) if start <= at < end)
    gen2 = [(s, cpu) for gen, s, cpu in kept if gen == 2]
    return {
        "gc2 n": len(gen2),
        "gc2 max ms": 1000 * max((s for s, _ in gen2), default=0.0),
        "gc2 cpu ms": 1000 * max((cpu for _, cpu in gen2), default=0.0),
        "gen2 objects": max(pauses.get("gen2_objects", []), default=0),
        "gc max ms": 1000 * max((s for _, s, _ in kept), default=0.0),
        "gc cpu ms/s": 1000 * sum(cpu for _, _, cpu in kept) / max(end - start, 1e-9),
        "stalls": len(stalls),
        "stall max ms": 1000 * (stalls[-1] if stalls else 0.0),
    }
