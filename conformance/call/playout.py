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

import base64
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rtproto.telephony import pcm16, twilio


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


def _twilio_payload_ms(event: Mapping[str, Any]) -> float:
    media = event.get("media")
    payload = media.get("payload") if isinstance(media, dict) else None
    if not isinstance(payload, str):
        raise ValueError(f"a media event without a payload: {event!r}")
    return twilio.AUDIO_FORMAT.duration_ms(len(base64.b64decode(payload)))


def _mark_name(event: Mapping[str, Any]) -> str:
    mark = event.get("mark")
    name = mark.get("name") if isinstance(mark, dict) else event.get("name")
    return str(name)


def feed_record(model: CarrierPlayout, record: Mapping[str, Any]) -> None:
    """Apply one recorded line if it is the client's media, mark or clear on the call wire."""
    if record.get("wire") != "call" or record.get("dir") != "client":
        return
    t_ms = float(record["t_ms"])
    frame, event = record.get("frame"), record.get("event")
    if isinstance(frame, dict) and frame.get("opcode") == "BINARY":
        model.frame(t_ms, pcm16.AUDIO_FORMAT.duration_ms(int(frame["size_bytes"])))
    elif isinstance(event, dict):
        kind = event.get("event")
        if kind == "media":
            model.frame(t_ms, _twilio_payload_ms(event))
        elif kind == "mark":
            model.mark(t_ms, _mark_name(event))
        elif kind == "clear":
            model.clear(t_ms)


def playout_of_records(records: Iterable[Mapping[str, Any]]) -> Playout:
    """The playout of a recorded call wire (records in wire order; other wires are skipped)."""
    model = CarrierPlayout()
    for record in records:
        feed_record(model, record)
    return model.playout
