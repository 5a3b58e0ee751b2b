"""The Responses WebSocket mode, sans-I/O: lanes, errors, limits and steering; time is driven by
hand."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.responses.responses_server_event import ResponsesServerEvent
from pydantic import TypeAdapter

from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.socket import (
    ResponsesSocketSession,
    SocketLimits,
)
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.virtual_clock import VirtualClock
from tests.support.virtual_clock import events as events_of
from tests.test_responses_families import CALCULATOR

T0 = 1_771_375_110.0
PACING = Pacing(first_output_s=0.2, token_s=0.01, tool_s=0.1, queue_s=0.5)
SERVER_EVENTS: TypeAdapter[Any] = TypeAdapter(ResponsesServerEvent)


def session(limits: SocketLimits | None = None) -> ResponsesSocketSession:
    return ResponsesSocketSession(ResponsesService(9, PACING), connected_at=T0, limits=limits)


def send(ws: ResponsesSocketSession, now: float = T0, **message: Any) -> None:
    ws.on_message(json.dumps(message), now)


def drain(ws: ResponsesSocketSession, until: float = float("inf")) -> list[dict[str, Any]]:
    """Every event due up to `until`, deadline by deadline (as a driver would send them)."""
    clock = VirtualClock(ws, now=T0)
    return events_of(clock.advance(until))


def of_response(events: list[dict[str, Any]], response_id: str) -> list[dict[str, Any]]:
    """The events of one response's stream: on its lane, from its response.created up to the
    next response.created of that lane (or the end)."""
    created = [e["type"] == "response.created" and e["response"]["id"] for e in events]
    start = created.index(response_id)
    lane = events[start].get("stream_id")
    mine = [events[start]]
    for event in events[start + 1 :]:
        if event.get("stream_id") != lane or event["type"] == "error":
            continue
        if event["type"] == "response.created":
            break
        mine.append(event)
    return mine


def created_ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["response"]["id"] for e in events if e["type"] == "response.created"]


def check_valid(events: list[dict[str, Any]]) -> None:
    validator, store = EventValidator(), SchemaStore()
    for event in events:
        if validator.spec_of(event, "responses") is not None:
            assert validator.validate(event, "responses") == [], event
        else:  # the WebSocket-only events, until the AsyncAPI document lists them
            schema = store.validator(f"responses/events/{event['type']}.json")
            assert list(schema.iter_errors(event)) == [], event
        if event.get("error", {}).get("code") != "invalid_input":  # echoes input the SDK rejects
            SERVER_EVENTS.validate_python(event, strict=True)


def test_one_lane_runs_in_order_and_lanes_run_side_by_side() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="First.", stream_id="a")
    send(ws, type="response.create", model="gpt-4.1", input="Second.", stream_id="a")
    send(ws, type="response.create", model="gpt-4.1", input="Other.", stream_id="b")
    events = drain(ws)
    check_valid(events)
    first, other, second = created_ids(events)  # b starts at once, a's second after its first
    assert {e["stream_id"] for e in events} == {"a", "b"}
    lane_a = [e for e in events if e["stream_id"] == "a"]
    assert [e["type"] for e in lane_a].count("response.completed") == 2
    assert lane_a.index(of_response(events, second)[0]) > lane_a.index(
        of_response(events, first)[-1]
    )
    b_start = events.index(of_response(events, other)[0])
    assert b_start < events.index(of_response(events, first)[-1])  # b did not wait for a
    for rid in (first, second, other):
        numbers = [e["sequence_number"] for e in of_response(events, rid)]
        assert numbers == list(range(len(numbers)))


def test_the_default_lane_has_no_stream_id_and_continues_with_store_false() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="Remember 7.", store=False)
    first = drain(ws)
    assert all("stream_id" not in e for e in first)
    rid = first[-1]["response"]["id"]
    assert rid not in ws.service.store
    send(ws, T0 + 5, type="response.create", model="gpt-4.1", input="Which number?",
         store=False, previous_response_id=rid)  # fmt: skip
    second = drain(ws)
    assert second[-1]["type"] == "response.completed"
    assert second[-1]["response"]["previous_response_id"] == rid


def test_only_the_latest_response_of_a_lane_is_cached() -> None:
    ws = session()
    for text in ("One.", "Two."):
        send(ws, type="response.create", model="gpt-4.1", input=text, store=False, stream_id="x")
    oldest = created_ids(drain(ws))[0]
    send(ws, T0 + 9, type="response.create", model="gpt-4.1", input="Three.", store=False,
         stream_id="x", previous_response_id=oldest)  # fmt: skip
    assert drain(ws) == [{
        "type": "error",
        "error": {"type": "invalid_request_error", "code": "previous_response_not_found",
                  "message": f"Previous response with id '{oldest}' not found.",
                  "param": "previous_response_id"},
        "status": 400, "stream_id": "x"}]  # fmt: skip


@pytest.mark.parametrize(
    ("message", "code", "param"),
    [
        ({"type": "response.create", "input": "No model."}, "missing_required_parameter", "model"),
        ({"type": "response.create", "model": "gpt-4.1", "input": "x", "background": True},
         "unsupported_parameter", "background"),
        ({"type": "response.cancel"}, "invalid_value", "type"),
        ({"input": "no type"}, "missing_required_parameter", "type"),
    ],
)  # fmt: skip
def test_a_bad_message_gets_an_error_event(message: dict[str, Any], code: str, param: str) -> None:
    ws = session()
    ws.on_message(json.dumps(message), T0)
    (event,) = drain(ws)
    check_valid([event])
    assert (event["error"]["code"], event["error"]["param"], event["status"]) == (code, param, 400)
    assert "sequence_number" not in event


def test_a_frame_that_is_not_json_gets_an_error_event() -> None:
    ws = session()
    ws.on_message("{nope", T0)
    (event,) = drain(ws)
    assert event["error"]["code"] == "invalid_json" and event["status"] == 400


def test_the_connection_ends_its_service_after_60_minutes() -> None:
    ws = session()
    send(ws, T0 + 3600, type="response.create", model="gpt-4.1", input="Late.", stream_id="l")
    (event,) = drain(ws)
    assert event["error"]["code"] == "websocket_connection_limit_reached"
    assert event["error"]["message"] == (
        "Responses websocket connection limit reached (60 minutes). Create a new websocket "
        "connection to continue."
    )
    assert event["stream_id"] == "l"


def test_lanes_and_responses_in_flight_are_limited() -> None:
    ws = session(SocketLimits(in_flight=3, named_lanes=2))
    for lane in ("a", "b", "c"):
        send(ws, type="response.create", model="gpt-4.1", input="Hi.", stream_id=lane)
    for _ in range(3):
        send(ws, type="response.create", model="gpt-4.1", input="Hi.", stream_id="a")
    errors = [e for e in drain(ws, T0) if e["type"] == "error"]
    assert [e["error"]["code"] for e in errors] == ["websocket_stream_limit_reached"] * 3


def test_generate_false_warms_up_without_output() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="Tools only.", generate=False)
    events = drain(ws)
    assert [e["type"] for e in events] == [
        "response.created", "response.in_progress", "response.completed"]  # fmt: skip
    assert events[-1]["response"]["output"] == []


def test_steering_ends_the_response_at_a_boundary_and_a_successor_continues() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-5-mini", input="Tech news today?",
         tools=[{"type": "web_search"}], stream_id="s")  # fmt: skip
    started = drain(ws, T0)
    target = started[0]["response"]["id"]
    send(ws, T0 + 0.05, type="response.steer", previous_response_id=target,
         input="Only about phones, please.")  # fmt: skip
    events = started + drain(ws)
    check_valid(events)
    mine = of_response(events, target)
    accepted = next(e for e in mine if e["type"] == "response.steer.accepted")
    assert accepted["steer"]["previous_response_id"] == target and accepted["stream_id"] == "s"
    assert mine[-1]["type"] == "response.incomplete"
    assert mine[-1]["response"]["incomplete_details"] == {"reason": "steered"}
    assert [e["sequence_number"] for e in mine] == list(range(len(mine)))
    successor = created_ids(events)[1]
    following = of_response(events, successor)
    assert following[0]["response"]["previous_response_id"] == target
    assert following[-1]["type"] == "response.completed"
    stored = ws.service.store.find(successor)
    assert stored.plan.request.input_items[0]["content"] == "Only about phones, please."


def test_steering_a_response_that_waits_for_tool_output_stays_pending() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="Use the calculator.",
         tools=[CALCULATOR])  # fmt: skip
    started = drain(ws, T0)
    target = started[0]["response"]["id"]
    send(ws, T0 + 0.01, type="response.steer", previous_response_id=target, input="Add 1 too.")
    events = started + drain(ws)
    check_valid(events)
    assert [e["type"] for e in events[-2:]] == ["response.completed", "response.steer.pending"]
    call = events[-2]["response"]["output"][0]
    assert events[-1]["required_input"] == [
        {"type": "function_call_output", "call_id": call["call_id"], "name": "calculator"}
    ]
    send(
        ws,
        T0 + 5,
        type="response.create",
        model="gpt-4.1",
        previous_response_id=target,
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": "3"}],
    )
    answer = drain(ws)
    stored = ws.service.store.find(answer[0]["response"]["id"])
    assert [item["type"] for item in stored.plan.request.input_items] == [
        "message", "function_call_output"]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "steer_input", "code"),
    [("resp_unknown", "Hi", "response_not_found"), ("done", "Hi", "response_already_completed"),
     ("done", [{"role": "assistant", "content": "no"}], "invalid_input")],
)  # fmt: skip
def test_steering_that_cannot_be_accepted_fails(target: str, steer_input: Any, code: str) -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="Hi.")
    done = drain(ws)[-1]["response"]["id"]
    send(ws, T0 + 9, type="response.steer", input=steer_input,
         previous_response_id=done if target == "done" else target)  # fmt: skip
    (event,) = drain(ws)
    check_valid([event])
    assert event["type"] == "response.steer.failed" and event["error"]["code"] == code
    assert event["steer"]["input"] == steer_input and "id" not in event["steer"]


def test_steering_a_response_whose_end_is_already_due_fails_as_completed() -> None:
    ws = session()
    send(ws, type="response.create", model="gpt-4.1", input="Hi.", stream_id="z")
    started = drain(ws, T0)
    target = started[0]["response"]["id"]
    send(ws, T0 + 60, type="response.steer", previous_response_id=target, input="Too late.")
    events = started + drain(ws)
    assert [e["type"] for e in events[-2:]] == ["response.completed", "response.steer.failed"]
    assert events[-1]["error"]["code"] == "response_already_completed"
    assert events[-1]["stream_id"] == "z"
    assert events[-1]["sequence_number"] == events[-2]["sequence_number"] + 1


def test_a_binary_frame_gets_an_error_event() -> None:
    ws = session()
    ws.on_message(b"\x00\x01", T0)
    (event,) = drain(ws)
    assert event["type"] == "error" and event["error"]["code"] == "invalid_event"
