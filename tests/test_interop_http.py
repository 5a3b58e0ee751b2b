"""The official `openai` SDK against the mock's HTTP APIs and the Responses WebSocket mode.

For every event family of the simulated models (the tables of test_responses_families and
test_chat_stream): `responses.create(stream=True)`, `responses.stream()`, `responses.connect()`,
`chat.completions.create(stream=True)` and `chat.completions.stream()` complete over a real
socket, and what the SDK accumulates equals what the model planned for that request (computed
here by a model with the same seed). Times (`created_at`, `created`) are the server's own clock,
so they are left out of the comparison.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai import APIError, AsyncOpenAI
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion

from realtime_conformance.mockserver.app import RunningServer
from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from tests.support.apps import NOW
from tests.support.mock_behaviours import run, serving
from tests.test_chat_stream import FAMILIES as CHAT_FAMILIES
from tests.test_chat_stream import normalised
from tests.test_responses_families import FAMILIES as RESPONSES_FAMILIES
from tests.test_responses_families import strip_parsed

SEED = 11
COMPLETED = [name for name, family in RESPONSES_FAMILIES.items() if family[2] == "completed"]
CLOCK_FIELDS = ("created_at", "created", "completed_at")
TERMINAL = {"response.completed", "response.failed", "response.incomplete"}


def timeless(value: Any) -> Any:
    """`value` without the fields stamped from the server's clock."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in CLOCK_FIELDS}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def planned_response(body: dict[str, Any]) -> dict[str, Any]:
    final: dict[str, Any] = ResponsesService(SEED, Pacing.instant()).create(body, NOW).plan.final
    planned: dict[str, Any] = timeless(final)
    return planned


def client_of(server: RunningServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="sk-test",
        base_url=f"{server.http_url}/v1",
        websocket_base_url=server.url,
        max_retries=0,
    )


def serving_http() -> Any:
    return serving(seed=SEED, http_pacing=Pacing.instant())


@pytest.mark.parametrize("name", [name for name in RESPONSES_FAMILIES if name != "failed"])
def test_responses_create_stream_ends_with_the_planned_response(name: str) -> None:
    body = RESPONSES_FAMILIES[name][0]

    async def go() -> tuple[list[str], dict[str, Any]]:
        async with serving_http() as server:
            stream = await client_of(server).responses.create(stream=True, **body)
            events = [event async for event in stream]
        return [event.type for event in events], events[-1].response.to_dict()

    kinds, last = run(go())
    assert kinds[0] == "response.created" and kinds[-1] in TERMINAL
    assert [kind for kind in kinds if kind in TERMINAL] == [kinds[-1]]
    assert timeless(strip_parsed(last)) == planned_response(body)


def test_responses_create_stream_raises_the_nested_error_of_a_failed_response() -> None:
    body = RESPONSES_FAMILIES["failed"][0]

    async def go() -> list[str]:
        kinds: list[str] = []
        async with serving_http() as server:
            stream = await client_of(server).responses.create(stream=True, **body)
            with pytest.raises(APIError, match="The server had an error"):
                async for event in stream:
                    kinds.append(event.type)
        return kinds

    assert run(go()) == ["response.created", "response.in_progress"]


@pytest.mark.parametrize("name", COMPLETED)
def test_responses_stream_helper_accumulates_the_planned_response(name: str) -> None:
    body = RESPONSES_FAMILIES[name][0]

    async def go() -> dict[str, Any]:
        async with (
            serving_http() as server,
            client_of(server).responses.stream(**body) as stream,
        ):
            async for _ in stream:
                pass
            final = await stream.get_final_response()
        return final.to_dict()

    assert timeless(strip_parsed(run(go()))) == planned_response(body)


@pytest.mark.parametrize("name", [name for name in COMPLETED if name != "background"])
def test_responses_websocket_mode_streams_the_planned_response(name: str) -> None:
    body = {key: value for key, value in RESPONSES_FAMILIES[name][0].items() if key != "stream"}

    async def go() -> list[dict[str, Any]]:
        async with (
            serving_http() as server,
            client_of(server).responses.connect() as connection,
        ):
            # A wire dict; the SDK's TypedDict is stricter than the wire (PROTOCOL.md §8.8).
            await connection.send({"type": "response.create", **body})  # type: ignore[arg-type]
            events: list[dict[str, Any]] = []
            while not events or events[-1]["type"] not in TERMINAL:
                events.append(json.loads(await connection.recv_bytes()))
        return events

    events = run(go())
    assert events[0]["type"] == "response.created"
    assert timeless(events[-1]["response"]) == planned_response(body)


def planned_completion(body: dict[str, Any]) -> dict[str, Any]:
    """What the model planned for `body` (the seed ignores `stream` and `stream_options`)."""
    completion = ChatService(SEED, Pacing.instant()).create({**body, "stream": True}, NOW)
    expected: dict[str, Any] = timeless(
        normalised(ChatCompletion.model_validate(completion.completion))
    )
    if not body.get("stream_options", {}).get("include_usage"):
        del expected["usage"]  # a stream carries usage only when asked to
    return expected


@pytest.mark.parametrize("name", list(CHAT_FAMILIES))
def test_chat_create_stream_accumulates_the_planned_completion(name: str) -> None:
    body = CHAT_FAMILIES[name][0]

    async def go() -> Any:
        async with serving_http() as server:
            stream = await client_of(server).chat.completions.create(stream=True, **body)
            state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
            async for chunk in stream:
                state.handle_chunk(chunk)
        return state.current_completion_snapshot

    assert timeless(normalised(run(go()))) == planned_completion(body)


@pytest.mark.parametrize("name", [name for name in CHAT_FAMILIES if name != "length"])
def test_chat_stream_helper_gets_the_planned_completion(name: str) -> None:
    body = CHAT_FAMILIES[name][0]

    async def go() -> Any:
        async with (
            serving_http() as server,
            client_of(server).chat.completions.stream(**body) as stream,
        ):
            async for _ in stream:
                pass
            return await stream.get_final_completion()

    assert timeless(normalised(run(go()))) == planned_completion(body)
