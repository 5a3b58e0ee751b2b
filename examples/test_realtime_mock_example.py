"""Testing your own Realtime/Responses code against the mock with the `realtime_mock` fixture.

Install the harness (it registers the fixture with pytest), pytest and the official SDK with
its Realtime extra (`pip install realtime-conformance pytest "openai[realtime]"`), then run
`pytest` on this file. Each test gets a running mock, reset for it; point the SDK at it with
`realtime_mock.client_options()` (api_key, base_url, websocket_base_url).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

MODEL = "gpt-realtime"
USER_HELLO = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Hello!"}],
}


async def say_hello(client: AsyncOpenAI) -> list[dict[str, Any]]:
    """The code under test: one text turn over the Realtime API; the events it received."""
    received: list[dict[str, Any]] = []
    async with client.realtime.connect(model=MODEL) as connection:
        await connection.conversation.item.create(item=USER_HELLO)  # type: ignore[arg-type]
        await connection.response.create()
        async for event in connection:
            received.append(event.model_dump())
            if event.type in ("response.done", "error"):
                break
    return received


def test_a_text_turn_with_the_simulated_model(realtime_mock: Any) -> None:
    received = asyncio.run(say_hello(AsyncOpenAI(**realtime_mock.client_options())))
    assert received[-1]["type"] == "response.done"
    assert received[-1]["response"]["status"] == "completed"
    # What the client sent, as the mock recorded it:
    sent = [event["type"] for event in realtime_mock.client_events]
    assert sent == ["conversation.item.create", "response.create"]


def test_a_scripted_reply(realtime_mock: Any) -> None:
    realtime_mock.scenario(
        """
        on_start: [session.created]
        expect:
          - when: {type: conversation.item.create, item.role: user}
            reply: [item_added_done]
            times: once
          - when: {type: response.create}
            reply: [{text_response: {text: "Hi from the script!"}}]
            times: once
        """
    )
    received = asyncio.run(say_hello(AsyncOpenAI(**realtime_mock.client_options())))
    deltas = [e["delta"] for e in received if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "Hi from the script!"
    realtime_mock.assert_no_unmatched()  # every rule met, nothing unexpected


def test_an_unexpected_event_is_answered_with_an_error(realtime_mock: Any) -> None:
    realtime_mock.scenario(
        {
            "on_start": ["session.created"],
            "expect": [{"when": {"type": "response.create"}, "reply": ["text_response"]}],
        }
    )
    received = asyncio.run(say_hello(AsyncOpenAI(**realtime_mock.client_options())))
    error = received[-1]
    assert error["type"] == "error" and error["error"]["code"] == "mock_unexpected_event"
    assert "conversation.item.create" in error["error"]["message"]
    with pytest.raises(AssertionError, match=r"conversation\.item\.create"):
        realtime_mock.assert_no_unmatched()


def test_an_injected_fault(realtime_mock: Any) -> None:
    realtime_mock.scenario(
        {
            "on_start": ["session.created"],
            "ignore": ["conversation.item.create"],
            "expect": [{"when": {"type": "response.create"}, "reply": ["text_response"]}],
        }
    )
    realtime_mock.fault(after="response.output_text.delta", drop={"code": 1011})
    with pytest.raises(Exception, match="1011"):
        asyncio.run(say_hello(AsyncOpenAI(**realtime_mock.client_options())))


def test_the_responses_api(realtime_mock: Any) -> None:
    client = OpenAI(**realtime_mock.client_options())
    response = client.responses.create(model="gpt-4.1", input="Say hello.")
    assert response.status == "completed" and response.output_text
    [request] = [line for line in realtime_mock.transcript if line.get("dir") == "meta"][:1]
    assert request["meta"]["body"]["input"] == "Say hello."
