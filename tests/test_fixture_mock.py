"""RealtimeMock (mockserver.testing), the object behind the `realtime_mock` fixture: inline
scenarios (their problems with the user's own line numbers), faults, the transcript, the
verdicts; and what the served mock says of a scenario's connections (control API, refusals)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver.testing import RealtimeMock, default_options
from realtime_conformance.rtproto.scenario import ScenarioError

GREETING = """
on_start: [session.created]
expect:
  - when: {type: session.update}
    reply: [session.updated]
    times: once
"""


@pytest.fixture(scope="module")
def mock() -> Iterator[RealtimeMock]:
    with RealtimeMock(default_options(seed=5)) as running:
        yield running


@pytest.fixture(autouse=True)
def reset(mock: RealtimeMock) -> None:
    mock.reset()


def talk(mock: RealtimeMock, *events: dict[str, Any], query: str = "") -> list[dict[str, Any]]:
    """Connect, send `events`, and read until the server has been quiet for 0.3 s."""

    async def go() -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        url = f"{mock.websocket_base_url}/realtime?model=gpt-realtime{query}"
        headers = {"Authorization": f"Bearer {mock.api_key}"}
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, headers=headers) as ws,
        ):
            for event in events:
                await ws.send_json(event)
            while True:
                try:
                    message = await ws.receive(timeout=0.3)
                except TimeoutError:
                    return received
                if message.type is not aiohttp.WSMsgType.TEXT:
                    return received
                received.append(message.json())

    return asyncio.run(go())


def test_an_inline_scenario_is_played_and_judged(mock: RealtimeMock) -> None:
    scenario = mock.scenario(GREETING)
    assert scenario.id.startswith("999.") and scenario.dialects == ("ga", "beta")
    received = talk(mock, {"type": "session.update", "session": {"type": "realtime"}})
    assert [event["type"] for event in received] == ["session.created", "session.updated"]
    [connection] = mock.connections()
    assert connection["scenario"] == scenario.id and connection["verdict"] == "pass"
    mock.assert_no_unmatched()
    assert [event["type"] for event in mock.client_events] == ["session.update"]
    assert mock.transcript[0]["meta"]["seed"] == 5


def test_an_unexpected_event_gets_an_error_naming_what_was_expected(mock: RealtimeMock) -> None:
    mock.scenario(GREETING)
    received = talk(mock, {"type": "response.create", "event_id": "evt_1"})
    error = received[-1]
    assert error["type"] == "error" and error["error"]["code"] == "mock_unexpected_event"
    assert error["error"]["event_id"] == "evt_1"
    assert "response.create" in error["error"]["message"]
    assert "session.update" in error["error"]["message"]  # what the rule expected
    [connection] = mock.connections()
    assert connection["verdict"] == "fail" and len(connection["unmatched"]) == 1
    with pytest.raises(AssertionError, match=r"response\.create"):
        mock.assert_no_unmatched()


def test_unexpected_ignore_stays_silent_but_is_still_judged(mock: RealtimeMock) -> None:
    mock.scenario(GREETING + "unexpected: ignore\n")
    received = talk(mock, {"type": "response.create"})
    assert [event["type"] for event in received] == ["session.created"]
    with pytest.raises(AssertionError, match=r"response\.create"):
        mock.assert_no_unmatched()


def test_inline_problems_carry_the_users_line_numbers(mock: RealtimeMock) -> None:
    with pytest.raises(ScenarioError) as raised:
        mock.scenario("on_start: [session.created]\nexpect:\n  - when: {type: x}\n    tims: 1\n")
    assert "<inline scenario>:4:5: expect[0].tims" in str(raised.value)
    assert "did you mean 'times'" in str(raised.value)


def test_a_fault_is_added_to_the_scenario(mock: RealtimeMock) -> None:
    mock.scenario(GREETING)
    mock.fault(after="session.updated", drop={"code": 4001, "reason": "injected"})
    talk(mock, {"type": "session.update", "session": {"type": "realtime"}})
    closes = [line for line in mock.transcript if line.get("meta", {}).get("kind") == "close"]
    assert closes and closes[0]["meta"]["code"] == 4001, closes


def test_a_fault_needs_a_scenario(mock: RealtimeMock) -> None:
    with pytest.raises(RuntimeError, match="scenario"):
        mock.fault(after="session.updated", drop={})


def test_refused_handshakes_are_listed(mock: RealtimeMock) -> None:
    [error] = talk(mock, query="&scenario=77.7.7")  # then a close 4000, as for a bad model
    assert error["type"] == "error" and error["error"]["code"] == "unknown_scenario"

    async def refused() -> Any:
        url = f"{mock.server.http_url}/_mock/refused"
        async with aiohttp.ClientSession() as session, session.get(url) as answer:
            return await answer.json()

    [refusal] = asyncio.run(refused())["refused"]
    assert (refusal["status"], refusal["reason"]) == (101, "unknown_scenario")
    assert "77.7.7" in refusal["message"]
