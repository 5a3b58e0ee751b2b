"""The reference Realtime client against the mock: text turns and a function call in both
dialects, one response at a time, validation before sending, unknown and malformed server
frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from realtime_conformance.mockserver import RunningServer
from realtime_conformance.refclient.events import RealtimeAPIEvents
from realtime_conformance.refclient.outgoing import ClientEventError
from realtime_conformance.rtproto.handshake import Dialect
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.refclient import (
    TEXT_SESSION,
    WEATHER_TOOL,
    Heard,
    client_events,
    connect,
    mock,
    run,
    text_turn,
    user_text,
)


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
