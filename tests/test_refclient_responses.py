"""The reference Responses client against the mock and scripted servers: a turn over SSE and
over the WebSocket mode, the stored context (previous_response_id; kept items with store:false),
a cut stream resumed with starting_after; and bad input: unknown arguments, a closed client, a
refused connection, HTTP error answers, the server's error events, a socket dropped mid-response,
a stream that breaks the helper's rules, a raising handler. Every failure is an event and the
call returns (bounded by BOUND_S)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.refclient.events import ResponsesAPIEvents as Responses
from realtime_conformance.refclient.listeners import ListenerError
from realtime_conformance.refclient.realtime_options import ClientClosedError
from realtime_conformance.refclient.responses import ResponsesAPIClient, create_responses_api_client
from realtime_conformance.rtproto import sse
from realtime_conformance.rtproto.server.pacing import Pacing
from tests.support.stream_server import (
    Answer,
    api_error,
    socket_server,
    stalling_server,
    stream_server,
)

T = TypeVar("T")
KEY = "sk-test-responses-0123456789"
BOUND_S = 15.0
ASK = {"model": "gpt-5", "input": "Say hello"}


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


@asynccontextmanager
async def mock() -> AsyncIterator[RunningServer]:
    settings = ServerOptions(ping_interval_s=None, http_pacing=Pacing.instant())
    async with running_server(settings) as server:
        yield server


class Heard:
    def __init__(self, client: ResponsesAPIClient) -> None:
        self.events: list[tuple[Responses, Any]] = []
        for constant in Responses:
            client.add_event_listener(constant, self._on(constant))

    def _on(self, constant: Responses) -> Callable[[Any, Any], None]:
        return lambda _client, data: self.events.append((constant, data))

    def names(self) -> list[Responses]:
        return [name for name, _ in self.events]

    def of(self, name: Responses) -> list[Any]:
        return [data for n, data in self.events if n is name]


def text_stream(response_id: str, text: str) -> list[dict[str, Any]]:
    """A minimal well-formed text response, sequence numbers from 0."""
    response: dict[str, Any] = {"id": response_id, "object": "response", "status": "in_progress"}
    response["output"] = []
    item: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
    }
    part = {"type": "output_text", "text": "", "annotations": []}
    done_part = {**part, "text": text}
    done_item = {**item, "status": "completed", "content": [done_part]}
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response},
        {"type": "response.in_progress", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}},
        {"type": "response.content_part.added", **where, "part": part},
        {"type": "response.output_text.delta", **where, "delta": text},
        {"type": "response.output_text.done", **where, "text": text},
        {"type": "response.content_part.done", **where, "part": done_part},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {
            "type": "response.completed",
            "response": {**response, "status": "completed", "output": [done_item]},
        },
    ]
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def framed(events: list[dict[str, Any]]) -> bytes:
    return b"".join(sse.encode_event(event) for event in events)


# -- turns against the simulated model ------------------------------------------------------------


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_a_turn_and_the_next_continuing_it(transport: Any, tmp_path: Path) -> None:
    trace = tmp_path / "responses.jsonl"

    async def body() -> tuple[Heard, list[Any], Any, Any]:
        async with mock() as server:
            client = await create_responses_api_client(
                api_key=KEY,
                base_url=server.http_url,
                transport=transport,
                store_context=True,
                trace=trace,
                statistics=True,
            )
            heard = Heard(client)
            first = await client.create_responses(ASK)
            second = await client.create_responses({"model": "gpt-5", "input": "And again"})
            socket_id, stats = client.web_socket_id(), client.statistics()
            await client.close()
            return heard, [first, second], socket_id, stats

    heard, (first, second), socket_id, stats = run(body())
    names = heard.names()
    assert names[0] is Responses.ResponseCreated and names.count(Responses.ResponseCompleted) == 2
    assert not heard.of(Responses.ResponsesAPIError) and not heard.of(Responses.Unknown)
    assert first["status"] == second["status"] == "completed"
    assert second["previous_response_id"] == first["id"]
    deltas = heard.of(Responses.ResponseTextDelta)
    assert deltas[-1]["snapshot"] == heard.of(Responses.ResponseTextDone)[-1]["text"]
    assert (socket_id is not None) == (transport == "websocket")
    assert stats["first_delta_latency"]["count"] == 2
    assert stats["response_created_latency"]["count"] == 2
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    events = [line["event"] for line in lines if "event" in line and line["dir"] == "server"]
    assert len(events) == len(heard.events)


def test_store_false_resends_the_kept_items() -> None:
    async def body() -> list[Any]:
        async with stream_server(
            Answer(framed(text_stream("resp_1", "Hi Ann."))),
            Answer(framed(text_stream("resp_2", "You are Ann."))),
        ) as server:
            client = await create_responses_api_client(
                api_key=KEY, base_url=server.base_url, store_context=True
            )
            await client.create_responses({"model": "m", "input": "I am Ann", "store": False})
            await client.create_responses({"model": "m", "input": "Who am I?", "store": False})
            await client.close()
            return [request.body for request in server.requests]

    _, second = run(body())
    assert "previous_response_id" not in second
    assert [item.get("role") for item in second["input"]] == ["user", "assistant", "user"]
    assert second["input"][1]["content"][0]["text"] == "Hi Ann."


def test_a_failed_response_raises_the_error_and_the_failure() -> None:
    async def body() -> tuple[Heard, Any]:
        async with mock() as server:
            client = await create_responses_api_client(api_key=KEY, base_url=server.http_url)
            heard = Heard(client)
            result = await client.create_responses({"model": "gpt-5", "input": "please fail"})
            await client.close()
            return heard, result

    heard, result = run(body())
    assert heard.names()[-2:] == [Responses.ResponseError, Responses.ResponseFailed]
    assert result is not None and result["status"] == "failed"


# -- cut streams ----------------------------------------------------------------------------------


def test_a_cut_stream_is_resumed_until_its_end() -> None:
    events = text_stream("resp_9", "Hello there")

    async def body() -> tuple[Heard, list[Any], Any]:
        async with stream_server(
            Answer(framed(events[:3]), cut=True),
            Answer(framed(events[3:5]), cut=True),
            Answer(framed(events[5:])),
        ) as server:
            client = await create_responses_api_client(api_key=KEY, base_url=server.base_url)
            heard = Heard(client)
            result = await client.create_responses(ASK)
            await client.close()
            return heard, server.requests, result

    heard, requests, result = run(body())
    assert [(r.method, r.query.get("starting_after")) for r in requests] == [
        ("POST", None),
        ("GET", "2"),
        ("GET", "4"),
    ]
    assert [
        d["sequence_number"] for n, d in heard.events if n is not Responses.ConnectorInformation
    ] == list(range(len(events)))
    assert result is not None and result["status"] == "completed"


def test_a_stream_cut_too_often_or_before_it_began_is_an_error() -> None:
    events = text_stream("resp_9", "Hello")

    async def body() -> tuple[Heard, Heard, int]:
        cuts = [Answer(framed(events[:2]), cut=True) for _ in range(3)]
        async with stream_server(*cuts) as server:
            client = await create_responses_api_client(
                api_key=KEY, base_url=server.base_url, resume_attempts=2
            )
            often = Heard(client)
            assert await client.create_responses(ASK) is None
            await client.close()
            attempts = len(server.requests)
        async with stream_server(Answer(b"", cut=True)) as server:
            client = await create_responses_api_client(api_key=KEY, base_url=server.base_url)
            early = Heard(client)
            assert await client.create_responses(ASK) is None
            await client.close()
        return often, early, attempts

    often, early, attempts = run(body())
    assert attempts == 3
    assert len(often.of(Responses.ConnectorInformation)) == 2
    assert often.names()[-1] is Responses.ResponsesAPIError
    assert early.names() == [Responses.ResponsesAPIError]


# -- bad input ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_misuse_raises_at_once() -> None:
    async def body() -> None:
        with pytest.raises(TypeError, match="unexpected keyword"):
            await create_responses_api_client(api_key=KEY, model="x")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="transport"):
            await create_responses_api_client(api_key=KEY, transport="carrier-pigeon")  # type: ignore[arg-type]
        with pytest.raises(aiohttp.ClientError):
            await create_responses_api_client(
                api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}", transport="websocket"
            )
        client = await create_responses_api_client(api_key=KEY)
        with pytest.raises(ListenerError):
            client.add_event_listener(Responses.ResponseCreated, 42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="mapping"):
            await client.create_responses("hello")  # type: ignore[arg-type]
        await client.close()
        with pytest.raises(ClientClosedError):
            await client.create_responses(ASK)

    run(body())


@pytest.mark.parametrize("status", [400, 429, 500])
def test_an_http_error_answer_is_an_error_event(status: int) -> None:
    async def body() -> Heard:
        async with stream_server(api_error(status, "nope")) as server:
            client = await create_responses_api_client(
                api_key=KEY,
                base_url=server.base_url,
                max_retries=0,  # retries: test_conformance_http
            )
            heard = Heard(client)
            assert await client.create_responses(ASK) is None
            await client.close()
            return heard

    heard = run(body())
    assert heard.names() == [Responses.ResponsesAPIError]
    assert heard.of(Responses.ResponsesAPIError)[0]["status"] == status


def test_a_refused_connection_is_an_error_event() -> None:
    async def body() -> Heard:
        base = f"http://127.0.0.1:{free_port()}"
        client = await create_responses_api_client(api_key=KEY, base_url=base)
        heard = Heard(client)
        assert await client.create_responses(ASK) is None
        await client.close()
        return heard

    heard = run(body())
    error = heard.of(Responses.ResponsesAPIError)
    assert heard.names() == [Responses.ResponsesAPIError]
    assert error[0]["error"]["type"] == "connection_error"


def test_the_socket_modes_refusal_is_the_servers_error_event() -> None:
    async def body() -> tuple[Heard, Any]:
        async with mock() as server:
            client = await create_responses_api_client(
                api_key=KEY, base_url=server.http_url, transport="websocket"
            )
            heard = Heard(client)
            request = {**ASK, "previous_response_id": "resp_unknown"}
            result = await client.create_responses(request)
            again = await client.create_responses(ASK)  # the socket still serves
            await client.close()
            return heard, (result, again)

    heard, (result, again) = run(body())
    assert result is None and again is not None
    error = heard.of(Responses.ResponseError)[0]
    assert error["error"]["code"] == "previous_response_not_found"


def test_a_socket_dropped_mid_response_is_an_error_and_the_next_call_reconnects() -> None:
    opened: list[int] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        opened.append(1)
        await ws.receive()
        events = text_stream("resp_1", "Hi")
        await ws.send_str(json.dumps(events[0]))
        if len(opened) == 1:
            await ws.close()
            return ws
        for event in events[1:]:
            await ws.send_str(json.dumps(event))
        await ws.receive()
        return ws

    async def body() -> tuple[Heard, Any, Any]:
        async with socket_server(handler) as base:
            client = await create_responses_api_client(
                api_key=KEY, base_url=base, transport="websocket"
            )
            heard = Heard(client)
            dropped = await client.create_responses(ASK)
            again = await client.create_responses(ASK)
            await client.close()
        return heard, dropped, again

    heard, dropped, again = run(body())
    assert dropped is None and again is not None and len(opened) == 2
    errors = heard.of(Responses.ResponsesAPIError)
    assert [e["error"]["type"] for e in errors] == ["connection_closed"]


def test_a_stream_that_breaks_the_helpers_rules_is_an_error() -> None:
    events = text_stream("resp_1", "Hi")
    broken = [events[0], events[4]]  # a delta for an item never added

    async def body() -> Heard:
        async with stream_server(Answer(framed(broken) + sse.encode_raw_data("not json"))) as srv:
            client = await create_responses_api_client(api_key=KEY, base_url=srv.base_url)
            heard = Heard(client)
            assert await client.create_responses(ASK) is None
            await client.close()
            return heard

    heard = run(body())
    assert heard.names() == [Responses.ResponseCreated, Responses.ResponsesAPIError]
    message = heard.of(Responses.ResponsesAPIError)[0]["error"]["message"]
    assert message.startswith("Received a content event for output index 0 before")


def test_unknown_events_and_frames_are_unknown_and_a_raising_handler_breaks_nothing() -> None:
    events = text_stream("resp_1", "Hi")
    novel = {"type": "response.novelty.added", "sequence_number": 2}
    body_bytes = framed(events[:2]) + sse.encode_event(novel) + sse.encode_raw_data("?")
    renumbered = [{**e, "sequence_number": e["sequence_number"] + 1} for e in events[2:]]
    body_bytes += framed(renumbered)

    async def body() -> tuple[Heard, Any]:
        async with stream_server(Answer(body_bytes)) as server:
            client = await create_responses_api_client(api_key=KEY, base_url=server.base_url)

            def broken(_client: Any, _data: Any) -> None:
                raise RuntimeError("handler bug")

            client.add_event_listener(Responses.ResponseTextDelta, broken)
            heard = Heard(client)
            result = await client.create_responses(ASK)
            await client.close()
            return heard, result

    heard, result = run(body())
    assert heard.of(Responses.Unknown) == [novel, {"data": "?"}]
    info = heard.of(Responses.ConnectorInformation)
    assert [(i["kind"], i["event"]) for i in info] == [
        ("handler_error", Responses.ResponseTextDelta.value)
    ]
    assert result is not None and result["status"] == "completed"


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_close_during_a_response_ends_the_call_quietly(transport: Any) -> None:
    async def body() -> tuple[Heard, Any, float]:
        slow = Pacing(first_output_s=0.0, token_s=0.2)
        settings = ServerOptions(ping_interval_s=None, http_pacing=slow)
        async with running_server(settings) as server:
            client = await create_responses_api_client(
                api_key=KEY, base_url=server.http_url, transport=transport
            )
            heard = Heard(client)
            closing: list[asyncio.Task[None]] = []
            client.add_event_listener(
                Responses.ResponseTextDelta,
                lambda c, _d: closing.append(asyncio.ensure_future(c.close())),
            )
            started = asyncio.get_running_loop().time()
            result = await client.create_responses({"model": "gpt-5", "input": "A long story"})
            elapsed = asyncio.get_running_loop().time() - started
            await asyncio.gather(*closing)
            return heard, result, elapsed

    heard, result, elapsed = run(body())
    assert result is None and not heard.of(Responses.ResponsesAPIError)
    assert elapsed < 2.0 and len(heard.of(Responses.ResponseTextDelta)) <= 3


def test_a_stalled_stream_is_resumed_then_an_error_not_a_hang() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    answer = head + framed(text_stream("resp_5", "Hi")[:2])

    async def body() -> Heard:
        async with stalling_server(answer) as base_url:
            client = await create_responses_api_client(
                api_key=KEY, base_url=base_url, idle_timeout_s=0.3, resume_attempts=1
            )
            heard = Heard(client)
            assert await client.create_responses(ASK) is None
            await client.close()
            return heard

    heard = run(body())
    assert heard.names() == [
        Responses.ResponseCreated,
        Responses.ResponseInProgress,
        Responses.ConnectorInformation,  # resumed after 1 (the resumption repeats 0 and 1)
        Responses.ResponsesAPIError,
    ]
    assert heard.of(Responses.ConnectorInformation)[0]["starting_after"] == 1
    assert heard.of(Responses.ResponsesAPIError)[0]["error"]["type"] == "stream_cut"


def test_a_stalled_socket_is_an_error_and_is_replaced() -> None:
    opened: list[int] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        opened.append(1)
        await ws.receive()
        await ws.send_str(json.dumps(text_stream("resp_1", "Hi")[0]))
        await ws.receive()  # silent until the client gives up and closes
        return ws

    async def body() -> tuple[Heard, float]:
        loop = asyncio.get_running_loop()
        async with socket_server(handler) as base:
            client = await create_responses_api_client(
                api_key=KEY, base_url=base, transport="websocket", idle_timeout_s=0.3
            )
            heard = Heard(client)
            started = loop.time()
            assert await client.create_responses(ASK) is None
            assert await client.create_responses(ASK) is None
            elapsed = loop.time() - started
            await client.close()
        return heard, elapsed

    heard, elapsed = run(body())
    errors = [d["error"]["type"] for d in heard.of(Responses.ResponsesAPIError)]
    assert errors == ["connection_error", "connection_error"] and len(opened) == 2
    assert elapsed < 3.0
