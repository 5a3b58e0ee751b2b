"""When a timing verdict cannot be trusted: the harness itself was late during the case.

The suite plays the caller, the carrier and the OpenAI server in one event loop, beside the
client when the client runs in process. When that loop wakes up late (a loaded machine, many
real-time cases at once, another process on the same cores), every timestamp it takes is late
by as much, and a media-timing check can blame the client for the harness's stall. The runner
measures its own loop lag during each case (`harness.max_loop_lag_ms`, conformance.loop_lag).

The rule: a case that failed a media-timing check while the harness lagged more than
`LAG_LIMIT_MS` near the moment judged (in the `WINDOW_BEFORE_MS` before the failure's time and
just after it; over the whole case for a failure with no time) is run again, alone, after the
other real-time cases (up to `MAX_RERUNS` times); the last run's verdict stands, and
`harness.reruns` in its measurements says how many times it was run again. A lag spike far
from what a check judged (the crowd of cases starting) explains nothing and reruns nothing.
A failure that does not depend on time (order, payload, scenario rules) is never rerun, and
neither is a case whose harness kept time: that verdict is the client's.

A client in its own process (a command client, a connector's service) can be starved while the
harness keeps time: its processes sit on a busy machine's run queue (conformance.cpu_wait).
When they waited `LAG_LIMIT_MS` or more for a CPU, in all, near the moment judged, the case is
run again by the same rule. A client that had the CPU and was late anyway is judged as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from realtime_conformance.conformance.checks.registry import Failure

# The loop lag above which timestamps are too late for the media checks' tightest bounds
# (input pacing allows 60 ms ahead; a carrier frame is 20 ms): a lag of 50 ms or more means
# the harness, not the client, may have made the difference.
LAG_LIMIT_MS = 50.0
MAX_RERUNS = 1
WINDOW_BEFORE_MS = 2000.0  # a stall this long before a judged moment can still have moved it
WINDOW_AFTER_MS = 100.0
TIMED_CONCERNS = frozenset({"media"})
LAG_KEY = "harness.max_loop_lag_ms"  # over the whole case
NEAR_KEY = "harness.lag_near_timing_failures_ms"  # near the timing failures, when there are any
RERUNS_KEY = "harness.reruns"
WAIT_KEY = "client.cpu_wait_ms"  # a separate client's processes, over the whole case
WAIT_NEAR_KEY = "client.cpu_wait_near_timing_failures_ms"


class Judged(Protocol):
    """A judged case run (conformance.runner.CaseResult)."""

    @property
    def failures(self) -> Sequence[Failure]: ...

    @property
    def measurements(self) -> Mapping[str, float]: ...


def timing_failures(failures: Sequence[Failure]) -> list[Failure]:
    return [failure for failure in failures if failure.concern in TIMED_CONCERNS]


def lag_windows(failures: Sequence[Failure]) -> list[tuple[float, float] | None]:
    """For each timing failure, the window of the case (ms) whose lag could have moved it;
    None for a failure with no time (the whole case)."""
    return [
        None if f.at_ms is None else (f.at_ms - WINDOW_BEFORE_MS, f.at_ms + WINDOW_AFTER_MS)
        for f in timing_failures(failures)
    ]


def timing_in_doubt(result: Judged) -> bool:
    """True when the result's timing failures may be the machine's doing: the harness was
    late, or the client's own processes waited for a CPU, near what was judged."""
    if not timing_failures(result.failures):
        return False
    measured = result.measurements
    lag = measured.get(NEAR_KEY, measured.get(LAG_KEY, 0.0))
    waited = measured.get(WAIT_NEAR_KEY, measured.get(WAIT_KEY, 0.0))
    return max(lag, waited) >= LAG_LIMIT_MS
