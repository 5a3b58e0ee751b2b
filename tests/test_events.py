"""Frame decoding answers with the real API's errors; built events look like real ones."""

from __future__ import annotations

import re

import pytest

from realtime_conformance.rtproto.events import (
    EventBuilder,
    RealtimeError,
    decode_client_frame,
    read_client_text,
    supported_values_message,
)
from realtime_conformance.rtproto.ids import IdFactory


def test_binary_frame_is_an_invalid_event() -> None:
    with pytest.raises(RealtimeError) as caught:
        decode_client_frame(b"\x00" * 64)
    assert caught.value.code == "invalid_event"
    assert caught.value.message == (
        "Expected a text WebSocket message; binary frames are not supported."
    )


def test_text_that_is_not_json_is_invalid_json() -> None:
    with pytest.raises(RealtimeError) as caught:
        decode_client_frame("not json")
    assert caught.value.code == "invalid_json"
    assert caught.value.message.startswith("Invalid event: failed to parse JSON value. ")
    assert caught.value.param is None


def test_missing_type_echoes_the_client_event_id() -> None:
    with pytest.raises(RealtimeError) as caught:
        decode_client_frame('{"event_id": "evt_client_1"}')
    assert (caught.value.code, caught.value.param, caught.value.event_id) == (
        "invalid_event",
        "type",
        "evt_client_1",
    )


def test_json_that_is_not_an_object() -> None:
    with pytest.raises(RealtimeError) as caught:
        decode_client_frame("[1, 2]")
    assert caught.value.code == "invalid_event"


def test_valid_frame_decodes() -> None:
    assert decode_client_frame('{"type": "response.create"}') == {"type": "response.create"}


def test_supported_values_wording_matches_the_real_api() -> None:
    assert supported_values_message("x", ["realtime", "transcription"]) == (
        "Invalid value: 'x'. Supported values are: 'realtime' and 'transcription'."
    )
    assert supported_values_message("nope", ["a", "b", "c"]) == (
        "Invalid value: 'nope'. Supported values are: 'a', 'b', and 'c'."
    )


def test_error_event_has_the_wire_shape() -> None:
    builder = EventBuilder(IdFactory(seed=1))
    event = builder.error(
        RealtimeError(
            "response_cancel_not_active",
            "Cancellation failed: no active response found",
            event_id="evt_9",
        )
    )
    assert list(event) == ["type", "event_id", "error"]
    assert event["error"] == {
        "type": "invalid_request_error",
        "code": "response_cancel_not_active",
        "message": "Cancellation failed: no active response found",
        "param": None,
        "event_id": "evt_9",
    }


def test_ids_are_shaped_like_real_ones_and_reproducible() -> None:
    first, second = IdFactory(seed="s"), IdFactory(seed="s")
    ids = [first.new("item") for _ in range(3)]
    assert ids == [second.new("item") for _ in range(3)]
    assert all(re.fullmatch(r"item_[A-Za-z0-9]{21}", value) for value in ids)
    assert len(set(ids)) == 3


def test_a_client_frame_is_decoded_once_and_keeps_its_text() -> None:
    text = '{"event_id": "evt_client_1"}'
    no_type = read_client_text(text)
    assert (no_type.text, no_type.value) == (text, {"event_id": "evt_client_1"})
    assert no_type.error is not None and no_type.error.code == "invalid_event"
    assert read_client_text("[1, 2]").value is None  # JSON, but no object: a text frame
    event = read_client_text('{"type":"response.create"}')
    assert event.error is None and event.event() == {"type": "response.create"}
