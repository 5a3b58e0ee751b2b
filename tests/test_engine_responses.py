"""Responses: one at a time in the conversation, out-of-band beside it, cancel, overrides."""

from __future__ import annotations

import base64

from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import EngineDriver, response_types, session_update, user_text

REAL = Timing.realistic()
CANCELLED = {"type": "cancelled", "reason": "client_cancelled"}


def created_ids(driver: EngineDriver) -> list[str]:
    return [event["response"]["id"] for event in driver.of_type("response.created")]


def test_a_second_response_create_collides_with_the_running_one() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send(user_text("Hello there"))
    driver.send({"type": "response.create"}, at=1.0)
    driver.send({"type": "response.create", "event_id": "evt_2"}, at=1.1)
    driver.settle()
    (first,) = created_ids(driver)
    assert driver.errors() == [
        {
            "type": "invalid_request_error",
            "code": "conversation_already_has_active_response",
            "message": f"Conversation already has an active response in progress: {first}. "
            "Wait until the response is finished before creating a new one.",
            "param": None,
            "event_id": "evt_2",
        }
    ]
    assert len(driver.of_type("response.done")) == 1


def test_after_response_done_a_new_response_is_welcome() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"}, at=1.0)
    driver.settle()
    driver.send({"type": "response.create"})
    driver.settle()
    assert len(created_ids(driver)) == 2
    assert driver.errors() == []


def test_cancel_mid_audio_closes_what_was_sent_and_ends_cancelled() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send(user_text("Tell me a story"))
    driver.send({"type": "response.create"}, at=1.0)
    cancel_at = 1.0 + REAL.response_created + REAL.first_delta + 0.2
    driver.send({"type": "response.cancel"}, at=cancel_at)
    driver.settle()
    deltas = [e for at, e in driver.timed if e["type"].endswith(".delta") and at > cancel_at]
    assert deltas == []
    transcript = "".join(
        e["delta"] for e in driver.of_type("response.output_audio_transcript.delta")
    )
    done = driver.one("response.done")["response"]
    assert (done["status"], done["status_details"]) == ("cancelled", CANCELLED)
    (item,) = done["output"]
    assert item["status"] == "incomplete"
    assert item["content"] == [{"type": "output_audio", "transcript": transcript}]
    assert driver.one("response.output_audio_transcript.done")["transcript"] == transcript
    user_done, assistant_done = driver.of_type("conversation.item.done")
    assert (user_done["item"]["status"], assistant_done["item"]) == ("completed", item)
    resp_id = done["id"]
    assert response_types(driver, resp_id)[-7:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    driver.send({"type": "conversation.item.retrieve", "item_id": item["id"]})
    driver.settle()
    assert driver.one("conversation.item.retrieved")["item"] == item


def test_cancel_before_response_created_still_creates_and_ends_it() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"}, at=1.0)
    driver.send({"type": "response.cancel"}, at=1.1)
    driver.settle()
    resp_id = created_ids(driver)[0]
    assert response_types(driver, resp_id) == [
        "response.created",
        "response.done",
        "rate_limits.updated",
    ]
    assert driver.one("response.done")["response"]["output"] == []
    assert driver.of_type("conversation.item.added") == []


def test_cancel_with_nothing_running_is_an_error_and_nothing_else() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.cancel", "event_id": "evt_c"})
    driver.send({"type": "response.create"})
    driver.settle()
    driver.send({"type": "response.cancel"})
    assert driver.errors() == [
        {
            "type": "invalid_request_error",
            "code": "response_cancel_not_active",
            "message": "Cancellation failed: no active response found",
            "param": None,
            "event_id": "evt_c",
        },
        {
            "type": "invalid_request_error",
            "code": "response_cancel_not_active",
            "message": "Cancellation failed: no active response found",
            "param": None,
            "event_id": None,
        },
    ]
    assert driver.one("response.done")["response"]["status"] == "completed"


def test_a_response_is_cancelled_once() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"}, at=1.0)
    driver.send({"type": "response.cancel"}, at=1.5)
    driver.send({"type": "response.cancel"}, at=1.501)
    driver.settle()
    assert len(driver.of_type("response.done")) == 1
    assert [e["code"] for e in driver.errors()] == ["response_cancel_not_active"]


def test_out_of_band_runs_beside_the_conversation_response() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send(user_text("Hello"))
    driver.send({"type": "response.create"}, at=1.0)
    oob = {"conversation": "none", "metadata": {"topic": "summary"}, "output_modalities": ["text"]}
    driver.send({"type": "response.create", "response": oob}, at=1.05)
    driver.settle()
    assert driver.errors() == []
    default_id, oob_id = created_ids(driver)
    done = {e["response"]["id"]: e["response"] for e in driver.of_type("response.done")}
    assert done[oob_id]["conversation_id"] is None
    assert done[oob_id]["metadata"] == {"topic": "summary"}
    assert done[default_id]["conversation_id"].startswith("conv_")
    oob_item = done[oob_id]["output"][0]["id"]
    in_conversation = [e["item"]["id"] for e in driver.of_type("conversation.item.added")]
    assert oob_item not in in_conversation
    assert done[default_id]["output"][0]["id"] in in_conversation
    times = {e["response"]["id"]: at for at, e in driver.timed if e["type"] == "response.done"}
    created = {e["response"]["id"]: at for at, e in driver.timed if e["type"] == "response.created"}
    assert created[oob_id] < times[default_id]  # they overlap in time
    driver.send({"type": "conversation.item.retrieve", "item_id": oob_item})
    driver.settle()
    assert driver.errors()[-1]["code"] == "item_retrieve_invalid_item_id"


def test_out_of_band_input_is_its_context() -> None:
    driver = EngineDriver()
    tool = {"type": "function", "name": "classify", "parameters": {"type": "object"}}
    params = {
        "conversation": "none",
        "tools": [tool],
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "classify"}],
            }
        ],
    }
    driver.send(user_text("Hello"))
    driver.send({"type": "response.create", "response": params})
    driver.settle()
    (item,) = driver.one("response.done")["response"]["output"]
    assert (item["type"], item["name"]) == ("function_call", "classify")


