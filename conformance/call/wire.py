"""The two media-socket formats as the call speaks them: what it sends, how it reads the client.

Both formats say the same few things (open the stream, a caller frame, a mark echo, stop; from
the client media, mark, clear), so the call is written once against `CallWire`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import pcm16, twilio


@dataclass(frozen=True)
class FromClient:
    """One message of the client, understood: media (with its audio), mark or clear."""

    kind: str  # "media" | "mark" | "clear"
    audio: bytes = b""
    name: str = ""


class CallWire(Protocol):
    audio_format: AudioFormat

    def opening(self, custom_parameters: Mapping[str, str]) -> list[dict[str, Any]]: ...

    def caller_frame(self, audio: bytes, timestamp_ms: int) -> dict[str, Any] | bytes: ...

    def mark_echo(self, name: str) -> dict[str, Any]: ...

    def stop(self) -> dict[str, Any]: ...

    def read_text(self, text: str) -> FromClient:
        """Raise ValueError (a *MessageError) for anything the call does not accept."""
        ...

    def read_binary(self, data: bytes) -> FromClient: ...


class TwilioWire:
    """Twilio Media Streams: everything is JSON text; audio is base64 mu-law in `media`."""

    audio_format = twilio.AUDIO_FORMAT

    def __init__(self, stream_sid: str, call_sid: str, account_sid: str) -> None:
        self.side = twilio.CallSide(stream_sid, call_sid, account_sid)

    def opening(self, custom_parameters: Mapping[str, str]) -> list[dict[str, Any]]:
        return [self.side.connected(), self.side.start(custom_parameters)]

    def caller_frame(self, audio: bytes, timestamp_ms: int) -> dict[str, Any]:
        return self.side.media(audio, timestamp_ms)

    def mark_echo(self, name: str) -> dict[str, Any]:
        return self.side.mark(name)

    def stop(self) -> dict[str, Any]:
        return self.side.stop()

    def read_text(self, text: str) -> FromClient:
        message = twilio.parse_bridge_message(text)
        if message.stream_sid != self.side.stream_sid:
            raise twilio.TwilioMessageError(
                f"streamSid {message.stream_sid!r} is not this stream's ({self.side.stream_sid!r})"
            )
        if isinstance(message, twilio.Media):
            twilio.AUDIO_FORMAT.check_byte_count(len(message.payload))
            return FromClient("media", audio=message.payload)
        if isinstance(message, twilio.Mark):
            return FromClient("mark", name=message.name)
        return FromClient("clear")

    def read_binary(self, data: bytes) -> FromClient:
        raise twilio.TwilioMessageError(
            "Media Streams messages are JSON text frames, got a binary frame"
        )


class Pcm16Wire:
    """The raw PCM16 socket: audio as binary frames, controls as small JSON texts."""

    audio_format = pcm16.AUDIO_FORMAT

    def opening(self, custom_parameters: Mapping[str, str]) -> list[dict[str, Any]]:
        return [pcm16.start(custom_parameters)]

    def caller_frame(self, audio: bytes, timestamp_ms: int) -> bytes:
        return audio

    def mark_echo(self, name: str) -> dict[str, Any]:
        return pcm16.mark(name)

    def stop(self) -> dict[str, Any]:
        return pcm16.stop()

    def read_text(self, text: str) -> FromClient:
        control = pcm16.parse_control(text, pcm16.BRIDGE_EVENTS)
        return FromClient(control.event, name=control.name or "")

    def read_binary(self, data: bytes) -> FromClient:
        pcm16.check_audio(data)
        return FromClient("media", audio=data)


def event_or_none(text: str) -> dict[str, Any] | None:
    """The JSON object a text frame holds, for the recording; None when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
