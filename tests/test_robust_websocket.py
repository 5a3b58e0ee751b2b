"""Abusive WebSocket input: an `error` event and the session goes on, or a documented close code;
never 1011, never a dropped connection. Regression cases from issue 12's battery."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.mock_behaviours import auth_headers, run

DEEP = "[" * 100_000 + "]" * 100_000
USER_TEXT = '{"type": "conversation.item.create", "item": {"type": "message", "role": "user", '
# Each breaks the decoder's limits (or once crashed the echo of the value).
REALTIME_FRAMES = {
    "deep nesting": DEEP,
    "deep nesting inside a valid event": '{"type": "session.update", "session": ' + DEEP + "}",
    "5,000-digit integer": '{"type": "response.create", "event_id": ' + "7" * 5000 + "}",
    "lone surrogate as type": '{"type": "\\ud800"}',
    "lone surrogate in instructions": (
        '{"type": "session.update", "session": {"type": "realtime", "instructions": "\\ud800"}}'
    ),
    "lone surrogate in a user text": USER_TEXT
    + '"content": [{"type": "input_text", "text": "a\\udfffb"}]}}',
}
RESPONSES_FRAMES = {
    "deep nesting": DEEP,
    "5,000-digit integer": '{"type": "response.create", "max_output_tokens": ' + "7" * 5000 + "}",
    "lone surrogate as type": '{"type": "\\ud800"}',
    "lone surrogate in the input": (
        '{"type": "response.create", "model": "gpt-5", "input": "\\ud800"}'
    ),
}


def instant_options(**overrides: Any) -> ServerOptions:
    model = SimulatedModel(timing=Timing.instant())
    return replace(ServerOptions(ping_interval_s=None, behaviour_factory=model), **overrides)


async def receive_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive()
    assert message.type is aiohttp.WSMsgType.TEXT, (message, ws.close_code)
    event: dict[str, Any] = json.loads(message.data)
    return event


async def text_turn_completes(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str(USER_TEXT + '"content": [{"type": "input_text", "text": "hi"}]}}')
    await ws.send_json({"type": "response.create"})
    while (event := await receive_event(ws))["type"] != "response.done":
        assert event["type"] != "error", event
    assert event["response"]["status"] == "completed"


def realtime_url(server: RunningServer) -> str:
    return f"{server.url}/realtime?model=gpt-realtime"


@pytest.mark.parametrize("kind", sorted(REALTIME_FRAMES))
def test_realtime_answers_with_invalid_json_and_keeps_the_session(kind: str) -> None:
    async def body() -> list[str]:
        async with (
            running_server(instant_options()) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(realtime_url(server), headers=auth_headers()) as ws,
        ):
            assert (await receive_event(ws))["type"] == "session.created"
            await ws.send_str(REALTIME_FRAMES[kind])
            error = await receive_event(ws)
            assert error["type"] == "error" and error["error"]["code"] == "invalid_json", error
            await text_turn_completes(ws)
            await ws.close()
            return (await server.connections[0].finished()).recording.lines

    lines = run(body())
    assert all(line.isascii() for line in lines)
    assert '"internal_error"' not in "".join(lines)


@pytest.mark.parametrize("kind", sorted(RESPONSES_FRAMES))
def test_responses_websocket_mode_answers_with_an_error_and_keeps_the_connection(kind: str) -> None:
    async def body() -> None:
        async with (
            running_server(instant_options()) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{server.http_url}/v1/responses", headers=auth_headers()) as ws,
        ):
            await ws.send_str(RESPONSES_FRAMES[kind])
            error = await receive_event(ws)
            assert error["type"] == "error" and error["status"] == 400, error
            await ws.send_json({"type": "response.create", "model": "gpt-5", "input": "hi"})
            while (event := await receive_event(ws))["type"] != "response.completed":
                assert event["type"] != "error", event

    run(body())


def test_a_frame_over_the_size_limit_is_closed_with_1009() -> None:
    async def body() -> int | None:
        async with (
            running_server(instant_options(max_message_bytes=1024)) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(realtime_url(server), headers=auth_headers()) as ws,
        ):
            await receive_event(ws)
            await ws.send_str(
                json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 4096})
            )
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.CLOSE
            return ws.close_code

    assert run(body()) == 1009


EMPTY_CLOSE_FRAME = bytes([0x88, 0x80, 1, 2, 3, 4])  # FIN + CLOSE, masked, no payload


async def upgrade_then_close_without_a_code(server: RunningServer) -> None:
    """A raw client: the upgrade, then a close frame with no status code (RFC 6455 allows it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer sk-x\r\n\r\n"
    )
    await reader.readuntil(b"\r\n\r\n")
    writer.write(EMPTY_CLOSE_FRAME)
    await writer.drain()
    await reader.read(-1)  # session.created, then the server's close, then EOF
    writer.close()


def test_a_close_frame_without_a_status_code_is_recorded_as_1005() -> None:
    async def body() -> list[dict[str, Any]]:
        async with running_server(instant_options()) as server:
            await upgrade_then_close_without_a_code(server)
            record = await server.connections[0].finished()
            return record.recording.records()

    closes = [r["meta"] for r in run(body()) if r.get("meta", {}).get("kind") == "close"]
    assert closes[0]["from"] == "client" and closes[0]["code"] == 1005, closes
