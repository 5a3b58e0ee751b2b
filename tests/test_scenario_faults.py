"""Each fault kind puts the right items on the wire, at the right moment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_conformance.fixtures import FIXTURES_ROOT
from realtime_conformance.rtproto.scenario import load_scenario, parse_scenario
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.outbox import Abort, Close, Outgoing, SendRaw
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.virtual_clock import BehaviourClock, kinds

VALIDATOR = EventValidator()
TEXT_TURN = """\
id: 8.9.9
title: T
requirement: The client MUST cope.
dialects: [ga]
pace_ms: 10
on_start: [session.created]
expect:
  - when: {type: response.create}
    reply: [{text_response: {text: "Hi there, friend!"}}]
"""


def play(faults: str, until: float = 10.0) -> list[tuple[float, Outgoing]]:
    """Start, send response.create at t=1, and collect everything sent until `until`."""
    clock = BehaviourClock(ScenarioPlayer(parse_scenario(TEXT_TURN + "faults:\n" + faults), seed=2))
    clock.start(0.0)
    clock.send({"type": "response.create", "event_id": "event_c1"}, 1.0)
    clock.advance(until)
    return clock.sent


NORMAL = kinds(play("  - {at_ms: 60000, abort: true}\n"))  # a fault that never comes


def test_the_unfaulted_turn() -> None:
    assert NORMAL[:3] == ["session.created", "response.created", "response.output_item.added"]
    assert len(NORMAL) == 16


def test_drop_after_a_client_event_closes_before_any_reply() -> None:
    sent = play("  - {after: response.create, drop: {code: 1011, reason: boom}}\n")
    assert kinds(sent) == ["session.created", Close(1011, "boom")]
    assert sent[-1][0] == 1.0


def test_the_fault_example_closes_instead_of_answering() -> None:
    drop = FIXTURES_ROOT / "scenarios" / "8-faults" / "8.1.1-drop-while-response-awaited.yaml"
    clock = BehaviourClock(ScenarioPlayer(load_scenario(drop)))
    clock.start(0.0)
    clock.send({"type": "response.create"}, 1.0)
    clock.advance(10.0)
    assert kinds(clock.sent) == [
        "session.created",
        Close(1011, "Internal server error"),
    ]


def test_drop_after_the_nth_server_event_cuts_the_response_there() -> None:
    sent = play("  - {after: response.output_text.delta, nth: 2, drop: {}}\n")
    assert kinds(sent)[-3:] == [
        "response.output_text.delta",
        "response.output_text.delta",
        Close(1011, ""),
    ]
    assert sent[-1][0] == sent[-2][0]  # in the same instant as the delta that triggered it


def test_abort_at_a_time_drops_the_connection_mid_response() -> None:
    sent = play("  - {at_ms: 1035, abort: true}\n")
    assert kinds(sent)[-1] == Abort()
    assert sent[-1][0] == pytest.approx(1.035)
    assert [at for at, _ in sent[:-1]][-1] == pytest.approx(1.03)  # due before it: sent first


def test_duplicate_last_resends_the_last_event_with_its_event_id() -> None:
    sent = play("  - {after: response.create, duplicate: last}\n")
    assert kinds(sent)[:2] == ["session.created", "session.created"]
    assert sent[0][1] == sent[1][1]


def test_duplicate_next_sends_the_next_event_twice() -> None:
    sent = play("  - {after: response.create, duplicate: next}\n")
    assert kinds(sent) == [*NORMAL[:2], "response.created", *NORMAL[2:]]
    assert sent[1][1] == sent[2][1]


def test_malform_sends_the_next_event_as_invalid_json() -> None:
    sent = play("  - {after: response.create, malform: next}\n")
    raw = sent[1][1]
    assert isinstance(raw, SendRaw) and isinstance(raw.data, str)
    assert raw.data.startswith('{"type": "response.created", "event_id": "event_')
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw.data)
    assert kinds(sent)[2:] == NORMAL[2:]


def test_reorder_sends_the_next_n_events_in_reverse() -> None:
    sent = play("  - {after: response.create, reorder: 3}\n")
    assert kinds(sent)[1:4] == [NORMAL[3], NORMAL[2], NORMAL[1]]
    assert kinds(sent)[4:] == NORMAL[4:]


def test_reorder_with_too_few_events_left_flushes_when_nothing_else_is_pending() -> None:
    sent = play("  - {after: response.output_item.done, reorder: 5}\n")
    assert kinds(sent)[-2:] == ["rate_limits.updated", "response.done"]
    assert kinds(sent)[:-2] == NORMAL[:-2]


def test_delay_stalls_the_link_then_sends_what_was_held_together() -> None:
    sent = play("  - {after: response.create, delay_ms: 45}\n")
    assert kinds(sent) == NORMAL
    times = [at for at, _ in sent]
    # events due at 1.00 .. 1.04 are held until 1.045, later ones keep their schedule
    assert times[1:6] == pytest.approx([1.045] * 5)
    assert times[6:8] == pytest.approx([1.05, 1.06])


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", {"type": "server_error", "code": None}),
        ("rate_limit", {"type": "tokens", "code": "rate_limit_exceeded"}),
    ],
)
def test_error_faults_send_the_real_error_events(kind: str, error: dict[str, Any]) -> None:
    sent = play(f"  - {{after: response.create, error: {kind}}}\n")
    event = sent[1][1].event  # type: ignore[union-attr]
    assert VALIDATOR.validate(event, "realtime", "ga") == []
    assert {key: event["error"][key] for key in error} == error
    assert kinds(sent)[2:] == NORMAL[1:]  # the session stays open and the reply still comes


def test_the_server_error_message_names_the_session() -> None:
    sent = play("  - {at_ms: 10, error: server_error}\n")
    session_id = sent[0][1].event["session"]["id"]  # type: ignore[union-attr]
    message = sent[1][1].event["error"]["message"]  # type: ignore[union-attr]
    assert message.startswith("The server had an error while processing your request.")
    assert f"(Please include the session ID {session_id} in your message.)" in message


def test_expire_session_sends_session_expired_then_closes_1001() -> None:
    sent = play("  - {at_ms: 500, expire_session: true}\n")
    assert sent[-2][1].event["error"] == {  # type: ignore[union-attr]
        "type": "invalid_request_error",
        "code": "session_expired",
        "message": "Your session hit the maximum duration of 60 minutes.",
        "param": None,
        "event_id": None,
    }
    assert sent[-1] == (0.5, Close(1001, "Your session hit the maximum duration of 60 minutes."))
    assert len(sent) == 3  # nothing after the close, not even the response


def test_a_fault_fires_once() -> None:
    clock = BehaviourClock(
        ScenarioPlayer(
            parse_scenario(TEXT_TURN + "faults:\n  - {after: response.create, duplicate: last}\n")
        )
    )
    clock.start(0.0)
    clock.send({"type": "response.create"}, 1.0)
    clock.advance(2.0)
    first = kinds(clock.sent)
    second = clock.send({"type": "response.create"}, 3.0) + clock.advance(4.0)
    assert kinds(second) == NORMAL[1:]
    assert first.count("session.created") == 2


def test_a_fault_can_count_ignored_client_events() -> None:
    text = TEXT_TURN + "ignore: [input_audio_buffer.append]\nfaults:\n"
    text += "  - {after: input_audio_buffer.append, nth: 3, error: rate_limit}\n"
    scenario_player = ScenarioPlayer(parse_scenario(text))
    clock = BehaviourClock(scenario_player)
    clock.start(0.0)
    for now in (1.0, 1.1, 1.2, 1.3):
        clock.send({"type": "input_audio_buffer.append", "audio": ""}, now)
    clock.advance(5.0)
    sent = clock.sent
    assert kinds(sent) == ["session.created", "error"]
    assert sent[1][0] == 1.2
    assert [note.meta["kind"] for _, note in clock.notes] == ["scenario"]  # ignored: no note
