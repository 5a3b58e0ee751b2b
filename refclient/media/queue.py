"""Model audio waiting to be played, in the unit's format, cut into frames with their items."""

from __future__ import annotations

from collections import deque

from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import silence


class FrameQueue:
    def __init__(self, fmt: AudioFormat, frame_bytes: int) -> None:
        self.fmt, self.frame_bytes = fmt, frame_bytes
        self._audio = bytearray()
        self._owners: deque[list[str | int]] = deque()  # [item_id, bytes] in order

    def __len__(self) -> int:
        return len(self._audio)

    def push(self, item_id: str, audio: bytes) -> None:
        if not audio:
            return
        self._audio += audio
        if self._owners and self._owners[-1][0] == item_id:
            self._owners[-1][1] = int(self._owners[-1][1]) + len(audio)
        else:
            self._owners.append([item_id, len(audio)])

    def pop_frame(self) -> tuple[bytes, list[tuple[str, int]]] | None:
        """The next frame (a short last one padded with silence) and its parts per item."""
        if not self._audio:
            return None
        take = min(self.frame_bytes, len(self._audio))
        audio = bytes(self._audio[:take])
        del self._audio[:take]
        parts: list[tuple[str, int]] = []
        wanted = take
        while wanted:
            owner = self._owners[0]
            count = min(wanted, int(owner[1]))
            parts.append((str(owner[0]), count))
            wanted -= count
            owner[1] = int(owner[1]) - count
            if owner[1] == 0:
                self._owners.popleft()
        return audio + silence(self.fmt, self.frame_bytes - take), parts

    def clear(self) -> None:
        self._audio.clear()
        self._owners.clear()
