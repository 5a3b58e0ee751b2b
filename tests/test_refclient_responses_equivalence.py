"""The Responses client raises the same events, in the same order and with the same content, as
the official `openai` package's `responses.stream()` helper fed the same stream, for every
recorded stream in shared/traces/responses/.

Both read the recording framed as the API frames it (`event:` + `data:`) from one local HTTP
server over a real socket, in odd-sized pieces. Compared as dicts: the helper's event
`to_dict()` without the two things a dict client cannot have, `parsed` and `parsed_arguments`
(None: they come from pydantic `text_format` classes and tool types); our events without the
`obfuscation` padding on the two delta events the helper rebuilds (it drops that field, we pass
the provider's payload through). Where the helper raises (a stream that does not begin with
`response.created`), our client raises `ResponsesAPIError` with the helper's words, after the
same events. Where the SDK raises `APIError` for the stream's `error` event, our client raises
that event (`ResponseError`, the same message) and then `response.failed`, which the helper
never hands on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from realtime_conformance.refclient.events import ResponsesAPIEvents as Responses
from realtime_conformance.refclient.responses import create_responses_api_client
from realtime_conformance.rtproto import sse
from tests.support.shared import require_shared, shared_dir
from tests.support.stream_server import Answer, stream_server

KEY = "sk-test-responses"
BODY = {"model": "gpt-5", "input": "Hello"}
BOUND_S = 30.0
REBUILT_DELTAS = ("response.output_text.delta", "response.function_call_arguments.delta")
RESUMED = "pydantic-ai-test_background_mode_streaming_starting_after_vcr.jsonl"


def trace_names() -> list[str]:
    folder = shared_dir() / "traces" / "responses"
    return sorted(p.name for p in folder.glob("*.jsonl")) if folder.exists() else ["-"]


def recorded_events(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["event"] for line in lines if line.strip()]


def framed(events: list[dict[str, Any]]) -> bytes:
    return b"".join(sse.encode_event(event) for event in events)


def without_parsing(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_parsing(item)
            for key, item in value.items()
            if not (key in ("parsed", "parsed_arguments") and item is None)
        }
    if isinstance(value, list):
        return [without_parsing(item) for item in value]
    return value


def ours_comparable(data: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    if data.get("type") in REBUILT_DELTAS:
        data.pop("obfuscation", None)
    return data


Outcome = tuple[list[dict[str, Any]], "str | None", "str | None"]


async def sdk_outcome(base_url: str) -> Outcome:
    """The helper's events, then what it raised: its stream-state RuntimeError, or the APIError
    the SDK raises for the stream's `error` event (the helper hands on nothing after it)."""
    client = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    events, state_error, api_error = [], None, None
    try:
        async with client.responses.stream(model=BODY["model"], input=BODY["input"]) as stream:
            async for event in stream:
                events.append(without_parsing(event.to_dict(mode="json")))
    except openai.APIError as failure:
        api_error = failure.message
    except RuntimeError as failure:
        state_error = str(failure)
    await client.close()
    return events, state_error, api_error


async def our_outcome(base_url: str) -> list[tuple[Responses, Any]]:
    client = await create_responses_api_client(api_key=KEY, base_url=base_url)
    heard: list[tuple[Responses, Any]] = []

    def listener(constant: Responses) -> Callable[[Any, Any], None]:
        return lambda _client, data: heard.append((constant, data))

    for constant in Responses:
        client.add_event_listener(constant, listener(constant))
    await client.create_responses(BODY)
    await client.close()
    return heard


def provider_events(heard: list[tuple[Responses, Any]]) -> list[dict[str, Any]]:
    local = (Responses.ResponsesAPIError, Responses.ConnectorInformation)
    return [ours_comparable(data) for name, data in heard if name not in local]


def errors_of(heard: list[tuple[Responses, Any]]) -> list[str]:
    return [d["error"]["message"] for n, d in heard if n is Responses.ResponsesAPIError]


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize("name", trace_names())
def test_responses_events_equal_the_official_helpers(name: str) -> None:
    events = recorded_events(require_shared("traces", "responses", name))

    async def both() -> tuple[Outcome, list[Any]]:
        async with stream_server(Answer(framed(events)), Answer(framed(events))) as server:
            return await sdk_outcome(server.base_url), await our_outcome(server.base_url)

    (theirs, state_error, api_error), heard = asyncio.run(asyncio.wait_for(both(), BOUND_S))
    ours = provider_events(heard)
    if api_error is not None:  # we raise the `error` event and what follows it
        after = ours[len(theirs) :]
        assert after[0]["type"] == "error" and after[0]["error"]["message"] == api_error
        assert [e["type"] for e in after[1:]] == ["response.failed"]
        ours = ours[: len(theirs)]
    assert len(ours) == len(theirs)
    for index, (mine, official) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == official, f"event {index} ({official.get('type')}) differs"
    assert errors_of(heard) == ([state_error] if state_error else [])
    assert theirs or state_error
    unknown = [d["type"] for n, d in heard if n is Responses.Unknown]
    assert not unknown, f"seed constants missing for {unknown}"


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_a_cut_stream_resumed_with_starting_after_equals_the_helper_on_the_whole_stream() -> None:
    """The recorded resumption (GET ...?starting_after=0, from sequence 1 on) continues a stream
    cut after its `response.created`. That first event is rebuilt from the recorded
    `response.queued` (same response object, sequence 0); the helper reads both as one stream."""
    resumed = recorded_events(require_shared("traces", "responses", RESUMED))
    created = {"type": "response.created", "sequence_number": 0, "response": resumed[0]["response"]}

    async def both() -> tuple[Outcome, list[Any], list[Any]]:
        async with stream_server(
            Answer(framed([created, *resumed])),
            Answer(framed([created]), cut=True),
            Answer(framed(resumed)),
        ) as server:
            theirs = await sdk_outcome(server.base_url)
            ours = await our_outcome(server.base_url)
            return theirs, ours, server.requests

    (theirs, state_error, api_error), heard, requests = asyncio.run(
        asyncio.wait_for(both(), BOUND_S)
    )
    response_id = created["response"]["id"]
    resume = requests[-1]
    assert (resume.method, resume.path) == ("GET", f"/v1/responses/{response_id}")
    assert resume.query == {"stream": "true", "starting_after": "0"}
    assert state_error is None and api_error is None
    assert provider_events(heard) == theirs
    info = [d for n, d in heard if n is Responses.ConnectorInformation]
    assert info == [{"kind": "resumed", "response_id": response_id, "starting_after": 0}]
    assert not errors_of(heard)
