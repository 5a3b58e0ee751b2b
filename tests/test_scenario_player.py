"""The scenario player, driven by hand with `now`: replies, pacing, rule semantics, unmatched.

What the player noted is judged from its transcript (conformance.checks.scenario_rules), as the
mock's control API and the conformance checks judge it."""

from __future__ import annotations

import math
from typing import Any

import pytest

from realtime_conformance.conformance.checks.scenario_rules import ScenarioJudgement, judge_scenario
from realtime_conformance.fixtures import FIXTURES_ROOT
from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.scenario import load_scenario, parse_scenario
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.outbox import Outgoing, Send, SendRaw
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.scenario_tape import RecordedPlayer
from tests.support.virtual_clock import VirtualClock, events, kinds

SCENARIOS = FIXTURES_ROOT / "scenarios"
TEXT_TURN = SCENARIOS / "5-response" / "5.1.1-text-turn.yaml"
FUNCTION_CALL_TURN = SCENARIOS / "6-function-calling" / "6.1.1-function-call-round-trip.yaml"
VALIDATOR = EventValidator()
HEAD = "id: 1.1.1\ntitle: T\nrequirement: The client MUST work.\ndialects: [ga]\n"
USER_ITEM = {
    "type": "conversation.item.create",
    "event_id": "event_client_1",
    "item": {
        "id": "item_user_1",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "Say hi in three words"}],
    },
}


def player(text: str, *, answer_unmatched: bool = False) -> RecordedPlayer:
    scenario = parse_scenario(HEAD + text)
    scenario_player = RecordedPlayer(scenario, seed=3, answer_unmatched=answer_unmatched)
    scenario_player.start(0.0)
    return scenario_player


def run(behaviour: Behaviour, until: float | None = None) -> list[tuple[float, Outgoing]]:
    """Pump the behaviour as the driver does: at each deadline, send what is due."""
    return VirtualClock(behaviour).advance(math.inf if until is None else until)


def judged(scenario_player: RecordedPlayer) -> ScenarioJudgement:
    """The client judged from the player's transcript (run it first: notes come out with
    what is due)."""
    return judge_scenario(scenario_player.scenario, scenario_player.lines)


