"""The virtual call against a hand-written bridge on loopback: both formats, both roles."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web

from realtime_conformance.conformance.call.playout import playout_of_records
from realtime_conformance.conformance.call.virtual_call import VirtualCall
from realtime_conformance.rtproto.telephony import pcm16, twilio

FRAME = twilio.FRAME_BYTES
SCRIPT_FRAMES = 10  # 200 ms of caller audio
TEST_TIMEOUT_S = 10.0
STALL_MS = 1000.0  # what a busy machine may add to a timer (catches gross bugs only)
TYPICAL_LATE_MS = 15.0  # the median frame: a few stalls of a busy machine do not move it


def run(body: Coroutine[Any, Any, None]) -> None:
    """Run one async test body with a bound, so a broken call fails instead of hanging."""
    asyncio.run(asyncio.wait_for(body, TEST_TIMEOUT_S))


async def next_json(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await asyncio.wait_for(socket.receive(), 2.0)
    value: dict[str, Any] = json.loads(message.data)
    return value


def test_twilio_call_opens_speaks_in_real_time_and_echoes_marks() -> None:
    run(_twilio_call_opens_speaks_in_real_time_and_echoes_marks())


async def _twilio_call_opens_speaks_in_real_time_and_echoes_marks() -> None:
    caller = bytes(range(256))[:FRAME] * SCRIPT_FRAMES
    origin = time.monotonic()
    params = {"case": "7.1"}
    call = VirtualCall(caller=caller, clock_origin=origin, custom_parameters=params,
                       trailing_silence=False)  # fmt: skip
    async with call, aiohttp.ClientSession() as http, http.ws_connect(call.url) as socket:
        assert (await next_json(socket))["event"] == "connected"
        start = twilio.parse_call_message(json.dumps(await next_json(socket)))
        assert isinstance(start, twilio.Start)
        assert start.custom_parameters == {"case": "7.1"}
        sid = start.stream_sid
        for _ in range(3):  # 60 ms of audio at once, then a mark
            await socket.send_str(twilio.dumps(twilio.bridge_media(sid, bytes(FRAME))))
        await socket.send_str(twilio.dumps(twilio.bridge_mark(sid, "said")))
        heard: list[twilio.CallMessage] = []
        while not any(isinstance(m, twilio.Mark) for m in heard):
            heard.append(twilio.parse_call_message((await socket.receive()).data))
        await call.caller_done(timeout=2.0)
        await call.hang_up()
    records = call.records()
    assert all(line["wire"] == "call" for line in records)
    caller_media = [
        r for r in records if r["dir"] == "server" and r.get("event", {}).get("event") == "media"
    ]
    assert len(caller_media) == SCRIPT_FRAMES
    # real time on absolute deadlines: frame k leaves once its last sample is spoken, at
    # origin + (k + 1) * 20 ms, never before, and typically on time (bounds that hold on
    # a busy machine: the strict figures are bench/bench_media_bridge.py's)
    (speaking,) = [r["meta"] for r in records if r.get("meta", {}).get("kind") == "caller_audio"]
    lateness = [
        r["t_ms"] - (speaking["origin_ms"] + (k + 1) * 20) for k, r in enumerate(caller_media)
    ]
    assert min(lateness) >= -0.2
    assert statistics.median(lateness) < TYPICAL_LATE_MS
    assert [int(r["event"]["media"]["timestamp"]) for r in caller_media] == [
        20 * k for k in range(SCRIPT_FRAMES)
    ]
    (mark,) = call.playout().marks
    echo = next(
        r for r in records if r["dir"] == "server" and r.get("event", {}).get("event") == "mark"
    )
    frames = call.playout().frames
    assert mark.echoed_ms == frames[2].end_ms >= frames[0].arrival_ms + 60  # after the 60 ms
    assert echo["t_ms"] >= mark.echoed_ms  # echoed when heard, not before
    assert echo["t_ms"] - mark.echoed_ms < STALL_MS  # and then at once (on a busy machine)
    assert records[-1]["meta"]["kind"] == "call_closed"


def test_clear_echoes_pending_marks_and_bad_messages_are_recorded() -> None:
    run(_clear_echoes_pending_marks_and_bad_messages_are_recorded())


async def _clear_echoes_pending_marks_and_bad_messages_are_recorded() -> None:
    call = VirtualCall(format="twilio", trailing_silence=False)
    async with call, aiohttp.ClientSession() as http, http.ws_connect(call.url) as socket:
        await next_json(socket)
        sid = (await next_json(socket))["streamSid"]
        for _ in range(50):  # one second queued
            await socket.send_str(twilio.dumps(twilio.bridge_media(sid, bytes(FRAME))))
        await socket.send_str(twilio.dumps(twilio.bridge_mark(sid, "end")))
        await socket.send_str('{"event": "media", "streamSid": "wrong", "media": {}}')
        await socket.send_str(twilio.dumps(twilio.bridge_clear(sid)))
        echo = twilio.parse_call_message((await socket.receive()).data)
        assert isinstance(echo, twilio.Mark) and echo.name == "end"
        await call.hang_up()
    playout = call.playout()
    assert playout.marks[0].by_clear
    assert playout.heard_ms() < 200  # the clear cut the second of audio short
    assert len(call.heard_audio()) == twilio.AUDIO_FORMAT.bytes_for_ms(playout.heard_ms())
    errors = [
        r["meta"]["error"] for r in call.records() if r.get("meta", {}).get("kind") == "call_error"
    ]
    assert len(errors) == 1 and "payload" in errors[0]


def test_pcm16_call_dials_the_clients_url() -> None:
    run(_pcm16_call_dials_the_clients_url())


async def _pcm16_call_dials_the_clients_url() -> None:
    received: list[bytes] = []
    opened = asyncio.Event()

    async def bridge(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        start = pcm16.parse_control((await socket.receive()).data, pcm16.CALL_EVENTS)
        assert start.event == "start"
        opened.set()
        await socket.send_bytes(bytes(pcm16.FRAME_BYTES))
        await socket.send_str(json.dumps(pcm16.mark("m")))
        async for message in socket:
            if message.type == aiohttp.WSMsgType.BINARY:
                received.append(message.data)
            elif pcm16.parse_control(message.data, pcm16.CALL_EVENTS).event == "mark":
                await socket.close()
        return socket

    app = web.Application()
    app.router.add_get("/media", bridge)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        caller = bytes(pcm16.FRAME_BYTES * 3)
        async with VirtualCall(format="pcm16", caller=caller, trailing_silence=False) as call:
            await call.dial(f"ws://127.0.0.1:{port}/media")
            await call.closed(timeout=3.0)
    finally:
        await runner.cleanup()
    assert opened.is_set()
    records = call.records()
    assert records[0]["meta"]["role"] == "dialled"
    assert [f.duration_ms for f in playout_of_records(records).frames] == [20.0]
    assert playout_of_records(records).marks[0].echoed_ms >= records[1]["t_ms"]
