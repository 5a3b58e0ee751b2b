"""Responses and Chat scenarios, played per HTTP request by hand with `now`: literal events are
completed as their API sends them, every event is valid against schemas/, the stream ends
itself, and rules carry over from request to request."""

from __future__ import annotations

import copy
from typing import Any

import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.lib.streaming.responses import ResponseStreamEvent, ResponseStreamState
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseCompletedEvent

from rtproto.api_errors import ApiError
from rtproto.scenario import parse_scenario
from rtproto.scenario.names import request_event
from rtproto.server.play import HttpScenario, ScenarioPlayer, ScenarioStream
from rtproto.server.realtime.outbox import Close, Outgoing, Send, SendRaw
from rtproto.validation import EventValidator
from tests.support.sdk_types import sdk_response_event
from tests.support.virtual_clock import VirtualClock, events

VALIDATOR = EventValidator()
RESPONSES_TEXT = """\
id: 9.2.1
title: Scripted Responses text answer
requirement: The client MUST assemble the streamed text.
api: responses
delay_ms: 100
pace_ms: 10
expect:
  - when: {type: response.create, model: {regex: "^gpt-5"}, stream: true}
    reply:
      - event: {type: response.created, response: &created {id: resp_1, object: response,
          created_at: 1767225600, status: in_progress, model: "${event.model}", output: [],
          parallel_tool_calls: true, tool_choice: auto, tools: [], usage: null}}
      - event: {type: response.in_progress, response: *created}
      - event: {type: response.output_item.added, output_index: 0, item: {id: msg_1,
          type: message, status: in_progress, role: assistant, content: []}}
      - event: {type: response.content_part.added, item_id: msg_1, output_index: 0,
          content_index: 0, part: {type: output_text, text: "", annotations: []}}
      - event: {type: response.output_text.delta, item_id: msg_1, output_index: 0,
          content_index: 0, delta: Hi, logprobs: []}
      - event: {type: response.output_text.delta, item_id: msg_1, output_index: 0,
          content_index: 0, delta: " there", logprobs: []}
      - event: {type: response.output_text.done, item_id: msg_1, output_index: 0,
          content_index: 0, text: Hi there, logprobs: []}
      - event: {type: response.content_part.done, item_id: msg_1, output_index: 0,
          content_index: 0, part: &part {type: output_text, text: Hi there, annotations: []}}
      - event: {type: response.output_item.done, output_index: 0, item: &message {id: msg_1,
          type: message, status: completed, role: assistant, content: [*part]}}
      - event: {type: response.completed, response: {<<: *created, status: completed,
          output: [*message], usage: {input_tokens: 5, output_tokens: 2, total_tokens: 7,
          input_tokens_details: {cached_tokens: 0, cache_write_tokens: 0},
          output_tokens_details: {reasoning_tokens: 0}}}}
"""
CHAT_HEAD = """\
id: 9.3.1
title: Scripted Chat turns
requirement: The client MUST send the tool's result back, then show the answer.
api: chat
ordered: true
pace_ms: 5
"""
ROLE = "{index: 0, delta: {role: assistant, content: null}, logprobs: null, finish_reason: null}"
CHAT_TURNS = (
    CHAT_HEAD
    + f"""\
expect:
  - when: {{type: chat.completions.create, messages.0.role: user}}
    times: once
    reply:
      - event: {{choices: [{ROLE}]}}
      - event: {{choices: [{{index: 0, delta: {{tool_calls: [{{index: 0, id: call_1,
          type: function, function: {{name: get_weather, arguments: ""}}}}]}},
          logprobs: null, finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{tool_calls: [{{index: 0, function: {{
          arguments: "{{\\"city\\":\\"Paris\\"}}"}}}}]}}, logprobs: null, finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{}}, logprobs: null, finish_reason: tool_calls}}]}}
  - when: {{type: chat.completions.create, messages.2.role: tool, messages.2.tool_call_id: call_1}}
    times: once
    reply:
      - event: {{id: chatcmpl-given, system_fingerprint: fp_1, choices: [{{index: 0,
          delta: {{role: assistant, content: "", refusal: null}}, logprobs: null,
          finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{content: 18 degrees}}, logprobs: null,
          finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{}}, logprobs: null, finish_reason: stop}}]}}
"""
)
USER = {"role": "user", "content": "Weather in Paris?"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
FIRST = {"model": "gpt-4o", "stream": True, "messages": [USER]}
SECOND = {
    "model": "gpt-4o",
    "stream": True,
    "messages": [
        USER,
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ],
}


def drain(stream: ScenarioStream) -> list[tuple[float, Outgoing]]:
    """What the driver sends: at each deadline, what is due, until the stream is over."""
    return VirtualClock(stream).run_out()


def test_a_responses_scenario_streams_valid_numbered_events_paced_after_the_delay() -> None:
    scenario = HttpScenario(parse_scenario(RESPONSES_TEXT), seed=1)
    stream = scenario.open({"model": "gpt-5-mini", "input": "Hi", "stream": True}, 50.0)
    sent = drain(stream)
    sent_events = events(sent)
    assert [event["sequence_number"] for event in sent_events] == list(range(10))
    for event in sent_events:
        assert VALIDATOR.validate(event, "responses") == [], event["type"]
    assert sent_events[0]["response"]["model"] == "gpt-5-mini"  # ${event.model}
    times = [round(at - 50.0, 6) for at, _ in sent]
    assert times == [round(0.1 + 0.01 * n, 6) for n in range(10)] + [0.19]
    assert sent[-1][1] == Close(1000, "end of stream") and stream.finished
    assert stream.next_deadline() is None and stream.problems == []


def test_the_request_is_one_pseudo_client_event_with_the_body_fields() -> None:
    body = {"model": "gpt-4o", "messages": [USER], "stream": True}
    assert request_event("chat", body) == {"type": "chat.completions.create", **body}
    assert request_event("responses", {"model": "m"}) == {"type": "response.create", "model": "m"}


def test_an_unmatched_request_is_answered_with_an_error_naming_every_expectation() -> None:
    scenario = HttpScenario(parse_scenario(RESPONSES_TEXT))
    with pytest.raises(ApiError) as caught:
        scenario.open({"model": "gpt-4o", "input": "Hi", "stream": True}, 0.0)
    assert (caught.value.status, caught.value.code) == (400, "mock_unexpected_event")
    assert caught.value.message == (
        "Scenario 9.2.1: unexpected client event 'response.create'; expected one of: "
        'expect[0] (always): type = "response.create" and model ~ /^gpt-5/ and stream = true.'
    )
    assert [u.event["model"] for u in scenario.unmatched] == ["gpt-4o"]


def chat_snapshot(sent: list[tuple[float, Outgoing]]) -> dict[str, Any]:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for event in events(sent):
        state.handle_chunk(ChatCompletionChunk.model_validate(copy.deepcopy(event)))
    snapshot: dict[str, Any] = state.current_completion_snapshot.model_dump()
    return snapshot


def test_chat_turns_follow_the_rules_in_order_from_request_to_request() -> None:
    scenario = HttpScenario(parse_scenario(CHAT_TURNS), seed=4, epoch_s=1_700_000_000)
    first = drain(scenario.open(FIRST, 10.0))
    second = drain(scenario.open(SECOND, 20.0))
    for sent in (first, second):
        for chunk in events(sent):
            assert VALIDATOR.validate(chunk, "chat") == []
        assert [item for _, item in sent[-2:]] == [SendRaw("[DONE]"), Close(1000, "end of stream")]
    call = chat_snapshot(first)["choices"][0]["message"]["tool_calls"][0]
    assert (call["id"], call["function"]["name"]) == ("call_1", "get_weather")
    assert call["function"]["arguments"] == '{"city":"Paris"}'
    answer = chat_snapshot(second)
    assert answer["choices"][0]["message"]["content"] == "18 degrees"
    assert scenario.unmet() == []
    with pytest.raises(ApiError, match=r"expect\[0\] \(once, used up\)"):
        scenario.open(FIRST, 30.0)


def test_chunk_heads_come_from_the_streams_first_chunk_or_are_made_up() -> None:
    scenario = HttpScenario(parse_scenario(CHAT_TURNS), seed=4, epoch_s=1_700_000_000)
    made_up = events(drain(scenario.open(FIRST, 10.0)))
    given = events(drain(scenario.open(SECOND, 20.0)))
    heads = {(c["id"], c["object"], c["created"], c["model"]) for c in made_up}
    assert len(heads) == 1
    chunk_id, _, created, model = heads.pop()
    assert chunk_id.startswith("chatcmpl-") and (created, model) == (1_700_000_000, "gpt-4o")
    assert list(made_up[0])[:5] == ["id", "object", "created", "model", "choices"]
    assert {c["id"] for c in given} == {"chatcmpl-given"}
    assert "system_fingerprint" not in given[1]  # only id, object, created and model are copied


def test_the_same_seed_gives_the_same_streams() -> None:
    def stream_of(seed: int) -> list[dict[str, Any]]:
        return events(drain(HttpScenario(parse_scenario(CHAT_TURNS), seed=seed).open(FIRST, 0.0)))

    assert stream_of(7) == stream_of(7)
    assert stream_of(7)[0]["id"] != stream_of(8)[0]["id"]


def test_a_chat_reply_that_sends_its_own_done_gets_no_second_one() -> None:
    text = CHAT_HEAD + (
        "expect:\n"
        "  - when: {type: chat.completions.create}\n"
        "    reply: [{event: {choices: []}}, {raw: '[DONE]'}, {wait_ms: 50}]\n"
    )
    sent = drain(HttpScenario(parse_scenario(text)).open(FIRST, 0.0))
    assert [item for _, item in sent][1:] == [SendRaw("[DONE]"), Close(1000, "end of stream")]


def test_the_client_going_away_ends_the_stream() -> None:
    stream = HttpScenario(parse_scenario(RESPONSES_TEXT)).open(
        {"model": "gpt-5", "stream": True}, 0
    )
    assert [type(item) for item in stream.due(0.1)] == [Send]
    stream.client_closed()
    assert stream.finished and stream.next_deadline() is None and stream.due(9.0) == []


def test_each_player_plays_its_own_kind_of_scenario() -> None:
    with pytest.raises(ValueError, match="api responses: play it per HTTP request"):
        ScenarioPlayer(parse_scenario(RESPONSES_TEXT))
    realtime = parse_scenario("id: 1.1.1\ntitle: T\nrequirement: MUST.\ndialects: [ga]\n")
    with pytest.raises(ValueError, match="api realtime: play it per connection"):
        HttpScenario(realtime)


SIMULATED = """\
id: 9.6.1
title: The simulated model, with the scenario's answer
requirement: The client MUST show the streamed answer.
api: {api}
pace_ms: 3
expect:
  - when: {{type: {request}, stream: true}}
    reply:
      - simulate: {{text: "It is 18 degrees in ${{event.metadata.city}}.", timing: {timing}}}
"""


def simulated(api: str, timing: str = "planned") -> HttpScenario:
    request = "response.create" if api == "responses" else "chat.completions.create"
    text = SIMULATED.format(api=api, request=request, timing=timing)
    return HttpScenario(parse_scenario(text), seed=3)


def test_simulate_streams_the_responses_models_answer_with_the_scenarios_text() -> None:
    body = {"model": "gpt-4.1", "input": "Weather?", "stream": True, "metadata": {"city": "Paris"}}
    sent = drain(simulated("responses").open(body, 0.0))
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=[], text_format=openai.omit)
    handed: list[ResponseStreamEvent[Any]] = []
    for number, event in enumerate(events(sent)):
        assert event["sequence_number"] == number
        assert VALIDATOR.validate(event, "responses") == [], event["type"]
        handed += state.handle_event(sdk_response_event(event))
    [completed] = [out for out in handed if isinstance(out, ResponseCompletedEvent)]
    assert completed.response.output_text == "It is 18 degrees in Paris."
    assert sent[-1][1] == Close(1000, "end of stream")
    assert sent[-1][0] > 0.25  # the model's own pacing: a quarter second to the first output


def test_simulate_streams_the_chat_models_chunks_and_its_done() -> None:
    body = {**FIRST, "metadata": {"city": "Lyon"}}
    sent = drain(simulated("chat", timing="paced").open(body, 0.0))
    for chunk in events(sent):
        assert VALIDATOR.validate(chunk, "chat") == []
    assert chat_snapshot(sent)["choices"][0]["message"]["content"] == "It is 18 degrees in Lyon."
    assert [item for _, item in sent[-2:]] == [SendRaw("[DONE]"), Close(1000, "end of stream")]
    times = [at for at, _ in sent]
    assert times[1] - times[0] == pytest.approx(0.003)  # paced, not the model's timing


def test_simulate_answers_an_invalid_body_as_the_simulated_model_does() -> None:
    with pytest.raises(ApiError, match="Unrecognized request argument supplied: bogus"):
        simulated("chat").open({**FIRST, "bogus": 1}, 0.0)
