"""The carrier's playout model: when the caller heard each frame the client sent into the call.

A carrier (Twilio, a PBX) buffers the media a bridge sends and plays it at real time:

- a frame plays from max(its arrival, the end of the frame before it) for its duration, so a
  bridge that sends ahead of real time builds a backlog and one that falls behind leaves gaps;
- `clear` drops every queued frame that has not begun; the frame playing is cut there;
- a mark is echoed when the audio sent before it has played (at once when nothing is queued),
  or at the `clear` that empties the buffer before then.

`CarrierPlayout` is fed the call wire in order (times in ms on the recording's clock); the live
virtual call feeds it as frames arrive and asks it when to echo marks, and the checks rebuild
the same figures from a recording with `playout_of_records`, so both agree by construction.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.call.wire import CallWire, FromClient, Pcm16Wire, TwilioWire
from realtime_conformance.rtproto.audio.formats import AudioFormat


@dataclass
class PlayedFrame:
    """One frame the client sent into the call, and when the caller heard it."""

    index: int  # order of arrival on the call wire
    arrival_ms: float
    duration_ms: float
    start_ms: float  # when it began to play (for a dropped frame: when it would have)
    end_ms: float  # when it stopped: start + duration, or the clear that cut it
    dropped: bool = False  # cleared before it began: never heard

    @property
    def heard_ms(self) -> float:
        return 0.0 if self.dropped else self.end_ms - self.start_ms


@dataclass
class EchoedMark:
    name: str
    sent_ms: float  # when the client's mark arrived
    echoed_ms: float  # when the carrier echoes it (provisional until it has happened)
    by_clear: bool = False  # echoed because a clear emptied the buffer, not because it played
    delivered: bool = False  # the live call has sent the echo


@dataclass(frozen=True)
class Gap:
    """Silence between two heard frames."""

    start_ms: float
    end_ms: float
    after_clear: bool  # the buffer was emptied by a clear, not starved

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


@dataclass
class Playout:
    """Everything the model worked out for one call."""

    frames: list[PlayedFrame] = field(default_factory=list)
    marks: list[EchoedMark] = field(default_factory=list)
    clears_ms: list[float] = field(default_factory=list)
    backlog: list[tuple[float, float]] = field(default_factory=list)  # (t_ms, queued ms)

    def heard(self) -> list[PlayedFrame]:
        return [frame for frame in self.frames if frame.heard_ms > 0]

    def heard_ms(self, until_ms: float | None = None) -> float:
        """Ms of audio the caller had heard by `until_ms` (all of it when None)."""
        total = 0.0
        for frame in self.heard():
            end = frame.end_ms if until_ms is None else min(frame.end_ms, until_ms)
            total += max(0.0, end - frame.start_ms)
        return total

    def gaps(self, min_ms: float = 0.0) -> list[Gap]:
        """Silences longer than `min_ms` between heard frames (not before the first)."""
        found, heard = [], self.heard()
        for before, after in itertools.pairwise(heard):
            if after.start_ms - before.end_ms > min_ms:
                cleared = any(before.end_ms <= t <= after.start_ms for t in self.clears_ms)
                found.append(Gap(before.end_ms, after.start_ms, cleared))
        return found

    def max_backlog_ms(self) -> float:
        return max((queued for _, queued in self.backlog), default=0.0)


class CarrierPlayout:
    """The playout model, fed in wire order; `playout` holds what it has worked out so far."""

    def __init__(self) -> None:
        self.playout = Playout()
        self._free_at = float("-inf")  # when the last queued frame ends

    def frame(self, t_ms: float, duration_ms: float) -> PlayedFrame:
        start = max(t_ms, self._free_at)
        played = PlayedFrame(
            len(self.playout.frames), t_ms, duration_ms, start, start + duration_ms
        )
        self._free_at = played.end_ms
        self.playout.frames.append(played)
        self.playout.backlog.append((t_ms, self._free_at - t_ms))
        return played

    def mark(self, t_ms: float, name: str) -> EchoedMark:
        mark = EchoedMark(name, t_ms, max(t_ms, self._free_at))
        self.playout.marks.append(mark)
        return mark

    def clear(self, t_ms: float) -> list[EchoedMark]:
        """Drop what has not begun, cut what is playing; return the marks echoed now."""
        for frame in reversed(self.playout.frames):
            if frame.end_ms <= t_ms:
                break
            if frame.start_ms >= t_ms:
                frame.dropped, frame.end_ms = True, frame.start_ms
            else:
                frame.end_ms = t_ms
        self._free_at = min(self._free_at, t_ms)
        self.playout.clears_ms.append(t_ms)
        self.playout.backlog.append((t_ms, 0.0))
        echoed = [mark for mark in self.playout.marks if mark.echoed_ms > t_ms]
        for mark in echoed:
            mark.echoed_ms, mark.by_clear, mark.delivered = t_ms, True, True
        return echoed

    def due_marks(self, now_ms: float) -> list[EchoedMark]:
        """Marks whose audio has played by `now_ms` and whose echo was not yet taken."""
        due = [m for m in self.playout.marks if not m.delivered and m.echoed_ms <= now_ms]
        for mark in due:
            mark.delivered = True
        return due

    def next_echo_ms(self) -> float | None:
        """When the next undelivered mark is due, if any."""
        pending = [m.echoed_ms for m in self.playout.marks if not m.delivered]
        return min(pending, default=None)


def apply(model: CarrierPlayout, t_ms: float, message: FromClient, fmt: AudioFormat) -> None:
    """One understood client message, at `t_ms`: the one rule the live call and checks share."""
    if message.kind == "media":
        model.frame(t_ms, fmt.duration_ms(len(message.audio)))
    elif message.kind == "mark":
        model.mark(t_ms, message.name)
    elif message.kind == "clear":
        model.clear(t_ms)


def reader_of(records: Iterable[Mapping[str, Any]]) -> CallWire:
    """The call's own reader of client messages, from the call's recorded `start`."""
    for record in records:
        event = record.get("event")
        if record.get("wire") == "call" and record.get("dir") == "server" and event:
            if event.get("event") == "start" and isinstance(event.get("streamSid"), str):
                return TwilioWire(event["streamSid"], "", "")
            if event.get("event") == "start":
                return Pcm16Wire()
    raise ValueError("the call wire has no `start` from the call: not a recorded call")


def understood(record: Mapping[str, Any], reader: CallWire) -> FromClient | None:
    """What the call understood of a recorded line: None for other lines and malformed ones
    (the live call recorded those as `call_error` and ignored them)."""
    if record.get("wire") != "call" or record.get("dir") != "client":
        return None
    frame, event = record.get("frame"), record.get("event")
    try:
        if isinstance(event, dict):
            return reader.read_text(json.dumps(event))
        if isinstance(frame, dict) and frame.get("opcode") == "BINARY":
            return reader.read_binary(bytes(int(frame["size_bytes"])))  # only sizes matter
    except ValueError:
        return None
    return None


def playout_of_records(records: Iterable[Mapping[str, Any]]) -> Playout:
    """The playout of a recorded call wire (records in wire order; other wires are skipped)."""
    lines = list(records)
    reader, model = reader_of(lines), CarrierPlayout()
    for record in lines:
        message = understood(record, reader)
        if message is not None:
            apply(model, float(record["t_ms"]), message, reader.audio_format)
    return model.playout
