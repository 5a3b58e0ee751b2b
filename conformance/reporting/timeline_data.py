"""The lanes of a case's timeline picture, worked out from the recording (no drawing here).

The media lanes come from the checks' own derivation (conformance.checks.media_timeline: audio
per item, the carrier's playout model), so the picture shows what the checks judged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from realtime_conformance.conformance.call.playout import reader_of
from realtime_conformance.conformance.checks.grammar_rules import ga_type, obj
from realtime_conformance.conformance.checks.media_timeline import Timeline
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.rtproto.audio.codecs import decode
from realtime_conformance.rtproto.audio.formats import AudioFormat

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


def _loud(frames: list[tuple[float, bytes]], fmt: AudioFormat) -> list[tuple[float, float]]:
    """(start, end) of the frames louder than SPEECH_DBFS: every frame decoded in one go and
    its mean power summed per frame (a call has thousands of 20 ms frames)."""
    width = 2 if fmt.is_pcm16 else 1
    kept = [(t, data[: len(data) - len(data) % width]) for t, data in frames]
    kept = [(t, data) for t, data in kept if data]
    if not kept:
        return []
    samples = decode(b"".join(data for _, data in kept), fmt).astype(np.float64)
    counts = np.array([len(data) // width for _, data in kept])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    power = np.add.reduceat(np.square(samples), starts) / counts
    loud = 10 * np.log10(np.maximum(power, 1e-12)) > SPEECH_DBFS
    return [
        (t, t + fmt.duration_ms(len(data)))
        for (t, data), hot in zip(kept, loud, strict=True)
        if hot
    ]


def _payload_bytes(payload: object) -> bytes:
    try:
        return base64.b64decode(payload) if isinstance(payload, str) else b""
    except (binascii.Error, ValueError):
        return b""


def caller_speech(recording: CaseRecording) -> list[Span]:
    """When the caller spoke: the call's loud media frames (Twilio JSON frames; raw PCM16
    frames are recorded by size only, so all of them count)."""
    try:
        fmt = reader_of([entry.record for entry in recording.on("call")]).audio_format
    except ValueError:
        return []
    spans, media = [], []
    for entry in recording.call_received():
        event, t = entry.event, entry.t_ms or 0.0
        if event is not None and event.get("event") == "media":
            media.append((t, _payload_bytes((event.get("media") or {}).get("payload"))))
        elif (entry.frame or {}).get("opcode") == "BINARY":
            spans.append((t, t + int((entry.frame or {}).get("size_bytes", 0)) / fmt.bytes_per_ms))
    return merge(spans + _loud(media, fmt))


def _server_events(recording: CaseRecording) -> list[tuple[str, float, dict[str, Any]]]:
    """(GA type, t_ms, event) of every event the server sent on a Realtime connection."""
    return [
        (ga_type(entry.event), entry.t_ms or 0.0, entry.event)
        for entry in recording.realtime()
        if entry.direction == "server" and entry.event is not None
    ]


def _openai_lanes(recording: CaseRecording, line: Timeline) -> list[Lane]:
    appends = Lane("input appends", merge((a.t_ms, a.t_ms + a.ms) for a in line.appends))
    vad = Lane("VAD (server)")
    started: float | None = None
    server = _server_events(recording)
    for kind, t, _ in server:
        if kind == "input_audio_buffer.speech_started":
            started = t
            vad.ticks.append(Tick(t, "speech_started", "up"))
        elif kind == "input_audio_buffer.speech_stopped":
            vad.spans.append(Span(started if started is not None else t, t))
            vad.ticks.append(Tick(t, "speech_stopped", "down"))
            started = None
    received = Lane("audio deltas received")
    for item in line.items:
        received.ticks.extend(Tick(t) for t, _ in item.deltas)
        received.ticks[-len(item.deltas)].label = item.item_id
    return [appends, vad, _responses(server, line.end_ms), received]


def _responses(server: list[tuple[str, float, dict[str, Any]]], end_ms: float) -> Lane:
    lane, open_at = Lane("responses"), dict[str, float]()
    for kind, t, event in server:
        if kind not in ("response.created", "response.done"):
            continue
        response = obj(event.get("response"))
        rid = str(response.get("id", "?"))
        if kind == "response.created":
            open_at[rid] = t
        else:
            status = str(response.get("status", ""))
            tone = "main" if status in ("completed", "") else "alt"
            lane.spans.append(Span(open_at.pop(rid, t), t, f"{rid} {status}".strip(), tone))
    lane.spans.extend(Span(t, max(end_ms, t), f"{rid} (no done)", "alt")
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
