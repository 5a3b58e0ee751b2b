"""Every chunk family of the simulated Chat Completions model: valid by our schema and the SDK's
type, ordered as the real recordings, accumulated by the SDK into the non-streaming answer."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.chat.simulated_model import ChatPlan
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.apps import NOW, ChatApp
from tests.support.sdk_types import sdk_adapter
from tests.support.shared import require_shared
from tests.support.streams import chunk_shapes, sdk_client, trace_events

USAGE = {"stream_options": {"include_usage": True}}
MODEL = "gpt-4o-2024-08-06"


def tool(name: str, parameter: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "strict": True, "parameters": {
        "type": "object", "properties": {parameter: {"type": "string"}},
        "required": [parameter], "additionalProperties": False}}}  # fmt: skip


WEATHER, TIME = tool("get_weather", "city"), tool("get_time", "timezone")
SCHEMA = {"type": "json_schema", "json_schema": {"name": "weather", "strict": True, "schema": {
    "type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"},
    "units": {"type": "string", "enum": ["c", "f"]}}, "required": ["city", "temperature", "units"],
    "additionalProperties": False}}}  # fmt: skip


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **USAGE, **extra}


# family -> (request body, recording whose per-choice chunk order it must have)
FAMILIES: dict[str, tuple[dict[str, Any], str | None]] = {
    "plain_text": (ask("Say hello."), "openai-python-plain-text.e2aad469b71d.jsonl"),
    "content_logprobs": (ask("Say foo.", logprobs=True),
                         "openai-python-content-logprobs.83b060bae42e.jsonl"),
    "refusal": (ask("Please refuse this."), "openai-python-refusal.173417d55340.jsonl"),
    "refusal_logprobs": (ask("Please refuse this.", logprobs=True, top_logprobs=2),
                         "openai-python-refusal-logprobs.569c877e6942.jsonl"),
    "length": (ask("Say hello.", max_tokens=1),
               "openai-python-max-tokens-length.4cc50a6135d2.jsonl"),
    "tool_call": (ask("Weather in SF?", tools=[WEATHER]),
                  "openai-python-tool-call-strict.a247c49c5fcd.jsonl"),
    "parallel_tool_calls": (ask("Weather and time in SF?", tools=[WEATHER, TIME]),
                            "openai-python-parallel-tool-calls.f82268f2fefd.jsonl"),
    "structured_output": (ask("Weather in SF?", response_format=SCHEMA),
                          "openai-python-structured-output.7e5ea4d12e7c.jsonl"),
    "structured_output_n3": (ask("Weather in SF?", response_format=SCHEMA, n=3),
                             "openai-python-structured-output-n3.a491adda08c3.jsonl"),
    "tool_result": ({"model": MODEL, "tools": [WEATHER], **USAGE, "messages": [
        {"role": "user", "content": "Weather in SF?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\":\"SF\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 18 C"}]},
        "openai-python-plain-text.e2aad469b71d.jsonl"),
    "no_usage": ({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}, None),
}  # fmt: skip


def plan_of(name: str, seed: int = 4) -> ChatPlan:
    return ChatService(seed, Pacing.instant()).create({**FAMILIES[name][0], "stream": True}, NOW)


def chunks_of(name: str) -> list[dict[str, Any]]:
    return [planned.event for planned in plan_of(name).chunks]


@pytest.mark.parametrize("name", FAMILIES)
def test_every_chunk_is_valid_for_our_schema_and_the_sdk(name: str) -> None:
    validator = EventValidator()
    for chunk in chunks_of(name):
        assert validator.validate(chunk, "chat") == []
        sdk_adapter(ChatCompletionChunk).validate_python(chunk, strict=True)


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family[1]])
def test_chunk_order_matches_the_real_recording(name: str) -> None:
    recording = require_shared("traces", "chat", FAMILIES[name][1] or "")
    assert chunk_shapes(chunks_of(name)) == chunk_shapes(trace_events(recording))


@pytest.mark.parametrize("name", FAMILIES)
def test_the_stream_ends_as_the_real_one(name: str) -> None:
    plan = plan_of(name)
    chunks = [planned.event for planned in plan.chunks]
    assert plan.ends_with_done
    assert len({(c["id"], c["created"], c["model"]) for c in chunks}) == 1
    if "stream_options" in FAMILIES[name][0]:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
        assert all(chunk["usage"] is None for chunk in chunks[:-1])
    else:
        assert all("usage" not in chunk for chunk in chunks)
    finishes = [
        c["finish_reason"] for chunk in chunks for c in chunk["choices"] if c["finish_reason"]
    ]
    assert len(finishes) == plan.request.n


def without_stream_options(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "stream_options"}


def test_the_sdk_stream_helper_refuses_a_length_stop_as_with_the_real_stream() -> None:
    client = sdk_client(ChatApp(ChatService(4, Pacing.instant())))
    with client.chat.completions.stream(**FAMILIES["length"][0]) as stream:
        list(stream)
        with pytest.raises(openai.LengthFinishReasonError):
            stream.get_final_completion()


def normalised(completion: Any) -> dict[str, Any]:
    """A completion as JSON, without what only the SDK adds (parse results, tool-call indexes)
    or only the non-streaming shape has (empty annotations)."""
    data: dict[str, Any] = completion.model_dump(exclude_none=True)
    for choice in data["choices"]:
        message = choice["message"]
        message.pop("parsed", None)
        if message.get("annotations") == []:
            del message["annotations"]
        for call in message.get("tool_calls") or []:
            call.pop("index", None)
            call["function"].pop("parsed_arguments", None)
    return data


@pytest.mark.parametrize("name", [name for name in FAMILIES if name != "no_usage"])
def test_the_sdk_accumulates_the_non_streaming_answer(name: str) -> None:
    body = FAMILIES[name][0]
    streamed = sdk_client(ChatApp(ChatService(4, Pacing.instant())))
    with streamed.chat.completions.stream(**body) as stream:
        kinds = {event.type for event in stream}
        final = stream.current_completion_snapshot  # get_final_completion() refuses "length"
        if name != "length":
            assert normalised(stream.get_final_completion()) == normalised(final)
    answered = sdk_client(ChatApp(ChatService(4, Pacing.instant())))
    answer = answered.chat.completions.create(**without_stream_options(body))
    assert normalised(final) == normalised(answer)
    assert "chunk" in kinds
    expected = {"content.done", "refusal.done", "tool_calls.function.arguments.done"}
    assert kinds & expected


def test_choices_interleave_round_robin() -> None:
    indexes = [c["index"] for chunk in chunks_of("structured_output_n3") for c in chunk["choices"]]
    assert indexes[:6] == [0, 1, 2, 0, 1, 2]
    texts = plan_of("structured_output_n3").completion["choices"]
    assert len({choice["message"]["content"] for choice in texts}) == 3


def test_logprobs_ride_on_content_and_refusal_deltas() -> None:
    for name, field in (("content_logprobs", "content"), ("refusal_logprobs", "refusal")):
        for chunk in chunks_of(name):
            for choice in chunk["choices"]:
                if choice["delta"].get(field):
                    (entry,) = choice["logprobs"][field]
                    assert entry["token"] == choice["delta"][field]
                    assert entry["bytes"] == list(entry["token"].encode())
    top = chunks_of("refusal_logprobs")[1]["choices"][0]["logprobs"]["refusal"][0]["top_logprobs"]
    assert len(top) == 2


def test_a_failure_mid_stream_is_an_error_chunk_without_done() -> None:
    service = ChatService(4, Pacing.instant())
    plan = service.create(ask("This will fail.", stream=True), NOW)
    assert not plan.ends_with_done
    assert plan.chunks[-1].event == {"error": {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error", "param": None, "code": None}}  # fmt: skip
    client = sdk_client(ChatApp(ChatService(4, Pacing.instant())))
    with pytest.raises(openai.APIError, match="The server had an error"):
        list(client.chat.completions.create(**ask("This will fail.", stream=True)))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(**without_stream_options(ask("This will fail too.")))


def test_the_same_seed_and_body_give_the_same_chunks() -> None:
    assert plan_of("parallel_tool_calls", 8).chunks == plan_of("parallel_tool_calls", 8).chunks
    assert plan_of("parallel_tool_calls", 8).chunks != plan_of("parallel_tool_calls", 9).chunks


def test_parallel_tool_calls_false_keeps_one_call() -> None:
    body = {**FAMILIES["parallel_tool_calls"][0], "parallel_tool_calls": False}
    plan = ChatService(4, Pacing.instant()).create({**body, "stream": True}, NOW)
    (call,) = plan.completion["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"


def test_a_scenario_can_script_the_reply_or_force_a_failure() -> None:
    service = ChatService(4, Pacing.instant())
    body = {**FAMILIES["plain_text"][0], "stream": True}
    scripted = service.create(body, NOW, reply="Scripted answer.")
    assert scripted.completion["choices"][0]["message"]["content"] == "Scripted answer."
    failed = service.create(body, NOW, fail=True)
    assert not failed.ends_with_done and "error" in failed.chunks[-1].event
