"""The Chat client derives the same events, in the same order and with the same content, as the
official `openai` package's `chat.completions.stream()` helper fed the same stream, for every
recorded stream in shared/traces/chat/.

Both read the recording's raw SSE bytes (the `.sse` beside each transcript) from one local HTTP
server over a real socket, written in odd-sized pieces. The helper gets the same `tools` as our
client (each traced function, `strict` as in the test the trace comes from), so
`parsed_arguments` is compared too. `Content` has no counterpart in the Python helper (it is
openai-node's `content` event): it is checked against the `ContentDelta` it precedes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from realtime_conformance.refclient.chat import create_chat_completions_api_client
from realtime_conformance.refclient.events import ChatCompletionsAPIEvents as Chat
from realtime_conformance.rtproto import sse
from tests.support.shared import require_shared, shared_dir
from tests.support.stream_server import Answer, stream_server

KEY = "sk-test-chat"
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}
BOUND_S = 20.0


def trace_names() -> list[str]:
    folder = shared_dir() / "traces" / "chat"
    return sorted(p.name for p in folder.glob("*.sse")) if folder.exists() else ["-"]


def traced_tools(raw: bytes, strict: bool) -> list[dict[str, Any]]:
    """A function tool for every function the stream calls."""
    names: list[str] = []
    for message in sse.parse_stream([raw]):
        if message.is_done:
            continue
        for choice in message.json().get("choices", []):
            for call in choice["delta"].get("tool_calls") or []:
                name = (call.get("function") or {}).get("name")
                if name and name not in names:
                    names.append(name)
    parameters = {"type": "object", "properties": {}}
    return [
        {"type": "function", "function": {"name": n, "parameters": parameters, "strict": strict}}
        for n in names
    ]


def sdk_comparable(event: Any) -> dict[str, Any]:
    """A helper event as a dict like ours: its type, and its fields (the chunk as sent, without
    the helper's running snapshot of the whole completion)."""
    if event.type == "chunk":
        return {"type": "chunk", "chunk": event.chunk.to_dict()}
    fields: dict[str, Any] = event.model_dump(mode="json")
    return fields


def our_comparable(name: Chat, data: dict[str, Any]) -> dict[str, Any]:
    if name is Chat.Chunk:
        return {"type": "chunk", "chunk": data}
    return {"type": name.value, **json.loads(json.dumps(data))}


async def sdk_events(base_url: str, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    client = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    extra: dict[str, Any] = {"tools": tools} if tools else {}
    events = []
    async with client.chat.completions.stream(**BODY, **extra) as stream:  # type: ignore[arg-type]
        async for event in stream:
            events.append(sdk_comparable(event))
    await client.close()
    return events


async def our_events(base_url: str, tools: list[dict[str, Any]]) -> list[tuple[Chat, Any]]:
    client = await create_chat_completions_api_client(api_key=KEY, base_url=base_url)
    heard: list[tuple[Chat, Any]] = []

    def listener(constant: Chat) -> Callable[[Any, Any], None]:
        return lambda _client, data: heard.append((constant, data))

    for constant in Chat:
        client.add_event_listener(constant, listener(constant))
    extra: dict[str, Any] = {"tools": tools} if tools else {}
    await client.create_chat_completions({**BODY, **extra})
    await client.close()
    return heard


async def both(raw: bytes, tools: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    async with stream_server(Answer(raw), Answer(raw)) as server:
        theirs = await sdk_events(server.base_url, tools)
        ours = await our_events(server.base_url, tools)
        assert [r.body.get("stream") for r in server.requests] == [True, True]
    return theirs, ours


@pytest.mark.parametrize("name", trace_names())
def test_chat_events_equal_the_official_helpers(name: str) -> None:
    path: Path = require_shared("traces", "chat", name)
    raw = path.read_bytes()
    tools = traced_tools(raw, strict="non-strict" not in name)
    theirs, heard = asyncio.run(asyncio.wait_for(both(raw, tools), BOUND_S))
    ours = [our_comparable(n, d) for n, d in heard if n is not Chat.Content]
    assert theirs and len(ours) == len(theirs)
    for index, (mine, official) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == official, f"event {index} differs"
    assert not [n for n, _ in heard if n in (Chat.ChatCompletionsAPIError, Chat.Unknown)]


@pytest.mark.parametrize("name", trace_names())
def test_each_content_event_precedes_its_content_delta(name: str) -> None:
    """openai-node's `content` rule: one per content delta leaving a non-empty snapshot."""
    raw = require_shared("traces", "chat", name).read_bytes()
    _, heard = asyncio.run(asyncio.wait_for(both(raw, []), BOUND_S))
    for index, (event, data) in enumerate(heard):
        if event is Chat.Content:
            following, delta = heard[index + 1]
            assert following is Chat.ContentDelta
            assert (data["delta"], data["snapshot"]) == (delta["delta"], delta["snapshot"])
    contents = [d for n, d in heard if n is Chat.Content]
    deltas = [d for n, d in heard if n is Chat.ContentDelta and d["snapshot"]]
    assert len(contents) == len(deltas)