def test_cancel_by_response_id_cancels_that_one_only() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"}, at=1.0)
    driver.send({"type": "response.create", "response": {"conversation": "none"}}, at=1.01)
    driver.advance(1.3)
    default_id, oob_id = [e["response"]["id"] for e in driver.of_type("response.created")]
    driver.send({"type": "response.cancel", "response_id": oob_id})
    driver.settle()
    status = {e["response"]["id"]: e["response"]["status"] for e in driver.of_type("response.done")}
    assert status == {default_id: "completed", oob_id: "cancelled"}


def test_metadata_is_echoed_in_created_and_done() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.create", "response": {"metadata": {"turn": "7"}}})
    driver.settle()
    assert driver.one("response.created")["response"]["metadata"] == {"turn": "7"}
    assert driver.one("response.done")["response"]["metadata"] == {"turn": "7"}


def test_max_output_tokens_ends_the_response_incomplete() -> None:
    driver = EngineDriver()
    params = {"max_output_tokens": 3, "output_modalities": ["text"]}
    driver.send({"type": "response.create", "response": params})
    driver.settle()
    done = driver.one("response.done")["response"]
    assert (done["status"], done["status_details"]) == (
        "incomplete",
        {"type": "incomplete", "reason": "max_output_tokens"},
    )
    assert done["max_output_tokens"] == 3
    assert len(driver.of_type("response.output_text.delta")) == 3
    assert done["usage"]["output_tokens"] == 3
    assert done["output"][0]["status"] == "incomplete"


def test_response_overrides_modalities_voice_and_format() -> None:
    driver = EngineDriver()
    driver.send(session_update(output_modalities=["text"]))
    params = {
        "output_modalities": ["audio"],
        "audio": {"output": {"voice": "ash", "format": {"type": "audio/pcmu"}}},
    }
    driver.send({"type": "response.create", "response": params})
    driver.settle()
    created = driver.one("response.created")["response"]
    assert created["output_modalities"] == ["audio"]
    assert created["audio"] == {"output": {"format": {"type": "audio/pcmu"}, "voice": "ash"}}
    chunks = [base64.b64decode(e["delta"]) for e in driver.of_type("response.output_audio.delta")]
    assert {len(chunk) for chunk in chunks[:-1]} == {800}  # 100 ms of G.711 at 8 kHz


def test_text_modality_gives_a_text_part() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    driver.settle()
    assert driver.one("response.content_part.added")["part"] == {"type": "text", "text": ""}
    text = "".join(e["delta"] for e in driver.of_type("response.output_text.delta"))
    assert driver.one("response.output_text.done")["text"] == text
    assert driver.of_type("response.output_audio.delta") == []


def test_deltas_carry_obfuscation_padding_to_sixteen_characters() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.create"})
    driver.settle()
    deltas = driver.of_type("response.output_audio_transcript.delta")
    assert deltas
    assert all((len(e["delta"]) + len(e["obfuscation"])) % 16 == 0 for e in deltas)


def test_rate_limits_remaining_decreases() -> None:
    driver = EngineDriver()
    for _ in range(2):
        driver.send({"type": "response.create"})
        driver.settle()
    first, second = (
        {entry["name"]: entry["remaining"] for entry in e["rate_limits"]}
        for e in driver.of_type("rate_limits.updated")
    )
    assert set(first) == set(second) == {"tokens"}  # the GA captures report tokens only
    assert second["tokens"] < first["tokens"]
