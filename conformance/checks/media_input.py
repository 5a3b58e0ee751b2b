"""Media timing on the way in: the caller's audio forwarded to the API.

The caller's audio reaches the client from the call in real time (Twilio: one 20 ms frame every
20 ms); the client forwards it with `input_audio_buffer.append`. Its duration is counted in the
input format the session declared when each append was sent, so audio in another format than
declared shows up as audio of the wrong length (mu-law bytes read as PCM16 at 24 kHz last a
sixth as long). Without a call (audio from the driver), wall-clock time is the reference.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator

from realtime_conformance.conformance.checks.media import timeline
from realtime_conformance.conformance.checks.media_timeline import Timeline
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check

EXCUSE_WINDOW_MS = 100  # the harness's lateness this long before an append excuses its lag


class Reference:
    """Ms of the caller's audio available to the client by a time."""

    def __init__(self, line: Timeline) -> None:
        first = line.appends[0]
        if line.caller:
            self.times = [t for t, _ in line.caller]
            self.totals = list(itertools.accumulate(ms for _, ms in line.caller))
            self.origin = 0.0
            self.source = "the caller's audio received from the call"
        else:  # real time, from when the first append's audio began
            self.times, self.totals = [], []
            self.origin = first.t_ms - first.ms
            self.source = "real time since the first append"

    def by(self, t_ms: float) -> float:
        if not self.times:
            return max(0.0, t_ms - self.origin)
        index = bisect.bisect_right(self.times, t_ms)
        return self.totals[index - 1] if index else 0.0


def _lags(line: Timeline) -> list[tuple[float, float, float]]:
    """(t_ms, lag, lead) at each append: the reference audio not yet appended just before it
    (what the client was holding), and the appended audio beyond the reference just after it.
    Both after allowing for what was dropped before the first append (audio from before the
    session was ready): the first append is taken to carry the latest audio."""
    reference, appended, found = Reference(line), 0.0, []
    for append in line.appends:
        available = reference.by(append.t_ms)
        lag = available - appended
        appended += append.ms
        found.append((append.t_ms, lag, appended - available))
    base = max(0.0, found[0][1] - line.appends[0].ms)
    excuse = line.harness.excuse
    return [(t, excuse(lag - base, t - EXCUSE_WINDOW_MS, t), lead + base) for t, lag, lead in found]


@check(
    "media.input_pacing",
    "media",
    "MUST",
    "The client MUST forward the caller's audio in real time: at every append, no more than "
    "{max_lag_ms:g} ms behind the audio it has received from the call (a bridge may batch "
    "a few 20 ms frames per append; holding more delays turn detection by as much), and never "
    "more than {max_lead_ms:g} ms ahead of it (audio it cannot have: a burst or a wrong "
    "format).",
    tolerances={"max_lag_ms": 300, "max_lead_ms": 60},
)
def input_pacing(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if not line.appends:
        return
    lags = _lags(line)
    source = Reference(line).source
    worst_lag = max(lags, key=lambda point: point[1])
    worst_lead = max(lags, key=lambda point: point[2])
    bound.measure("max_lag_ms", worst_lag[1])
    bound.measure("max_lead_ms", worst_lead[2])
    if worst_lag[1] > bound.tolerance["max_lag_ms"]:
        yield Violation(
            (f"appended audio at most {bound.tolerance['max_lag_ms']:g} ms behind {source}",),
            f"{worst_lag[1]:.0f} ms behind (starved or drifting)",
            worst_lag[0],
            {"max_lag_ms": worst_lag[1]},
        )
    if worst_lead[2] > bound.tolerance["max_lead_ms"]:
        yield Violation(
            (f"appended audio at most {bound.tolerance['max_lead_ms']:g} ms ahead of {source}",),
            f"{worst_lead[2]:.0f} ms ahead (bursting faster than real time)",
            worst_lead[0],
            {"max_lead_ms": worst_lead[2]},
        )


@check(
    "media.input_format",
    "media",
    "MUST",
    "The audio the client appends MUST be in the input format the session declared: whole "
    "samples, and over the call (judged from {min_audio_ms:g} ms of caller audio) as long in "
    "that format as the caller's audio, within {ratio_tolerance:.0%} (batching and dropped "
    "edges change the ratio a little; a wrong format changes it 2x to 6x).",
    tolerances={"ratio_tolerance": 0.2, "min_audio_ms": 500},
)
def input_format(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    for append in line.appends:
        if append.size % append.fmt.bytes_per_sample:
            yield Violation(
                (f"whole {append.fmt.bytes_per_sample}-byte samples ({append.fmt.description})",),
                f"an append of {append.size} bytes",
                append.t_ms,
            )
            return
    if not line.appends or not line.caller:
        return
    first, last = line.appends[0], line.appends[-1]
    reference = Reference(line)
    caller_ms = reference.by(last.t_ms) - reference.by(first.t_ms - first.ms)
    appended_ms = sum(append.ms for append in line.appends)
    if caller_ms < bound.tolerance["min_audio_ms"]:
        return
    ratio = appended_ms / caller_ms
    bound.measure("duration_ratio", ratio)
    if abs(ratio - 1) > bound.tolerance["ratio_tolerance"]:
        yield Violation(
            (f"appended audio as long as the caller's in {last.fmt.description}",),
            f"{appended_ms:.0f} ms of appended audio in {last.fmt.description} for "
            f"{caller_ms:.0f} ms of the caller's (ratio {ratio:.2f}: not the declared format)",
            last.t_ms,
            {"duration_ratio": ratio},
        )
