"""The tests' virtual clock (tests/support/virtual_clock.py) drives a schedule as a driver does."""

from __future__ import annotations

import re
from pathlib import Path

from realtime_conformance.rtproto.server.realtime.outbox import Close, Outgoing, Send
from tests.support.virtual_clock import VirtualClock, events, kinds


class Schedule:
    """Items at fixed times; `due(now)` hands over those whose time has come."""

    def __init__(self, *timed: tuple[float, Outgoing]) -> None:
        self.pending = sorted(timed, key=lambda pair: pair[0])

    def next_deadline(self) -> float | None:
        return self.pending[0][0] if self.pending else None

    def due(self, now: float) -> list[Outgoing]:
        ready = [item for at, item in self.pending if at <= now]
        self.pending = [(at, item) for at, item in self.pending if at > now]
        return ready


HELLO, BYE = Send({"type": "hello"}), Close(1000, "bye")


def test_advance_stops_at_each_deadline_and_keeps_the_times() -> None:
    clock = VirtualClock(Schedule((0.5, HELLO), (2.0, BYE)))
    assert clock.advance(1.0) == [(0.5, HELLO)] and clock.now == 1.0
    assert clock.run_out() == [(2.0, BYE)] and clock.now == 2.0
    assert clock.sent == [(0.5, HELLO), (2.0, BYE)]
    assert events(clock.sent) == [{"type": "hello"}] and kinds(clock.sent) == ["hello", BYE]


def test_the_clock_never_goes_back_and_step_says_when_nothing_is_pending() -> None:
    clock = VirtualClock(Schedule(), now=5.0)
    clock.deliver(None, lambda now: clock.subject.pending.append((now - 1.0, HELLO)))
    assert clock.sent == [(5.0, HELLO)]  # a deadline already past goes out now
    assert clock.step() is False and clock.now == 5.0


HAND_LOOP = re.compile(r"while\b[^\n]*next_deadline\(\)")


def test_no_other_test_module_runs_its_own_deadline_loop() -> None:
    """The loop has one home (copies drifted: some sent at the deadline, some at `now`)."""
    tests = Path(__file__).parent
    copies = [
        str(path.relative_to(tests))
        for path in sorted(tests.rglob("*.py"))
        if path.name != "virtual_clock.py" and HAND_LOOP.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
