"""Resilience checks: a client that survives each fault passes; one that dies or gives up fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from realtime_conformance.conformance.checks.resilience import faults_in
from tests.support.recordings import RecordingBuilder, judge

SURVIVAL = ["resilience.stays_connected", "resilience.keeps_working"]
Inject = Callable[[RecordingBuilder], object]


def unknown_event(b: RecordingBuilder) -> object:
    return b.server("response.future_thing", detail=1)


def malformed(b: RecordingBuilder) -> object:
    return b.line("server", "frame", {"opcode": "TEXT", "data": "{not json"})


def server_error(b: RecordingBuilder) -> object:
    error = {"type": "server_error", "code": None, "message": "The server had an error"}
    return b.server("error", error=error)


def duplicate(b: RecordingBuilder) -> object:
    event = {"type": "rate_limits.updated", "event_id": "event_dup", "rate_limits": []}
    b.line("server", "event", event)
    return b.line("server", "event", event)


FAULTS = {
    "unknown_event": unknown_event,
    "malformed": malformed,
    "server_error": server_error,
    "duplicate": duplicate,
}


def session_with_fault(inject: Inject, survives: bool) -> RecordingBuilder:
    b = RecordingBuilder().session()
    b.at(100).user_text().client("response.create")
    b.at(200).text_response("resp_1", "item_a1")
    inject(b.at(500))
    if survives:
        b.at(600).step("send_text", text="again").user_text("again").client("response.create")
        b.at(700).text_response("resp_2", "item_a2")
    else:
        b.at(510).close("client", 1006, "client crashed")
        b.at(600).step("send_text", error="connection closed", text="again")
    return b.at(900).step("close").close("client", 1000).close("server", 1000)


@pytest.mark.parametrize("kind", FAULTS)
def test_a_client_that_survives_the_fault_passes(kind: str) -> None:
    b = session_with_fault(FAULTS[kind], survives=True)
    assert [f.kind for f in faults_in(b.build(), "ga")] == [kind]
    assert judge(b, SURVIVAL) == []


@pytest.mark.parametrize("kind", FAULTS)
def test_a_client_that_dies_on_the_fault_fails_both_checks(kind: str) -> None:
    failures = judge(session_with_fault(FAULTS[kind], survives=False), SURVIVAL)
    assert [f.check for f in failures] == SURVIVAL
    assert failures[0].actual.startswith("connection closed by the client (code 1006) 10 ms")
    assert failures[1].actual.startswith("connection closed: no response completed after")
    assert "keep its connection open" in failures[0].requirement


def test_dying_on_an_unknown_event_names_the_event() -> None:
    failures = judge(session_with_fault(unknown_event, survives=False), SURVIVAL)
    assert "an event of unknown type 'response.future_thing'" in failures[0].actual


def test_a_failed_step_after_the_fault_fails_too() -> None:
    b = RecordingBuilder().session()
    malformed(b.at(500))
    b.at(600).step("send_text", error="ValueError: Expecting value", text="again")
    [failure] = judge(b, ["resilience.stays_connected"])
    assert failure.actual.startswith("step send_text failed after a server frame")


def test_the_servers_echo_of_a_client_close_is_no_drop() -> None:
    b = RecordingBuilder().session().at(900).step("close").close("client", 1000)
    b.close("server", 1000)
    assert faults_in(b.build(), "ga") == []


def dropped(reconnect_at: float | None, first: str = "session.update") -> RecordingBuilder:
    b = RecordingBuilder().session()
    b.at(1000).close("server", 1011, "Internal server error")
    if reconnect_at is not None:
        b.at(reconnect_at).meta({"kind": "handshake", "http_status": 101, "request_headers": {}})
        b.server("session.created", session={"id": "sess_2"})
        b.wait(5).client(
            first, **({"session": {"type": "realtime"}} if first.startswith("session") else {})
        )
    return b


def test_reconnecting_after_a_drop_passes() -> None:
    assert judge(dropped(2000), ["resilience.reconnects"]) == []


def test_not_reconnecting_or_using_the_new_session_unconfigured_fails() -> None:
    [failure] = judge(dropped(None), ["resilience.reconnects"])
    assert failure.actual == "no reconnection in time after a server close (code 1011) (timeout)"
    [failure] = judge(dropped(7000), ["resilience.reconnects"])
    assert failure.actual.endswith("(after 6000 ms)")
    [failure] = judge(dropped(2000, first="response.create"), ["resilience.reconnects"])
    assert "first client event was response.create" in failure.actual


def test_session_expiry_expects_a_reconnection() -> None:
    b = RecordingBuilder().session()
    error = {"type": "invalid_request_error", "code": "session_expired", "message": "expired"}
    b.at(1000).server("error", error=error).close("server", 1001)
    [failure] = judge(b, ["resilience.reconnects"])
    assert "session_expired" in failure.actual


def rate_limited(retry_at: float | None) -> RecordingBuilder:
    b = RecordingBuilder(handshake=False)
    request = {"kind": "http_request", "method": "POST", "path": "/v1/responses", "body": {}}
    b.meta(request)
    b.at(10).meta({"kind": "http_response", "status": 429, "headers": {"retry-after": "1"}})
    if retry_at is not None:
        b.at(retry_at).meta(request)
    return b


def test_retry_after_is_honoured() -> None:
    assert judge(rate_limited(1200), ["resilience.retry_after"]) == []
    [early] = judge(rate_limited(500), ["resilience.retry_after"])
    assert early.actual == "a retry 490 ms after the 429"
    assert early.expected == ("a retry 1000 ms or more after the 429",)
    [never] = judge(rate_limited(None), ["resilience.retry_after"])
    assert never.actual == "timeout: no retry after the 429"


def test_a_fault_without_a_mark_of_its_own_is_placed_by_the_case() -> None:
    b = RecordingBuilder().session()
    b.at(500).server("rate_limits.updated", rate_limits=[])
    b.at(510).close("client", 1006)
    failures = judge(b, SURVIVAL, expect={"fault_after": "rate_limits.updated"})
    assert "the fault placed after rate_limits.updated" in failures[0].actual
    assert judge(b, SURVIVAL) == []  # no fault found, nothing to judge


def test_the_runners_close_at_the_end_is_no_death_even_without_a_close_step() -> None:
    b = RecordingBuilder().session()
    b.at(100).step("send_text", text="hi").user_text().client("response.create")
    malformed(b.at(200))
    b.at(300).text_response("resp_1", "item_a1")
    b.at(900).close("client", 1000).close("server", 1000)  # the case is over
    assert judge(b, SURVIVAL) == []


def test_a_response_in_the_same_tenth_of_a_millisecond_as_the_fault_still_comes_after_it() -> None:
    """A pacer catching up sends the rest of a response in one burst: the recording's 0.1 ms
    timestamps may then be equal, and only the wire order says what came after the fault."""
    b = RecordingBuilder().session()
    b.at(100).step("send_text", text="hi").user_text().client("response.create")
    malformed(b.at(300))
    b.at(300).text_response("resp_1", "item_a1")
    b.at(900).close("client", 1000).close("server", 1000)
    assert judge(b, SURVIVAL) == []


def test_a_response_before_the_fault_in_the_same_tenth_of_a_millisecond_is_not_after_it() -> None:
    b = RecordingBuilder().session()
    b.at(100).step("send_text", text="hi").user_text().client("response.create")
    b.at(300).text_response("resp_1", "item_a1")
    malformed(b.at(300))
    b.at(900).close("client", 1000).close("server", 1000)
    [failure] = judge(b, ["resilience.keeps_working"])
    assert failure.actual.startswith("connection closed: no response completed after")


def test_a_clean_close_while_the_case_still_has_steps_is_a_death() -> None:
    b = RecordingBuilder().session()
    malformed(b.at(200))
    b.at(210).close("client", 1000)
    b.at(300).step("send_text", error="not connected", text="hi")
    failures = judge(b, ["resilience.stays_connected"])
    assert failures[0].actual.startswith("connection closed by the client (code 1000) 10 ms")


def test_faults_are_read_in_the_api_of_their_connection() -> None:
    b = RecordingBuilder(handshake=False)
    b.meta({"kind": "handshake", "http_status": 101, "path": "/v1/responses"})
    for number, kind in enumerate(("response.created", "response.completed")):
        b.line("server", "event", {"type": kind, "sequence_number": number})
    assert faults_in(b.build(), "ga") == []  # Responses events, not unknown Realtime ones
    b.line("server", "event", {"type": "response.future_thing", "sequence_number": 2})
    assert [f.kind for f in faults_in(b.build(), "ga")] == ["unknown_event"]
