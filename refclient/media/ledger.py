"""What the far end has played of each assistant item: the figure a correct client truncates at.

The bridge tells the ledger what it received (per item, in session ms), which stream bytes each
sent frame carried, and which marks it sent and got back. The far end plays frames as a carrier
does: from max(sent, previous end) for the frame's duration (conformance.call.playout states the
same rule for the harness). So at time t:

- by the clock, the heard stream position is the playing frame's offset plus what of it has
  elapsed;
- an echoed mark proves everything before it was heard (a floor), and a mark overdue by more
  than a frame (its audio should have played by the clock) proves the far end lags: nothing
  after it was heard (a ceiling). A mark merely in flight caps nothing, or the echo's latency
  would be taken off every figure.

An item's played ms is its stream bytes below that position, never more than was received.
`clear` freezes every item at what it had played then; later audio for a frozen item is dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from realtime_conformance.refclient.media.base import PlayedAudio
from realtime_conformance.rtproto.audio.formats import AudioFormat

MARK_SLACK_S = 0.02  # a mark later than this past its audio's end means the far end lags
ROUNDING = 1e-6  # bytes: so 0.09 s - 0.08 s counts as 10 ms, not 9.999...


@dataclass
class ItemLedger:
    item_id: str
    content_index: int
    received_ms: float = 0.0  # session audio received
    ranges: list[list[int]] = field(default_factory=list)  # stream bytes [start, end) sent
    frozen_ms: int | None = None  # what it had played when a clear stopped it


@dataclass(frozen=True)
class SentFrame:
    start_s: float  # when the far end starts playing it
    offset: int  # stream position of its first byte
    size: int


class PlayoutLedger:
    def __init__(self, fmt: AudioFormat) -> None:
        self.fmt = fmt
        self.items: dict[str, ItemLedger] = {}
        self.position = 0  # stream bytes sent so far
        self._frames: deque[SentFrame] = deque(maxlen=64)  # recent frames: enough for "now"
        self._heard_base = 0  # everything before this was decided (heard or dropped)
        self._pending_marks: deque[tuple[str, int, float]] = deque()  # name, position, due
        self._floor = 0

    def received(self, item_id: str, content_index: int, session_ms: float) -> bool:
        """Note audio for an item; False when the item was cleared (drop the audio)."""
        item = self.items.setdefault(item_id, ItemLedger(item_id, content_index))
        if item.frozen_ms is not None:
            return False
        item.received_ms += session_ms
        return True

    def sent(self, now_s: float, parts: list[tuple[str, int]], size: int) -> SentFrame:
        """A frame of `size` stream bytes went out at `now_s`, carrying `parts` (item, bytes)
        in order (the rest is padding)."""
        previous_end = self._frames[-1].start_s + self._duration_s(self._frames[-1]) if (
            self._frames
        ) else now_s  # fmt: skip
        frame = SentFrame(max(now_s, previous_end), self.position, size)
        at = self.position
        for item_id, count in parts:
            ranges = self.items[item_id].ranges
            if ranges and ranges[-1][1] == at:
                ranges[-1][1] = at + count
            else:
                ranges.append([at, at + count])
            at += count
        self.position += size
        self._frames.append(frame)
        return frame

    def _duration_s(self, frame: SentFrame) -> float:
        return frame.size / self.fmt.bytes_per_ms / 1000

    def mark_sent(self, name: str) -> None:
        """A mark after the frames sent so far: due when the last of them has played."""
        last = self._frames[-1] if self._frames else None
        due_s = last.start_s + self._duration_s(last) if last else float("-inf")
        self._pending_marks.append((name, self.position, due_s))

    def mark_echoed(self, name: str) -> None:
        """A mark came back: its audio was heard. Unknown names (voided by a clear) are
        ignored."""
        while self._pending_marks:
            pending, position, _ = self._pending_marks.popleft()
            self._floor = max(self._floor, position)
            if pending == name:
                return

    def heard_position(self, now_s: float) -> int:
        by_clock = self._heard_base
        for frame in reversed(self._frames):
            if frame.start_s <= now_s:
                elapsed = int((now_s - frame.start_s) * 1000 * self.fmt.bytes_per_ms + ROUNDING)
                by_clock = frame.offset + min(frame.size, elapsed)
                break
        ceiling = self.position
        if self._pending_marks and now_s > self._pending_marks[0][2] + MARK_SLACK_S:
            ceiling = self._pending_marks[0][1]  # overdue: the far end lags behind the clock
        return max(self._heard_base, min(max(by_clock, self._floor), ceiling))

    def played(self, item_id: str, now_s: float) -> PlayedAudio | None:
        item = self.items.get(item_id)
        if item is None:
            return None
        if item.frozen_ms is not None:
            return PlayedAudio(item_id, item.content_index, item.frozen_ms)
        heard = self.heard_position(now_s)
        played = sum(max(0, min(end, heard) - start) for start, end in item.ranges)
        ms = min(played / self.fmt.bytes_per_ms, item.received_ms)
        return PlayedAudio(item_id, item.content_index, int(ms))

    def clear(self, now_s: float) -> list[PlayedAudio]:
        """Stop at `now_s`: freeze every item not fully played; return what each had played."""
        stopped = []
        for item in self.items.values():
            if item.frozen_ms is not None:
                continue
            played = self.played(item.item_id, now_s)
            assert played is not None
            if played.played_ms < int(item.received_ms):
                item.frozen_ms = played.played_ms
                stopped.append(played)
        self._heard_base = self._floor = self.position
        self._frames.clear()
        self._pending_marks.clear()
        return stopped
