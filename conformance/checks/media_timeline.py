"""What the media checks measure from, derived once per case from both wires.

- The model's audio per item, as the OpenAI wire delivered it (delta times and durations in the
  session's output format).
- The call: what the caller heard, from the carrier's playout model (conformance.call.playout,
  the same model the live virtual call runs), and the caller's own audio sent to the client.
- The client's `input_audio_buffer.append`s, each with the input format declared then.

Times are as recorded; `harness` says how late the harness itself was, and each item's
`mock_lateness` how late the mock sent its audio (harness_clock.py), so that timing checks can
excuse the delays that were the suite's, not the client's.

A frame the client sends into the call belongs to the item whose audio was arriving then: the
frames that arrived from the item's first audio delta until the next item's first delta (a
bridge cannot play an item's audio before it has received it, and plays items in order).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.call.playout import (
    PlayedFrame,
    Playout,
    playout_of_records,
    reader_of,
)
from realtime_conformance.conformance.checks.grammar_rules import ga_type, obj
from realtime_conformance.conformance.checks.harness_clock import (
    HarnessLateness,
    ServerAudioLateness,
)
from realtime_conformance.conformance.checks.stream_state import base64_size, session_audio_format
from realtime_conformance.conformance.recording import CaseRecording, Entry
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat

AUDIO_DELTA = "response.output_audio.delta"


@dataclass
class ItemAudio:
    item_id: str
    deltas: list[tuple[float, float]] = field(default_factory=list)  # (t_ms, audio ms)

    @property
    def first_ms(self) -> float:
        return self.deltas[0][0]

    def received_ms(self, until_ms: float | None = None) -> float:
        return sum(ms for t, ms in self.deltas if until_ms is None or t <= until_ms)

    def mock_lateness(self) -> ServerAudioLateness:
        """How late the mock sent this audio against its real-time pace."""
        return ServerAudioLateness(self.deltas)


@dataclass(frozen=True)
class Append:
    t_ms: float
    size: int  # bytes
    fmt: AudioFormat  # the session's input format when it was sent

    @property
    def ms(self) -> float:
        return self.size / self.fmt.bytes_per_ms


@dataclass
class Timeline:
    items: list[ItemAudio]
    speech_started: list[float]
    appends: list[Append]
    playout: Playout | None  # None: the case has no call
    caller: list[tuple[float, float]]  # (t_ms, ms) of the caller's audio from the call
    end_ms: float
    harness: HarnessLateness

    def item(self, item_id: str | None) -> ItemAudio | None:
        return next((item for item in self.items if item.item_id == item_id), None)

    def frames_of(self, item: ItemAudio) -> list[PlayedFrame]:
        """The client's call frames that carried this item's audio (see the module doc)."""
        if self.playout is None:
            return []
        later = [other.first_ms for other in self.items if other.first_ms > item.first_ms]
        until = min(later, default=float("inf"))
        return [f for f in self.playout.frames if item.first_ms <= f.arrival_ms < until]

    def heard_ms(self, item: ItemAudio, until_ms: float) -> float:
        """Ms of the item the caller had heard by `until_ms` (never more than it received)."""
        heard = sum(
            max(0.0, min(frame.end_ms, until_ms) - frame.start_ms)
            for frame in self.frames_of(item)
            if not frame.dropped
        )
        return min(heard, item.received_ms(until_ms))

    def playing_at(self, t_ms: float, min_unheard_ms: float) -> ItemAudio | None:
        """The latest item whose audio had begun arriving by `t_ms` and of which more than
        `min_unheard_ms` had arrived but not yet been heard."""
        begun = [item for item in self.items if item.first_ms <= t_ms]
        if not begun:
            return None
        item = begun[-1]
        unheard = item.received_ms(t_ms) - self.heard_ms(item, t_ms)
        return item if unheard > min_unheard_ms else None


def _payload_ms(event: dict[str, Any], fmt: AudioFormat) -> float:
    payload = obj(event.get("media")).get("payload")
    try:
        size = len(base64.b64decode(payload)) if isinstance(payload, str) else 0
    except (binascii.Error, ValueError):
        size = 0
    return size / fmt.bytes_per_ms


def caller_audio(recording: CaseRecording) -> list[tuple[float, float]]:
    """(t_ms, ms) of every audio frame the call sent the client."""
    lines = [entry.record for entry in recording.on("call")]
    try:
        fmt = reader_of(lines).audio_format
    except ValueError:
        return []
    found = []
    for entry in recording.call_received():
        event, frame = entry.event, entry.frame
        if event is not None and event.get("event") == "media":
            found.append((entry.t_ms or 0.0, _payload_ms(event, fmt)))
        elif frame is not None and frame.get("opcode") == "BINARY":
            found.append((entry.t_ms or 0.0, int(frame.get("size_bytes", 0)) / fmt.bytes_per_ms))
    return found


def _call_playout(recording: CaseRecording) -> Playout | None:
    lines = [entry.record for entry in recording.on("call")]
    try:
        return playout_of_records(lines)
    except ValueError:  # no call in this case
        return None


class _OpenAISide:
    def __init__(self) -> None:
        self.input_format, self.output_format = PCM16, PCM16
        self.items: dict[str, ItemAudio] = {}
        self.speech_started: list[float] = []
        self.appends: list[Append] = []

    def feed(self, entry: Entry) -> None:
        event, t_ms = entry.event or {}, entry.t_ms or 0.0
        kind = ga_type(event)
        if kind in ("session.created", "session.updated", "session.update"):
            # the client's session.update applies to the appends after it, in order, before
            # the server's session.updated arrives
            session = event.get("session")
            self.input_format = session_audio_format(session, "input") or self.input_format
            self.output_format = session_audio_format(session, "output") or self.output_format
        elif entry.direction == "server" and kind == AUDIO_DELTA:
            item_id = str(event.get("item_id"))
            ms = base64_size(event.get("delta")) / self.output_format.bytes_per_ms
            self.items.setdefault(item_id, ItemAudio(item_id)).deltas.append((t_ms, ms))
        elif entry.direction == "server" and kind == "input_audio_buffer.speech_started":
            self.speech_started.append(t_ms)
        elif entry.direction == "client" and kind == "input_audio_buffer.append":
            size = base64_size(event.get("audio"))
            self.appends.append(Append(t_ms, size, self.input_format))


def timeline_of(recording: CaseRecording) -> Timeline:
    caller = caller_audio(recording)
    side = _OpenAISide()
    for entry in recording.on("openai"):
        if entry.event is not None:
            side.feed(entry)
    return Timeline(
        sorted(side.items.values(), key=lambda item: item.first_ms),
        side.speech_started,
        side.appends,
        _call_playout(recording),
        caller,
        recording.end_ms() or 0.0,
        HarnessLateness(caller),
    )


def openai_events(recording: CaseRecording, direction: str, kind: str) -> list[Entry]:
    """Events of one GA type (beta names read as GA) sent one way on the OpenAI wire."""
    return [
        entry
        for entry in recording.on("openai", direction)
        if entry.event is not None and ga_type(entry.event) == kind
    ]
