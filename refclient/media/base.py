"""The interfaces of the media bridge: the far end of a call (`MediaUnit`) and what the client
asks of the bridge (`MediaBridge`).

Frames are 20 ms of audio in the unit's own format (G.711 mu-law at 8 kHz for a Twilio call,
PCM16 at 24 kHz for a raw PCM16 socket). The bridge converts between the unit's format and the
session's formats with rtproto.audio, plays model audio on absolute deadlines, and knows how
much of each assistant item the far end has actually played: the figure a correct client
truncates at on barge-in (never the audio received, which runs seconds ahead of playout).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import FRAME_MS

__all__ = [
    "FRAME_MS",
    "MarkingUnit",
    "MediaBridge",
    "MediaEnded",
    "MediaStarted",
    "MediaUnit",
    "PlayedAudio",
]


@runtime_checkable
class MediaUnit(Protocol):
    """The far end of a call: where model audio is played and caller audio comes from."""

    # read-only members, so a unit may hold them as plain attributes of narrower types
    @property
    def tag(self) -> str:
        """A name for reports (the Twilio stream sid, a file name, ...)."""

    @property
    def audio_format(self) -> AudioFormat:
        """The unit's frames' format."""

    @property
    def custom_parameters(self) -> Mapping[str, str]:
        """E.g. Twilio's <Parameter>s from the `start` message."""

    async def open(self) -> None:
        """Connect (dial the media URL or accept the call) and wait until media can flow."""

    async def send_frame(self, frame: bytes) -> None:
        """Play one frame of model audio (FRAME_MS of `audio_format`) at the far end."""

    async def clear(self) -> None:
        """Make the far end drop whatever it has queued and not yet played (Twilio `clear`)."""

    def caller_frames(self) -> AsyncIterator[bytes]:
        """The caller's audio, frame by frame, in `audio_format`, as it arrives; ends with the
        call."""
        ...

    async def close(self) -> None:
        """Hang up. Must not raise when already closed."""


@runtime_checkable
class MarkingUnit(MediaUnit, Protocol):
    """A unit whose far end echoes a mark once the audio sent before it has played (Twilio
    Media Streams, the raw PCM16 socket): the bridge's proof of what was heard."""

    async def send_mark(self, name: str) -> None:
        """Send a mark after the frames sent so far."""

    def on_mark(self, handler: Callable[[str], None]) -> None:
        """Call `handler` with each mark's name as the far end echoes it."""


@dataclass(frozen=True)
class PlayedAudio:
    """How much of one assistant item the far end played (whole ms of audio, rounded down:
    never more than was played, nor than was received)."""

    item_id: str
    content_index: int
    played_ms: int


@dataclass(frozen=True)
class MediaStarted:
    """WebSocketMediaStarted: the first frame of model audio was played."""

    tag: str
    encoding: str
    custom_parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaEnded:
    """WebSocketMediaEnded: no model audio for 1 s after the last frame played."""

    tag: str
    duration_ms: int
    frames: int
    extra: Mapping[str, Any] = field(default_factory=dict)


class MediaBridge(Protocol):
    """What the Realtime client asks of the bridge between a session and a `MediaUnit`."""

    def enqueue(self, item_id: str, content_index: int, audio: bytes) -> None:
        """Queue model audio (decoded bytes in the session's output format) for playout."""

    def clear(self) -> list[PlayedAudio]:
        """Stop playout at once, drop everything queued, and return what was played of each
        item that was queued (0 ms for items never reached)."""

    def played(self, item_id: str) -> PlayedAudio | None:
        """What the far end has played of `item_id` so far (None if never queued)."""

    @property
    def playing_item(self) -> str | None:
        """The item whose audio is being played now, or None when idle."""

    def on_caller_audio(self, handler: Callable[[bytes], None]) -> None:
        """Call `handler` with each chunk of caller audio in the session's input format."""
