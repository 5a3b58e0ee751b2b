"""The voice agent example's phone line: a WavUnit whose caller keeps the line live.

A WavUnit's caller stops sending when the file ends, but a real line carries silence until
someone hangs up, and server VAD needs that silence to hear the caller's last turn end. The
heard file is anchored at the moment the call opens, so it lines up with the caller's file
(the silence before the first answer is kept, as the caller heard it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from realtime_conformance.refclient.media import WavUnit
from realtime_conformance.refclient.media.memory import paced_frames
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import silence

SILENCE_CHUNK_MS = 1000


class CallerLine:
    """A MediaUnit: the caller's WAV, then silence until `close()`; what played goes to `sink`."""

    def __init__(self, source: Path, sink: Path) -> None:
        self.wav = WavUnit(source, sink)
        self.caller_done = asyncio.Event()  # the caller's file has been spoken
        self._closed = asyncio.Event()

    @property
    def tag(self) -> str:
        return self.wav.tag

    @property
    def audio_format(self) -> AudioFormat:
        return self.wav.audio_format

    @property
    def custom_parameters(self) -> Mapping[str, str]:
        return self.wav.custom_parameters

    async def open(self) -> None:
        await self.wav.open()
        # an empty frame marks the call's start: the file's silence is counted from here
        await self.wav.send_frame(b"")

    async def send_frame(self, frame: bytes) -> None:
        await self.wav.send_frame(frame)

    async def clear(self) -> None:
        await self.wav.clear()

    async def caller_frames(self) -> AsyncIterator[bytes]:
        async for frame in self.wav.caller_frames():
            yield frame
        self.caller_done.set()
        quiet = silence(self.audio_format, self.audio_format.bytes_for_ms(SILENCE_CHUNK_MS))
        while not self._closed.is_set():
            async for frame in paced_frames(quiet, self.audio_format):
                yield frame

    async def close(self) -> None:
        self._closed.set()
        await self.wav.close()
