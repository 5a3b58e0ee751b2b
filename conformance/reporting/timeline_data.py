"""The lanes of a case's timeline picture, worked out from the recording (no drawing here).

The media lanes come from the checks' own derivation (conformance.checks.media_timeline: audio
per item, the carrier's playout model), so the picture shows what the checks judged.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from conformance.call.playout import reader_of
from conformance.checks.grammar_rules import ga_type, obj
from conformance.checks.media_timeline import Timeline
from conformance.recording import CaseRecording
from rtproto.audio.codecs import decode
from rtproto.audio.formats import AudioFormat

SPEECH_DBFS = -45.0  # a caller frame louder than this is speech (the scripts' pauses are silent)
MERGE_MS = 60.0  # spans closer than this are drawn as one


@dataclass
class Span:
    start: float
    end: float
    label: str = ""
    tone: str = "main"  # main | dropped | alt


@dataclass
class Tick:
    t: float
    label: str = ""
    tone: str = "main"  # main | up | down


@dataclass
class Lane:
    name: str
    spans: list[Span] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)


@dataclass
class Rule:
    """A moment drawn across every lane: a clear or a truncate."""

    t: float
    label: str
    kind: str  # clear | truncate


def merge(spans: Iterable[tuple[float, float]], within: float = MERGE_MS) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1].end <= within:
            merged[-1].end = max(merged[-1].end, end)
        else:
            merged.append(Span(start, end))
    return merged


def _dbfs(payload: object, fmt: AudioFormat) -> float:
    try:
        data = base64.b64decode(payload) if isinstance(payload, str) else b""
        samples = decode(data, fmt)
    except (binascii.Error, ValueError):
        return -120.0
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(max(rms, 1e-6))


def caller_speech(recording: CaseRecording) -> list[Span]:
    """When the caller spoke: the call's loud media frames (Twilio JSON frames; raw PCM16
    frames are recorded by size only, so all of them count)."""
    try:
        fmt = reader_of([entry.record for entry in recording.on("call")]).audio_format
    except ValueError:
        return []
    spans = []
    for entry in recording.call_received():
        event, t = entry.event, entry.t_ms or 0.0
        if event is not None and event.get("event") == "media":
            payload = (event.get("media") or {}).get("payload")
            if _dbfs(payload, fmt) > SPEECH_DBFS:
                spans.append((t, t + fmt.duration_ms(base64_size(payload))))
        elif (entry.frame or {}).get("opcode") == "BINARY":
            spans.append((t, t + int((entry.frame or {}).get("size_bytes", 0)) / fmt.bytes_per_ms))
    return merge(spans)


def base64_size(payload: object) -> int:
    return len(str(payload).rstrip("=")) * 3 // 4 if isinstance(payload, str) else 0


def _openai_lanes(recording: CaseRecording, line: Timeline) -> list[Lane]:
    appends = Lane("input appends", merge((a.t_ms, a.t_ms + a.ms) for a in line.appends))
    vad = Lane("VAD (server)")
    started: float | None = None
    for entry in recording.realtime():
        kind = ga_type(entry.event) if entry.event is not None else ""
        t = entry.t_ms or 0.0
        if entry.direction == "server" and kind == "input_audio_buffer.speech_started":
            started = t
            vad.ticks.append(Tick(t, "speech_started", "up"))
        elif entry.direction == "server" and kind == "input_audio_buffer.speech_stopped":
            vad.spans.append(Span(started if started is not None else t, t))
            vad.ticks.append(Tick(t, "speech_stopped", "down"))
            started = None
    received = Lane("audio deltas received")
    for item in line.items:
        received.ticks.extend(Tick(t) for t, _ in item.deltas)
        received.ticks[-len(item.deltas)].label = item.item_id
    return [appends, vad, _responses(recording), received]


def _responses(recording: CaseRecording) -> Lane:
    lane, open_at = Lane("responses"), dict[str, float]()
    for entry in recording.realtime():
        event = entry.event or {}
        kind, t = ga_type(event), entry.t_ms or 0.0
        response = obj(event.get("response"))
        rid = str(response.get("id", "?"))
        if entry.direction == "server" and kind == "response.created":
            open_at[rid] = t
        elif entry.direction == "server" and kind == "response.done":
            status = str(response.get("status", ""))
            tone = "main" if status in ("completed", "") else "alt"
            lane.spans.append(Span(open_at.pop(rid, t), t, f"{rid} {status}".strip(), tone))
    lane.spans.extend(Span(t, recording.end_ms() or t, f"{rid} (no done)", "alt")
                      for rid, t in open_at.items())  # fmt: skip
    return lane


def _call_lanes(line: Timeline) -> tuple[list[Lane], list[Rule]]:
    if line.playout is None:
        return [], []
    playout = line.playout
    heard = Lane("heard at the call", merge(((f.start_ms, f.end_ms) for f in playout.heard()), 1))
    heard.spans += [Span(f.start_ms, f.start_ms + f.duration_ms, "", "dropped")
                    for f in playout.frames if f.dropped]  # fmt: skip
    marks = Lane("marks (▲ sent, ▼ echoed)")
    for mark in playout.marks:
        marks.ticks.append(Tick(mark.sent_ms, "", "up"))
        marks.ticks.append(Tick(mark.echoed_ms, mark.name if mark.by_clear else "", "down"))
    rules = [Rule(t, "clear", "clear") for t in playout.clears_ms]
    return [heard, marks], rules


def lanes_of(recording: CaseRecording, line: Timeline) -> tuple[list[Lane], list[Rule]]:
    """Every lane, top to bottom, and the clears drawn across them."""
    speech = Lane("caller speech", caller_speech(recording))
    call_lanes, rules = _call_lanes(line)
    return [speech, *_openai_lanes(recording, line), *call_lanes], rules
