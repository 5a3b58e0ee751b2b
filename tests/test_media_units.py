"""The bridge with its WebSocket units against the virtual call over loopback, both formats and
both roles: what the call recorded is what the bridge reports.

Tolerances are stated for a busy 2-core machine; the strict figures are measured by
bench/bench_media_bridge.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from realtime_conformance.conformance.call.virtual_call import CallFormat, VirtualCall
from realtime_conformance.refclient.media.base import FRAME_MS, MediaEnded, MediaStarted
from realtime_conformance.refclient.media.bridge import PlayoutBridge, start_bridge
from realtime_conformance.refclient.media.sockets import Pcm16SocketUnit, SocketUnit, TwilioUnit
from realtime_conformance.rtproto.audio.codecs import from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import G711_ULAW, PCM16
from realtime_conformance.rtproto.audio.synth import speech

TEST_TIMEOUT_S = 15.0
CALLER_MS = 200


def run(body: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(body, TEST_TIMEOUT_S))


def caller_audio(fmt: CallFormat) -> bytes:
    pcm = speech(CALLER_MS, seed=3)
    return pcm if fmt == "pcm16" else from_pcm16_24k(pcm, G711_ULAW)


def unit_for(fmt: CallFormat, url: str | None) -> SocketUnit:
    return TwilioUnit(url) if fmt == "twilio" else Pcm16SocketUnit(url)


def is_media(record: dict[str, Any]) -> bool:
    """Audio on the call wire: a Twilio `media` event or a raw PCM16 binary frame."""
    binary = record.get("frame", {}).get("opcode") == "BINARY"
    return binary or (record.get("event") or {}).get("event") == "media"


def client_events(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    found = []
    for record in records:
        if record["dir"] != "client":
            continue
        if (record.get("event") or {}).get("event") == kind or (
            kind == "media" and is_media(record)
        ):
            found.append(record)
    return found


async def connect(call: VirtualCall, fmt: CallFormat, dial: bool, **kwargs: Any) -> PlayoutBridge:
    """The bridge on a unit: it dials the call, or the call dials it (as Twilio does)."""
    if not dial:
        return await start_bridge(unit_for(fmt, call.url), **kwargs)
    unit = unit_for(fmt, None)
    url = await unit.listen()
    bridge, _ = await asyncio.gather(start_bridge(unit, **kwargs), call.dial(url))
    return bridge


async def barge_in(fmt: CallFormat, dial: bool) -> None:
    started: list[tuple[float, MediaStarted]] = []
    ended: list[tuple[float, MediaEnded]] = []
    heard_by_client: list[bytes] = []
    async with VirtualCall(format=fmt, caller=caller_audio(fmt), custom_parameters={"k": "v"},
                           trailing_silence=False) as call:  # fmt: skip
        bridge = await connect(call, fmt, dial,
                               on_started=lambda e: started.append((time.monotonic(), e)),
                               on_ended=lambda e: ended.append((time.monotonic(), e)))  # fmt: skip
        bridge.on_caller_audio(heard_by_client.append)
        bridge.enqueue("item_a", 0, speech(100, seed=1))
        bridge.enqueue("item_b", 0, speech(2000, seed=2))
        await _until(lambda: played_ms(bridge, "item_b") >= 100)  # barge-in during item_b
        cleared_at = time.monotonic()
        stopped = {played.item_id: played.played_ms for played in bridge.clear()}
        bridge.enqueue("item_b", 0, speech(100, seed=2))  # late audio of the cleared item
        await asyncio.wait_for(_until(lambda: bool(ended)), 3.0)
        await call.caller_done(timeout=2.0)
        await call.hang_up()
        await bridge.stop()
        await bridge.unit.close()
    records = call.records()
    origin = call.recorder.clock_origin

    # clear: nothing sent after it; the caller heard what the bridge says was played, to within
    # one frame plus the time the clear took to reach the call
    (clear,) = client_events(records, "clear")
    media = client_events(records, "media")
    assert all(r["t_ms"] <= clear["t_ms"] for r in client_events(records, "media"))
    assert "item_a" not in stopped and 0 < stopped["item_b"] < 2000
    # the call's clock runs behind the bridge's by how late the call read each message; the
    # bridge may count up to a frame less while a mark is overdue (ledger.MARK_SLACK_S)
    delay_ms = clear["t_ms"] - (cleared_at - origin) * 1000
    sent_ms = [(sent - origin) * 1000 for _, sent in bridge.timing]
    read_late_ms = max(r["t_ms"] - s for r, s in zip(media, sent_ms, strict=True))
    heard_ms = call.playout().heard_ms()
    assert (
        -FRAME_MS - 1 - read_late_ms
        <= heard_ms - (100 + stopped["item_b"])
        <= delay_ms + FRAME_MS + 1
    )

    # WebSocketMediaStarted/Ended: tag and parameters from `start`, frames as sent
    (start_event,) = [e for _, e in started]
    assert start_event.custom_parameters == {"k": "v"}
    assert start_event.encoding == bridge.unit.audio_format.ga_type
    assert ended[0][1].frames == len(media)
    # a second after the last frame's end, counted from when the bridge sent it (the call's
    # t_ms is when it read the frame, up to read_late_ms later under load)
    assert 1000 <= (ended[0][0] - origin) * 1000 - (sent_ms[-1] + FRAME_MS) < 2000

    # marks went out and the call echoed them (when heard, or at the clear)
    assert client_events(records, "mark")
    assert call.playout().marks and all(m.echoed_ms >= m.sent_ms for m in call.playout().marks)

    # the caller's audio reached the session in real-time chunks in the session's format
    caller_frames = [r for r in records if r["dir"] == "server" and is_media(r)]
    assert len(heard_by_client) == len(caller_frames) == CALLER_MS // FRAME_MS
    assert {len(chunk) for chunk in heard_by_client} == {PCM16.bytes_for_ms(FRAME_MS)}


def played_ms(bridge: PlayoutBridge, item_id: str) -> int:
    played = bridge.played(item_id)
    return 0 if played is None else played.played_ms


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("dial", [False, True], ids=["bridge-dials", "call-dials"])
@pytest.mark.parametrize("fmt", ["twilio", "pcm16"])
def test_barge_in_over_loopback(fmt: CallFormat, dial: bool) -> None:
    run(barge_in(fmt, dial))


def test_a_dead_socket_ends_the_bridge_quietly() -> None:
    async def body() -> None:
        async with VirtualCall(format="twilio", trailing_silence=True) as call:
            unit = TwilioUnit(call.url)
            bridge = await start_bridge(unit)
            await call.hang_up()
            bridge.enqueue("item", 0, speech(100))  # playout meets the dead socket
            await asyncio.wait_for(_until(lambda: not bridge.running), 2.0)
            await unit.close()
            await unit.close()  # closing twice is fine

    run(body())
