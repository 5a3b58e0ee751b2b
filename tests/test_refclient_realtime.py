"""The reference Realtime client against the mock: text turns in both dialects, a function
call answered once, one response at a time, unknown and malformed server frames, validation
before sending, a closed client, a handler that raises, traces and statistics."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conformance.cli import main as conformance_main
from mockserver import RunningServer, ServerOptions, running_server
from mockserver.options import SimulatedModel
from refclient.events import Events, RealtimeAPIEvents
from refclient.listeners import ListenerError
from refclient.outgoing import ClientEventError
from refclient.realtime import (
    ClientClosedError,
    RealtimeAPIClient,
    ReconnectPolicy,
    create_realtime_api_client,
)
from rtproto.handshake import Dialect
from rtproto.server.realtime.timing import AudioDelivery, Timing

T = TypeVar("T")
KEY = "sk-test-0123456789abcdefWXYZ"
BOUND_S = 10.0
TEXT_SESSION = {"type": "realtime", "output_modalities": ["text"]}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


@asynccontextmanager
async def mock(
    timing: Timing | None = None, delivery: AudioDelivery | None = None, **options: Any
) -> AsyncIterator[RunningServer]:
    model = SimulatedModel(
        timing=timing or Timing.instant(), audio_delivery=delivery or AudioDelivery.burst()
    )
    settings = ServerOptions(
        ping_interval_s=None, validate_events=True, behaviour_factory=model, **options
    )
    async with running_server(settings) as server:
        yield server


class Heard:
    """Every event the client raised to its listeners, in order."""

    def __init__(self, client: RealtimeAPIClient, *names: Any) -> None:
        self.events: list[tuple[str, Any]] = []
        for name in names or [*RealtimeAPIEvents, *Events]:
            client.add_event_listener(name, self._on(str(name)))

    def _on(self, name: str) -> Callable[[Any, Any], None]:
        return lambda _client, data: self.events.append((name, data))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def count(self, name: Any) -> int:
        return self.names().count(str(name))

    async def until(self, name: Any, times: int = 1) -> None:
        while self.count(name) < times:
            await asyncio.sleep(0.005)


async def connect(
    server: RunningServer, dialect: Dialect = "ga", url: str = "", **kw: Any
) -> RealtimeAPIClient:
    return await create_realtime_api_client(
        api_key=KEY, model="gpt-realtime", base_url=url or server.url, dialect=dialect, **kw
    )


def client_events(server: RunningServer, index: int = 0) -> list[dict[str, Any]]:
    records = server.connections[index].recording.records()
    return [r["event"] for r in records if r.get("dir") == "client" and "event" in r]


def server_types(server: RunningServer, index: int = 0) -> list[str]:
    records = server.connections[index].recording.records()
    return [r["event"]["type"] for r in records if r.get("dir") == "server" and "event" in r]


def user_text(text: str) -> dict[str, Any]:
    return {
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
    }


async def text_turn(client: RealtimeAPIClient, heard: Heard, text: str = "Hello") -> None:
    await client.session_update({"session": TEXT_SESSION})
    await client.conversation_item_create(user_text(text))
    await client.response_create()
    await heard.until(RealtimeAPIEvents.ResponseDone)


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_text_turn_raises_the_same_constants_in_both_dialects(dialect: Dialect) -> None:
    async def body() -> tuple[list[str], RunningServer]:
        async with mock() as server:
            client = await connect(server, dialect)
            heard = Heard(client)
            await text_turn(client, heard)
            await client.close()
            await server.connections[0].finished()
            assert not server.invalid_events
            return heard.names(), server

    names, server = run(body())
    assert names.count(RealtimeAPIEvents.ResponseOutputTextDelta) >= 1
    assert RealtimeAPIEvents.ConversationItemAdded in names
    assert RealtimeAPIEvents.Unknown not in names
    sent = [event["type"] for event in client_events(server)]
    assert sent == ["session.update", "conversation.item.create", "response.create"]


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_function_call_is_answered_once_then_one_response_create(dialect: Dialect) -> None:
    async def body() -> RunningServer:
        async with mock() as server:
            client = await connect(server, dialect, tool_outputs={"get_weather": '{"temp_c":18}'})
            heard = Heard(client, RealtimeAPIEvents.ResponseDone)
            await client.session_update({"session": {**TEXT_SESSION, "tools": [WEATHER_TOOL]}})
            await client.conversation_item_create(user_text("Use get_weather for Paris"))
            await client.response_create()
            await heard.until(RealtimeAPIEvents.ResponseDone, 2)
            await client.close()
            return server

    sent = client_events(run(body()))
    assert [e["type"] for e in sent] == [
        "session.update",
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "response.create",
    ]
    output = sent[3]["item"]
    assert output["type"] == "function_call_output" and output["output"] == '{"temp_c":18}'


def test_a_second_response_create_waits_for_response_done() -> None:
    async def body() -> RunningServer:
        async with mock(Timing.realistic()) as server:
            client = await connect(server)
            heard = Heard(client, RealtimeAPIEvents.ResponseDone, RealtimeAPIEvents.Error)
            await client.session_update({"session": TEXT_SESSION})
            await client.conversation_item_create(user_text("Hello"))
            await client.response_create()
            await client.response_create()  # queued: the first is active
            assert len(client.protocol.state.queued_creates) == 1
            await heard.until(RealtimeAPIEvents.ResponseDone, 2)
            assert heard.count(RealtimeAPIEvents.Error) == 0
            await client.close()
            return server

    server = run(body())
    records = server.connections[0].recording.records()
    order = [r["event"]["type"] for r in records if "event" in r]
    second_create = [i for i, t in enumerate(order) if t == "response.create"][1]
    assert order.index("response.done") < second_create


def test_an_invalid_call_raises_naming_the_field_and_sends_nothing() -> None:
    async def body() -> RunningServer:
        async with mock() as server:
            client = await connect(server)
            with pytest.raises(ClientEventError, match=r"\$\.session\.bogus"):
                await client.session_update({"session": {"type": "realtime", "bogus": 1}})
            with pytest.raises(ClientEventError, match="audio_end_ms"):
                await client.conversation_item_truncate(
                    {"item_id": "item_1", "content_index": 0, "audio_end_ms": -1}
                )
            with pytest.raises(ValueError, match=r"response\.cancel"):
                await client.response_create({"type": "response.cancel"})
            await client.close()
            return server

    assert client_events(run(body())) == []


def test_a_closed_client_refuses_calls_and_closes_twice_quietly() -> None:
    async def body() -> None:
        async with mock() as server:
            closes: list[dict[str, Any]] = []
            client = await connect(server, on_web_socket_close=closes.append)
            await client.close()
            await client.close()
            with pytest.raises(ClientClosedError, match="closed"):
                await client.response_create()
            assert [c["by"] for c in closes] == ["client"] and closes[0]["code"] == 1000

    run(body())


def test_a_handler_that_raises_is_reported_and_the_turn_goes_on() -> None:
    def broken(_client: Any, _data: Any) -> None:
        raise RuntimeError("handler bug")

    async def body() -> Heard:
        async with mock() as server:
            client = await connect(server)
            client.add_event_listener(RealtimeAPIEvents.ResponseCreated, broken)
            heard = Heard(client)
            with pytest.raises(ListenerError, match="callable"):
                client.add_event_listener(RealtimeAPIEvents.ResponseDone, "not a function")  # type: ignore[arg-type]
            await text_turn(client, heard)
            await client.close()
            return heard

    heard = run(body())
    reports = [d for n, d in heard.events if n == RealtimeAPIEvents.ConnectorInformation]
    assert reports[0]["kind"] == "handler_error" and "handler bug" in reports[0]["error"]
    assert reports[0]["event"] == "response.created"


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_malformed_server_frame_is_reported_and_the_turn_completes(dialect: Dialect) -> None:
    async def body() -> Heard:
        async with mock() as server:
            client = await connect(server, dialect, url=f"{server.url}/realtime?scenario=8.2.2")
            heard = Heard(client)
            await text_turn(client, heard)
            await client.close()
            return heard

    heard = run(body())
    errors = [d for n, d in heard.events if n == RealtimeAPIEvents.WebSocketError]
    assert [e["kind"] for e in errors] == ["malformed_frame"]
    assert heard.names().index(RealtimeAPIEvents.WebSocketError) < heard.names().index(
        RealtimeAPIEvents.ResponseDone
    )


UNKNOWN_SCENARIO = """\
id: 99.1.1
title: Unknown server event
requirement: The client MUST ignore a server event type it does not know.
dialects: [ga, beta]
on_start: [session.created]
expect:
  - when: {type: session.update}
    reply: [session.updated]
  - when: {type: conversation.item.create, item.role: user}
    reply: [item_added_done]
  - when: {type: response.create}
    reply:
      - raw: '{"type":"response.future_feature.delta","event_id":"event_x","delta":"?"}'
      - text_response: {text: "Still here."}
