"""Barge-in end to end with refclient.media's real bridge: the simulated model answers in audio,
the bridge plays it into an in-memory call in real time, the caller speaks over it, server VAD
says speech_started, and the client stops playout and truncates within one frame of what the
call actually played."""

from __future__ import annotations

from refclient.events import Events, RealtimeAPIEvents
from refclient.media.base import FRAME_MS
from refclient.media.memory import MemoryUnit
from refclient.realtime import create_realtime_api_client
from rtproto.audio.formats import PCM16
from rtproto.audio.synth import silence, speech
from tests.test_refclient_realtime import KEY, Heard, client_events, mock, run, user_text

AUDIO_SESSION = {"type": "realtime", "output_modalities": ["audio"]}
CALLER = silence(1200) + speech(1000, seed=3) + silence(800)


def test_barge_in_truncates_within_a_frame_of_what_the_call_played() -> None:
    unit = MemoryUnit(PCM16, CALLER)

    async def body() -> tuple[list[dict[str, object]], Heard]:
        async with mock() as server:
            client = await create_realtime_api_client(api_key=KEY, base_url=server.url)
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
    assert unit.clears, "the call was never told to drop its queued audio"
    frames_before_clear = sum(1 for at, _ in unit.played if at <= unit.clears[0])
    played_ms = frames_before_clear * FRAME_MS
    assert abs(int(str(truncate["audio_end_ms"])) - played_ms) <= FRAME_MS
    assert 1000 <= played_ms <= 2000  # the caller started speaking 1.2 s into the call
    assert "response.cancel" not in [e["type"] for e in sent]  # the server cancels (VAD)
    names = heard.names()
    assert names.index(RealtimeAPIEvents.InputAudioBufferSpeechStarted) < names.index(
        RealtimeAPIEvents.ConversationItemTruncated
    )
    assert Events.WebSocketMediaStarted in names
