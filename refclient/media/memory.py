"""In-memory media units: the far end of a call as lists, for tests and examples."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping

from realtime_conformance.refclient.media.base import FRAME_MS
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat


async def paced_frames(
    audio: bytes, fmt: AudioFormat, *, realtime: bool = True
) -> AsyncIterator[bytes]:
    """`audio` in 20 ms frames (the last may be short), frame k once its last sample has been
    spoken (start + (k + 1) * 20 ms, absolute deadlines), or all at once when not `realtime`."""
    size = fmt.bytes_for_ms(FRAME_MS)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, offset in enumerate(range(0, len(audio), size)):
        if realtime:
            await asyncio.sleep(max(0.0, start + (index + 1) * FRAME_MS / 1000 - loop.time()))
        yield audio[offset : offset + size]


class MemoryUnit:
    """Keeps every frame played (with its clock time) and every clear; the caller says
    `caller` (bytes in `audio_format`), paced in real time unless `realtime` is False."""

    def __init__(
        self,
        audio_format: AudioFormat = PCM16,
        caller: bytes = b"",
        *,
        tag: str = "memory",
        custom_parameters: Mapping[str, str] | None = None,
        realtime: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tag, self.audio_format = tag, audio_format
        self.custom_parameters = dict(custom_parameters or {})
        self.caller, self.realtime, self.clock = caller, realtime, clock
        self.played: list[tuple[float, bytes]] = []
        self.clears: list[float] = []
        self.opened = self.closed = False

    async def open(self) -> None:
        self.opened = True

    async def send_frame(self, frame: bytes) -> None:
        self.played.append((self.clock(), frame))

    async def clear(self) -> None:
        self.clears.append(self.clock())

    async def caller_frames(self) -> AsyncIterator[bytes]:
        async for frame in paced_frames(self.caller, self.audio_format, realtime=self.realtime):
            yield frame

    async def close(self) -> None:
        self.closed = True
