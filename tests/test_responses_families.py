"""Every event family the simulated Responses model streams: valid by our schemas and by the
SDK's types, numbered and terminated as the wire is, ordered as the real recordings, and accepted
by the SDK's accumulator, whose final Response is the non-streaming answer."""

from __future__ import annotations

import itertools
from typing import Any

import openai
import pytest
from openai.lib.streaming.responses import (
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseStreamEvent,
    ResponseStreamState,
    ResponseTextDeltaEvent,
)
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
)

from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.simulated_model import (
    TERMINAL_EVENTS,
    ResponsePlan,
)
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.apps import NOW, ResponsesApp
from tests.support.sdk_types import sdk_adapter, sdk_event_types, sdk_response_event
from tests.support.shared import require_shared
from tests.support.streams import sdk_client, shape, trace_events

CALCULATOR = {
    "type": "function", "name": "calculator", "description": "Basic arithmetic.",
    "parameters": {"type": "object", "properties": {
        "a": {"type": "number"}, "b": {"type": "number"},
        "op": {"type": "string", "enum": ["add", "subtract", "multiply", "divide"]}},
        "required": ["a", "b", "op"], "additionalProperties": False},
    "strict": True,
}  # fmt: skip
WEATHER = {"type": "function", "name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
    "additionalProperties": False}}  # fmt: skip
TIME = {"type": "function", "name": "get_time", "parameters": {
    "type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"],
    "additionalProperties": False}}  # fmt: skip
