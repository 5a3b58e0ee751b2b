"""The raw PCM16 media socket: the project's plain alternative to Twilio Media Streams.

Audio goes both ways as binary frames of PCM16 little-endian mono at 24 kHz (the Realtime API's
own `pcm16`, so a bridge needs no conversion), one 20 ms frame (960 bytes) per message. Control
messages are JSON text frames shaped like Twilio's, minus the ids:

- from the call: `{"event": "start", "encoding": "audio/pcm", "sampleRate": 24000,
  "frameMs": 20, "customParameters": {...}}` first, `{"event": "mark", "name": ...}` echoing a
  bridge's mark once the audio before it has played, `{"event": "stop"}` before hanging up;
- from the bridge: `{"event": "mark", "name": ...}` and `{"event": "clear"}` (same meaning as
  in Twilio Media Streams).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.telephony import FRAME_MS

AUDIO_FORMAT = PCM16
ENCODING = PCM16.ga_type  # "audio/pcm"
FRAME_BYTES = AUDIO_FORMAT.bytes_for_ms(FRAME_MS)  # 960


class Pcm16MessageError(ValueError):
    """A frame that is not a well-formed message of the raw PCM16 socket."""


@dataclass(frozen=True)
class Control:
    """A JSON control message: start, mark, clear or stop."""

    event: str
    name: str | None = None  # marks
    custom_parameters: Mapping[str, str] = field(default_factory=dict)  # start


CALL_EVENTS = frozenset({"start", "mark", "stop"})
BRIDGE_EVENTS = frozenset({"mark", "clear"})


def start(custom_parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"event": "start", "encoding": ENCODING, "sampleRate": AUDIO_FORMAT.sample_rate,
            "frameMs": FRAME_MS, "customParameters": dict(custom_parameters or {})}  # fmt: skip


def mark(name: str) -> dict[str, Any]:
    return {"event": "mark", "name": name}


def clear() -> dict[str, Any]:
    return {"event": "clear"}


def stop() -> dict[str, Any]:
    return {"event": "stop"}


def check_audio(frame: bytes) -> None:
    """Raise unless the binary frame holds whole PCM16 samples."""
    if len(frame) % AUDIO_FORMAT.bytes_per_sample:
        raise Pcm16MessageError(f"a binary frame of {len(frame)} bytes is not whole PCM16 samples")


def parse_control(text: str, allowed: frozenset[str]) -> Control:
    """A text frame as a control message; `allowed` is CALL_EVENTS or BRIDGE_EVENTS."""
    try:
        message = json.loads(text)
    except ValueError as error:
        raise Pcm16MessageError(f"not JSON ({error}): {text[:60]!r}") from None
    if not isinstance(message, dict) or message.get("event") not in allowed:
        raise Pcm16MessageError(
            f"expected a JSON object with 'event' one of {sorted(allowed)}, got {text[:60]!r}"
        )
    event = message["event"]
    if event == "mark" and not isinstance(message.get("name"), str):
        raise Pcm16MessageError(f"mark: 'name' must be a string, got {message.get('name')!r}")
    params = message.get("customParameters", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise Pcm16MessageError(f"start: customParameters must map names to strings: {params!r}")
    return Control(event, message.get("name"), dict(params))
