"""Playout cadence at the call: the client's frames against real time and a carrier's jitter
buffer, and how much it queues there (see media.py for the evidence behind the bounds).

Two measures, because a carrier forgives one and not the other: a pacer that stalls and then
catches up (absolute deadlines; or the machine was busy) costs an underrun only if the stall
outlasts the jitter buffer; a pacer that drifts slower than real time starves any buffer in
the end. The drift is the median slope of arrival time over audio time across half-second
windows, so a stall and its catch-up move only the windows around them.

Both are the client's only when the audio was there to send: the mock paces replies at real
time and, under load, falls behind; an underrun is excused by how late the mock was with the
audio the call needed, a drift by the mock's own rate (harness_clock.ServerAudioLateness).
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterator, Sequence

from realtime_conformance.conformance.call.playout import PlayedFrame
from realtime_conformance.conformance.checks.media import NO_CALL, timeline
from realtime_conformance.conformance.checks.media_timeline import ItemAudio, Timeline
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check

MIN_DRIFT_AUDIO_MS = 2000  # shorter runs say too little about a rate
DRIFT_WINDOW_MS = 500  # the rate is measured over windows this long, and their median taken
SMOOTH_FRAMES = 5  # lateness is floored by a running minimum this wide
EPSILON_MS = 0.01  # a frame's last sample: just before the position where its audio ends


def pacing_rate(frames: list[PlayedFrame]) -> float | None:
    """`pacing_rate_of` the frames the client sent into the call."""
    return pacing_rate_of([(frame.arrival_ms, frame.duration_ms) for frame in frames])


def pacing_rate_of(sends: Sequence[tuple[float, float]]) -> float | None:
    """`sends`: (t_ms, audio ms) in order. Ms of wall time per ms of audio sent (1.0: real
    time; above: slower), as the median over
    windows of DRIFT_WINDOW_MS of audio, or None when the run is too short to tell. Each
    frame's lateness against the run's schedule is first floored over SMOOTH_FRAMES (scheduling
    delays only ever make a frame later, so the earliest of a few shows the pacer's own
    schedule); a stall touches only the windows around it; a drift, all of them."""
    starts, total = [], 0.0
    for _, ms in sends:
        starts.append(total)
        total += ms
    if total < MIN_DRIFT_AUDIO_MS:
        return None
    late = [t_ms - start for (t_ms, _), start in zip(sends, starts, strict=True)]
    half = SMOOTH_FRAMES // 2
    smooth = [min(late[max(0, k - half) : k + half + 1]) for k in range(len(late))]
    width = bisect.bisect_left(starts, DRIFT_WINDOW_MS)
    slopes = [
        1 + (smooth[i + width] - smooth[i]) / (starts[i + width] - starts[i])
        for i in range(len(sends) - width)
    ]
    return statistics.median(slopes)


def _drift(bound: BoundCheck, item: ItemAudio, frames: list[PlayedFrame]) -> Iterator[Violation]:
    """A client cannot send audio faster than the mock sends it: the drift is judged against
    the mock's own rate with this item's deltas when that was slower than real time."""
    rate = pacing_rate(frames)
    if rate is None:
        return
    bound.measure("pacing_rate", rate)
    mock_rate = pacing_rate_of(item.deltas) or 1.0
    if rate - max(1.0, mock_rate) > bound.tolerance["max_drift"]:
        yield Violation(
            (f"audio sent at real time (at most {bound.tolerance['max_drift']:.0%} slower)",),
            f"item {item.item_id} sent {rate - 1:.1%} slower than real time (drifting pacer)",
            frames[0].arrival_ms,
            {"pacing_rate": rate},
        )


def underruns(frames: list[PlayedFrame], jitter_ms: float) -> list[tuple[float, float]]:
    """(t_ms, ms) of the silences a carrier with a `jitter_ms` jitter buffer plays into a run
    of frames: it starts playing `jitter_ms` after the first frame arrives, then needs each
    frame by the end of the one before; a late frame is an underrun, and play resumes from it."""
    return [(due, ms) for due, ms, _ in underruns_at(frames, jitter_ms)]


def underruns_at(frames: list[PlayedFrame], jitter_ms: float) -> list[tuple[float, float, float]]:
    """`underruns`, each with the audio position (ms into the frames' audio) of the end of
    the late frame: what the client needed to have received to send it."""
    heard = [frame for frame in frames if not frame.dropped]
    if not heard:
        return []
    due, found, position = heard[0].arrival_ms + jitter_ms, [], 0.0
    for frame in frames:
        position += frame.duration_ms
        if frame.dropped:
            continue
        if frame.arrival_ms > due:
            found.append((due, frame.arrival_ms - due, position))
            due = frame.arrival_ms
        due += frame.duration_ms
    return found


def _client_underruns(
    line: Timeline, item: ItemAudio, frames: list[PlayedFrame], jitter: float
) -> list[tuple[float, float]]:
    """(t_ms, ms) of the underruns less what the harness was late then, or the mock with the
    audio the call needed (whichever explains more: one stall may have made both late)."""
    mock, found = item.mock_lateness(), []
    for due, ms, position in underruns_at(frames, jitter):
        left = min(
            line.harness.excuse(ms, due - jitter, due + ms),
            mock.excuse_underrun(ms, due, position - EPSILON_MS),
        )
        if left > 0:
            found.append((due, left))
    return found


@check(
    "media.playout_cadence",
    "media",
    "MUST",
    "The audio of each item MUST reach the call in real time: sent no more than "
    "{max_drift:.0%} slower than real time (a pacer that sleeps a frame after each send drifts "
    "by its scheduling delay; a carrier's clock does not), and in time for a carrier with a "
    "{jitter_ms:g} ms jitter buffer (mid of the usual 60-200 ms) with at most "
    "{max_underrun_ms:g} ms of underrun per item: otherwise the caller hears choppy audio. "
    "The mock's own lateness is excused: an underrun while the audio the call needed had not "
    "reached the client because the mock sent it behind its real-time pace, and a drift no "
    "slower than the mock's own sending of that item.",
    tolerances={"jitter_ms": 100, "max_underrun_ms": 100, "max_drift": 0.02},
)
def playout_cadence(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    for item in line.items:
        frames = line.frames_of(item)
        yield from _drift(bound, item, frames)
        found = _client_underruns(line, item, frames, bound.tolerance["jitter_ms"])
        total = sum(ms for _, ms in found)
        bound.measure("underrun_ms", total)
        if total > bound.tolerance["max_underrun_ms"]:
            yield Violation(
                (f"at most {bound.tolerance['max_underrun_ms']:g} ms of underrun in the item",),
                f"{len(found)} underrun(s), {total:.0f} ms of silence in item {item.item_id} "
                f"(longest {max(ms for _, ms in found):.0f} ms)",
                found[0][0],
                {"underrun_ms": total, "underruns": float(len(found))},
            )


@check(
    "media.playout_backlog",
    "media",
    "MUST",
    "The client MUST NOT queue more than {max_backlog_ms:g} ms of audio at the call (sending "
    "far faster than real time): a bridge needs no more than a jitter buffer's worth (60-200 "
    "ms) and a chunk; with more, a late or missed clear plays that much stale speech and mark "
    "echoes lag the truth by as much (bridges that forward deltas as they come queue whole "
    "answers).",
    tolerances={"max_backlog_ms": 500},
)
def playout_backlog(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    deepest = max(line.playout.backlog, key=lambda point: point[1], default=(0.0, 0.0))
    bound.measure("max_backlog_ms", deepest[1])
    if deepest[1] > bound.tolerance["max_backlog_ms"]:
        yield Violation(
            (f"at most {bound.tolerance['max_backlog_ms']:g} ms queued at the call",),
            f"{deepest[1]:.0f} ms of audio queued at the call",
            deepest[0],
            {"max_backlog_ms": deepest[1]},
        )
