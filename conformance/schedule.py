"""Which cases take the runner's slots first: the longest expected first (longest-processing-
time-first), so the long cases start at once and the short ones fill the slots they free,
instead of a long case starting late and the run waiting for it alone.

A real-time case cannot end before the real time it plays: the waits its steps and end
condition state (the caller's call among them) and the audio its scripted replies last
(`duration_ms` of a reply template, a reply's own waits). That sum is the expected length;
the time limit breaks ties and orders the rest (it grows with the call, the responses and the
method steps: conformance.case_defaults). An estimate only orders the start: no case waits
for it, none is cut by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from realtime_conformance.conformance.cases import Case, Selected
from realtime_conformance.rtproto.scenario.spec import TemplateStep, WaitStep

T = TypeVar("T")


def expected_ms(case: Case) -> float:
    """The real time the case plays at least: its waits and its replies' audio and gaps."""
    waits = sum(step.args.ms or 0 for step in case.steps if step.action == "wait")
    played = 0.0
    for rule in case.scenario.rules:
        for step in rule.reply:
            if isinstance(step, WaitStep):
                played += step.ms
            elif isinstance(step, TemplateStep):
                duration = step.params.get("duration_ms")
                played += duration if isinstance(duration, int | float) else 0
    return float(waits + (case.until.ms or 0)) + played


def longest_first(chosen: Sequence[tuple[T, Selected]]) -> list[tuple[T, Selected]]:
    """The cases in the order they take their slots: longest expected first, then longest
    time limit; ties keep the selection's order."""
    return sorted(chosen, key=lambda pair: (-expected_ms(pair[1].case), -pair[1].case.timeout_s))
