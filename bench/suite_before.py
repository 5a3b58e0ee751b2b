"""`realtime-conformance run` as it ran before issue 13's scheduling work, on this same tree:
one process (the ordering phase first, then the real-time phase), the cases taking their
slots in the selection's order, and no frozen start-up heap (gc.freeze). bench_suite.py
--before runs it, so the before and after figures are taken on one tree, one machine, in one
sitting.

Run: python bench/suite_before.py run [realtime-conformance run options]
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TypeVar

from realtime_conformance.conformance import run_command, runner, suite
from realtime_conformance.conformance.cli import main

T = TypeVar("T")


def selection_order(chosen: Sequence[T]) -> list[T]:
    return list(chosen)


def nothing() -> None:
    """gc.freeze in this process: the old run did not freeze."""


if __name__ == "__main__":
    runner.longest_first = selection_order  # type: ignore[attr-defined]
    run_command.run_split = suite.run_selection  # type: ignore[attr-defined]
    gc.freeze = nothing
    sys.exit(main())
