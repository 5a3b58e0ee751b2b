"""The reference Realtime client's session life against the mock: closing, a handler that
raises, the trace and statistics, session expiry, a reconnected drop, a silent server and a
refused key."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.conformance.cli import main as conformance_main
from realtime_conformance.mockserver import RunningServer
from realtime_conformance.refclient.events import RealtimeAPIEvents
from realtime_conformance.refclient.listeners import ListenerError
from realtime_conformance.refclient.realtime import (
    ClientClosedError,
    RealtimeAPIClient,
    ReconnectPolicy,
    create_realtime_api_client,
)
from tests.support.refclient import (
    KEY,
    TEXT_SESSION,
    Heard,
    client_events,
    connect,
    mock,
    run,
    text_turn,
    user_text,
)


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
            await reader.read()  # takes the upgrade request, never answers, until the client
            writer.close()  # gives up and closes its end
            await writer.wait_closed()

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


def test_session_expired_opens_a_new_session_when_the_policy_says_so() -> None:
    policy = ReconnectPolicy(initial_delay_s=0.01, on_session_expired=True)

    async def body() -> tuple[RunningServer, Heard, bool]:
        async with mock() as server:
            url = f"{server.url}/realtime?scenario=8.5.1"
            client = await connect(server, url=url, reconnect=policy)
            heard = Heard(client)
            await text_turn(client, heard)
            await heard.until(RealtimeAPIEvents.ConnectorInformation)
            closed = client.closed
            await client.close()
            return server, heard, closed

    server, heard, closed = run(body())
    notice = next(d for n, d in heard.events if n == RealtimeAPIEvents.ConnectorInformation)
    assert notice["kind"] == "reconnected" and notice["expired"] and notice["code"] == 1001
    assert not closed and len(server.connections) == 2
    assert [e["type"] for e in client_events(server, 1)] == ["session.update"]
