"""The client's own media events, against what the caller heard.

VoxEngine's OpenAI module (shared/seeds, "Media bridge events"): WebSocketMediaStarted
"triggered when the audio stream sent by a third party through an OpenAI WebSocket is started
playing"; WebSocketMediaEnded "triggers after the end of the audio stream (1 second of
silence)". So each run of model audio the caller hears (runs are parted by a second or more of
silence) has one Started when it begins to play and one Ended a second after it stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from realtime_conformance.conformance.call.playout import playout_of_records
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording

STARTED, ENDED = "WebSocketMediaStarted", "WebSocketMediaEnded"
END_SILENCE_MS = 1000  # "1 second of silence"


@dataclass(frozen=True)
class Run:
    start_ms: float
    end_ms: float  # when its last frame stopped playing

    @property
    def ended_ms(self) -> float:
        return self.end_ms + END_SILENCE_MS


def heard_runs(recording: CaseRecording) -> list[Run]:
    """Runs of heard audio on the recording's own clock: the client times its reports by what
    it played, stalls of the harness included, so no correction applies here."""
    try:
        playout = playout_of_records(entry.record for entry in recording.on("call"))
    except ValueError:  # no call
        return []
    runs: list[Run] = []
    for frame in playout.heard():
        if runs and frame.start_ms - runs[-1].end_ms < END_SILENCE_MS:
            runs[-1] = Run(runs[-1].start_ms, max(runs[-1].end_ms, frame.end_ms))
        else:
            runs.append(Run(frame.start_ms, frame.end_ms))
    return runs


def _judge(
    name: str,
    due: list[float],
    reports: list[float],
    limit: float,
    *,
    every_run: bool,
    end_ms: float,
) -> Iterator[Violation]:
    """Each report must match a run (within `limit` of when it was due), at most one report a
    run; the first run's report is required, later runs' only with `every_run` (a driver may
    pass on only the first of each kind). A report may match a run whose due time is still
    within `limit` of the recording's end (the client may report up to `limit` early), but
    such a run's report is not required: the recording ended before it had to come."""
    open_due = list(due)
    for t_ms in reports:
        near = min(open_due, key=lambda d: abs(d - t_ms), default=None)
        if near is not None and abs(near - t_ms) <= limit:
            open_due.remove(near)
            continue
        where = (
            f"{t_ms - near:+.0f} ms from when it was due"
            if near is not None
            else f"at {t_ms:.0f} ms, one more than the runs of heard audio ({len(due)})"
        )
        expected = (f"{name} within {limit:g} ms of when a run of heard audio makes it due",)
        yield Violation(expected, f"{name} {where}", t_ms)
    required = due if every_run else due[:1]
    for index, due_ms in enumerate(required):
        if due_ms + limit > end_ms:
            continue
        if due_ms in open_due and (reports or every_run or index == 0):
            expected = (f"{name} within {limit:g} ms of {due_ms:.0f} ms (run {index + 1})",)
            yield Violation(expected, f"timeout: no {name} for run {index + 1}", due_ms)


@check(
    "media.media_reports",
    "media",
    "MUST",
    "When the client reports WebSocketMediaStarted / WebSocketMediaEnded (or the case expects "
    "them), each report MUST match a run of model audio the caller heard: Started within "
    "{report_ms:g} ms of the run's first frame playing, Ended within {report_ms:g} ms of 1 s "
    "after its last frame played (VoxEngine's definition), one of each per run; applications "
    "start and stop their call logic on these events.",
    tolerances={"report_ms": 300},
)
def media_reports(bound: BoundCheck) -> Iterator[Violation]:
    recording = bound.recording
    started, ended = recording.reports(STARTED), recording.reports(ENDED)
    expect = bound.ctx.expect.get("media_reports")
    if not started and not ended and not expect:
        return  # the client does not report these: nothing to judge
    runs, limit = heard_runs(recording), bound.tolerance["report_ms"]
    end_ms, every_run = recording.end_ms() or 0.0, expect == "every_run"
    started_ms = [entry.t_ms or 0.0 for entry in started]
    ended_ms = [entry.t_ms or 0.0 for entry in ended]
    starts = [run.start_ms for run in runs]
    yield from _judge(STARTED, starts, started_ms, limit, every_run=every_run, end_ms=end_ms)
    ends = [run.ended_ms for run in runs]
    yield from _judge(ENDED, ends, ended_ms, limit, every_run=every_run, end_ms=end_ms)
