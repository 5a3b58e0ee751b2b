"""The input audio buffer: what `input_audio_buffer.append` adds and `commit` turns into an item.

No VAD yet (a later issue adds it): the buffer only grows, is committed, or is cleared.
Appends are never acknowledged (PROTOCOL.md §5); a bad one is answered with an `error`.
"""

from __future__ import annotations

import base64
import binascii

from rtproto.events import RealtimeError
from rtproto.realtime import errors

MAX_APPEND_BYTES = 15 * 1024 * 1024  # 15 MiB per append


def decode_audio(data: str) -> bytes:
    """Strict base64 (no stray characters, right padding), or the real server's error."""
    try:
        audio = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_audio() from None
    if len(audio) > MAX_APPEND_BYTES:
        # UNVERIFIED: the limit is documented, the server's wording for it is not recorded.
        raise RealtimeError(
            "string_above_max_length",
            f"Invalid 'audio': audio too long. Expected at most {MAX_APPEND_BYTES} bytes, but "
            f"got {len(audio)} bytes instead.",
            "audio",
        )
    return audio


class InputAudioBuffer:
    def __init__(self) -> None:
        self._audio = bytearray()

    def append(self, data: str) -> None:
        self._audio += decode_audio(data)

    def duration_ms(self, bytes_per_ms: int) -> float:
        return len(self._audio) / bytes_per_ms

    def take(self) -> bytes:
        """The buffered audio; the buffer is empty afterwards."""
        audio = bytes(self._audio)
        self._audio.clear()
        return audio

    def clear(self) -> None:
        self._audio.clear()
