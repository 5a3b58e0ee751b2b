"""Barge-in end to end with refclient.media's real bridge: the simulated model answers in audio,
the bridge plays it into an in-memory call in real time, the caller speaks over it, server VAD
says speech_started, and the client stops playout and truncates within one frame of what the
call had played when the client stopped it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from realtime_conformance.refclient.events import Events, RealtimeAPIEvents
from realtime_conformance.refclient.media.base import FRAME_MS, MediaBridge, MediaUnit, PlayedAudio
from realtime_conformance.refclient.media.memory import MemoryUnit
from realtime_conformance.refclient.media_link import BridgeSettings, playout_bridge
from realtime_conformance.refclient.realtime import create_realtime_api_client
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.audio.synth import silence, speech
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery
from tests.support.refclient import KEY, Heard, client_events, mock, run, user_text

AUDIO_SESSION = {"type": "realtime", "output_modalities": ["audio"]}
CALLER = silence(1200) + speech(1000, seed=3) + silence(800)
UNIT_CLEAR_S = 0.25  # the call hears of the clear this soon (a task hop; generous under load)


def heard_ms(unit: MemoryUnit, at: float) -> float:
    """What the call had played at `at`, by the carrier's rule (conformance.call.playout): a
    frame plays for 20 ms from max(its arrival, the previous frame's end)."""
    heard, end = 0.0, 0.0
    for arrived, _ in unit.played:
        start = max(arrived, end)
        end = start + FRAME_MS / 1000
        heard += min(FRAME_MS, max(0.0, (at - start) * 1000))
    return heard


class ClearTimes:
    """A bridge factory: refclient.media's PlayoutBridge, noting when the client clears it."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, unit: MediaUnit, settings: BridgeSettings) -> MediaBridge:
        bridge = playout_bridge(unit, settings)
        clear = bridge.clear

        def noted_clear() -> list[PlayedAudio]:
            self.times.append(time.monotonic())
            return clear()

        bridge.clear = noted_clear  # type: ignore[method-assign]
        return bridge


def test_barge_in_truncates_within_a_frame_of_what_the_call_played() -> None:
    unit = MemoryUnit(PCM16, CALLER)
    clears = ClearTimes()

    async def body() -> tuple[list[dict[str, Any]], Heard]:
        async with mock() as server:
            client = await create_realtime_api_client(
                api_key=KEY, base_url=server.url, bridge_factory=clears
            )
            heard = Heard(client)
            await client.session_update({"session": AUDIO_SESSION})
            await client.send_media_to(unit)
            await client.conversation_item_create(user_text("Tell me a long story"))
            await client.response_create()
            await heard.until(RealtimeAPIEvents.ConversationItemTruncated)
            await client.close()
            await server.connections[0].finished()
            return client_events(server), heard

    sent, heard = run(body())
    truncate = next(e for e in sent if e["type"] == "conversation.item.truncate")
    assert len(clears.times) == 1 and unit.clears, "playout was never stopped"
    played_ms = heard_ms(unit, clears.times[0])
    assert abs(truncate["audio_end_ms"] - played_ms) <= FRAME_MS
    # The caller speaks 1.2 s into the call; playout started when the first audio arrived.
    assert 500 <= played_ms <= 2000
    assert 0 <= unit.clears[0] - clears.times[0] <= UNIT_CLEAR_S
    assert "response.cancel" not in [e["type"] for e in sent]  # the server cancels (VAD)
    names = heard.names()
    assert names.index(RealtimeAPIEvents.InputAudioBufferSpeechStarted) < names.index(
        RealtimeAPIEvents.ConversationItemTruncated
    )
    assert Events.WebSocketMediaStarted in names


@pytest.mark.parametrize("server_interrupts", [True, False])
def test_the_client_cancels_a_response_still_generating_only_when_the_server_will_not(
    server_interrupts: bool,
) -> None:
    detection = {"type": "server_vad", "interrupt_response": server_interrupts}
    session = {**AUDIO_SESSION, "audio": {"input": {"turn_detection": detection}}}
    unit = MemoryUnit(PCM16, CALLER)

    async def body() -> tuple[list[dict[str, Any]], Heard]:
        async with mock(delivery=AudioDelivery.realtime()) as server:
            client = await create_realtime_api_client(api_key=KEY, base_url=server.url)
            heard = Heard(client, RealtimeAPIEvents.ResponseDone)
            await client.session_update({"session": session})
            await client.send_media_to(unit)
            await client.conversation_item_create(user_text("Tell me a long story"))
            await client.response_create()
            await heard.until(RealtimeAPIEvents.ResponseDone)
            await client.close()
            return client_events(server), heard

    sent, heard = run(body())
    done = heard.events[0][1]["response"]
    reason = done["status_details"]["reason"]
    assert done["status"] == "cancelled"
    assert reason == ("turn_detected" if server_interrupts else "client_cancelled")
    cancels = [e for e in sent if e["type"] == "response.cancel"]
    assert len(cancels) == (0 if server_interrupts else 1)
    assert [e["type"] for e in sent].count("conversation.item.truncate") == 1
