"""Helpers for the Responses and Chat stream tests: recorded traces, the shape of a stream, and
the official SDK wired to the simulated models through an in-process transport (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx2
import openai

from realtime_conformance.rtproto import sse
from realtime_conformance.rtproto.api_errors import ApiError

Handler = Callable[[httpx2.Request], httpx2.Response]


def trace_events(path: Path) -> list[dict[str, Any]]:
    """The events (or chunks) of a recorded trace, in order."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [record["event"] for record in records if "event" in record]


def label(event: dict[str, Any]) -> str:
    kind = str(event["type"])
    if kind in ("response.output_item.added", "response.output_item.done"):
        return f"{kind}({event['item']['type']})"
    if kind == "response.content_part.added":
        return f"{kind}({event['part']['type']})"
    return kind


def collapse(labels: list[str]) -> list[str]:
    """Runs of one label become one; then a block repeated back to back becomes one block,
    until nothing changes (so 6 x (reasoning, web search) reads as one)."""
    result = [name for i, name in enumerate(labels) if i == 0 or labels[i - 1] != name]
    changed = True
    while changed:
        changed = False
        for size in range(1, len(result) // 2 + 1):
            for start in range(len(result) - 2 * size + 1):
                if result[start : start + size] == result[start + size : start + 2 * size]:
                    del result[start + size : start + 2 * size]
                    changed = True
                    break
            if changed:
                break
    return result


def shape(events: Iterable[dict[str, Any]]) -> list[str]:
    """The event-type order of a Responses stream, normalised for comparison."""
    return collapse([label(event) for event in events])


def chunk_label(choice: dict[str, Any]) -> str:
    delta = choice["delta"]
    if choice.get("finish_reason"):
        return f"finish:{choice['finish_reason']}"
    calls = delta.get("tool_calls") or []
    starts = "+tool_start" if any("id" in call for call in calls) else ""
    if "role" in delta:
        return "role" + starts
    if calls:
        return "tool_start" if starts else "tool_arguments"
    return "refusal" if delta.get("refusal") is not None else "content"


def chunk_shapes(chunks: Iterable[dict[str, Any]]) -> dict[int, list[str]]:
    """Per choice index, the normalised order of its deltas; -1 holds the usage chunk."""
    per_choice: dict[int, list[str]] = {}
    for chunk in chunks:
        if not chunk["choices"]:
            per_choice.setdefault(-1, []).append("usage")
        for choice in chunk["choices"]:
            per_choice.setdefault(choice["index"], []).append(chunk_label(choice))
    return {index: collapse(labels) for index, labels in per_choice.items()}


def sse_response(body: bytes, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        200, content=body, headers={"content-type": "text/event-stream", **(headers or {})}
    )


def json_response(payload: Any, status: int = 200) -> httpx2.Response:
    return httpx2.Response(status, json=payload)


def error_response(error: ApiError) -> httpx2.Response:
    return httpx2.Response(error.status, json=error.body(), headers=dict(error.headers))


def sdk_client(handler: Handler) -> openai.OpenAI:
    """The official client, answering from `handler` in process, without retries."""
    transport = httpx2.MockTransport(handler)
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.invalid/v1",
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )


def responses_frames(events: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(sse.encode_event(event) for event in events)


def chat_frames(chunks: Iterable[dict[str, Any]], done: bool = True) -> bytes:
    body = b"".join(sse.encode_data(chunk) for chunk in chunks)
    return body + (sse.DONE_FRAME if done else b"")
