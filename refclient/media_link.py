"""The Realtime client's side of the media bridge: starts a bridge to a MediaUnit, hands it
model audio, clears it on barge-in, and appends the caller's audio to the input buffer.

The bridge itself (playout on absolute deadlines, format conversion, played-ms accounting) is
refclient.media's (`PlayoutBridge`, the default): this module only needs the `MediaBridge`
protocol of refclient.media.base, made by a `BridgeFactory`. A bridge may also have
`async start()` (it opens the unit) and `async stop()` / `async close()`; they are called when
present. The unit is the caller's to open beforehand or not, and to close.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from realtime_conformance.refclient.errors import ClientClosedError
from realtime_conformance.refclient.events import Events
from realtime_conformance.refclient.media.base import (
    MediaBridge,
    MediaEnded,
    MediaStarted,
    MediaUnit,
    PlayedAudio,
)
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.client import PlayAudio

if TYPE_CHECKING:
    from realtime_conformance.rtproto.client import ClientProtocol

log = logging.getLogger("refclient")


@dataclass(frozen=True)
class BridgeSettings:
    input_format: AudioFormat  # the session's: caller audio is appended in this format
    output_format: AudioFormat  # the session's: model audio arrives in this format
    on_media_event: Callable[[MediaStarted | MediaEnded], None]
    parameters: Mapping[str, Any]  # send_media_to's parameters, as given


class BridgeFactory(Protocol):
    def __call__(self, unit: MediaUnit, settings: BridgeSettings) -> MediaBridge: ...


def playout_bridge(unit: MediaUnit, settings: BridgeSettings) -> MediaBridge:
    """The default: refclient.media's real-time PlayoutBridge."""
    bridge_module = importlib.import_module("realtime_conformance.refclient.media.bridge")
    bridge: MediaBridge = bridge_module.PlayoutBridge(
        unit,
        output_format=settings.output_format,
        input_format=settings.input_format,
        on_started=settings.on_media_event,
        on_ended=settings.on_media_event,
    )
    return bridge


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


class LinkedClient(Protocol):
    """What a media link needs of its Realtime client (a protocol, so this module does not
    import the client that imports it)."""

    @property
    def protocol(self) -> ClientProtocol: ...

    async def input_audio_buffer_append(self, parameters: Mapping[str, Any] | bytes) -> None: ...

    def emit(self, name: str, data: Any) -> None: ...


class MediaLink:
    """At most one bridge at a time, to one media unit."""

    def __init__(self, client: LinkedClient, factory: BridgeFactory | None) -> None:
        self.client = client
        self.factory = factory
        self.bridge: MediaBridge | None = None
        self.unit: MediaUnit | None = None
        self._caller_audio: asyncio.Queue[bytes] = asyncio.Queue()
        self._feeder: asyncio.Task[None] | None = None

    async def start(self, unit: MediaUnit, parameters: Mapping[str, Any]) -> None:
        if self.unit is not None:
            await self.stop(self.unit)
        session = self.client.protocol.state.session
        settings = BridgeSettings(
            session.audio_format("input"),
            session.audio_format("output"),
            self._on_media_event,
            parameters,
        )
        bridge = (self.factory or playout_bridge)(unit, settings)
        await _maybe_await(getattr(bridge, "start", lambda: None)())
        bridge.on_caller_audio(self._caller_audio.put_nowait)
        self.bridge, self.unit = bridge, unit
        self._feeder = asyncio.create_task(self._feed_caller_audio())

    async def _feed_caller_audio(self) -> None:
        while True:
            chunk = await self._caller_audio.get()
            try:
                await self.client.input_audio_buffer_append(chunk)
            except ClientClosedError:  # the call outlived the session: nothing to say
                return
            except Exception as error:  # a dropped socket: stop feeding
                log.warning("caller audio not appended: %r", error)
                return

    def _on_media_event(self, event: MediaStarted | MediaEnded) -> None:
        name = (
            Events.WebSocketMediaStarted
            if isinstance(event, MediaStarted)
            else (Events.WebSocketMediaEnded)
        )
        self.client.emit(name, dataclasses.asdict(event))

    def play(self, intent: PlayAudio) -> None:
        if self.bridge is not None:
            self.bridge.enqueue(intent.item_id, intent.content_index, intent.audio)

    def clear(self) -> list[PlayedAudio]:
        return self.bridge.clear() if self.bridge is not None else []

    async def stop(self, unit: MediaUnit) -> None:
        if unit is not self.unit:
            return
        if self._feeder is not None:
            self._feeder.cancel()
            self._feeder = None
        bridge, self.bridge, self.unit = self.bridge, None, None
        if bridge is not None:
            await _maybe_await(getattr(bridge, "stop", lambda: None)())
            await _maybe_await(getattr(bridge, "close", lambda: None)())

    async def close(self) -> None:
        if self.unit is not None:
            await self.stop(self.unit)
