"""The wire log of a case page: every line of both wires (and the driver's), in recording
order, with times relative to the case start and audio payloads elided to their size.

Audio is base64 under known keys (`audio` of appends and input_audio content, `delta` of audio
deltas, `payload` of call media); showing it would bury the protocol in noise, so it becomes
`<N bytes audio>`. Other long strings (instructions) are cut, marked with their full length.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.recording import CaseRecording, Entry
from conformance.reporting.html import esc

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


def base64_bytes(text: str) -> int:
    """Decoded size of a base64 string, from its length (no decoding needed)."""
    stripped = text.rstrip("=")
    return len(stripped) * 3 // 4


def elide(value: Any, audio_delta: bool = False) -> Any:
    """`value` with audio payloads replaced by their size and long strings cut."""
    if isinstance(value, dict):
        is_audio = "audio" in str(value.get("type", "")) and "transcript" not in str(
            value.get("type", "")
        )
        return {
            key: _elide_field(key, item, is_audio or audio_delta) for key, item in value.items()
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


def _row(entry: Entry) -> str:
    who = WHO.get((entry.wire, str(entry.direction)), f"{entry.wire} {entry.direction}")
    if entry.wire == "driver":
        meta = entry.meta or {}
        who = "driver step" if meta.get("kind") == "step" else "client report"
    kind, body = _what(entry)
    if entry.wire == "driver":
        kind = str((entry.meta or {}).get("action") or (entry.meta or {}).get("name") or kind)
    t_ms = f"{entry.t_ms:.1f}" if entry.t_ms is not None else "–"
    text = json.dumps(body, ensure_ascii=False, separators=(", ", ": ")) if body else ""
    return (
        f'<tr class="w-{esc(entry.wire)} d-{esc(entry.direction)}"><td class="num">{t_ms}</td>'
        f'<td>{esc(who)}</td><td class="ev">{esc(kind)}</td>'
        f'<td class="body">{esc(text)}</td></tr>'
    )


def wire_log_html(recording: CaseRecording) -> str:
    rows = "".join(_row(entry) for entry in recording)
    return (
        '<table class="wire"><thead><tr><th>t (ms)</th><th>who</th><th>event</th>'
        f"<th>content (audio elided to its size)</th></tr></thead><tbody>{rows}</tbody></table>"
    )