MCP = {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp"}

# family -> (request body, the recording whose event order it must have, terminal status)
FAMILIES: dict[str, tuple[dict[str, Any], str | None, str]] = {
    "text": ({"model": "gpt-4.1", "input": "Say hello."},
             "pydantic-ai-test_openai_conversation_id_streaming_provider_details.jsonl",
             "completed"),
    "background": ({"model": "gpt-4o", "input": "What is 2 + 2?", "background": True},
                   "pydantic-ai-test_background_mode_streaming_vcr.jsonl", "completed"),
    "function_call": ({"model": "gpt-4.1", "input": "Use the calculator.", "tools": [CALCULATOR]},
                      "vercel-ai-openai-reasoning-encrypted-content.1.stream2of4.jsonl",
                      "completed"),
    "reasoning_function_call": (
        {"model": "gpt-5", "input": "Use the calculator.", "tools": [CALCULATOR]},
        "pydantic-ai-test_openai_responses_streaming_usage.jsonl", "completed"),
    "reasoning_summary_function_call": (
        {"model": "gpt-5.1-codex-max", "input": "Use the calculator.", "tools": [CALCULATOR],
         "reasoning": {"effort": "high", "summary": "detailed"},
         "include": ["reasoning.encrypted_content"]},
        "vercel-ai-openai-reasoning-encrypted-content.1.stream1of4.jsonl", "completed"),
    "parallel_function_calls": (
        {"model": "gpt-4.1", "input": "Weather and time in Paris?", "tools": [WEATHER, TIME]},
        None, "completed"),
    "custom_tool_call": ({"model": "gpt-4.1", "input": "Write it in the grammar.",
                          "tools": [{"type": "custom", "name": "grammar"}]}, None, "completed"),
    "web_search": ({"model": "gpt-5-mini", "input": "Tech news today?",
                    "tools": [{"type": "web_search"}],
                    "include": ["web_search_call.action.sources"]},
                   "vercel-ai-openai-web-search-tool.1.jsonl", "completed"),
    "file_search": ({"model": "gpt-4o", "input": "What is the capital of France?",
                     "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]},
                    "pydantic-ai-test_openai_responses_model_file_search_tool_stream.jsonl",
                    "completed"),
    "file_search_reasoning": ({"model": "gpt-5-mini", "input": "Search my files.",
                               "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]},
                              "vercel-ai-openai-file-search-tool.1.jsonl", "completed"),
    "code_interpreter": ({"model": "gpt-5-nano", "input": "Roll two dice.",
                          "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]},
                         "vercel-ai-openai-code-interpreter-tool.1.jsonl", "completed"),
    "image_generation": ({"model": "gpt-5", "input": "Draw an echidna.",
                          "tools": [{"type": "image_generation"}]},
                         "vercel-ai-openai-image-generation-tool.1.jsonl", "completed"),
    "mcp": ({"model": "o4-mini", "input": "What is pydantic-ai?",
             "tools": [{**MCP, "require_approval": "never"}]},
            "pydantic-ai-test_openai_responses_model_mcp_server_tool_stream.jsonl", "completed"),
    "mcp_approval": ({"model": "gpt-5-mini", "input": "What is pydantic-ai?", "tools": [MCP]},
                     "vercel-ai-openai-mcp-tool-approval.1.jsonl", "completed"),
    "refusal": ({"model": "gpt-4.1", "input": "I want you to refuse this."}, None, "completed"),
    "incomplete": ({"model": "gpt-4.1", "input": "Say hello.", "max_output_tokens": 16}, None,
                   "incomplete"),
    "failed": ({"model": "gpt-5-nano", "input": "This one will fail."},
               "vercel-ai-openai-error.1.jsonl", "failed"),
}  # fmt: skip
SDK_SERVER_EVENTS = sdk_event_types("responses", "", "server")
TERMINAL_TYPES = (ResponseCompletedEvent, ResponseFailedEvent, ResponseIncompleteEvent)


def plan_of(name: str, seed: int = 7) -> ResponsePlan:
    body = FAMILIES[name][0]
    return ResponsesService(seed, Pacing.instant()).create(body, NOW).plan


def events_of(name: str) -> list[dict[str, Any]]:
    return [planned.event for planned in plan_of(name).events]


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


@pytest.mark.parametrize("name", FAMILIES)
def test_every_event_validates_against_the_schemas(name: str, validator: EventValidator) -> None:
    problems = [str(p) for event in events_of(name) for p in validator.validate(event, "responses")]
    assert problems == []


@pytest.mark.parametrize("name", FAMILIES)
def test_every_event_satisfies_the_sdk_types(name: str) -> None:
    for event in events_of(name):
        sdk_adapter(SDK_SERVER_EVENTS[event["type"]]).validate_python(event, strict=True)


@pytest.mark.parametrize("name", FAMILIES)
def test_numbered_from_zero_with_exactly_one_terminal_event(name: str) -> None:
    plan = plan_of(name)
    events = [planned.event for planned in plan.events]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    terminal = [event for event in events if event["type"] in TERMINAL_EVENTS]
    assert terminal == [events[-1]]
    assert events[-1]["response"]["status"] == FAMILIES[name][2] == plan.status
    assert [p.at for p in plan.events] == sorted(p.at for p in plan.events)


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family[1]])
def test_event_order_matches_the_real_recording(name: str) -> None:
    recording = require_shared("traces", "responses", FAMILIES[name][1] or "")
    assert shape(events_of(name)) == shape(trace_events(recording))


def strip_parsed(value: Any) -> Any:
    """The SDK's parse results (`parsed`, `parsed_arguments`) are not on the wire."""
    if isinstance(value, dict):
        return {
            k: strip_parsed(v) for k, v in value.items() if k not in ("parsed", "parsed_arguments")
        }
    if isinstance(value, list):
        return [strip_parsed(v) for v in value]
    return value


@pytest.mark.parametrize("name", FAMILIES)
def test_the_sdk_accumulator_accepts_it_and_builds_the_final_response(name: str) -> None:
    plan = plan_of(name)
    state: ResponseStreamState[Any] = ResponseStreamState(
        input_tools=plan.request.get("tools", []), text_format=openai.omit
    )
    handled: list[ResponseStreamEvent[Any]] = []
    for planned in plan.events:
        handled += state.handle_event(sdk_response_event(planned.event))
    # What the SDK accumulated from the deltas (the snapshots its delta events carry) is what
    # the items' `done` events and the terminal Response carry.
    assert accumulated(handled) == final_texts(plan.final)
    terminal = [event for event in handled if isinstance(event, TERMINAL_TYPES)]
    assert [event.type for event in terminal] == [f"response.{plan.status}"]
    if plan.status == "completed":
        assert strip_parsed(terminal[0].response.to_dict()) == plan.final


def accumulated(handled: list[ResponseStreamEvent[Any]]) -> dict[tuple[int, int], str]:
    """The SDK's accumulation as its delta events carry it: output text by (output index,
    content index), function arguments by (output index, -1)."""
    built: dict[tuple[int, int], str] = {}
    for event in handled:
        if isinstance(event, ResponseTextDeltaEvent):
            built[(event.output_index, event.content_index)] = event.snapshot
        elif isinstance(event, ResponseFunctionCallArgumentsDeltaEvent):
            built[(event.output_index, -1)] = event.snapshot
    return built


def final_texts(final: dict[str, Any]) -> dict[tuple[int, int], str]:
    """The same, read from the final Response: what the deltas must add up to (an empty text
    has no delta)."""
    texts: dict[tuple[int, int], str] = {}
    for index, item in enumerate(final["output"]):
        if item["type"] == "function_call":
            texts[(index, -1)] = item["arguments"]
        for number, part in enumerate(item.get("content") or []):
            if item["type"] == "message" and part["type"] == "output_text" and part["text"]:
                texts[(index, number)] = part["text"]
    return texts


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items()
                                  if family[2] == "completed"])  # fmt: skip
