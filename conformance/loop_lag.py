"""How late the suite's event loop wakes up: the harness's own lag, measured while cases run.

Media timing is judged from timestamps the harness takes; when the loop is late (a busy
machine, CPU work in the loop), the client's pacing measured in the same process suffers with
it. Each case's results carry the worst lag during its live part
(`harness.max_loop_lag_ms`), so a timing failure can be read against it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

STEP_S = 0.01  # asks to sleep this long, records by how much it overslept
NOTED_MS = 2.0  # lags below this are noise and not kept
KEPT = 100_000  # samples kept (about 15 minutes of a lagging loop)


class LoopLag:
    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=KEPT)  # (monotonic s, lag ms)
        self._lock = threading.Lock()  # worst() runs in judging threads while the loop appends

    async def watch(self) -> None:
        """Run until cancelled."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(STEP_S)
            now = time.monotonic()
            lag_ms = (now - before - STEP_S) * 1000
            if lag_ms >= NOTED_MS:
                self.note(now, lag_ms)

    def note(self, at: float, lag_ms: float) -> None:
        with self._lock:
            self.samples.append((at, lag_ms))

    def worst(self, start: float, end: float) -> float:
        """The largest lag noted between two monotonic times (0 when none was). Safe from
        another thread: the samples are copied under the lock. (A bare `tuple(self.samples)`
        is not: allocating the tuple may run the garbage collector, whose finalizers may let
        the loop's thread append mid-copy: "deque mutated during iteration".)"""
        with self._lock:
            samples = tuple(self.samples)
        return round(max((lag for t, lag in samples if start <= t <= end), default=0.0), 1)
