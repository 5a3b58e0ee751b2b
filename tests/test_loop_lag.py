"""LoopLag.worst runs in judging threads while the event loop notes samples: the copy must not
see the deque change under it ("RuntimeError: deque mutated during iteration", seen in 3.2.1)."""

from __future__ import annotations

import gc
import threading
import time

from realtime_conformance.conformance.loop_lag import LoopLag


class _SwitchesThreads:
    """Garbage in a cycle whose finalizer lets other threads run: when the collector frees it
    in the middle of a copy, the writer gets the GIL there (what made a bare tuple() fail)."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        time.sleep(0)


def test_worst_from_another_thread_while_samples_are_noted() -> None:
    lag = LoopLag()
    for i in range(5_000):
        lag.note(float(i), 1.0)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            lag.note(1.0, 2.0)
            time.sleep(0)

    thread = threading.Thread(target=writer)
    threshold = gc.get_threshold()
    gc.set_threshold(10)
    thread.start()
    try:
        for _ in range(100):
            for _ in range(50):
                _SwitchesThreads()
            assert lag.worst(0.0, 1e9) == 2.0
    finally:
        stop.set()
        thread.join()
        gc.set_threshold(*threshold)