def test_the_sdk_stream_helper_gets_the_non_streaming_answer(name: str) -> None:
    body = FAMILIES[name][0]
    streamed = sdk_client(ResponsesApp(ResponsesService(7, Pacing.instant())))
    with streamed.responses.stream(**body) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    answered = sdk_client(ResponsesApp(ResponsesService(7, Pacing.instant())))
    answer = answered.responses.create(**body)
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    if body.get("background"):
        assert answer.status == "queued"
        answer = answered.responses.retrieve(answer.id)  # NOW: the plan's instant pacing is over
    assert strip_parsed(final.to_dict()) == strip_parsed(answer.to_dict())


def test_the_sdk_raises_the_nested_error_of_a_failed_stream() -> None:
    client = sdk_client(ResponsesApp(ResponsesService(7, Pacing.instant())))
    with (
        pytest.raises(openai.APIError, match="The server had an error"),
        client.responses.stream(**FAMILIES["failed"][0]) as stream,
    ):
        list(stream)


def test_the_same_seed_and_body_give_the_same_stream() -> None:
    for name in ("text", "web_search", "parallel_function_calls"):
        assert plan_of(name, seed=11).events == plan_of(name, seed=11).events
        assert plan_of(name, seed=11).events != plan_of(name, seed=12).events


def test_a_repeated_body_gets_fresh_ids_and_streaming_does_not_change_the_answer() -> None:
    service = ResponsesService(3, Pacing.instant())
    first = service.create({"model": "gpt-4.1", "input": "Hi"}, NOW).plan
    second = service.create({"model": "gpt-4.1", "input": "Hi"}, NOW).plan
    assert first.response_id != second.response_id
    streamed = (
        ResponsesService(3, Pacing.instant())
        .create({"model": "gpt-4.1", "input": "Hi", "stream": True}, NOW)
        .plan
    )
    assert streamed.final == first.final


def test_parallel_calls_follow_parallel_tool_calls() -> None:
    body = FAMILIES["parallel_function_calls"][0]
    calls = [item["name"] for item in plan_of("parallel_function_calls").final["output"]]
    assert calls == ["get_weather", "get_time"]
    single = (
        ResponsesService(7, Pacing.instant())
        .create({**body, "parallel_tool_calls": False}, NOW)
        .plan
    )
    assert [item["name"] for item in single.final["output"]] == ["get_weather"]


def test_partial_images_are_valid_pngs() -> None:
    import base64

    partials = [e for e in events_of("image_generation")
                if e["type"] == "response.image_generation_call.partial_image"]  # fmt: skip
    assert partials
    for event in partials:
        assert base64.b64decode(event["partial_image_b64"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_incomplete_stops_at_max_output_tokens() -> None:
    final = plan_of("incomplete").final
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete"
    assert final["usage"]["output_tokens"] == 16


def test_pacing_spaces_the_events() -> None:
    pacing = Pacing(first_output_s=0.25, token_s=0.012, tool_s=0.3, queue_s=0.5)
    plan = ResponsesService(7, pacing).create(FAMILIES["text"][0], NOW).plan
    deltas = [p.at for p in plan.events if p.event["type"] == "response.output_text.delta"]
    assert deltas[0] == pytest.approx(0.25 + 0.012)
    assert [round(b - a, 6) for a, b in itertools.pairwise(deltas)] == [0.012] * (len(deltas) - 1)
    assert plan.duration == pytest.approx(deltas[-1])


def test_obfuscation_pads_deltas_unless_turned_off() -> None:
    padded = [e for e in events_of("text") if "obfuscation" in e]
    assert padded and all(e["type"].endswith(".delta") for e in padded)
    body = {**FAMILIES["text"][0], "stream": True,
            "stream_options": {"include_obfuscation": False}}  # fmt: skip
    plain = ResponsesService(7, Pacing.instant()).create(body, NOW).plan
    assert not any("obfuscation" in p.event for p in plain.events)


def test_a_scenario_can_script_the_reply_or_force_a_failure() -> None:
    service = ResponsesService(7, Pacing.instant())
    scripted = service.create(FAMILIES["text"][0], NOW, reply="Scripted answer.").plan
    assert scripted.final["output"][0]["content"][0]["text"] == "Scripted answer."
    failed = service.create(FAMILIES["text"][0], NOW, fail=True).plan
    assert [p.event["type"] for p in failed.events][-2:] == ["error", "response.failed"]
