"""The figures of bench_refclient_call.py, from the call's recording (both wires and the driver's).

Each figure is derived with the conformance suite's own functions of a recording: the carrier's
playout model (conformance.call.playout) for what was heard and when, the media timeline
(conformance.checks.media_timeline) for items, barge-ins and heard ms, the heard runs of
media_reports for WebSocketMediaStarted/Ended. The one input not on a wire is the bridge's own
deadline per frame (`PlayoutBridge.timing`), against which lateness is measured.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from figures import percentile

from realtime_conformance.conformance.call.playout import PlayedFrame, Playout
from realtime_conformance.conformance.checks.media_reports import ENDED, STARTED, heard_runs
from realtime_conformance.conformance.checks.media_timeline import (
    Timeline,
    openai_events,
    timeline_of,
)
from realtime_conformance.conformance.recording import CaseRecording

FRAME_MS = 20.0
GAP_MIN_MS = 0.1  # the recording's resolution: a shorter "gap" is rounding


@dataclass(frozen=True)
class CallData:
    recording: CaseRecording
    deadlines_ms: list[float]  # the bridge's deadline of each frame it sent, on the case clock
    lead_ms: float  # how far ahead of real time the bridge sends


def spread(values: Sequence[float]) -> dict[str, Any]:
    """count, p50, p99, min and max of `values` (None when there are none)."""
    if not values:
        return {"count": 0, "p50": None, "p99": None, "min": None, "max": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50": statistics.median(ordered),
        "p99": percentile(ordered, 0.99),
        "min": ordered[0],
        "max": ordered[-1],
    }


def lateness(playout: Playout, deadlines_ms: list[float]) -> list[float]:
    """Each frame's arrival at the call minus the bridge's deadline for it (frames arrive in
    the order they were sent, one call-wire media message per frame)."""
    frames = playout.frames
    if len(frames) != len(deadlines_ms):
        raise ValueError(f"{len(frames)} frames at the call, {len(deadlines_ms)} sent")
    return [frame.arrival_ms - due for frame, due in zip(frames, deadlines_ms, strict=True)]


def item_gaps(line: Timeline) -> list[float]:
    """Silences (ms) inside each item's heard audio: a continuous answer must have none."""
    found = []
    for item in line.items:
        heard = Playout(frames=[f for f in line.frames_of(item) if not f.dropped])
        found += [gap.duration_ms for gap in heard.gaps(GAP_MIN_MS)]
    return found


def item_drift(frames: list[PlayedFrame], lead_ms: float) -> float | None:
    """How much later the item's last frame reached the call than real time allows after its
    first: (last - first arrival) - ((frames - 1) * 20 ms - lead). Each item is one run of the
    bridge (the call is silent for over a second between answers)."""
    if len(frames) < 2:
        return None
    ideal = (len(frames) - 1) * FRAME_MS - lead_ms
    return frames[-1].arrival_ms - frames[0].arrival_ms - ideal


def silence_after(line: Timeline, t_ms: float) -> float | None:
    """Ms from `t_ms` until the caller stopped hearing the item playing then (None when no
    item was playing at `t_ms`: e.g. one already cleared)."""
    item = line.playing_at(t_ms, 0.0)
    heard = [] if item is None else [f for f in line.frames_of(item) if not f.dropped]
    if not any(f.start_ms <= t_ms <= f.end_ms for f in heard):
        return None
    return max(f.end_ms for f in heard) - t_ms


def report_offsets(due: list[float], reports: list[float]) -> list[float]:
    """Each report minus the nearest time it was due."""
    return [t - min(due, key=lambda d: abs(d - t)) for t in reports if due]


def ended_after_sent(playout: Playout, reports: list[float]) -> list[float]:
    """Each WebSocketMediaEnded minus the end the last frame sent before it would have had
    uncut (a clear cuts the playing frame and drops the queued one: the bridge's own view)."""
    offsets = []
    for t_ms in reports:
        sent = [f for f in playout.frames if f.arrival_ms < t_ms]
        if sent:
            offsets.append(t_ms - (sent[-1].start_ms + sent[-1].duration_ms))
    return offsets


def truncate_errors(line: Timeline, recording: CaseRecording) -> list[float]:
    """audio_end_ms of each truncate minus what the caller heard of the item in the end."""
    errors = []
    for entry in openai_events(recording, "client", "conversation.item.truncate"):
        event = entry.event or {}
        item = line.item(event.get("item_id"))
        if item is not None and isinstance(event.get("audio_end_ms"), int):
            errors.append(event["audio_end_ms"] - line.heard_ms(item, line.end_ms))
    return errors


def figures(data: CallData) -> dict[str, Any]:
    recording, line = data.recording, timeline_of(data.recording)
    assert line.playout is not None, "the recording has no call"
    runs = heard_runs(recording)
    starts, ends = [run.start_ms for run in runs], [run.end_ms for run in runs]
    drifts = [item_drift(line.frames_of(item), data.lead_ms) for item in line.items]
    measured = [d for d in drifts if d is not None]
    barge = [silence_after(line, t) for t in line.speech_started]
    clears = [e.t_ms or 0.0 for e in recording.driver_steps("clear_media_buffer")]
    cleared = [silence_after(line, t) for t in clears]
    return {
        "frames": len(line.playout.frames),
        "heard_audio_ms": line.playout.heard_ms(),
        "answers": len(line.items),
        "lateness_ms": spread(lateness(line.playout, data.deadlines_ms)),
        "gaps_ms": spread(item_gaps(line)),
        "drift_ms": {
            "worst_item": max(measured, key=abs, default=None),
            "summed": sum(measured),
            "items": len(measured),
        },
        "started_ms": spread(report_offsets(starts, _reports(recording, STARTED))),
        "ended_ms": spread(report_offsets(ends, _reports(recording, ENDED))),
        "ended_after_sent_ms": spread(ended_after_sent(line.playout, _reports(recording, ENDED))),
        "stop_after_speech_started_ms": spread([b for b in barge if b is not None]),
        "stop_after_clear_ms": spread([c for c in cleared if c is not None]),
        "truncate_error_ms": spread(truncate_errors(line, recording)),
    }


def _reports(recording: CaseRecording, name: str) -> list[float]:
    return [entry.t_ms or 0.0 for entry in recording.reports(name)]
