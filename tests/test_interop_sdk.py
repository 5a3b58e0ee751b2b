"""The official `openai` SDK's Realtime clients against the mock's simulated model, GA and beta.

Each dialect runs the same conversation: session update, a text turn, a function-call turn with
its `function_call_output` and follow-up response, a cancelled response, and an error case.
Every event the client receives is checked as it arrives: strictly against the SDK's GA union
(GA; the SDK is the independent oracle), or against our beta schemas (beta: the SDK's beta types
are deprecated and looser). The server runs in test mode, so it also validated what it sent.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

import pytest
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from realtime_conformance.mockserver.options import ConnectionInfo
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.session import RealtimeSession, SessionOptions
from realtime_conformance.rtproto.server.realtime.timing import Timing
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.mock_behaviours import run, serving
from tests.support.sdk_types import sdk_adapter


def ga_union() -> TypeAdapter[Any]:
    """Built on first use (~0.7 s): every xdist worker collects this module, one runs it."""
    return sdk_adapter(RealtimeServerEvent)


VALIDATOR = EventValidator()
# Fast but not instant: a response must still be in progress when the cancel arrives.
TIMING = replace(
    Timing.realistic(),
    session_updated=0.005,
    item_added=0.005,
    reply=0.005,
    error=0.005,
    response_created=0.01,
    first_delta=0.05,
    text_tokens_per_s=200.0,
)
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
NAMES = {  # what each dialect calls the events the test waits for
    "ga": {"text_delta": "response.output_text.delta", "item": "conversation.item.added"},
    "beta": {"text_delta": "response.text.delta", "item": "conversation.item.created"},
}


def simulated(info: ConnectionInfo) -> Behaviour:
    return RealtimeSession(
        SessionOptions(model=info.model or "gpt-realtime", seed=7, timing=TIMING)
    )


class Conversation:
    """Receives raw events from an SDK connection, checks each, and waits for what is asked."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.connection, self.dialect = connection, dialect
        self.received: list[dict[str, Any]] = []

    async def next_event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(await self.connection.recv_bytes())
        if self.dialect == "ga":
            ga_union().validate_python(event, strict=True)
        else:
            assert VALIDATOR.validate(event, "realtime", "beta") == [], event
        self.received.append(event)
        return event

    async def until(self, event_type: str) -> list[dict[str, Any]]:
        """Events up to and including the next one of `event_type`."""
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["type"] != event_type:
            seen.append(await self.next_event())
        return seen


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def converse(connection: Any, dialect: str, session: dict[str, Any]) -> Conversation:
    talk = Conversation(connection, dialect)
    assert (await talk.next_event())["type"] == "session.created"
    await connection.session.update(session=session)
    updated = (await talk.until("session.updated"))[-1]
    assert [tool["name"] for tool in updated["session"]["tools"]] == ["get_weather"]
    await text_turn(connection, talk)
    await function_call_turn(connection, talk)
    await cancelled_response(connection, talk)
    await error_case(connection, talk)
    return talk


async def text_turn(connection: Any, talk: Conversation) -> None:
    await connection.conversation.item.create(item=user_text("Hello there!"))
    await connection.response.create()
    events = await talk.until("response.done")
    done = events[-1]["response"]
    assert done["status"] == "completed"
    deltas = [e["delta"] for e in events if e["type"] == NAMES[talk.dialect]["text_delta"]]
    assert deltas and "".join(deltas).strip()


async def function_call_turn(connection: Any, talk: Conversation) -> None:
    await connection.conversation.item.create(item=user_text("Use get_weather for city: Paris"))
    await connection.response.create()
    done = (await talk.until("response.done"))[-1]["response"]
    [call] = [item for item in done["output"] if item["type"] == "function_call"]
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Paris"}
    output = {
        "type": "function_call_output",
        "call_id": call["call_id"],
        "output": json.dumps({"temperature_c": 18, "sky": "cloudy"}),
    }
    await connection.conversation.item.create(item=output)
    await connection.response.create()
    follow_up = (await talk.until("response.done"))[-1]["response"]
    assert follow_up["status"] == "completed"
    assert [item["type"] for item in follow_up["output"]] == ["message"]


async def cancelled_response(connection: Any, talk: Conversation) -> None:
    # Back to back, so the cancel reaches the server microseconds after the create, long
    # before the response could finish (no race with the generation time).
    await connection.response.create()
    await connection.response.cancel()
    events = await talk.until("response.done")
    [created] = [event for event in events if event["type"] == "response.created"]
    done = events[-1]["response"]
    assert done["id"] == created["response"]["id"]
    assert done["status"] == "cancelled"
    assert done["status_details"]["reason"] == "client_cancelled"


async def error_case(connection: Any, talk: Conversation) -> None:
    await connection.send(
        {"type": "conversation.item.delete", "item_id": "item_nope", "event_id": "evt_client_42"}
    )
    error = (await talk.until("error"))[-1]["error"]
    assert error["code"] == "item_delete_invalid_item_id"
    assert error["event_id"] == "evt_client_42"


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_sdk_client_completes_a_conversation(dialect: str) -> None:
    async def body() -> None:
        async with serving(behaviour_factory=simulated) as server:
            client = AsyncOpenAI(api_key="sk-test", websocket_base_url=server.url)
            manager: AbstractAsyncContextManager[Any]
            if dialect == "ga":
                session = {
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "tools": [WEATHER_TOOL],
                }
                manager = client.realtime.connect(model="gpt-realtime")
            else:
                session = {"modalities": ["text"], "tools": [WEATHER_TOOL]}
                manager = client.beta.realtime.connect(model="gpt-4o-realtime-preview")
            async with manager as connection:
                talk = await converse(connection, dialect, session)
            assert server.connections[0].info.dialect == dialect
        types = {event["type"] for event in talk.received}
        assert NAMES[dialect]["item"] in types and "rate_limits.updated" in types

    run(body())
