"""The wire log of a case page: every line of both wires (and the driver's), in recording
order, with times relative to the case start and audio payloads elided to their size.

Audio is base64 under known keys (`audio` of appends and input_audio content, `delta` of audio
deltas, `payload` of call media); showing it would bury the protocol in noise, so it becomes
`<N bytes audio>`. Other long strings (instructions) are cut, marked with their full length.
"""

from __future__ import annotations

import json
from typing import Any

from realtime_conformance.conformance.recording import CaseRecording, Entry
from realtime_conformance.conformance.reporting.html import esc

AUDIO_KEYS = frozenset({"audio", "payload"})
LONG_TEXT = 240  # characters of a string shown before it is cut
WHO = {
    ("openai", "client"): "client → OpenAI",
    ("openai", "server"): "OpenAI → client",
    ("openai", "meta"): "OpenAI wire",
    ("call", "client"): "client → call",
    ("call", "server"): "call → client",
    ("call", "meta"): "call wire",
}

AUDIO_EVENTS = {  # wire: {audio-only event type: the key holding its audio}
    "openai": {
        "input_audio_buffer.append": "audio",
        "response.output_audio.delta": "delta",
        "response.audio.delta": "delta",  # beta
    },
    "call": {"media": "media"},
}
ROW_CLASS = {
    (wire, direction): f"w-{wire} d-{direction}"
    for wire in ("openai", "call", "driver")
    for direction in ("client", "server", "meta")
}


def base64_bytes(text: str) -> int:
    """Decoded size of a base64 string, from its length (no decoding needed)."""
    stripped = text.rstrip("=")
    return len(stripped) * 3 // 4


def elide(value: Any, audio_delta: bool = False) -> Any:
    """`value` with audio payloads replaced by their size and long strings cut."""
    if isinstance(value, dict):
        kind = value.get("type")
        is_audio = isinstance(kind, str) and "audio" in kind and "transcript" not in kind
        return {
            key: _elide_field(key, item, is_audio or audio_delta)
            if isinstance(item, str | dict | list)
            else item
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [elide(item, audio_delta) for item in value]
    if isinstance(value, str) and len(value) > LONG_TEXT:
        return f"{value[:LONG_TEXT]}… <{len(value)} chars>"
    return value


def _elide_field(key: str, item: Any, audio_event: bool) -> Any:
    if isinstance(item, str) and (key in AUDIO_KEYS or (key == "delta" and audio_event)):
        return f"<{base64_bytes(item)} bytes audio>"
    return elide(item)


def _what(entry: Entry) -> tuple[str, dict[str, Any]]:
    """The row's name (event type, meta kind, frame opcode) and what else it carries, elided."""
    if entry.event is not None:
        body = elide(entry.event)  # before its type is taken out: it says what is audio
        kind = body.pop("type", None) or body.pop("event", None) or body.get("object", "event")
        return str(kind), body
    if entry.meta is not None:
        body = elide(entry.meta)
        return str(body.pop("kind", body.pop("action", "meta"))), body
    frame = dict(entry.frame or {})
    return f"{frame.pop('opcode', 'frame')} frame", frame


def _who(entry: Entry) -> str:
    if entry.wire == "driver":
        return "driver step" if (entry.meta or {}).get("kind") == "step" else "client report"
    return WHO.get((entry.wire, str(entry.direction)), f"{entry.wire} {entry.direction}")


def _tr(entry: Entry, t_ms: str, kind: str, text: str) -> str:
    row_class = ROW_CLASS.get((entry.wire, str(entry.direction)), "w-other")
    return (
        f'<tr class="{row_class}"><td class="num">{t_ms}</td><td>{esc(_who(entry))}</td>'
        f'<td class="ev">{esc(kind)}</td><td class="body">{esc(text)}</td></tr>'
    )


def _row(entry: Entry) -> str:
    kind, body = _what(entry)
    if entry.wire == "driver":
        kind = str((entry.meta or {}).get("action") or (entry.meta or {}).get("name") or kind)
    t_ms = f"{entry.t_ms:.1f}" if entry.t_ms is not None else "–"
    text = json.dumps(body, ensure_ascii=False, separators=(", ", ": ")) if body else ""
    return _tr(entry, t_ms, kind, text)


def audio_frame(entry: Entry) -> tuple[str, int] | None:
    """(kind, bytes) when the line only carries audio (an append, an audio delta, a call media
    frame or a binary frame): such lines are shown as runs (see `AudioRun`). Reads the raw
    record: a call has thousands of these lines."""
    record = entry.record
    event = record.get("event")
    if isinstance(event, dict):
        kinds = AUDIO_EVENTS.get(entry.wire, {})
        kind = event.get("type", event.get("event"))
        if kind not in kinds:
            return None
        payload = event.get(kinds[kind])
        if kind == "media":
            payload = payload.get("payload") if isinstance(payload, dict) else None
        return str(kind), base64_bytes(payload) if isinstance(payload, str) else 0
    frame = record.get("frame")
    if entry.wire == "call" and isinstance(frame, dict) and frame.get("opcode") == "BINARY":
        return "BINARY frame", int(frame.get("size_bytes", 0))
    return None


class AudioRun:
    """Consecutive audio-only lines, one row per (wire, direction, kind) with the first and
    last time, the frame count and the bytes: a call carries fifty frames a second each way,
    and what matters in the log is what came between them (marks, clears, events); every
    frame's time is in the timeline and in the recording."""

    def __init__(self) -> None:
        # (wire, direction, kind): [first t, last t, frames, bytes, the first entry]
        self.groups: dict[tuple[str, str, str], list[Any]] = {}

    def add(self, entry: Entry, kind: str, size: int) -> None:
        record = entry.record
        key = (entry.wire, str(record.get("dir")), kind)
        t = record.get("t_ms")
        t = float(t) if isinstance(t, int | float) else 0.0
        group = self.groups.setdefault(key, [t, t, 0, 0, entry])
        group[1], group[2], group[3] = t, group[2] + 1, group[3] + size

    def flush(self) -> str:
        rows = []
        for (_, _, kind), (first, last, count, size, entry) in self.groups.items():
            if count == 1:
                rows.append(_row(entry))
                continue
            text = f"<{size} bytes audio in {count} frames>"
            rows.append(_tr(entry, f"{first:.1f}–{last:.1f}", f"{kind} ×{count}", text))
        self.groups.clear()
        return "".join(rows)


def wire_log_html(recording: CaseRecording) -> str:
    rows, run = [], AudioRun()
    for entry in recording:
        audio = audio_frame(entry)
        if audio is not None:
            run.add(entry, *audio)
            continue
        rows.append(run.flush())
        rows.append(_row(entry))
    rows.append(run.flush())
    return (
        '<table class="wire"><thead><tr><th>t (ms)</th><th>who</th><th>event</th>'
        "<th>content (audio elided to its size; runs of audio frames on one row)</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