"""


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_an_unknown_server_event_is_raised_as_unknown_and_ignored(
    dialect: Dialect, tmp_path: Path
) -> None:
    (tmp_path / "99.1.1-unknown.yaml").write_text(UNKNOWN_SCENARIO)

    async def body() -> Heard:
        async with mock(scenarios_dir=tmp_path, scenario="99.1.1") as server:
            client = await connect(server, dialect)
            heard = Heard(client)
            await text_turn(client, heard)
            await client.close()
            return heard

    heard = run(body())
    unknown = [d for n, d in heard.events if n == RealtimeAPIEvents.Unknown]
    assert [u["type"] for u in unknown] == ["response.future_feature.delta"]
    assert heard.count(RealtimeAPIEvents.ResponseOutputTextDelta) >= 1


@pytest.mark.parametrize("privacy", [False, True])
def test_the_trace_is_a_transcript_that_validates(privacy: bool, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"

    async def body() -> dict[str, Any] | None:
        async with mock() as server:
            client = await connect(server, "beta", trace=trace, privacy=privacy, statistics=True)
            heard = Heard(client)
            await text_turn(client, heard, "My secret is parsley")
            await client.close()
            return client.statistics()

    stats = run(body())
    out, err = io.StringIO(), io.StringIO()
    assert conformance_main(["validate", str(trace)], out, err) == 0, out.getvalue()
    text = trace.read_text()
    assert ("parsley" in text) is not privacy and KEY not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["meta"]["kind"] == "handshake" and lines[-1]["meta"]["kind"] == "close"
    assert stats is not None and stats["sent"]["frames"] == 3
    assert stats["received"]["frames"] == sum(1 for r in lines if r["dir"] == "server")
    assert stats["response_created_latency"]["count"] == 1


def test_session_expired_ends_the_session_without_reconnecting() -> None:
    async def body() -> tuple[list[dict[str, Any]], Heard, RealtimeAPIClient]:
        async with mock() as server:
            closes: list[dict[str, Any]] = []
            url = f"{server.url}/realtime?scenario=8.5.1"
            client = await connect(server, url=url, on_web_socket_close=closes.append)
            heard = Heard(client)
            await text_turn(client, heard)
            await asyncio.wait_for(client.ended.wait(), 5)
            return closes, heard, client

    closes, heard, client = run(body())
    assert closes == [
        {"code": 1001, "reason": closes[0]["reason"], "expired": True, "by": "server"}
    ]
    errors = [d for n, d in heard.events if n == RealtimeAPIEvents.Error]
    assert errors[0]["error"]["code"] == "session_expired"
    assert client.closed


def test_a_drop_is_reconnected_with_the_last_session_update() -> None:
    policy = ReconnectPolicy(max_attempts=2, initial_delay_s=0.01)

    async def body() -> tuple[RunningServer, list[dict[str, Any]], Heard, list[str | None]]:
        async with mock() as server:
            closes: list[dict[str, Any]] = []
            url = f"{server.url}/realtime?scenario=8.1.1"
            client = await connect(
                server, url=url, reconnect=policy, on_web_socket_close=closes.append
            )
            heard = Heard(client, RealtimeAPIEvents.ConnectorInformation)
            socket_ids = [client.web_socket_id()]
            await client.session_update({"session": TEXT_SESSION})
            await client.conversation_item_create(user_text("Hello"))
            await client.response_create()
            await heard.until(RealtimeAPIEvents.ConnectorInformation)
            socket_ids.append(client.web_socket_id())
            assert not client.protocol.response_active  # the old session's response is gone
            await client.response_create()  # a new request is sent, not queued
            await client.close()
            for connection in server.connections:
                await connection.finished()
            return server, closes, heard, socket_ids

    server, closes, heard, socket_ids = run(body())
    assert closes[0]["code"] == 1011 and closes[0]["by"] == "server"
    assert heard.events[0][1]["kind"] == "reconnected" and heard.events[0][1]["attempt"] == 1
    assert len(server.connections) == 2 and socket_ids[0] != socket_ids[1]
    assert [e["type"] for e in client_events(server, 1)] == ["session.update", "response.create"]


def test_a_server_that_never_answers_the_upgrade_times_out() -> None:
    async def body() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)  # takes the upgrade request, never answers it

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(TimeoutError):
                await create_realtime_api_client(
                    api_key=KEY, base_url=f"http://127.0.0.1:{port}", connect_timeout_s=0.2
                )

    run(body())


def test_a_refused_key_is_an_error_event_then_the_close() -> None:
    async def body() -> tuple[list[dict[str, Any]], Heard]:
        async with mock(api_keys={"sk-the-only-good-key"}) as server:
            closes: list[dict[str, Any]] = []
            client = await connect(server, on_web_socket_close=closes.append)
            heard = Heard(client, RealtimeAPIEvents.Error)
            await asyncio.wait_for(client.ended.wait(), 5)
            with pytest.raises(ClientClosedError):
                await client.response_create()
            return closes, heard

    closes, heard = run(body())
    assert heard.events[0][1]["error"]["code"] == "invalid_api_key"
    assert closes[0]["code"] == 3000 and closes[0]["by"] == "server"
