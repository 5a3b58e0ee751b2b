"""The process groups of the clients and services the suite starts (command clients,
connectors' services): each runs in a session of its own, so one signal reaches the helpers it
started too and the terminal's Ctrl-C does not. The groups still alive when the suite's
interpreter exits (a run stopped half-way) are killed then, so none outlives the suite.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal

_live: set[int] = set()  # group ids (the leader's pid, start_new_session) not yet ended


def started(group: int) -> None:
    _live.add(group)


def signal_group(group: int, number: int) -> None:
    """Send `number` to every process of the group; one already gone is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, number)


def ended(group: int) -> None:
    _live.discard(group)


@atexit.register
def _kill_live_groups() -> None:
    for group in list(_live):
        signal_group(group, signal.SIGKILL)
