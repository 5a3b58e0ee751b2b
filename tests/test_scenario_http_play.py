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

from realtime_conformance.conformance.checks.scenario_rules import judge_scenario
from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.scenario.names import request_event
from realtime_conformance.rtproto.scenario.notes import describe_unmatched
from realtime_conformance.rtproto.server.play import HttpScenario, ScenarioPlayer, UnmatchedRequest
from realtime_conformance.rtproto.server.realtime.outbox import Close, Note, Outgoing, Send, SendRaw
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.http_scenarios import (
    CHAT_HEAD,
    CHAT_TURNS,
    FIRST,
    RESPONSES_TEXT,
    SECOND,
    USER,
)
from tests.support.scenario_tape import HttpTape
from tests.support.sdk_types import sdk_response_event
from tests.support.virtual_clock import Scheduled, VirtualClock, events

VALIDATOR = EventValidator()


def drain(stream: Scheduled) -> list[tuple[float, Outgoing]]:
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
    with pytest.raises(UnmatchedRequest) as caught:
        scenario.open({"model": "gpt-4o", "input": "Hi", "stream": True}, 0.0)
    assert (caught.value.status, caught.value.code) == (400, "mock_unexpected_event")
    assert caught.value.message == (
        "Scenario 9.2.1: unexpected client event 'response.create'; expected one of: "
        'expect[0] (always): type = "response.create" and model ~ /^gpt-5/ and stream = true.'
    )
    [unmatched] = caught.value.notes[1:]  # after the scenario's note, for the transcript
    assert unmatched.meta["kind"] == "scenario.unmatched"
    listed = describe_unmatched("response.create", unmatched.meta["expected"])
    assert caught.value.message == f"Scenario 9.2.1: {listed}."


def chat_snapshot(sent: list[tuple[float, Outgoing]]) -> dict[str, Any]:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for event in events(sent):
        state.handle_chunk(ChatCompletionChunk.model_validate(copy.deepcopy(event)))
    snapshot: dict[str, Any] = state.current_completion_snapshot.model_dump()
    return snapshot


def test_chat_turns_follow_the_rules_in_order_from_request_to_request() -> None:
    scenario = HttpScenario(parse_scenario(CHAT_TURNS), seed=4, epoch_s=1_700_000_000)
    tape = HttpTape(scenario)
    streams = [tape.open(body, now) for body, now in ((FIRST, 10.0), (SECOND, 20.0))]
    first, second = (drain(stream) for stream in streams if stream is not None)
    for sent in (first, second):
        for chunk in events(sent):
            assert VALIDATOR.validate(chunk, "chat") == []
        assert [item for _, item in sent[-2:]] == [SendRaw("[DONE]"), Close(1000, "end of stream")]
    call = chat_snapshot(first)["choices"][0]["message"]["tool_calls"][0]
    assert (call["id"], call["function"]["name"]) == ("call_1", "get_weather")
    assert call["function"]["arguments"] == '{"city":"Paris"}'
    answer = chat_snapshot(second)
    assert answer["choices"][0]["message"]["content"] == "18 degrees"
    assert judge_scenario(scenario.scenario, tape.lines).passed
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
    assert [type(item) for item in stream.due(0.1)] == [Note, Note, Send]  # notes: not sent
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