def test_the_text_turn_example_plays_the_captured_ga_sequence_with_exact_pacing() -> None:
    behaviour: Behaviour = ScenarioPlayer(load_scenario(TEXT_TURN), seed=1)
    behaviour.start(100.0)
    sent = run(behaviour)
    behaviour.on_client_event({"type": "session.update", "session": {"type": "realtime"}}, 100.5)
    sent += run(behaviour)
    behaviour.on_client_event(USER_ITEM, 101.0)
    behaviour.on_client_event({"type": "response.create"}, 101.0)
    sent += run(behaviour)
    assert kinds(sent) == [
        "session.created",
        "session.updated",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 5,
        "response.output_text.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    # delay_ms 250 after each client event; pace_ms 5 inside a reply; the response waits for
    # the item's reply to finish (one gap after its last event).
    expected = [100.0, 100.75, 101.25, 101.255] + [101.26 + 0.005 * k for k in range(15)]
    assert [at for at, _ in sent] == pytest.approx(expected, abs=1e-9)
    for event in events(sent):
        assert VALIDATOR.validate(event, "realtime", "ga") == [], event


def test_the_text_turn_correlates_ids_like_the_real_server() -> None:
    scenario_player = RecordedPlayer(load_scenario(TEXT_TURN), seed=1)
    scenario_player.start(0.0)
    scenario_player.on_client_event(USER_ITEM, 1.0)
    scenario_player.on_client_event({"type": "response.create"}, 1.0)
    sent = events(run(scenario_player))
    user_added, assistant_added = [e for e in sent if e["type"] == "conversation.item.added"]
    assert user_added["item"]["id"] == "item_user_1"  # the id the client gave its item
    assert assistant_added["previous_item_id"] == "item_user_1"
    response_id = next(e["response"]["id"] for e in sent if e["type"] == "response.created")
    assert {e["response_id"] for e in sent if "response_id" in e} == {response_id}
    assert judged(scenario_player).passed


def test_a_seed_reproduces_a_run_id_for_id() -> None:
    def play(seed: int) -> list[dict[str, Any]]:
        scenario_player = ScenarioPlayer(load_scenario(TEXT_TURN), seed=seed)
        scenario_player.start(0.0)
        scenario_player.on_client_event(USER_ITEM, 1.0)
        scenario_player.on_client_event({"type": "response.create"}, 1.0)
        return events(run(scenario_player))

    assert play(5) == play(5)
    assert play(5) != play(6)


def test_the_function_call_example_demands_the_call_id_it_sent() -> None:
    scenario_player = RecordedPlayer(load_scenario(FUNCTION_CALL_TURN))
    scenario_player.start(0.0)
    scenario_player.on_client_event(USER_ITEM, 1.0)
    scenario_player.on_client_event({"type": "response.create"}, 1.0)
    call_id = next(e["call_id"] for e in events(run(scenario_player)) if "call_id" in e)
    output = {"type": "function_call_output", "call_id": "call_wrong", "output": "{}"}
    scenario_player.on_client_event({"type": "conversation.item.create", "item": output}, 2.0)
    run(scenario_player)
    [unmatched] = judged(scenario_player).unexpected
    assert unmatched.expected[3] == (
        'expect[3] (once, next in order): type = "conversation.item.create" and item.type = '
        f'"function_call_output" and item.call_id = "{call_id}" (from ${{last.call_id}})'
    )
    output["call_id"] = call_id
    scenario_player.on_client_event({"type": "conversation.item.create", "item": output}, 2.0)
    scenario_player.on_client_event({"type": "response.create"}, 2.0)
    assert kinds(run(scenario_player))[-1] == "rate_limits.updated"
    assert judged(scenario_player).unmet == []


RULES = """\
expect:
  - when: {type: response.cancel}
    reply: [{event: {type: input_audio_buffer.cleared}}]
    times: 2
  - when: {type: input_audio_buffer.clear}
    reply: [input_audio_buffer.cleared]
    times: once
  - when: {type: input_audio_buffer.commit}
    reply: [input_audio_buffer.committed]
"""


def test_times_n_once_and_always() -> None:
    scenario_player = player(RULES)
    for now, event_type in enumerate(["response.cancel"] * 3 + ["input_audio_buffer.clear"] * 2):
        scenario_player.on_client_event({"type": event_type}, float(now))
    for now in range(5, 9):
        scenario_player.on_client_event({"type": "input_audio_buffer.commit"}, float(now))
    assert kinds(run(scenario_player)) == [
        *["input_audio_buffer.cleared"] * 3,
        *["input_audio_buffer.committed"] * 4,
    ]
    judgement = judged(scenario_player)
    assert [u.event_type for u in judgement.unexpected] == [
        "response.cancel",
        "input_audio_buffer.clear",
    ]
    assert judgement.unmet == []


def test_unmatched_events_are_reported_with_every_expectation() -> None:
    scenario_player = player(RULES)
    scenario_player.on_client_event({"type": "input_audio_buffer.clear"}, 1.0)
    scenario_player.on_client_event({"type": "conversation.item.delete", "item_id": "x"}, 2.0)
    assert kinds(run(scenario_player)) == ["input_audio_buffer.cleared"]  # no answer by default
    judgement = judged(scenario_player)
    [unmatched] = judgement.unexpected
    assert unmatched.t_ms == 2000.0
    assert unmatched.event == {"type": "conversation.item.delete", "item_id": "x"}
    assert str(unmatched) == (
        "unexpected client event 'conversation.item.delete'; expected one of: "
        'expect[0] (2 times): type = "response.cancel"; '
        'expect[1] (once, used up): type = "input_audio_buffer.clear"; '
        'expect[2] (always): type = "input_audio_buffer.commit"'
    )
    assert judgement.unmet == ['expect[0] (2 times, matched 0): type = "response.cancel"']


def test_unmatched_events_can_be_answered_with_an_error() -> None:
    scenario_player = player("delay_ms: 100\n" + RULES, answer_unmatched=True)
    event = {"type": "conversation.item.delete", "event_id": "event_c9", "item_id": "x"}
    scenario_player.on_client_event(event, 1.0)
    [(at, item)] = run(scenario_player)
    assert at == pytest.approx(1.1)
    assert isinstance(item, Send) and VALIDATOR.validate(item.event, "realtime", "ga") == []
    error = item.event["error"]
    assert (error["code"], error["event_id"]) == ("mock_unexpected_event", "event_c9")
    assert error["message"].startswith(
        "Scenario 1.1.1: unexpected client event 'conversation.item.delete'; expected one of: "
    )


ORDERED = """\
ordered: true
ignore: [input_audio_buffer.append]
expect:
  - when: {type: session.update}
    reply: [session.updated]
  - when: {type: conversation.item.create}
    reply: [item_added_done]
    times: once
  - when: {type: response.create}
    reply: [{event: {type: rate_limits.updated, rate_limits: []}}]
    times: 2
"""


def test_ordered_mode_enforces_the_sequence_and_always_rules_match_anytime() -> None:
    scenario_player = player(ORDERED)
    scenario_player.on_client_event({"type": "response.create"}, 1.0)  # too early
    scenario_player.on_client_event({"type": "input_audio_buffer.append", "audio": ""}, 1.0)
    scenario_player.on_client_event({"type": "session.update", "session": {}}, 1.0)
    scenario_player.on_client_event(USER_ITEM, 2.0)
    scenario_player.on_client_event(USER_ITEM, 2.5)  # the item rule is used up
    scenario_player.on_client_event({"type": "response.create"}, 3.0)
    scenario_player.on_client_event({"type": "session.update", "session": {}}, 3.5)
    scenario_player.on_client_event({"type": "response.create"}, 4.0)
    sent = run(scenario_player)
    unexpected = judged(scenario_player).unexpected
    assert [u.event_type for u in unexpected] == [
        "response.create",
        "conversation.item.create",
    ]
    assert unexpected[0].expected == (
        'expect[0] (always): type = "session.update"',
        'expect[1] (once, next in order): type = "conversation.item.create"',
        'expect[2] (2 times, later in order): type = "response.create"',
    )
    assert kinds(sent) == [
        "session.updated",
        "conversation.item.added",
        "conversation.item.done",
        "rate_limits.updated",
        "session.updated",
        "rate_limits.updated",
    ]


def test_literal_events_raw_frames_waits_and_expressions() -> None:
    scenario_player = player(
        "pace_ms: 10\n"
        "expect:\n"
        "  - when: {type: conversation.item.truncate}\n"
        "    reply:\n"
        "      - conversation.item.truncated\n"
        "      - {wait_ms: 100}\n"
        "      - event:\n"
        "          type: conversation.item.deleted\n"
        "          item_id: ${event.item_id}\n"
        "      - {event: {type: error, error: {type: invalid_request_error, code: x,\n"
        "          message: 'cut at ${event.audio_end_ms} ms of ${last.item_id}',\n"
        "          param: '${id:p}', event_id: '${id:p}'}}}\n"
        "      - {raw: 'not json ${event.content_index}'}\n"
    )
    truncate = {
        "type": "conversation.item.truncate",
        "item_id": "item_a",
        "content_index": 0,
        "audio_end_ms": 640,
    }
    scenario_player.on_client_event(truncate, 1.0)
    sent = run(scenario_player)
    assert [at for at, _ in sent] == pytest.approx([1.0, 1.11, 1.12, 1.13])
    truncated, deleted, error = events(sent)
    assert (truncated["item_id"], truncated["audio_end_ms"]) == ("item_a", 640)
    assert deleted["item_id"] == "item_a" and deleted["event_id"].startswith("event_")
    assert error["error"]["message"] == "cut at 640 ms of item_a"
    assert error["error"]["param"] == error["error"]["event_id"]
    assert error["error"]["param"].startswith("p_")
    assert sent[-1][1] == SendRaw("not json 0")
    assert scenario_player.problems == []


def test_an_expression_that_finds_nothing_is_recorded() -> None:
    scenario_player = player(
        "expect:\n"
        "  - when: {type: conversation.item.delete}\n"
        "    reply: [{event: {type: conversation.item.deleted, item_id: '${event.item_id}'}}]\n"
    )
    scenario_player.on_client_event({"type": "conversation.item.delete"}, 1.0)
    assert events(run(scenario_player))[0]["item_id"] is None
    assert scenario_player.problems == ["expect[0]: ${event.item_id} found nothing"]


def test_a_bad_frame_is_answered_like_the_real_server() -> None:
    scenario_player = player("delay_ms: 260\n")
    error = RealtimeError("invalid_json", "Invalid event: failed to parse JSON value.")
    scenario_player.on_frame_error(error, 2.0)
    [(at, item)] = run(scenario_player)
    assert at == pytest.approx(2.26)
    assert isinstance(item, Send) and item.event["error"]["code"] == "invalid_json"
    assert scenario_player.frame_errors == [error]


def test_nothing_is_sent_after_the_client_closes() -> None:
    scenario_player = player("pace_ms: 10\non_start: [session.created, rate_limits.updated]\n")
    run(scenario_player, until=0.0)
    scenario_player.on_client_closed(0.005)
    scenario_player.on_client_event({"type": "response.create"}, 0.006)
    assert run(scenario_player) == [] and scenario_player.next_deadline() is None
    assert judged(scenario_player).unexpected == ()
