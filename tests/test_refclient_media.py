"""The reference client with a media bridge (an in-memory fake of refclient.media.base's
MediaBridge) against scenario 5.4.2: barge-in while a finished response still plays stops
playout and truncates at what the far end played, never past what was received."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from realtime_conformance.mockserver import RunningServer
from realtime_conformance.refclient.events import Events, RealtimeAPIEvents
from realtime_conformance.refclient.media.base import MediaEnded, MediaStarted, PlayedAudio
from realtime_conformance.refclient.media_link import BridgeSettings
from realtime_conformance.rtproto.audio.formats import PCM16
from tests.support.refclient import KEY, Heard, client_events, mock, run

AUDIO_SESSION = {"type": "realtime", "output_modalities": ["audio"]}
CHUNK = bytes(PCM16.bytes_for_ms(100))


class FakeUnit:
    tag = "fake-call"
    audio_format = PCM16
    custom_parameters: Mapping[str, str] = {}


class FakeBridge:
    """Plays nothing; says it played `played_ms` of each item (what a test wants heard)."""

    def __init__(self, settings: BridgeSettings, played_ms: int) -> None:
        self.settings = settings
        self.played_ms = played_ms
        self.received: dict[tuple[str, int], int] = {}
        self.caller: Callable[[bytes], None] | None = None
        self.cleared = 0
        self.started = False
        self.closed = False

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True

    def enqueue(self, item_id: str, content_index: int, audio: bytes) -> None:
        if not self.received:
            self.settings.on_media_event(MediaStarted("fake-call", "pcm16"))
        key = (item_id, content_index)
        self.received[key] = self.received.get(key, 0) + len(audio)

    def clear(self) -> list[PlayedAudio]:
        self.cleared += 1
        played = [
            PlayedAudio(item, index, min(self.played_ms, size // PCM16.bytes_per_ms))
            for (item, index), size in self.received.items()
        ]
        self.received.clear()
        self.settings.on_media_event(MediaEnded("fake-call", 0, 0))
        return played

    def played(self, item_id: str) -> PlayedAudio | None:
        return None

    @property
    def playing_item(self) -> str | None:
        return next(iter(self.received), ("", 0))[0] or None

    def on_caller_audio(self, handler: Callable[[bytes], None]) -> None:
        self.caller = handler


def barge_in(played_ms: int) -> tuple[RunningServer, FakeBridge, Heard]:
    bridges: list[FakeBridge] = []

    def factory(unit: Any, settings: BridgeSettings) -> FakeBridge:
        bridges.append(FakeBridge(settings, played_ms))
        return bridges[-1]

    async def body() -> tuple[RunningServer, FakeBridge, Heard]:
        async with mock(scenario="5.4.2") as server:
            from realtime_conformance.refclient.realtime import create_realtime_api_client

            client = await create_realtime_api_client(
                api_key=KEY, base_url=server.url, bridge_factory=factory, statistics=True
            )
            heard = Heard(client)
            await client.session_update({"session": AUDIO_SESSION})
            await client.send_media_to(FakeUnit())  # type: ignore[arg-type]
            await client.response_create()
            await heard.until(RealtimeAPIEvents.ResponseDone)
            for _ in range(6):
                assert bridges[0].caller is not None
                bridges[0].caller(CHUNK)
            await heard.until(RealtimeAPIEvents.ConversationItemTruncated)
            stats = client.statistics()
            assert stats is not None and stats["sent"]["audio_ms"] == 600  # 6 appends of 100 ms
            assert stats["received"]["audio_ms"] == pytest.approx(6000, abs=1)
            await client.close()
            await server.connections[0].finished()
            return server, bridges[0], heard

    return run(body())


@pytest.mark.parametrize("played_ms", [1200, 0])
def test_barge_in_truncates_at_the_audio_played(played_ms: int) -> None:
    server, bridge, heard = barge_in(played_ms)
    sent = client_events(server)
    truncate = next(e for e in sent if e["type"] == "conversation.item.truncate")
    assert bridge.started and bridge.cleared == 1
    assert truncate["audio_end_ms"] == played_ms
    names = heard.names()
    assert names.index(Events.WebSocketMediaStarted) < names.index(Events.WebSocketMediaEnded)
    assert [e["type"] for e in sent].count("input_audio_buffer.append") == 6
    assert "response.cancel" not in [e["type"] for e in sent]  # the response was done


def test_closing_the_client_closes_its_bridge_and_stops_the_caller_audio() -> None:
    async def body() -> None:
        async with mock() as server:
            from realtime_conformance.refclient.realtime import create_realtime_api_client

            bridge: list[FakeBridge] = []

            def factory(unit: Any, settings: BridgeSettings) -> FakeBridge:
                bridge.append(FakeBridge(settings, 0))
                return bridge[-1]

            client = await create_realtime_api_client(
                api_key=KEY, base_url=server.url, bridge_factory=factory
            )
            await client.send_media_to(FakeUnit())  # type: ignore[arg-type]
            await client.close()
            assert client.media.bridge is None and bridge[0].closed
            assert bridge[0].caller is not None
            bridge[0].caller(CHUNK)  # late caller audio: queued, never sent
            await asyncio.sleep(0.05)
            await server.connections[0].finished()
            assert client_events(server) == []

    run(body())
