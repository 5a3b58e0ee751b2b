"""The measured notes of a timeline picture, and how the case's checks judged each.

A note is a stretch (or a moment) a media check measures: a truncate's audio_end_ms against the
audio of that item the caller had heard, the time from speech_started to silence at the call,
the time from an item's first delta to the caller hearing it, a silence in the playout. It is
computed as the check computes it (the same Timeline), and judged: red when one of the case's
failures of that check names that moment, green when the check ran there and held (it left a
measurement), grey when no check of the case judged it. Failures no note covers get a red note
of their own at their time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realtime_conformance.conformance.checks.media_timeline import Timeline, openai_events
from realtime_conformance.conformance.checks.registry import get_check
from realtime_conformance.conformance.recording import CaseRecording

GAP_MS = 40.0  # a silence between heard frames worth a note (two 20 ms frames)
SAME_TIME_MS = 1.0  # a failure's at_ms this close to a note's moment is about that note
TRUNCATE_CHECK = "media.truncate_at_heard_audio"
CLEAR_CHECK = "media.clear_on_barge_in"
FIRST_AUDIO_CHECK = "media.first_audio_latency"


@dataclass
class Note:
    start: float
    end: float
    text: str
    check: str | None = None  # the check that judges this measurement
    judged: bool | None = None  # True: held, False: a failure names it, None: not judged

    @property
    def is_truncate(self) -> bool:
        return self.check == TRUNCATE_CHECK


def _truncates(recording: CaseRecording, line: Timeline) -> list[Note]:
    notes = []
    for entry in openai_events(recording, "client", "conversation.item.truncate"):
        event, t = entry.event or {}, entry.t_ms or 0.0
        item, end = line.item(event.get("item_id")), event.get("audio_end_ms")
        if item is None or not isinstance(end, int | float):
            text = f"truncate {event.get('item_id')}: audio_end_ms {end} (no audio of it received)"
        else:
            heard, received = line.heard_ms(item, t), item.received_ms(t)
            text = (
                f"truncate {item.item_id}: audio_end_ms {end:g} vs heard {heard:.0f} ms "
                f"({received:.0f} ms received)"
            )
        notes.append(Note(t, t, text, TRUNCATE_CHECK))
    return notes


def _barge_ins(line: Timeline) -> list[Note]:
    if line.playout is None:
        return []
    playing_min = get_check(CLEAR_CHECK).tolerances["playing_min_ms"]
    notes = []
    for t in line.speech_started:
        item = line.playing_at(t, playing_min)
        if item is None:
            continue
        ends = [f.end_ms for f in line.frames_of(item) if not f.dropped and f.end_ms > t]
        silence = max([t, *ends])
        text = f"speech_started → silence at the call: {silence - t:.0f} ms ({item.item_id})"
        notes.append(Note(t, silence, text, CLEAR_CHECK))
    return notes


def _first_audio(line: Timeline) -> list[Note]:
    notes = []
    for item in line.items:
        heard = [frame.start_ms for frame in line.frames_of(item) if not frame.dropped]
        if heard:
            latency = heard[0] - item.first_ms
            text = f"first audio of {item.item_id} heard {latency:.0f} ms after its first delta"
            notes.append(Note(item.first_ms, heard[0], text, FIRST_AUDIO_CHECK))
    return notes


def _gaps(line: Timeline) -> list[Note]:
    if line.playout is None:
        return []
    return [
        Note(gap.start_ms, gap.end_ms, f"silence of {gap.duration_ms:.0f} ms in the playout")
        for gap in line.playout.gaps(GAP_MS)
        if not gap.after_clear
    ]


def notes_of(
    recording: CaseRecording,
    line: Timeline,
    failures: list[Mapping[str, Any]],
    measurements: Mapping[str, float],
) -> list[Note]:
    notes = [*_truncates(recording, line), *_barge_ins(line), *_first_audio(line), *_gaps(line)]
    claimed: set[int] = set()
    for note in notes:
        if note.check is None:
            continue
        named = [
            i for i, f in enumerate(failures)
            if f.get("check") == note.check and _near(f.get("at_ms"), note.start)
        ]  # fmt: skip
        claimed.update(named)
        ran = any(key.startswith(f"{note.check}.") for key in measurements)
        note.judged = False if named else (True if ran else None)
    for i, failure in enumerate(failures):
        at = failure.get("at_ms")
        if i not in claimed and isinstance(at, int | float):
            text = f"✗ {failure.get('check')}: {failure.get('actual')}"
            notes.append(Note(float(at), float(at), text, str(failure.get("check")), False))
    return sorted(notes, key=lambda note: note.start)


def _near(at_ms: object, t: float) -> bool:
    return isinstance(at_ms, int | float) and abs(at_ms - t) <= SAME_TIME_MS
